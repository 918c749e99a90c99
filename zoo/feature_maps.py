"""Multi-scale feature maps from any convolutional backbone, for detection and segmentation
heads (the feature-pyramid inputs C2..C5 of Lin et al. 2017, "Feature pyramid networks for
object detection", at strides 4, 8, 16 and 32).

    backbone = zoo.get_model("resnet50", include_top=False)
    extractor = zoo.features(backbone)        # or zoo.features("resnet50", input_shape=...)
    maps = extractor(images)                      # {"stride_4": ..., ..., "stride_32": ...}

The level of a layer is read off its output shape: a 4-D output whose height is the input's
divided by s is at stride s, and the deepest such layer is taken for each stride, so no family
needs a hand-kept list of layer names. Maps only get coarser along a backbone: a layer larger
than one before it (zero padding) is not a level. A backbone built for any image size
(`input_shape=(None, None, 3)`) gives an extractor for any size; its levels are found by
tracing it at one probe size.
"""

from __future__ import annotations

from zoo._lazy import keras

DEFAULT_STRIDES = (4, 8, 16, 32)


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):  # a layer used more than once has no single output
        return ()


def _map_shapes(model, probe_size: int) -> tuple[int, int, list[tuple[str, tuple]]]:
    """The input's height and width, and `(layer name, output shape)` of every layer, at the
    model's input size or, where that is unknown (a fully convolutional backbone built with
    `input_shape=(None, None, c)`), at a `probe_size` square, traced symbolically."""
    height, width = model.inputs[0].shape[1:3]
    if height is not None and width is not None:
        return height, width, [(layer.name, _output_shape(layer)) for layer in model.layers]
    layers = [layer for layer in model.layers if _output_shape(layer)]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    channels = model.inputs[0].shape[-1]
    specs = probe.compute_output_spec(keras.KerasTensor((1, probe_size, probe_size, channels)))
    return probe_size, probe_size, [(layer.name, tuple(spec.shape))
                                    for layer, spec in zip(layers, specs, strict=True)]


def feature_layers(model, strides=DEFAULT_STRIDES) -> dict[int, str]:
    """`{stride: layer name}`: the deepest layer of `model` whose output is at each stride
    (found at a probe size of 16 times the largest stride when the input size is unknown)."""
    if not getattr(model, "inputs", None):
        raise ValueError(
            f"features need a Functional or Sequential model with a known input; {model.name!r} "
            "is subclassed (build its Functional twin, e.g. api='functional')."
        )
    height, width, shapes = _map_shapes(model, probe_size=16 * max(strides))
    found = {}
    smallest = height
    for name, shape in shapes:
        if len(shape) != 4 or not shape[1]:
            continue
        if shape[1] > smallest:
            # Zero padding before a strided convolution enlarges a map for one layer (ResNet's
            # conv5 pads a 2x2 map to 4x4 at a 32x32 input): not a finer level of the pyramid.
            continue
        smallest = shape[1]
        stride = height // shape[1]
        if stride in strides and height == shape[1] * stride and width == shape[2] * stride:
            found[stride] = name
    missing = [s for s in strides if s not in found]
    if missing:
        raise ValueError(
            f"{model.name} has no feature map at stride {missing} for input {height}x{width} "
            f"(found {sorted(found)}); use a larger input or other strides."
        )
    return {s: found[s] for s in strides}


def features(model, strides=DEFAULT_STRIDES, **overrides):
    """A model from images to `{"stride_<s>": feature map}` for each stride.

    Args:
        model: a registered name (built with `include_top=False` and `overrides`) or a
            Functional/Sequential `keras.Model`.
        strides: the output strides wanted, e.g. (4, 8, 16, 32).
    """
    if isinstance(model, str):
        from zoo.registry import get_model

        model = get_model(model, **{"include_top": False, **overrides})
    elif overrides:
        raise ValueError("overrides only apply when model is given by name.")
    names = feature_layers(model, tuple(strides))
    outputs = {f"stride_{s}": model.get_layer(name).output for s, name in names.items()}
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, outputs, name=f"{model.name}_features")
