"""What a task means, declared in one place.

A `Task` record says everything the rest of zoo needs to know about a kind of model: what an
example batch looks like (the registry sweep builds one), the serving signature's named
inputs and outputs, the default loss and metrics, the figure a benchmark records and whether
higher is better, and what must happen to a model before training (e.g. adapting a text
vectoriser on the training split). Adding a task is one entry in `TASKS` plus its models.

The pattern is Hugging Face's task pipelines and torchvision's per-task model folders. This
module is read by the registry, so it imports no TensorFlow at import time (`zoo._lazy`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zoo._lazy import tf


@dataclass(frozen=True)
class Task:
    """One kind of model: its data, its serving signature and how it is judged.

    Attributes:
        name: e.g. "image-classification".
        description: one line for `zoo list` and the docs.
        input_dtype: the serving input's dtype ("float32", "string").
        outputs: the serving signature's output names, in a stable order.
        primary_output: the output that equals (a reshaping of) the Keras model's output.
        loss: the default loss when a recipe does not name one.
        metrics: the default metrics.
        primary_metric: the figure benchmarks record and cards show.
        higher_is_better: how `primary_metric` compares.
        example_batch: `(card, batch_size, rng) -> (x, y)`, a batch the sweep feeds.
        serve: `(model, labels) -> fn(inputs) -> {output: tensor}`, the serving function.
        prepare: `(model, train_dataset) -> None`, run by `zoo.train` before fitting.
    """

    name: str
    description: str
    input_dtype: str
    outputs: tuple[str, ...]
    primary_output: str
    loss: str
    metrics: tuple[str, ...]
    primary_metric: str
    higher_is_better: bool
    example_batch: Callable[..., tuple[Any, Any]] = field(repr=False)
    serve: Callable[..., Callable] = field(repr=False)
    prepare: Callable[..., None] | None = field(default=None, repr=False)


def _model_input_shape(card) -> tuple[int, ...]:
    return tuple(card.recipe.model_options.get("input_shape", card.input_shape))


def _model_classes(card) -> int:
    return card.recipe.model_options.get("num_classes", card.num_classes)


def _random_inputs(card, batch_size, rng):
    return rng.random((batch_size, *_model_input_shape(card)), dtype=np.float32)


def _class_batch(card, batch_size, rng):
    return _random_inputs(card, batch_size, rng), rng.integers(0, _model_classes(card), batch_size)


def _binary_batch(card, batch_size, rng):
    return (_random_inputs(card, batch_size, rng),
            rng.integers(0, 2, batch_size).astype(np.float32))


def _regression_batch(card, batch_size, rng):
    return (_random_inputs(card, batch_size, rng),
            rng.normal(150, 50, (batch_size, 1)).astype(np.float32))


# A few real words, an empty text, punctuation, digits and non-ASCII: what the sweep feeds a
# text model (each draws a handful of these into a sentence).
_SWEEP_WORDS = ("the", "market", "rose", "shares", "oil", "prices", "fell", "good", "film",
                "bad", "plot", "ça", "va", "naïve", "42", "!", "free", "prize", "call", "now")


def _text_batch(card, batch_size, rng):
    texts = [" ".join(rng.choice(_SWEEP_WORDS, size=rng.integers(0, 12)))
             for _ in range(batch_size)]
    return np.array(texts, dtype=object), rng.integers(0, _model_classes(card), batch_size)


def _as_probabilities(model, outputs):
    from zoo.models._common import produces_probabilities

    return outputs if produces_probabilities(model) else tf.nn.softmax(outputs, axis=-1)


def _serve_classes(model, labels=None):
    def serve(inputs):
        probabilities = _as_probabilities(model, model(inputs, training=False))
        return {"probabilities": probabilities,
                "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int64)}

    return serve


def _serve_text_classes(model, labels=None):
    """Probabilities, class ids, and the class names as strings (the labels the model was
    trained with; "0", "1", ... when none are known)."""
    classes = int(model.output_shape[-1])
    names = tf.constant(list(labels) if labels else [str(i) for i in range(classes)])
    if len(names.shape) != 1 or names.shape[0] != classes:
        raise ValueError(f"labels has {names.shape[0]} names; the model has {classes} classes.")

    def serve(text):
        probabilities = _as_probabilities(model, model(text, training=False))
        class_id = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
        return {"probabilities": probabilities, "class_id": class_id,
                "label": tf.gather(names, class_id)}

    return serve


def _serve_binary(model, labels=None):
    def serve(inputs):
        score = tf.squeeze(model(inputs, training=False), axis=-1)
        return {"score": score, "class_id": tf.cast(score > 0, tf.int64)}

    return serve


def _serve_regression(model, labels=None):
    def serve(inputs):
        return {"prediction": model(inputs, training=False)}

    return serve


def _adapt_text_layers(model, train_dataset):
    from zoo.layers.text import adapt_text_layers

    adapt_text_layers(model, train_dataset)


TASKS: dict[str, Task] = {task.name: task for task in (
    Task("image-classification", "one of k classes for an image (or a feature vector)",
         "float32", ("probabilities", "class_id"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         _class_batch, _serve_classes),
    Task("binary-classification", "a signed score and a class in {0, 1}",
         "float32", ("score", "class_id"), "score",
         "binary_crossentropy", ("accuracy",), "accuracy", True,
         _binary_batch, _serve_binary),
    Task("regression", "a real-valued prediction",
         "float32", ("prediction",), "prediction",
         "mse", ("rmse",), "rmse", False,
         _regression_batch, _serve_regression),
    Task("text-classification", "one of k classes for a raw string (vectorised inside)",
         "string", ("probabilities", "class_id", "label"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         _text_batch, _serve_text_classes, _adapt_text_layers),
)}


def get_task(name: str) -> Task:
    """The record of a task; an unknown name raises ValueError naming the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), TASKS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown task {name!r}.{hint} Known tasks: {', '.join(TASKS)}.") \
            from None
