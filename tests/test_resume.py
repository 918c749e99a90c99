"""An interrupted `zoo.train` run resumes where its last backup left it and ends with the
weights of an uninterrupted run (zoo.train.resume): processes killed with SIGKILL mid-epoch
and between epochs, with dropout, augmentation, Adam and early stopping all in play; and
backups that cannot be used give clear errors."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import zoo
from zoo.train.resume import ResumableBackup

# A small MLP run: 1,800 training images in 18 batches per epoch, 3 epochs. One batch per
# step (the MLP recipe's 32 would end each epoch in one call and leave nothing mid-epoch).
TRAINER = textwrap.dedent("""
    import os, sys
    import numpy as np, zoo
    from tests.helpers import KillAt

    run_dir, kill_at, backup_every = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    result = zoo.train("mlp", epochs=3, batch_size=100, seed=3, run_dir=run_dir, verbose=0,
                       tensorboard=False, steps_per_execution=1, jit_compile=False,
                       model_options={"dropout": 0.3},
                       dataset_options={"limit": 2000, "augment": "shift"},
                       backup_every=None if backup_every == "none" else int(backup_every),
                       callbacks=[KillAt(kill_at)] if kill_at else [])
    np.savez(os.path.join(run_dir, "final.npz"), *result.model.get_weights())
""")
BATCHES_PER_EPOCH = 18
ROOT = Path(__file__).resolve().parent.parent


def _train(script, run_dir, kill_at=0, backup_every="none"):
    # This checkout's zoo, whichever one is installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(ROOT), os.environ.get("PYTHONPATH")])), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, str(script), str(run_dir), str(kill_at),
                           str(backup_every)], capture_output=True, text=True, timeout=600,
                          env=env)


def _weights(run_dir):
    with np.load(run_dir / "final.npz") as arrays:
        return [arrays[key] for key in sorted(arrays, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.slow
@pytest.mark.parametrize(("kill_at", "backup_every", "resumes_at"), [
    (BATCHES_PER_EPOCH + 12, 7, {"epoch": 1, "batches_done": 7}),  # mid-epoch
    (BATCHES_PER_EPOCH + 5, "none", {"epoch": 1, "batches_done": 0}),  # from the epoch's start
])
def test_a_run_killed_with_sigkill_resumes_to_the_same_final_weights(
        tmp_path, kill_at, backup_every, resumes_at):
    script = tmp_path / "train.py"
    script.write_text(TRAINER)
    straight = _train(script, tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = _train(script, tmp_path / "resumed", kill_at, backup_every)
    assert killed.returncode == -signal.SIGKILL
    progress = json.loads((tmp_path / "resumed/backup/state/progress.json").read_text())
    assert {k: progress[k] for k in resumes_at} == resumes_at
    assert len(progress["history"]["val_loss"]) == 1  # the one epoch finished before the kill

    resumed = _train(script, tmp_path / "resumed", 0, backup_every)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for a, b in zip(_weights(tmp_path / "straight"), _weights(tmp_path / "resumed"),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    history = {name: json.loads((tmp_path / name / "history.json").read_text())["history"]
               for name in ("straight", "resumed")}
    assert history["resumed"]["val_loss"] == history["straight"]["val_loss"]
    assert len(history["resumed"]["loss"]) == 3
    assert not (tmp_path / "resumed/backup").exists()  # the run ended: nothing to resume


def _small_run(run_dir, model="logistic_regression", **options):
    return zoo.train(model, epochs=1, run_dir=run_dir, verbose=0, tensorboard=False,
                     dataset_options={"limit": 500}, **options)


def test_a_backup_is_kept_at_every_epoch_end_and_deleted_when_the_run_ends(tmp_path):
    class Look(keras.callbacks.Callback):
        seen = []

        def on_epoch_end(self, epoch, logs=None):
            state = json.loads((tmp_path / "run/backup/state/progress.json").read_text())
            self.seen.append((state["epoch"], state["batches_done"],
                              len(state["history"]["loss"])))

    zoo.train("logistic_regression", epochs=2, run_dir=tmp_path / "run", verbose=0,
              tensorboard=False, dataset_options={"limit": 500}, callbacks=[Look()])
    assert Look.seen == [(1, 0, 1), (2, 0, 2)]
    assert not (tmp_path / "run/backup").exists()


def test_an_unreadable_backup_is_refused_by_name(tmp_path):
    state = tmp_path / "run/backup/state"
    state.mkdir(parents=True)
    (state / "progress.json").write_text('{"epoch": 1, ')  # cut short by a full disk
    with pytest.raises(ValueError, match=r"backup/state is unreadable.*delete .*backup"):
        _small_run(tmp_path / "run")


def test_a_backup_of_another_model_is_refused(tmp_path):
    backup = ResumableBackup(tmp_path / "run/backup")
    model = zoo.get_model("mlp")
    model.compile("adam", "sparse_categorical_crossentropy")
    backup.set_model(model)
    model.optimizer.build(model.trainable_variables)
    backup.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="does not fit logistic_regression"):
        _small_run(tmp_path / "run")


def test_a_process_killed_while_backing_up_leaves_the_previous_backup(tmp_path, monkeypatch):
    model = zoo.get_model("logistic_regression")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    backup = ResumableBackup(tmp_path / "backup")
    backup.set_model(model)
    backup.on_epoch_end(0, {"loss": 1.0})

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # stands for a kill in the middle of writing
    monkeypatch.setattr(np, "savez", die)
    with pytest.raises(KeyboardInterrupt):
        backup.on_epoch_end(1, {"loss": 0.5})
    assert backup.progress().epoch == 1 and backup.progress().history == {"loss": [1.0]}
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["state"]


@pytest.mark.parametrize("every", [0, -3, 2.5, True])
def test_backup_every_must_be_a_positive_number_of_batches(tmp_path, every):
    with pytest.raises(ValueError, match="backup_every"):
        _small_run(tmp_path / "run", backup_every=every)
