"""Measure a segmenter: train it by its card's recipe, predict the class map of every test
image and score them with `zoo.segmentation.scores` (mean IoU, the value; the mean IoU of the
object classes alone; pixel accuracy; each class' IoU), and name every test object by its
pixels' vote, by size (`zoo.segmentation.objects`: where the mean IoU is lost).
`benchmarks/segmentation.py` records the rows in `zoo/results/segmentation.json`, where the
cards read them."""

from __future__ import annotations

import tempfile
import time

import numpy as np

from zoo.benchmark import finished_run, provenance, split_size, training_dataset_options


def split_confusion(model, dataset: str, *, split: str = "test", batch_size: int = 64,
                   limit: int | None = None) -> np.ndarray:
    """The confusion matrix of `model`'s class maps over every pixel of `split`."""
    import zoo
    from zoo.segmentation.scores import confusion_matrix

    classes = int(model.outputs[0].shape[-1])
    confusion = np.zeros((classes, classes), np.int64)
    for images, truth in zoo.data.load(dataset, split, batch_size=batch_size, shuffle=False,
                                       targets="segmentation", limit=limit):
        predicted = np.argmax(model.predict_on_batch(images), axis=-1)
        confusion += confusion_matrix(np.asarray(truth), predicted, classes)
    return confusion


def class_names(dataset: str) -> list[str]:
    """The names of a canvas class map's classes: "background", then the dataset's."""
    import zoo

    return ["background", *zoo.data.dataset_info(dataset).class_names]


def measure_segmenter(name: str, *, dataset: str | None = None, epochs: int | None = None,
                      seed: int = 0, runs_root=None, augment: str | None = None,
                      train_options=None, command: str | None = None, run_dir=None) -> dict:
    """Train the segmenter `name` by its recipe on `dataset` (its card's by default; another
    detection dataset's class maps, e.g. "stardist_nuclei", give the row's metric that name:
    "stardist_nuclei_mean_iou") and return its results row (see the module docstring);
    `runs_root` keeps the run's checkpoints (a scratch folder when None); `augment` replaces
    the recipe's augmentation ("none": none). `train_options` go to `zoo.train` as they are
    (e.g. `batch_size`, `schedule`, `early_stopping`: 43 training tiles make two steps of
    the recipe's batch of 32 an epoch, too few for a patience counted in epochs); the row
    records them. `run_dir` scores a run already finished (`zoo.benchmark.finished_run`)
    instead of training, with the same arguments as it was trained by; the row's epochs and
    seconds are its history's."""
    import zoo
    from zoo.segmentation.objects import object_accuracy_by_size
    from zoo.segmentation.scores import segmentation_scores

    card = zoo.model_card(name)
    if card.task != "semantic-segmentation":
        raise ValueError(f"{name} is not a segmenter (its task is {card.task!r}).")
    dataset = dataset or card.dataset
    options = training_dataset_options(card, dataset, augment)
    started = time.perf_counter()
    if run_dir is not None:
        model, history = finished_run(run_dir, name)
        trained = sum(history["epoch_seconds"])
    else:
        with tempfile.TemporaryDirectory() as scratch:
            result = zoo.train(name, dataset, epochs=epochs, seed=seed,
                               runs_root=runs_root or scratch, **dict(train_options or {}),
                               dataset_options=options, verbose=2, tensorboard=False)
        model, history = result.model, result.history
        trained = time.perf_counter() - started
    evaluating = time.perf_counter()
    confusion = split_confusion(model, dataset)
    scores = segmentation_scores(confusion)
    ious = {label: round(float(iou), 4)
            for label, iou in zip(class_names(dataset), scores["iou_per_class"],
                                  strict=True)}
    metric = "mean_iou" if dataset == card.dataset else f"{dataset}_mean_iou"
    return {"model": name, "dataset": dataset, "split": "test", "metric": metric,
            "value": round(scores["mean_iou"], 4),
            "objects_mean_iou": round(scores["objects_mean_iou"], 4),
            "pixel_accuracy": round(scores["pixel_accuracy"], 4), "iou_per_class": ious,
            "evaluation": "IoU per class from the confusion matrix over every test pixel, "
                          "averaged over the classes present (background included, as in "
                          "PASCAL VOC); objects_mean_iou leaves the background out "
                          "(zoo.segmentation.scores)",
            "objects_by_size": object_accuracy_by_size(model, dataset),
            "objects_evaluation": "each test object named by the majority of its pixels' "
                                  "predicted classes, per class and by its box's longer side "
                                  "(zoo.segmentation.objects)",
            "augment": options.get("augment"), "seed": seed,
            "train_options": dict(train_options or {}),
            "epochs_run": len(history["loss"]),
            "epochs_max": epochs or card.recipe.epochs,
            "best_validation_mean_iou": round(max(history["val_mean_iou"]), 4),
            # Beside the validation figure it shows how much the network learns by heart.
            "last_train_mean_iou": round(history["mean_iou"][-1], 4),
            "train_examples": split_size(dataset, "train", seed),
            "test_examples": split_size(dataset, "test", seed),
            "pixels": int(confusion.sum()), "wall_seconds": round(trained, 1),
            "evaluation_seconds": round(time.perf_counter() - evaluating, 1),
            **provenance(command)}
