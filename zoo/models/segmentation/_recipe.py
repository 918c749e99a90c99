"""What the segmenters share: the canvases they are trained on and their recipe.

The canvases' class maps (`zoo.data.load("fashion_digits_canvas", targets="segmentation")`)
have 21 classes: 0 for the background, k + 1 for each of the 20 object classes. The recipe:
Adam at 1e-3, batch 32, 20 epochs at most, the weights of the epoch with the best validation
mean IoU kept (its learning rate halved after two epochs without a better one), and new
training canvases every epoch (`augment="recompose"`, `zoo.data.recompose`): trained on the
stored canvases alone, FCN-8s learned them by heart (its training canvases scored far above
its validation canvases) and scored less on the test canvases than with them recomposed
(benchmarks/results/segmentation_ablations.json holds that run). No flips: they would
mirror the digits.
"""

from zoo.registry import Recipe

CANVAS_DATASET = "fashion_digits_canvas"
CANVAS_SEGMENTATION_CLASSES = 21

RECIPE = Recipe(loss="sparse_categorical_crossentropy_from_logits",
                metrics=("mean_iou", "pixel_accuracy"), optimizer="adam", learning_rate=1e-3,
                epochs=20, batch_size=32, dataset_options={"augment": "recompose"},
                monitor="val_mean_iou", patience=5)
