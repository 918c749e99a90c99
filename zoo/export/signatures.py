"""Named serving signatures: stable input and output names per task, never `args_0`."""

from __future__ import annotations

import tensorflow as tf

from zoo.models._common import produces_probabilities


def input_spec(model, input_name: str | None = None, default_name="inputs") -> tf.TensorSpec:
    """The batched float32 input a model serves, named `input_name`, else after its Keras
    input (e.g. `image`), else `default_name`."""
    inputs = getattr(model, "inputs", None)
    if inputs:
        shape = tuple(inputs[0].shape)
        name = input_name or inputs[0].name
    else:  # a subclassed model knows its input only from how it was built
        shape = tuple((model.get_build_config() or {}).get("input_shape") or ())
        name = input_name or default_name
    if not shape:
        raise ValueError(
            f"model {model.name!r} has not been built, so its input shape is unknown; call it "
            "on a batch (or model.build(shape)) before exporting."
        )
    return tf.TensorSpec((None, *shape[1:]), tf.float32, name=name)


def serving_function(model, task: str | None):
    """A function from the input batch to a dict of named outputs for `task`:

    - image-classification: `probabilities` (softmax applied if the model gives logits) and
      `class_id` (int64 argmax);
    - binary-classification: `score` (signed, shape [batch]) and `class_id` (1 where score > 0);
    - regression: `prediction`;
    - anything else: `outputs`.
    """
    probabilities_out = produces_probabilities(model)

    def serve(inputs):
        outputs = model(inputs, training=False)
        if task == "image-classification":
            probabilities = outputs if probabilities_out else tf.nn.softmax(outputs, axis=-1)
            return {"probabilities": probabilities,
                    "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int64)}
        if task == "binary-classification":
            score = tf.squeeze(outputs, axis=-1)
            return {"score": score, "class_id": tf.cast(score > 0, tf.int64)}
        if task == "regression":
            return {"prediction": outputs}
        return {"outputs": outputs}

    return serve
