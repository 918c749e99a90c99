"""zoo.train on several devices: MirroredStrategy over two logical CPUs (in a subprocess, since
logical devices must be made before TensorFlow starts) gives the one-device run's weights on
the same global batches; the TPU and multi-worker names and ready-made models fail clearly."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.train.distribute import KERAS_MULTIWORKER_ISSUE, distribution_strategy

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


def _train(tmp_path, mode):
    script = tmp_path / "train.py"
    script.write_text(TRAINER)
    out = tmp_path / mode
    out.mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script), mode, str(out)], capture_output=True,
                          text=True, timeout=600, env=env)
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
    ("multiworker", f"Keras 3's fit fails under MultiWorkerMirroredStrategy "
                    f"\\({KERAS_MULTIWORKER_ISSUE}\\)"),
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
