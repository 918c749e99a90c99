"""Mixed precision (Micikevicius et al. 2018, "Mixed precision training"): layers compute in
float16 or bfloat16 while their variables stay float32, so a step moves half the bytes and
runs on the accelerator's 16-bit units.

What zoo adds to Keras' dtype policies: the policy holds only while a model is built (Keras'
is a process-wide setting that would leak into every model built afterwards), and the
model's outputs are cast back to float32, as Keras' guide asks, so that losses, metrics and
served outputs keep float32's range. Loss scaling is Keras' own: `compile` wraps the
optimizer in a `LossScaleOptimizer` for a model built under "mixed_float16" (bfloat16 has
float32's exponent range and needs none).
"""

from __future__ import annotations

import contextlib

import keras

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Keras' global dtype policy set to `precision` for the block, then as it was."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not one of {list(PRECISIONS)}.")
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def float32_outputs(model: keras.Model) -> keras.Model:
    """`model` with every output cast to float32 by a last float32 layer: the same layers and
    weights in a Functional graph, under the model's name. A model whose outputs are float32
    already comes back as it is."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ValueError(
            f"{model.name} is a subclassed model, whose outputs zoo cannot cast: build it "
            "under keras.mixed_precision.set_dtype_policy(...) and cast its outputs to "
            "float32 in call().")
    if all(output.dtype == "float32" for output in outputs):
        return model
    cast = [keras.layers.Activation("linear", dtype="float32", name=f"float32_output_{i}")(o)
            for i, o in enumerate(outputs)]
    return keras.Model(model.inputs, cast if len(cast) > 1 else cast[0], name=model.name)


def restore_model_policy(model: keras.Model) -> keras.Model:
    """Give a reloaded model back the mixed policy its layers were built with. Keras saves
    each layer's policy but not a Functional model's own, so a `.keras` file of a
    mixed-precision model reloads as a float32 model of mixed layers, and `compile` would
    then leave out float16's loss scaling. The model's policy is set to the one its
    computing layers share (the float32 output casts and inputs aside); a model whose layers
    disagree, or are all float32, is left as it is."""
    if model.dtype_policy.name != "float32":
        return model
    policies = {layer.dtype_policy.name for layer in model.layers
                if not isinstance(layer, keras.layers.InputLayer)
                and not layer.name.startswith("float32_output_")}
    if len(policies) == 1 and (policy := policies.pop()) in PRECISIONS[1:]:
        model.dtype_policy = policy
    return model
