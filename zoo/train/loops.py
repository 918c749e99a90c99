"""Training written out by hand, beside `fit`: a `tf.GradientTape` loop that takes the steps
`keras.Model.fit` takes, and the check that a network can learn at all before a long run.

The loop is minibatch stochastic gradient descent as Goodfellow, Bengio and Courville write it
(Deep Learning, 2016, algorithm 8.1): for each batch, the loss of the model's predictions plus
its regularisation penalties, the gradient of that with respect to the trainable weights, and
one optimizer update. `fit` does exactly this in its `train_step`, so for the same seed, data
and optimizer the two end with the same weights (tests/test_loops.py checks it); the loop is
where a user starts when an algorithm needs a step `fit` cannot express.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from zoo import _validate


def fit_with_gradient_tape(model: keras.Model, dataset: tf.data.Dataset, *,
                           epochs: int = 1) -> dict[str, list[float]]:
    """Train a compiled `model` on batches of `(inputs, targets)` with an explicit
    `tf.GradientTape` loop, using its compiled loss and optimizer; returns the mean loss of
    each epoch, as `fit`'s history does."""
    _validate.positive_int("epochs", epochs)
    if not model.compiled or model.loss is None:
        raise ValueError(f"{model.name} must be compiled with a loss and an optimizer first "
                         "(zoo.train.compile_with_recipe(model, card) does it from its card).")
    loss_function = keras.losses.get(model.loss)

    @tf.function
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            predictions = model(inputs, training=True)
            # The mean over the batch ("sum over batch size", Keras' reduction): a loss
            # function gives one value per example, a Loss object their mean already.
            loss = tf.reduce_mean(loss_function(targets, predictions))
            if model.losses:  # weight penalties, activity regularisers
                loss += tf.add_n(model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    history = {"loss": []}
    for _ in range(epochs):
        losses = [float(train_step(inputs, targets)) for inputs, targets in dataset]
        history["loss"].append(float(np.mean(losses)))
    return history


def overfit_one_batch(model: keras.Model, batch, *, steps: int = 300,
                      target_loss: float = 0.05) -> dict[str, float]:
    """Karpathy's first check before a long run ("A recipe for training neural networks",
    2019): a compiled model that is able to learn drives its training loss on one small batch
    close to zero. Returns the first and last loss and the step it first fell below
    `target_loss`; raises a `RuntimeError` when it never does, which points at a bug in the
    model, the loss or the data before hours are spent on them."""
    _validate.positive_int("steps", steps)
    _validate.positive("target_loss", target_loss)
    inputs, targets = batch
    first = reached = None
    loss = float("nan")
    for step in range(1, steps + 1):
        logs = model.train_on_batch(inputs, targets, return_dict=True)
        loss = float(logs["loss"])
        first = loss if first is None else first
        if loss <= target_loss:
            reached = step
            break
    if reached is None:
        raise RuntimeError(
            f"{model.name} did not overfit one batch of {len(inputs)}: its loss went from "
            f"{first:.4f} to {loss:.4f} in {steps} steps (target {target_loss}). Check the "
            "labels against the outputs, the loss, the learning rate and the input scaling.")
    return {"first_loss": first, "last_loss": loss, "steps": reached}
