"""Moving weights between architectures that compute the same function: from a
keras.applications model (random or ImageNet-trained) into the zoo model of the same network,
or from a `.keras` file into a freshly built model.

Weights are matched layer by layer, in order, over the layers that own weights, and every
shape must agree; nothing is loaded unless everything fits.
"""

from __future__ import annotations

import os
from pathlib import Path

from zoo._lazy import keras


def weighted_layers(model):
    """The layers of `model` that own weights, in the model's layer order (nested models
    flattened)."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += weighted_layers(layer)
        elif layer.weights:
            found.append(layer)
    return found


def port_weights(source, target) -> None:
    """Copy every weight of `source` into `target`, layer by layer in order.

    Raises ValueError, naming the first pair of layers that differ, when the two models do not
    hold the same weights in the same order; `target` is then left unchanged.
    """
    sources, targets = weighted_layers(source), weighted_layers(target)
    if len(sources) != len(targets):
        raise ValueError(
            f"cannot port {source.name} into {target.name}: {len(sources)} layers with weights "
            f"against {len(targets)}."
        )
    for from_layer, to_layer in zip(sources, targets, strict=True):
        from_shapes = [tuple(w.shape) for w in from_layer.weights]
        to_shapes = [tuple(w.shape) for w in to_layer.weights]
        if from_shapes != to_shapes:
            raise ValueError(
                f"cannot port {source.name} into {target.name}: layer {from_layer.name} has "
                f"weights {from_shapes}, {to_layer.name} expects {to_shapes}."
            )
    for from_layer, to_layer in zip(sources, targets, strict=True):
        to_layer.set_weights(from_layer.get_weights())


def keras_cache_models_dir() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def imagenet_weights_file(filename: str) -> Path:
    """The path of a keras.applications ImageNet weight file in the Keras cache; an error
    that says how to get it when it is not there (zoo never downloads)."""
    path = keras_cache_models_dir() / filename
    if not path.is_file():
        raise ValueError(
            f"weights='imagenet' needs {filename} in the Keras cache ({path}), which is not "
            "there. Online, build the keras.applications model once with weights='imagenet' "
            "to download it; or pass weights= the path of a weight file."
        )
    return path


def check_imagenet_weights(filename: str, *, include_top: bool, input_shape,
                           num_classes) -> Path:
    """The path of keras.applications' ImageNet weight file `filename` for a model of this
    shape, after checking that the weights can load into it: RGB input, a 1000-class top if
    there is one, the file in the Keras cache. Factories call it before building any layer,
    so that a request that cannot succeed fails at once."""
    if input_shape[-1] != 3:
        raise ValueError(
            f"weights='imagenet' were trained on RGB images: input_shape={tuple(input_shape)!r} "
            "must have 3 channels."
        )
    if include_top and num_classes != 1000:
        raise ValueError(
            f"weights='imagenet' with include_top=True has a 1000-class top: num_classes="
            f"{num_classes} must be 1000, or use include_top=False and a new head."
        )
    return imagenet_weights_file(filename)


def load_imagenet_weights(model, application, path, *, include_top: bool):
    """Load keras.applications' ImageNet weights (`path`, from `check_imagenet_weights`) into
    the equivalent zoo `model` and return it."""
    # The weights do not depend on the input size, but keras.applications insists on its
    # default size when the top is included: build the source there, port into any size.
    shape = None if include_top else tuple(model.input_shape[1:])
    source = application(weights=str(path), include_top=include_top, input_shape=shape)
    port_weights(source, model)
    return model
