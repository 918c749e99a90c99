"""zoo.export: TF Serving layout, named signatures, TensorFlow-only reload, atomic writes."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

X = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def lenet():
    return zoo.get_model("lenet5")


def test_versions_follow_the_tf_serving_layout(lenet, tmp_path):
    first = zoo.export(lenet, root=tmp_path)
    second = zoo.export(lenet, root=tmp_path)
    assert first == tmp_path / "lenet5" / "1" and second == tmp_path / "lenet5" / "2"
    assert sorted(p.name for p in (tmp_path / "lenet5").iterdir()) == ["1", "2"]
    assert {"saved_model.pb", "variables", "model.keras", "zoo_card.json"} <= {
        p.name for p in first.iterdir()}
    card = json.loads((first / "zoo_card.json").read_text())
    assert card["input"] == "image" and card["card"]["name"] == "lenet5"


def test_serving_signature_has_named_inputs_and_outputs(lenet, tmp_path):
    signature = tf.saved_model.load(str(zoo.export(lenet, root=tmp_path))).signatures[
        "serving_default"]
    inputs = signature.structured_input_signature[1]
    assert list(inputs) == ["image"]
    assert inputs["image"].shape.as_list() == [None, 28, 28, 1]
    assert set(signature.structured_outputs) == {"probabilities", "class_id"}


@pytest.mark.parametrize(("name", "outputs"), [
    ("perceptron", {"score", "class_id"}),
    ("linear_regression", {"prediction"}),
])
def test_each_task_names_its_outputs(name, outputs, tmp_path):
    path = zoo.export(zoo.get_model(name), root=tmp_path)
    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert set(signature.structured_outputs) == outputs


def test_a_fresh_process_with_tensorflow_alone_reproduces_the_outputs(lenet, tmp_path):
    path = zoo.export(lenet, root=tmp_path)
    np.save(tmp_path / "x.npy", X)
    script = f"""
import sys, numpy as np, tensorflow as tf
serve = tf.saved_model.load({str(path)!r}).signatures["serving_default"]
out = serve(image=tf.constant(np.load({str(tmp_path / 'x.npy')!r})))
np.save({str(tmp_path / 'p.npy')!r}, out["probabilities"].numpy())
np.save({str(tmp_path / 'c.npy')!r}, out["class_id"].numpy())
assert not any(m == "zoo" or m.startswith("zoo.") for m in sys.modules), "zoo was imported"
"""
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    expected = lenet(X).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, atol=1e-5)
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), expected.argmax(axis=-1))


def test_the_signature_rejects_wrong_shapes_and_dtypes(lenet, tmp_path):
    serve = tf.saved_model.load(str(zoo.export(lenet, root=tmp_path))).signatures[
        "serving_default"]
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError),
                       match=r"(?i)shape|incompatible"):
        serve(image=tf.zeros((2, 32, 32, 1)))
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError),
                       match=r"expected to be a float tensor but is a uint8"):
        serve(image=tf.zeros((2, 28, 28, 1), tf.uint8))
    with pytest.raises(TypeError, match="image"):
        serve(pixels=tf.zeros((2, 28, 28, 1)))


def test_an_interrupted_export_leaves_nothing_behind(lenet, tmp_path, monkeypatch):
    zoo.export(lenet, root=tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        zoo.export(lenet, root=tmp_path)
    assert sorted(p.name for p in (tmp_path / "lenet5").iterdir()) == ["1"]


def test_an_existing_version_is_kept_unless_overwrite(lenet, tmp_path):
    path = zoo.export(lenet, version=3, root=tmp_path)
    with pytest.raises(FileExistsError, match="3"):
        zoo.export(lenet, version=3, root=tmp_path)
    other = zoo.get_model("lenet5")
    zoo.export(other, version=3, root=tmp_path, overwrite=True)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    np.testing.assert_allclose(serve(image=X)["probabilities"], other(X), atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "lenet5").iterdir()) == ["3"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"version": 0}, "version=0"),
    ({"version": "2"}, "version='2'"),
    ({"name": "../escape"}, "name='../escape'"),
])
def test_bad_export_arguments(lenet, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        zoo.export(lenet, root=tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_load_model_names_a_corrupt_file(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="broken.keras"):
        zoo.load_model(path)
    with pytest.raises(FileNotFoundError, match="nothing.keras"):
        zoo.load_model(tmp_path / "nothing.keras")


def test_every_module_defining_keras_classes_is_imported_before_loading():
    # A `.keras` file of a subclassed model (a VAE, a GAN) loads in a fresh process only if
    # `zoo.load_model` imported the module that registers its class first.
    from pathlib import Path

    from zoo.models import KERAS_CLASS_MODULES

    package = Path(zoo.__file__).parent
    defining = {".".join(path.relative_to(package.parent).with_suffix("").parts)
                for path in package.rglob("*.py")
                if "register_keras_serializable" in path.read_text()}
    imported = set(KERAS_CLASS_MODULES) | {m for m in defining if m.startswith("zoo.layers.")}
    assert defining <= imported, sorted(defining - imported)


def test_a_subclassed_generative_model_loads_in_a_fresh_process(tmp_path):
    zoo.get_model("vae").save(tmp_path / "vae.keras")
    script = ("import sys, zoo; "
              "print(type(zoo.load_model(sys.argv[1])).__name__)")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "vae.keras")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "VariationalAutoencoder"
