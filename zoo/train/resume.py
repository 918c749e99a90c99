"""Resuming an interrupted `zoo.train` run where it stopped, to the batch, so that it ends
with the weights an uninterrupted run ends with.

Keras' own BackupAndRestore saves the weights and the optimizer within an epoch, but on
restart it begins the interrupted epoch again from its first batch, and a new process's
pipeline shuffles its first epoch, whichever epoch that is; its backup also leaves out the
dropout layers' random-number state and the callbacks' counters. A run is a pure function of
its seed only when all of it comes back, so `ResumableBackup` keeps, at every epoch's end
and every `every` batches within one:

- every variable of the model (weights, batch-norm statistics and the seed generators that
  draw dropout masks) and of the optimizer (its step, learning rate and moments);
- where the run stands: the epoch and the batches of it done, and the history so far;
- the standard callbacks' counters (`CALLBACK_STATE`) and early stopping's best weights.

A restarted `zoo.train` with the same `run_dir` then (`fit_resuming`): restores all of
it, fast-forwards the training pipeline past the epochs done (`fast_forward`: zoo's pipelines
draw each epoch's order and augmentation seeds when an iterator is made, so making the
same number of iterators brings back the same order), and runs the rest of the interrupted
epoch by itself before the remaining epochs.

Each backup is written to a staged directory renamed into place (`zoo._io`): a process killed
while saving leaves the previous backup whole. The backup is deleted once the run ends.
"""

from __future__ import annotations

import json
import numbers
import shutil
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from zoo import _io, _validate
from zoo.train.callbacks import EarlyStopping
from zoo.train.multiworker import fit_across_workers, is_multiworker

STATE = "state"  # the backup directory's one snapshot
PROGRESS = "progress.json"
VARIABLES = "variables.npz"

# What each standard callback carries from one epoch to the next; its other attributes are
# settings, made again from the same arguments.
CALLBACK_STATE = {
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
    keras.callbacks.ModelCheckpoint: ("best",),
}


@dataclass(frozen=True)
class Progress:
    """Where an interrupted run stands: `batches_done` batches of epoch `epoch` (0-based)
    trained, and the history of the epochs before it."""

    epoch: int
    batches_done: int
    history: dict


