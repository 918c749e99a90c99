"""What a dataset fixes in the model built to train on it and in the options its data are
loaded with: its classes (with a segmenter's background), its channels and a forecaster's
window (`build_for_dataset`), the options a built model's shape asks of its data
(`shaped_data_options`), and the task record a run follows (`task_of`). `zoo.train`,
`zoo.evaluate` and the tuner build and feed through these."""

from __future__ import annotations

import keras

from zoo import data
from zoo.registry import ModelCard, get_model
from zoo.tasks import get_task


def build_for_dataset(card: ModelCard, dataset=None, dataset_options=None,
                      model_options=None) -> keras.Model:
    """A registered model built to train on `dataset` (default: its card's): the recipe's
    `model_options`, then what the dataset fixes (its classes and channels, a forecaster's
    window), then the caller's `model_options`."""
    return get_model(card.name, **{**card.recipe.model_options, **_classes_of(card, dataset),
                                   **_channels_of(card, dataset),
                                   **_window_of(card, dataset, dataset_options),
                                   **(model_options or {})})


def _classes_of(card, dataset) -> dict:
    """`num_classes` of another named classification dataset than the card's, so that
    `zoo.train("text_cnn", "rotten_tomatoes")` builds two outputs, not R8's eight (and
    `zoo.train("unet_resnet18", "stardist_nuclei")` two per pixel: background and nucleus)."""
    if not isinstance(dataset, str) or dataset == card.dataset or \
            "num_classes" not in card.arguments():
        return {}
    classes = data.dataset_info(dataset).num_classes
    if not classes:
        return {}
    return {"num_classes": classes + get_task(card.task).background_class}


def _channels_of(card, dataset) -> dict:
    """`channels` of another named image dataset than the card's where the factory takes
    them, so that `zoo.train("retinanet_resnet18", "deepforest_trees")` sees the aerial
    tiles in colour rather than the grey of its canvases."""
    if not isinstance(dataset, str) or dataset == card.dataset or \
            "channels" not in card.arguments():
        return {}
    shape = data.dataset_info(dataset).input_shape
    if len(shape) != 3 or shape[-1] == card.input_shape[-1]:
        return {}
    return {"channels": shape[-1]}


def _window_of(card, dataset, dataset_options) -> dict:
    """The window a named forecaster is built for when it trains on another series than its
    card's (that series' default input length), or on a window the caller's
    `dataset_options` name."""
    if card.task != "forecasting":
        return {}
    options = dict(dataset_options or {})
    if isinstance(dataset, str) and dataset != card.dataset:
        options.setdefault("input_length", data.dataset_info(dataset).input_shape[0])
    return {key: options[key] for key in ("input_length", "horizon") if key in options}


def shaped_data_options(model, task, dataset_options) -> dict:
    """`dataset_options` with what the model's shape fixes (a forecaster's window); a caller's
    option that contradicts the model fails here, before any data is read."""
    options = dict(dataset_options or {})
    if task is None or task.data_options is None:
        return options
    for key, value in task.data_options(model).items():
        if options.setdefault(key, value) != value:
            raise ValueError(f"dataset_options {key}={options[key]!r} does not fit model "
                             f"{model.name!r}, which is built for {key}={value!r}.")
    return options


def task_of(card, dataset_name):
    """The task record of a registered model, else of the named dataset it trains on."""
    from zoo.tasks import TASKS

    if card is not None:
        return TASKS[card.task]
    if dataset_name in data.DATASETS:
        return TASKS.get(data.dataset_info(dataset_name).task)
    return None
