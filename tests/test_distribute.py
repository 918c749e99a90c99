"""zoo.train on several devices and processes: MirroredStrategy over two logical CPUs (in a
subprocess, since logical devices must be made before TensorFlow starts) and two workers of a
MultiWorkerMirroredStrategy on localhost (TF_CONFIG) give the one-device run's weights on the
same global batches; a two-worker run one of whose workers is killed with SIGKILL resumes to
the uninterrupted run's weights; the TPU name and ready-made models fail clearly."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.train.distribute import distribution_strategy

ROOT = Path(__file__).resolve().parent.parent
TRAINER = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np, zoo

    mode, out = sys.argv[1], sys.argv[2]
    # No shuffle: the same global batches in the same order on one device and on two (a
    # distributed pipeline makes one more iterator than fit does alone, so shuffled runs
    # draw other epoch orders).
    options = dict(epochs=2, seed=1, verbose=0, tensorboard=False, runs_root=out,
                   dataset_options={"limit": 2560, "shuffle": False},
                   model_options={"dropout": 0.0}, early_stopping=False)
    if mode == "mirrored":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        result = zoo.train("mlp", batch_size=64, strategy=strategy, **options)
    else:
        result = zoo.train("mlp", batch_size=128, **options)
    np.savez(f"{out}/final.npz", *result.model.get_weights())
    json.dump({"history": result.history,
               "config": json.loads((result.run_dir / "config.json").read_text())},
              open(f"{out}/result.json", "w"))
""")


def _env(**more):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **more}


def _train(tmp_path, mode):
    script = tmp_path / "train.py"
    script.write_text(TRAINER)
    out = tmp_path / mode
    out.mkdir()
    done = subprocess.run([sys.executable, str(script), mode, str(out)], capture_output=True,
                          text=True, timeout=600, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out / "final.npz") as arrays:
        weights = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    return weights, json.loads((out / "result.json").read_text())


@pytest.mark.slow
def test_mirrored_over_two_replicas_gives_the_one_device_weights(tmp_path):
    one_weights, one = _train(tmp_path, "single")
    two_weights, two = _train(tmp_path, "mirrored")
    assert two["config"]["strategy"] == "MirroredStrategy" and two["config"]["replicas"] == 2
    assert two["config"]["batch_size"] == one["config"]["batch_size"] == 128  # global
    for a, b in zip(one_weights, two_weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(two["history"]["val_loss"], one["history"]["val_loss"],
                               rtol=1e-5)


def test_strategies_by_name_and_object():
    assert distribution_strategy(None) is tf.distribute.get_strategy()
    assert distribution_strategy("default") is tf.distribute.get_strategy()
    mirrored = distribution_strategy("mirrored")
    assert isinstance(mirrored, tf.distribute.MirroredStrategy)
    assert distribution_strategy(mirrored) is mirrored


@pytest.mark.parametrize(("strategy", "message"), [
    ("tpu", "strategy='tpu' found no TPU to use"),
    ("horovod", r"strategy='horovod' is not allowed; choose one of \['default', 'mirrored'"),
])
def test_strategies_that_cannot_run_here_say_why(strategy, message):
    with pytest.raises(ValueError, match=message):
        distribution_strategy(strategy)


def test_a_model_built_outside_the_strategy_is_refused(tmp_path):
    model = zoo.get_model("logistic_regression")
    with pytest.raises(ValueError, match="built outside the strategy's scope"):
        zoo.train(model, strategy=tf.distribute.MirroredStrategy(), epochs=1,
                  runs_root=tmp_path, verbose=0, dataset_options={"limit": 100})
    # Built in its scope, it trains.
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = zoo.get_model("logistic_regression")
    result = zoo.train(model, strategy=strategy, epochs=1, runs_root=tmp_path, verbose=0,
                       tensorboard=False, dataset_options={"limit": 500})
    assert len(result.history["loss"]) == 1 and isinstance(model, keras.Model)


# One worker of a cluster on localhost: the same zoo.train call in every worker, its place
# from TF_CONFIG. Worker 1 can be told to kill itself with SIGKILL after some batches.
WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np, zoo
    from tests.helpers import KillAt

    out, kill_at, shuffled = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "shuffled"
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    data = ({"limit": 2000, "augment": "shift"} if shuffled
            else {"limit": 2560, "shuffle": False})
    result = zoo.train("mlp", batch_size=50 if shuffled else 64, strategy="multiworker",
                       epochs=3 if shuffled else 2, seed=3 if shuffled else 1, verbose=0,
                       tensorboard=False, run_dir=os.path.join(out, "run"), backup_every=7,
                       model_options={"dropout": 0.3 if shuffled else 0.0},
                       dataset_options=data, early_stopping=not shuffled,
                       callbacks=[KillAt(kill_at)] if kill_at and index == 1 else [])
    np.savez(os.path.join(out, f"worker{index}.npz"), *result.model.get_weights())
    json.dump({"history": result.history, "run_dir": str(result.run_dir)},
              open(os.path.join(out, f"worker{index}.json"), "w"))
""")


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start_workers(tmp_path, out, kill_at=0, shuffled=False):
    """The two workers of a new cluster, started; returns their processes."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return [subprocess.Popen(
        [sys.executable, str(script), str(out), str(kill_at),
         "shuffled" if shuffled else "in_order"],
        env=_env(TF_CONFIG=json.dumps({"cluster": cluster,
                                       "task": {"type": "worker", "index": index}})),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for index in (0, 1)]


def _finish(workers):
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors[-3000:]


def _worker_weights(out, index):
    with np.load(out / f"worker{index}.npz") as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


@pytest.mark.slow
def test_two_workers_give_the_one_process_weights(tmp_path):
    one_weights, one = _train(tmp_path, "single")
    out = tmp_path / "cluster"
    _finish(_start_workers(tmp_path, out))
    for index in (0, 1):  # the workers hold the same mirrored weights
        for a, b in zip(one_weights, _worker_weights(out, index), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)
    chief = json.loads((out / "worker0.json").read_text())
    np.testing.assert_allclose(chief["history"]["val_loss"], one["history"]["val_loss"],
                               rtol=1e-5)
    # The chief writes the run (the other worker writes apart, then drops its copy); both
    # report the chief's run directory.
    assert chief["run_dir"] == str(out / "run") and (out / "run/history.json").exists()
    assert json.loads((out / "worker1.json").read_text())["run_dir"] == str(out / "run")


@pytest.mark.slow
def test_a_two_worker_run_one_of_whose_workers_is_killed_resumes_exactly(tmp_path):
    straight = tmp_path / "straight"
    _finish(_start_workers(tmp_path, straight, shuffled=True))

    resumed = tmp_path / "resumed"
    chief, worker = _start_workers(tmp_path, resumed, kill_at=30, shuffled=True)
    worker.wait(timeout=600)
    assert worker.returncode == -signal.SIGKILL
    chief.kill()  # it waits for its peer's gradients forever; a scheduler restarts both
    chief.wait(timeout=60)
    progress = json.loads((resumed / "run/backup/state/progress.json").read_text())
    assert (progress["epoch"], progress["batches_done"]) == (1, 7)

    _finish(_start_workers(tmp_path, resumed, shuffled=True))  # the same call, both workers
    for index in (0, 1):
        for a, b in zip(_worker_weights(straight, index), _worker_weights(resumed, index),
                        strict=True):
            np.testing.assert_array_equal(a, b)
