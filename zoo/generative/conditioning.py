"""Class conditioning shared by the conditional generative models (the conditional GAN and
the conditional VAE): what their `call` accepts, the label input of their networks, and the
range check on labels.

A conditional model is called on `{main: x, "label": y}` or `(x, y)`; an unconditional one
on `x` alone (or `{main: x}`). Labels are integers in [0, num_classes).
"""

from __future__ import annotations

import keras


def num_classes_or_none(num_classes, what: str):
    """`num_classes` validated: None (unconditional) or 2 or more classes."""
    from zoo import _validate

    if num_classes is None:
        return None
    num_classes = _validate.positive_int("num_classes", num_classes)
    if num_classes == 1:
        raise ValueError(f"num_classes=1 conditions on nothing: pass None for an "
                         f"unconditional {what}, or 2 or more classes.")
    return num_classes


def label_input():
    """The networks' label input: one int32 class index per example."""
    return keras.Input((), dtype="int32", name="label")


def split_inputs(inputs, main: str, num_classes, what: str):
    """`(x, labels or None)` from what a model's `call` was given, with an error naming the
    expected form when it does not fit: `main` is the name of the non-label input ("latent",
    "image"), `what` the model ("GAN", "VAE")."""
    conditional = num_classes is not None
    if isinstance(inputs, dict):
        unknown = set(inputs) - {main, "label"}
        if unknown or main not in inputs:
            expected = f"{{'{main}': x, 'label': y}}" if conditional else f"{{'{main}': x}}"
            raise ValueError(f"this {what} takes {expected}; the inputs had keys "
                             f"{sorted(inputs)}.")
        x, labels = inputs[main], inputs.get("label")
    elif isinstance(inputs, (tuple, list)):
        if len(inputs) != 2:
            raise ValueError(f"a {what} takes a {main} batch, or ({main}, label): got "
                             f"{len(inputs)} inputs.")
        x, labels = inputs
    else:
        x, labels = inputs, None
    if conditional and labels is None:
        raise ValueError(f"this {what} is conditional on {num_classes} classes: call it on "
                         f"{{'{main}': x, 'label': y}}.")
    if not conditional and labels is not None:
        raise ValueError(f"this {what} is unconditional: call it on a {main} batch alone.")
    return x, labels


def checked_labels(labels, num_classes):
    """Labels as int32, asserted to lie in [0, num_classes): an out-of-range label would
    otherwise gather zeros on a GPU (or fail deep in an embedding on a CPU). None when the
    model is unconditional."""
    if num_classes is None:
        return None
    import tensorflow as tf

    labels = tf.cast(labels, tf.int32)
    checks = [tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
              tf.debugging.assert_less(labels, num_classes, message=(
                  f"labels must be below num_classes={num_classes}"))]
    with tf.control_dependencies(checks):
        return tf.identity(labels)


def cycled_labels(count: int, num_classes: int):
    """0, 1, ..., num_classes - 1, 0, 1, ...: `count` labels covering every class evenly."""
    import numpy as np

    return np.arange(count, dtype="int32") % num_classes


def sampling_labels(count, labels, num_classes, what: str):
    """`(count, labels)` for a `sample` call: labels given (one per image, so `count` may be
    left out), cycled through the classes when not, None when unconditional."""
    import numpy as np

    from zoo import _validate

    if labels is not None:
        if num_classes is None:
            raise ValueError(f"labels= conditions a class-conditional {what}; this one is "
                             "unconditional.")
        labels = np.asarray(labels, dtype="int32").reshape(-1)
        count = len(labels) if count is None else _validate.positive_int("count", count)
        if count != len(labels):
            raise ValueError(f"count={count} but {len(labels)} labels: give one label per "
                             "image (or leave count out).")
        return count, labels
    count = _validate.positive_int("count", 16 if count is None else count)
    return count, (cycled_labels(count, num_classes) if num_classes else None)