class ResumableBackup(keras.callbacks.Callback):
    """Back up the whole training state under `backup_dir` at every epoch's end and, given
    `every`, every `every` training batches (see the module docstring).

    `tracked`: the callbacks whose counters the backup keeps (those of `CALLBACK_STATE`'s
    kinds among them). Put this callback after them, so that its end-of-epoch backup sees
    their counters for that epoch, and so that restoring them follows their own reset at
    the start of training. `restore_from`: another backup folder to resume from, for a
    worker of a multi-worker run, which resumes from the chief's backup but writes its own
    apart.
    """

    def __init__(self, backup_dir, *, every: int | None = None, tracked=(),
                 restore_from=None):
        super().__init__()
        self.backup_dir = Path(backup_dir)
        self.restore_from = Path(restore_from or backup_dir)
        self.every = None if every is None else _validate.positive_int("backup_every", every)
        self.tracked = []
        self.track(tracked)
        self.history: dict[str, list[float]] = {}
        self._epoch = 0
        self._batch_offset = 0  # batches of the epoch done before this fit call began
        self._batches_done = 0

    def track(self, callbacks) -> None:
        """Keep the counters of those of `callbacks` that have any (`CALLBACK_STATE`)."""
        self.tracked += [c for c in callbacks if _state_names(c) and c not in self.tracked]

    # --- reading ---------------------------------------------------------------------------

    def progress(self) -> Progress | None:
        """The backed-up progress, or None when there is no backup (a new run)."""
        state = self._read_state()
        if state is None:
            return None
        return Progress(state["epoch"], state["batches_done"], state["history"])

    def restore(self, model: keras.Model) -> Progress | None:
        """Put the backed-up variables into `model` (compiled, with the same architecture and
        optimizer as the run that wrote them) and return the progress; None without a
        backup. The callbacks' counters come back in `on_train_begin`."""
        state = self._read_state()
        if state is None:
            return None
        if model.optimizer is None:
            raise ValueError(f"{model.name} must be compiled before its run is resumed.")
        if not model.optimizer.built:
            # In the strategy the model was built in: its slots are mirrored like its weights.
            with model.distribute_strategy.scope():
                model.optimizer.build(model.trainable_variables)
        try:
            _io.load_variables(self.restore_from / STATE / VARIABLES, _groups(model))
        except (KeyError, ValueError) as error:
            raise ValueError(
                f"the backup in {self.restore_from} does not fit {model.name} as built now "
                f"({error}); it was written by another model or optimizer. Delete "
                f"{self.restore_from} to start the run over.") from error
        self.history = {k: list(v) for k, v in state["history"].items()}
        self._epoch, self._batch_offset = state["epoch"], state["batches_done"]
        return self.progress()

    def _read_state(self) -> dict | None:
        directory = self.restore_from / STATE
        if not directory.exists():
            return None
        try:
            state = json.loads((directory / PROGRESS).read_text())
            for key in ("epoch", "batches_done", "history", "callbacks", "best_weights"):
                state[key]  # noqa: B018 - present, or the KeyError below
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f"the training backup {directory} is unreadable ({error!r}); "
                             f"delete {self.restore_from} to start the run over.") from error
        return state

    # --- callback hooks ----------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        state = self._read_state()
        if state is None:
            return
        saved = state["callbacks"]
        for index, callback in enumerate(self.tracked):
            for name, value in saved.get(str(index), {}).items():
                setattr(callback, name, value)
            if isinstance(callback, keras.callbacks.EarlyStopping) and state["best_weights"]:
                with np.load(self.restore_from / STATE / VARIABLES) as arrays:
                    callback.best_weights = [arrays[f"best_{i}"]
                                             for i in range(len(self.model.weights))]

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != self._epoch:  # a new epoch; the first one of a resumed call keeps its offset
            self._batch_offset = 0
        self._epoch, self._batches_done = epoch, self._batch_offset

    def on_train_batch_end(self, batch, logs=None):
        done = self._batch_offset + batch + 1
        if self.every and done // self.every > self._batches_done // self.every:
            self._batches_done = done
            self._save(self._epoch, done)
        self._batches_done = done

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._epoch, self._batch_offset = epoch + 1, 0
        self._save(epoch + 1, 0)

    # --- writing ---------------------------------------------------------------------------

    def _save(self, epoch: int, batches_done: int) -> None:
        groups = _groups(self.model)
        callbacks, best_weights = {}, False
        for index, callback in enumerate(self.tracked):
            callbacks[str(index)] = {name: _plain(getattr(callback, name, None))
                                     for name in _state_names(callback)}
            if getattr(callback, "best_weights", None) is not None:
                groups["best"], best_weights = callback.best_weights, True
        with _io.staged_directory(self.backup_dir / STATE, overwrite=True) as staging:
            staging.mkdir(parents=True)
            _io.save_variables(staging / VARIABLES, groups)
            _io.write_json(staging / PROGRESS, {
                "epoch": epoch, "batches_done": batches_done, "history": self.history,
                "callbacks": callbacks, "best_weights": best_weights})

    def delete(self) -> None:
        """Remove the backup: the run it would resume has ended."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)
        self.restore_from = self.backup_dir


def fit_resuming(model, train_data, progress, *, epochs, callbacks, **fit_options) -> dict:
    """`fit` for `epochs`, from the start or, given the `progress` of an interrupted run
    whose state is restored already, from where it stopped: the pipeline fast-forwarded past
    the epochs done, the rest of the interrupted epoch run by itself, then the others. The
    history covers every epoch of the run (the interrupted epoch's training figures, only
    its batches run here)."""
    def fit(data, first, last):
        if is_multiworker(model.distribute_strategy):  # which Keras' fit cannot run
            if fit_options.get("class_weight") is not None:
                raise ValueError("class_weight= is not available across workers.")
            return fit_across_workers(model, data, epochs=last, initial_epoch=first,
                                      callbacks=callbacks,
                                      validation_data=fit_options["validation_data"],
                                      verbose=fit_options["verbose"])
        # shuffle=False: zoo's pipelines shuffle themselves; Keras cannot shuffle them.
        return model.fit(data, epochs=last, initial_epoch=first, shuffle=False,
                         callbacks=callbacks, **fit_options).history

    if progress is None:
        return _floats(fit(train_data, 0, epochs))
    # zoo's own loop across workers makes one iterator an epoch; Keras' fit, its own count.
    fast_forward(train_data, progress.epoch,
                 1 if is_multiworker(model.distribute_strategy) else None)
    history = {k: list(v) for k, v in progress.history.items()}
    first = progress.epoch
    if progress.batches_done and first < epochs:
        stoppers = [c for c in callbacks if isinstance(c, EarlyStopping)]
        for stopper in stoppers:  # the best weights come back when the run ends, not here
            stopper.hold_restore = True
        try:
            _extend(history, fit(train_data.skip(progress.batches_done), first, first + 1))
        finally:
            for stopper in stoppers:
                stopper.hold_restore = False
        first += 1
        if model.stop_training:  # stopped early (or on NaN) in that epoch: the run ends
            for stopper in stoppers:
                stopper.on_train_end()
            return history
    if first < epochs:
        _extend(history, fit(train_data, first, epochs))
    return history


def _floats(history: dict) -> dict:
    return {k: [float(v) for v in values] for k, values in history.items()}


def _extend(history: dict, more: dict) -> None:
    for key, values in _floats(more).items():
        history.setdefault(key, []).extend(values)


def fast_forward(dataset, epochs: int, per_epoch: int | None = None) -> None:
    """Make (and drop) the iterators of `dataset` that `fit` made in `epochs` epochs, so that
    its next one draws the order and augmentation seeds of the epoch after them, as in the
    process that was interrupted. zoo's pipelines draw them per iterator from a seeded
    generator (`zoo.data.pipeline`); a pipeline of the caller's that shuffles with a seed and
    reshuffles each iteration behaves alike; one whose randomness comes from elsewhere
    resumes with other draws."""
    for _ in range(epochs * (per_epoch or _iterators_per_epoch(dataset))):
        iter(dataset)


def _iterators_per_epoch(dataset) -> int:
    """How many iterators of `dataset` Keras 3's `fit` makes per epoch: one at the epoch's
    start and, when the dataset's length is known, one more at its end, made ready for the
    next epoch and dropped when that epoch makes its own (keras.src.trainers.epoch_iterator;
    tests/test_resume.py fails if a Keras release changes this)."""
    return 2 if int(dataset.cardinality()) >= 0 else 1


def _groups(model: keras.Model) -> dict[str, list]:
    # model.variables, not model.weights: the seed generators' states are variables but not
    # weights, and without them a resumed run would draw its first dropout masks again.
    return {"model": list(model.variables), "optimizer": list(model.optimizer.variables)}


def _state_names(callback) -> tuple[str, ...]:
    for kind, names in CALLBACK_STATE.items():
        if isinstance(callback, kind):
            return names
    return ()


def _plain(value):
    """A callback's counter or best figure as JSON can hold it: NumPy's integers as ints
    (epochs, waits), other numbers as floats."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)
