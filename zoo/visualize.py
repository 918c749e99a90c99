"""Looking inside a convolutional network: the filters of a conv layer and the activation maps
one image produces, saved as PNG grids (Zeiler and Fergus 2014, "Visualizing and
understanding convolutional networks", and the keras-io visualisation examples)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from zoo._lazy import keras


def _conv_layer(model, layer_name):
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        convs = [lay.name for lay in model.layers if isinstance(lay, keras.layers.Conv2D)]
        raise ValueError(
            f"{model.name} has no layer {layer_name!r}; its conv layers: {convs}."
        ) from None
    if not isinstance(layer, keras.layers.Conv2D):
        raise ValueError(f"layer {layer_name!r} is a {type(layer).__name__}, not a Conv2D.")
    return layer


def _grid(images, path, title, columns=8, cmap="viridis"):
    """Save a list of 2-D (or RGB) arrays as one PNG grid; each image scaled to [0, 1]."""
    from matplotlib.figure import Figure  # no pyplot: saving must not change the backend

    rows = math.ceil(len(images) / columns)
    figure = Figure(figsize=(columns * 1.2, rows * 1.2 + 0.5))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, image in zip(axes.flat, images, strict=False):
        low, high = float(image.min()), float(image.max())
        axis.imshow((image - low) / (high - low + 1e-12), cmap=cmap)
    figure.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    return path


def plot_filters(model, layer_name, path, max_filters=64):
    """The kernels of a Conv2D layer as a grid: one tile per filter (RGB when the layer sees
    three channels, else the mean over input channels)."""
    kernel = _conv_layer(model, layer_name).get_weights()[0]  # (h, w, in, out)
    tiles = [kernel[:, :, :, i] if kernel.shape[2] == 3 else kernel[:, :, :, i].mean(axis=-1)
             for i in range(min(max_filters, kernel.shape[-1]))]
    return _grid(tiles, path, f"{model.name} / {layer_name}: {kernel.shape[-1]} filters "
                 f"{kernel.shape[0]}x{kernel.shape[1]}", cmap="gray")


def activation_maps(model, layer_name, image):
    """The feature maps a Conv2D layer gives for one image, shape (height, width, filters)."""
    layer = _conv_layer(model, layer_name)
    probe = keras.Model(model.inputs[0], layer.output)
    image = np.asarray(image, dtype="float32")
    if image.ndim == len(model.inputs[0].shape) - 1:
        image = image[None]
    return keras.ops.convert_to_numpy(probe(image))[0]


def plot_activations(model, layer_name, image, path, max_maps=64):
    """The activation maps of a Conv2D layer for one image as a grid."""
    maps = activation_maps(model, layer_name, image)
    tiles = [maps[:, :, i] for i in range(min(max_maps, maps.shape[-1]))]
    return _grid(tiles, path, f"{model.name} / {layer_name}: activations")
