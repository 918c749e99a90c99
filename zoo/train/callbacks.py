"""The standard callbacks every zoo run uses, laid out in one run directory."""

from __future__ import annotations

from pathlib import Path

import keras


def standard_callbacks(run_dir: Path, *, monitor="val_loss", mode="auto", patience=5,
                       tensorboard=True, early_stopping=True):
    """EarlyStopping, ModelCheckpoint (best only), TensorBoard, ReduceLROnPlateau,
    BackupAndRestore, TerminateOnNaN and CSVLogger, writing under `run_dir`; the three that
    follow `monitor` minimise or maximise it as `mode` says ("min", "max", "auto").

    BackupAndRestore comes first so that a resumed run restores its state before the others
    start counting; its backup is deleted by Keras when training ends normally.
    """
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            str(run_dir / "checkpoints" / "best.keras"), monitor=monitor, mode=mode,
            save_best_only=True),
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=0.5,
                                          patience=max(1, patience // 2), min_lr=1e-6),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
    ]
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, mode=mode, patience=patience, restore_best_weights=True))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "logs")))
    return callbacks
