"""A backbone pretrained to name the canvases' items one at a time, and how well it names them
at each size.

The detectors on `fashion_digits_canvas` find almost every object and lose their mAP on its
names (`zoo.detection.objects`: Faster R-CNN finds 0.98-1.0 of the test objects at every
size and names the Fashion-MNIST items 0.70-0.79), while they learn the backbone from
scratch with the box head's few regions an image. This is the supervised pre-training of
R-CNN (Girshick, Donahue, Darrell and Malik, 2014, "Rich feature hierarchies for accurate
object detection and semantic segmentation", arXiv:1311.2524, Section 2.3: a classifier
trained on whole images, then fine-tuned to detect) on the canvases' own objects:

- **The task.** Each item rendered as the canvases paste it (`zoo.data.canvas`): resized to a
  side of 14 to 56 pixels (log-uniform, the recipe's `object_sizes`), its pixels up to
  `FOREGROUND_THRESHOLD` cut away, placed at a random spot of a black `ITEM_SIDE` square,
  and named among the canvases' 20 classes. Training items are drawn afresh every epoch,
  each at a new size and place.
- **What stays apart.** Training items are the sources' training items that no validation
  canvas holds (as `augment="recompose"` leaves them out); the validation items are exactly
  those; the test items are the sources' test splits, the test canvases' sources. So a
  detector that starts from these weights has seen no validation or test object.
- **What it measures.** Test accuracy per class and by size bin (the longer side of the
  item's box, `zoo.detection.objects.SIZE_EDGES`, the detection rows' bins): how well a
  classifier that sees one whole item alone names it at each size, beside how well a
  detector names it among others (a well-trained one bounds what a detector with this
  backbone can hope for at that size; a short run bounds nothing).
- **What it gives.** The headless backbone's weights, saved where the registered factory
  loads them: `backbone_options={"weights": path}` starts a detector or segmenter from them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from zoo.data.canvas import FOREGROUND_THRESHOLD, SOURCES, CanvasRecipe, resize, tight_box

DATASET = "fashion_digits_canvas"
ITEM_SIDE = 64  # holds the largest item (56 pixels) with room to move
SPLITS = ("train", "validation", "test")
RENDER_CHUNK = 4096  # items rendered at a time for a training epoch


def render_items(images: np.ndarray, rng: np.random.Generator, *, object_sizes=(14, 56),
                 side: int = ITEM_SIDE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each 28x28 uint8 image of `images` as the canvases paste it, alone on a black `side`
    square: `(squares [n, side, side, 1] uint8, boxes [n, 4] "xyxy" pixel edges, kept
    [n] bool)`. An item with no pixel left at its drawn size (a faint one, shrunk) is not
    kept, as the canvases leave it out; its square stays black."""
    low, high = object_sizes
    if high > side:
        raise ValueError(f"object_sizes={tuple(object_sizes)!r} do not fit a {side}-pixel "
                         "square: the largest side must be at most `side`.")
    squares = np.zeros((len(images), side, side, 1), np.uint8)
    boxes = np.zeros((len(images), 4), np.int64)
    kept = np.zeros(len(images), bool)
    sizes = np.rint(np.exp(rng.uniform(math.log(low), math.log(high), len(images))))
    for n, (image, size) in enumerate(zip(images, sizes.astype(int), strict=True)):
        patch = resize(image, size)
        pixels = patch > FOREGROUND_THRESHOLD
        extent = tight_box(pixels)
        if extent is None:
            continue
        x1, y1, x2, y2 = extent
        height, width = y2 - y1, x2 - x1
        top, left = int(rng.integers(0, side - height + 1)), int(rng.integers(0, side - width + 1))
        item = np.where(pixels, patch, 0)[y1:y2, x1:x2]
        squares[n, top:top + height, left:left + width, 0] = item
        boxes[n] = (left, top, left + width, top + height)
        kept[n] = True
    return squares, boxes, kept


