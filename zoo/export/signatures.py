"""Named serving signatures: stable input and output names per task, never `args_0`.

Which outputs a task serves is part of its record (`zoo.tasks`); this module turns a model
and its task into the input spec and the function `ExportArchive` traces.
"""

from __future__ import annotations

import tensorflow as tf

from zoo.tasks import get_task


def input_spec(model, input_name: str | None = None, default_name="inputs",
               task: str | None = None, card_shape: tuple | None = None) -> tf.TensorSpec:
    """The batched input a model serves (float32, or strings for text tasks), named
    `input_name`, else after its Keras input (e.g. `image`, `text`), else `default_name`.
    A subclassed model knows its input shape once called; before that, its card's
    `card_shape` (one example's shape) stands in."""
    inputs = getattr(model, "inputs", None)
    if inputs:
        shape = tuple(inputs[0].shape)
        name = input_name or inputs[0].name
    else:  # a subclassed model knows its input only from how it was built
        shape = tuple((model.get_build_config() or {}).get("input_shape") or ())
        if not shape and card_shape is not None:
            shape = (None, *card_shape)
        name = input_name or default_name
    if not shape:
        raise ValueError(
            f"model {model.name!r} has not been built, so its input shape is unknown; call it "
            "on a batch (or model.build(shape)) before exporting."
        )
    dtype = tf.as_dtype(get_task(task).input_dtype) if task else tf.float32
    return tf.TensorSpec((None, *shape[1:]), dtype, name=name)


def served_inputs(model, task: str | None, input_name: str | None = None,
                  card=None) -> list[tf.TensorSpec]:
    """The `serving_default` input signature: the task's own when it serves this model
    several named inputs (`zoo.tasks.Task.input_signature`), else the one `input_spec`
    names."""
    several = get_task(task).input_signature if task else None
    specs = several(model) if several is not None else None
    if specs is not None:
        if input_name is not None:
            raise ValueError(f"input_name={input_name!r}: a {task} model serves several "
                             "inputs, named by its task.")
        return specs
    return [input_spec(model, input_name, default_name=card.input_name if card else "inputs",
                       task=task, card_shape=card.input_shape if card else None)]


def serving_function(model, task: str | None, labels=None):
    """A function from the input batch to the dict of named outputs that `task`'s record
    declares (`zoo.tasks.TASKS[task].outputs`); a model without a task serves `outputs`.
    `labels` names the classes of a text classifier (its `label` output)."""
    if task is None:
        return lambda inputs: {"outputs": model(inputs, training=False)}
    return get_task(task).serve(model, labels)


def extra_endpoints(model, task: str | None) -> dict:
    """`{name: (function, input_signature)}` of the signatures `task` exports beside
    `serving_default` (`zoo.tasks.Task.endpoints`); none for a model without a task."""
    endpoints = get_task(task).endpoints if task else None
    return endpoints(model) if endpoints else {}


def check_batch_shape(batch, shape, name: str, meaning: str = ""):
    """An assertion op for a served batch whose examples must have `shape`: a loaded
    signature does not check shapes itself, so without it a wrong batch fails deep in a
    matrix product; with it the error names the input, the shape it needs and `meaning`."""
    shape = tuple(int(d) for d in shape)
    return tf.debugging.assert_equal(tf.shape(batch)[1:], shape, message=(
        f"{name} must be a batch of shape (batch, {', '.join(map(str, shape))})"
        + (f": {meaning}" if meaning else "")))


def drawn_codes(count, width: int, seed, limit: int):
    """`count` latent codes of `width` from N(0, I), drawn statelessly from `seed` (the same
    seed gives the same codes), with `count` asserted to lie in [1, limit]: what a served
    generator's `sample` signature decodes."""
    checks = [tf.debugging.assert_positive(count, message="count must be >= 1"),
              tf.debugging.assert_less_equal(count, limit, message=f"count must be <= {limit}")]
    with tf.control_dependencies(checks):
        return tf.random.stateless_normal(tf.stack([count, width]),
                                          tf.stack([seed, tf.constant(0, tf.int64)]))
