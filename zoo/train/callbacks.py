"""The standard callbacks every zoo run uses, laid out in one run directory."""

from __future__ import annotations

import math
import os
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


def standard_callbacks(run_dir: Path, *, monitor="val_loss", mode="auto", patience=5,
                       tensorboard=True, early_stopping=True):
    """EarlyStopping, ModelCheckpoint (best only), TensorBoard, ReduceLROnPlateau,
    BackupAndRestore, TerminateOnNaN and CSVLogger, writing under `run_dir`; the three that
    follow `monitor` minimise or maximise it as `mode` says ("min", "max", "auto").

    `monitor=None` (a recipe with no figure that tracks quality) drops those three: every
    epoch runs at the recipe's learning rate, and `checkpoints/last.keras` holds the last
    epoch whose losses were finite (`LastFiniteCheckpoint`).

    BackupAndRestore comes first so that a resumed run restores its state before the others
    start counting; its backup is deleted by Keras when training ends normally.
    """
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.TerminateOnNaN(),
    ]
    if monitor is None:
        callbacks.append(LastFiniteCheckpoint(run_dir / "checkpoints" / LAST_CHECKPOINT))
    else:
        callbacks += [
            keras.callbacks.ModelCheckpoint(
                str(run_dir / "checkpoints" / BEST_CHECKPOINT), monitor=monitor, mode=mode,
                save_best_only=True),
            keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=0.5,
                                              patience=max(1, patience // 2), min_lr=1e-6),
        ]
    callbacks.append(keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True))
    if early_stopping and monitor is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, mode=mode, patience=patience, restore_best_weights=True))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "logs")))
    return callbacks
