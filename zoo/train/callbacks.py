"""The standard callbacks every zoo run uses, laid out in one run directory."""

from __future__ import annotations

import math
import os
import time
import uuid
from pathlib import Path

import keras

LAST_CHECKPOINT = "last.keras"
BEST_CHECKPOINT = "best.keras"


class LastFiniteCheckpoint(keras.callbacks.Callback):
    """Save the model to `path` at the end of every epoch whose logged figures are all finite,
    via a temporary file renamed into place: a run that diverges (TerminateOnNaN stops it
    mid-epoch, and Keras still ends the epoch with NaN logs) keeps its last good epoch, and an
    interrupted save never leaves half a file. For runs that no validation figure can judge
    (a GAN's), where "best" has no meaning."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        if any(not math.isfinite(float(value)) for value in (logs or {}).values()):
            return
        temporary = self.path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{self.path.name}")
        try:
            self.model.save(temporary)
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' EarlyStopping, which also puts the best epoch's weights back at the end of
    every `fit` call; `hold_restore` holds that back for a call that ends mid-run (a resumed
    run's interrupted epoch, run by itself before the remaining epochs)."""

    hold_restore = False

    def on_train_end(self, logs=None):
        if not self.hold_restore:
            super().on_train_end(logs)


class Throughput(keras.callbacks.Callback):
    """Add the epoch's speed to its logs, so that the history, the progress bar and
    history.csv show it: `epoch_seconds` (wall time of the epoch, validation included) and
    `examples_per_second` (training batches x `batch_size` over the time from the epoch's
    start to its last training batch; a last, partial batch counts as a full one; only when
    `batch_size` is known, i.e. zoo batched the data).

    It must come before the callbacks that write logs out (CSVLogger; Keras appends History
    and the progress bar after all given callbacks)."""

    def __init__(self, batch_size: int | None = None):
        super().__init__()
        self.batch_size = batch_size
        self._started = self._trained = None
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._started, self._trained, self._batches = time.perf_counter(), None, 0

    def on_train_batch_end(self, batch, logs=None):
        # With steps_per_execution > 1 Keras calls this once per execution, with the index of
        # the execution's last batch.
        self._batches = batch + 1
        self._trained = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self._started is None:
            return
        logs["epoch_seconds"] = time.perf_counter() - self._started
        if self.batch_size and self._trained is not None and self._trained > self._started:
            logs["examples_per_second"] = (self._batches * self.batch_size
                                           / (self._trained - self._started))


SPEED_LOGS = ("epoch_seconds", "examples_per_second")  # what Throughput adds
# Logged each epoch beside the losses and metrics, but no measure of the model's quality.
NOT_FIGURES = ("learning_rate", *SPEED_LOGS)


def standard_callbacks(run_dir: Path, *, monitor="val_loss", mode="auto", patience=5,
                       tensorboard=True, early_stopping=True, batch_size=None,
                       scheduled=False, backup=None):
    """TerminateOnNaN, ModelCheckpoint (best only), ReduceLROnPlateau, EarlyStopping, the
    run's backup, CSVLogger and TensorBoard, writing under `run_dir`; the three that follow
    `monitor` minimise or maximise it as `mode` says ("min", "max", "auto"), and
    `Throughput`, which adds each epoch's seconds (and, given the `batch_size` the data was
    batched with, its examples per second) to the logs.

    `scheduled` says a learning-rate schedule sets the learning rate at every step, so
    ReduceLROnPlateau, which would set it too, is left out.

    `monitor=None` (a recipe with no figure that tracks quality) drops those three: every
    epoch runs at the recipe's learning rate, and `checkpoints/last.keras` holds the last
    epoch whose losses were finite (`LastFiniteCheckpoint`).

    `backup`: the run's `zoo.train.resume.ResumableBackup` (default: one under
    `run_dir/backup` at every epoch's end). It follows the callbacks whose counters it keeps,
    so that it saves their state after they have seen the epoch, and comes before CSVLogger,
    so that a process killed between the two leaves a missing row rather than a repeated one.
    """
    callbacks = [keras.callbacks.TerminateOnNaN(), Throughput(batch_size)]
    if monitor is None:
        callbacks.append(LastFiniteCheckpoint(run_dir / "checkpoints" / LAST_CHECKPOINT))
    else:
        callbacks.append(keras.callbacks.ModelCheckpoint(
            str(run_dir / "checkpoints" / BEST_CHECKPOINT), monitor=monitor, mode=mode,
            save_best_only=True))
        if not scheduled:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, mode=mode, factor=0.5, patience=max(1, patience // 2),
                min_lr=1e-6))
    if early_stopping and monitor is not None:
        callbacks.append(EarlyStopping(monitor=monitor, mode=mode, patience=patience,
                                       restore_best_weights=True))
    if backup is None:
        from zoo.train.resume import ResumableBackup

        backup = ResumableBackup(run_dir / "backup")
    backup.track(callbacks)
    callbacks.append(backup)
    callbacks.append(keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "logs")))
    return callbacks