def source_items(split: str, *, dataset: str = DATASET, validation_fraction: float = 0.1,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 28x28 source items of `split` ("train", "validation" or "test", module docstring)
    and their canvas classes (the sources' labels moved by `SOURCES`' first labels):
    `(images [n, 28, 28] uint8, classes [n] int32)`. `validation_fraction` and `seed` carve
    the validation canvases as `zoo.train` does by default."""
    import zoo
    from zoo.data.pipeline import _read  # the readers' arrays, read once per process
    from zoo.data.recompose import validation_items

    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not one of {list(SPLITS)}.")
    info = zoo.data.dataset_info(dataset)
    if not isinstance(info.corpus, CanvasRecipe):
        raise ValueError(f"dataset={dataset!r} is not composed of items (its images are not "
                         f"canvases); choose a canvas dataset such as {DATASET!r}.")
    held = validation_items(info, validation_fraction, seed) if split != "test" else None
    images, classes = [], []
    for name, first_label in SOURCES:
        (x_train, y_train), (x_test, y_test) = _read(name)
        if split == "test":
            x, y = x_test, y_test
        else:
            in_validation = np.zeros(len(x_train), bool)
            in_validation[held[name]] = True
            keep = in_validation if split == "validation" else ~in_validation
            x, y = x_train[keep], y_train[keep]
        images.append(x)
        classes.append(y.astype(np.int32) + first_label)
    return np.concatenate(images), np.concatenate(classes)


def item_dataset(split: str, *, batch_size: int = 128, items: int | None = None, seed: int = 0,
                 dataset: str = DATASET, side: int = ITEM_SIDE):
    """A batched `tf.data.Dataset` of `(squares uint8 [b, side, side, 1], classes int32)`.
    "train" renders `items` items (default: all) drawn anew every epoch, each at a new size
    and place, shuffled; "validation" and "test" render every item once, the same way every
    time (seeded)."""
    import tensorflow as tf

    from zoo import _validate
    from zoo.data.feeding import prefetched

    images, classes = source_items(split, dataset=dataset, seed=seed)
    object_sizes = _recipe(dataset).object_sizes
    if split != "train":
        squares, _, kept = render_items(images, np.random.default_rng([seed, 1]),
                                        object_sizes=object_sizes, side=side)
        fixed = tf.data.Dataset.from_tensor_slices((squares[kept], classes[kept]))
        return prefetched(fixed.batch(batch_size))
    count = len(images) if items is None else min(_validate.positive_int("items", items),
                                                  len(images))

    def epoch(epoch_seed):
        # Rendered a chunk at a time, in a new order, until `count` items are given: the few
        # that vanish at their drawn size are replaced by the next ones, for an epoch of all
        # items by the first ones again at new sizes.
        rng = np.random.default_rng([seed, int(epoch_seed) % 2**63])
        order, given = np.tile(rng.permutation(len(images)), 2), 0
        for start in range(0, len(order), RENDER_CHUNK):
            chosen = order[start:start + RENDER_CHUNK]
            squares, _, kept = render_items(images[chosen], rng, object_sizes=object_sizes,
                                            side=side)
            for square, label in zip(squares[kept], classes[chosen][kept], strict=True):
                if given == count:
                    return
                given += 1
                yield square, label

    signature = (tf.TensorSpec((side, side, 1), tf.uint8), tf.TensorSpec((), tf.int32))
    # One seed drawn per iterator (per epoch), as zoo.data.recompose draws its canvases'.
    epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    training = epoch_seeds.flat_map(lambda epoch_seed: tf.data.Dataset.from_generator(
        epoch, args=(epoch_seed,), output_signature=signature))
    # Keras then knows an epoch's steps (the generator's length is otherwise unknown).
    training = training.apply(tf.data.experimental.assert_cardinality(count))
    return prefetched(training.batch(batch_size))


def item_classifier(backbone: str = "resnet18", *, channels: int = 1, num_classes: int = 20,
                    backbone_options=None):
    """`(classifier, headless backbone)`: the registered `backbone` built as the detectors
    build theirs (`include_top=False` for images of any size with `channels`), then global
    average pooling and a softmax over `num_classes`; pixels scaled to [0, 1] as
    `zoo.detection.detector` scales them."""
    import keras

    import zoo
    from zoo import _validate
    from zoo.detection.backbones import BACKBONES, checked_backbone_options

    _validate.choice("backbone", backbone, BACKBONES)
    base = zoo.get_model(backbone, include_top=False, input_shape=(None, None, channels),
                         **checked_backbone_options(backbone_options))
    images = keras.Input((None, None, channels), dtype="uint8", name="image")
    x = keras.layers.Rescaling(1 / 255, name="pixels")(images)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(base(x))
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return keras.Model(images, outputs, name=f"{backbone}_items"), base


def accuracy_by_size(classifier, *, dataset: str = DATASET, seed: int = 0,
                     batch_size: int = 256) -> dict:
    """The classifier's test accuracy: overall, and per class by size bin
    (`zoo.detection.objects.tally`'s summary, question "named")."""
    from zoo.detection.objects import SIZE_EDGES, size_bins, tally

    images, classes = source_items("test", dataset=dataset)
    squares, boxes, kept = render_items(images, np.random.default_rng([seed, 2]),
                                        object_sizes=_recipe(dataset).object_sizes)
    squares, boxes, classes = squares[kept], boxes[kept], classes[kept]
    predicted = np.argmax(classifier.predict(squares, batch_size=batch_size, verbose=0), -1)
    names = _class_names(dataset)
    counts = np.zeros((len(names), len(SIZE_EDGES) + 1), np.int64)
    hits = np.zeros_like(counts)
    bins = size_bins(boxes)
    np.add.at(counts, (classes, bins), 1)
    np.add.at(hits, (classes, bins), predicted == classes)
    return {"accuracy": round(float(np.mean(predicted == classes)), 4),
            "by_size": tally({"named": hits}, counts, names)}


def pretrain_backbone(weights_path, *, backbone: str = "resnet18", epochs: int = 4,
                      items_per_epoch: int | None = 40_000, batch_size: int = 128,
                      learning_rate: float = 1e-3, seed: int = 0, runs_root=None,
                      dataset: str = DATASET, verbose=0) -> dict:
    """Train `item_classifier` on the items (module docstring) with `zoo.train`'s callbacks
    (Adam, the best validation epoch's weights kept), save the headless backbone's weights to
    `weights_path` (a ".weights.h5" file, written whole or not at all) and return what it
    measured: the test accuracy overall and by size (`accuracy_by_size`), the history and
    the file."""
    import tempfile

    import keras

    import zoo
    from zoo import _validate
    from zoo._io import replaced

    weights_path = Path(weights_path)
    if not weights_path.name.endswith(".weights.h5"):
        raise ValueError(f"weights_path={str(weights_path)!r} must end in '.weights.h5', the "
                         "file the backbone's factory loads with weights=path.")
    keras.utils.set_random_seed(seed)
    classifier, base = item_classifier(backbone, num_classes=len(_class_names(dataset)))
    train = item_dataset("train", batch_size=batch_size, items=items_per_epoch, seed=seed,
                         dataset=dataset)
    validation = item_dataset("validation", batch_size=batch_size, seed=seed, dataset=dataset)
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(classifier, (train, validation),
                           epochs=_validate.positive_int("epochs", epochs),
                           optimizer="adam", learning_rate=learning_rate,
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                           seed=seed, runs_root=runs_root or scratch, tensorboard=False,
                           verbose=verbose)
    with replaced(weights_path) as partial:  # an interrupted save leaves no half file
        base.save_weights(partial)
    return {"backbone": backbone, "dataset": dataset, "weights": str(weights_path),
            "epochs_run": len(result.history["loss"]), "items_per_epoch": items_per_epoch,
            "best_val_accuracy": round(max(result.history["val_accuracy"]), 4),
            "val_accuracy": [round(a, 4) for a in result.history["val_accuracy"]],
            "epoch_seconds": [round(s, 1) for s in result.history["epoch_seconds"]],
            **accuracy_by_size(result.model, dataset=dataset, seed=seed)}


def _recipe(dataset: str) -> CanvasRecipe:
    import zoo

    return zoo.data.dataset_info(dataset).corpus


def _class_names(dataset: str) -> tuple[str, ...]:
    import zoo

    return zoo.data.dataset_info(dataset).class_names

