"""The running means that models with their own `train_step` log (a GAN's `d_loss`,
`g_loss`, `d_accuracy`, ...): made by name, updated from one dict per step, and declared as
the model's metrics by `TrackedModel`."""

from __future__ import annotations

import keras


def mean_trackers(*names: str) -> dict:
    """`{name: keras.metrics.Mean(name=name)}`, in order: a model's `metrics` and logs."""
    return {name: keras.metrics.Mean(name=name) for name in names}


def report(trackers: dict, values: dict) -> dict:
    """Update each tracker with its value of this step and return every running mean."""
    for name, tracker in trackers.items():
        tracker.update_state(values[name])
    return {name: tracker.result() for name, tracker in trackers.items()}


class TrackedModel(keras.Model):
    """A `keras.Model` whose metrics are the running means in `self.trackers`
    (`mean_trackers`): declared so, Keras resets them at the start of every epoch."""

    @property
    def metrics(self):
        return list(self.trackers.values())
