"""zoo.hub: TF Hub image feature vectors out, hub modules into Keras 3 models; all offline."""

import hashlib
import shutil
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.hub import HubLayer, export_feature_vector

X = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
FAKE_URL = "https://tfhub.dev/zoo-test/not-a-model/1"


@pytest.fixture(scope="module")
def backbone():
    return zoo.get_model("lenet5", include_top=False, pooling="avg")


@pytest.fixture(scope="module")
def feature_vector(backbone, tmp_path_factory):
    """The backbone exported once; every HubLayer loads its own copy of the variables, so
    fine-tuning in one test never changes the files another test reads."""
    return export_feature_vector(backbone, tmp_path_factory.mktemp("hub") / "lenet5_fv")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty TFHUB_CACHE_DIR, and no network even where the machine has one."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub_cache"))

    def no_network(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    return tmp_path / "hub_cache"


def classifier(handle, trainable):
    return keras.Sequential([keras.Input((28, 28, 1)), HubLayer(handle, trainable=trainable),
                             keras.layers.Dense(10, activation="softmax", name="head")])


def test_the_export_follows_the_reusable_savedmodel_api(backbone, feature_vector):
    obj = tf.saved_model.load(str(feature_vector))
    expected = backbone(X).numpy()
    np.testing.assert_allclose(obj(X), expected, atol=1e-5)
    np.testing.assert_allclose(obj(X, training=False), expected, atol=1e-5)
    np.testing.assert_allclose(obj(X, training=True), expected, atol=1e-5)  # no dropout or BN
    assert len(obj.variables) == len(backbone.weights) > 0
    assert len(obj.trainable_variables) == len(backbone.trainable_weights)
    assert list(obj.regularization_losses) == []

    serve = obj.signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    assert list(inputs) == ["images"] and inputs["images"].shape.as_list() == [None, 28, 28, 1]
    assert list(serve.structured_outputs) == ["feature_vector"]
    np.testing.assert_allclose(serve(images=X)["feature_vector"], expected, atol=1e-5)


def test_tensorflow_and_hub_load_it_without_zoo(backbone, feature_vector, tmp_path):
    np.save(tmp_path / "x.npy", X)
    script = f"""
import sys, numpy as np, tensorflow as tf, tensorflow_hub as hub
x = np.load({str(tmp_path / 'x.npy')!r})
np.save({str(tmp_path / 'tf.npy')!r}, tf.saved_model.load({str(feature_vector)!r})(x).numpy())
np.save({str(tmp_path / 'hub.npy')!r}, hub.load({str(feature_vector)!r})(x).numpy())
assert not any(m == "zoo" or m.startswith("zoo.") for m in sys.modules), "zoo was imported"
"""
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    for name in ("tf.npy", "hub.npy"):
        np.testing.assert_allclose(np.load(tmp_path / name), backbone(X), atol=1e-5)


def test_tf_keras_hub_keraslayer_uses_call_and_the_serving_signature(backbone, feature_vector):
    tf_keras = pytest.importorskip("tf_keras")
    import tensorflow_hub as hub

    for options in ({}, {"signature": "serving_default", "output_key": "feature_vector"}):
        model = tf_keras.Sequential([tf_keras.Input((28, 28, 1)),
                                     hub.KerasLayer(str(feature_vector), **options)])
        np.testing.assert_allclose(model(X), backbone(X), atol=1e-5)


@pytest.mark.parametrize("name", ["lenet5_functional", "lenet5_subclass"])
def test_every_keras_api_exports(name, tmp_path):
    model = zoo.get_model(name, include_top=False, pooling="avg")
    obj = tf.saved_model.load(str(export_feature_vector(model, tmp_path / name)))
    np.testing.assert_allclose(obj(X), model(X), atol=1e-5)


def test_feature_maps_are_pooled_and_regularizers_travel(tmp_path):
    l2 = keras.regularizers.L2(0.01)
    maps = keras.Sequential([keras.Input((8, 8, 3)),
                             keras.layers.Conv2D(4, 3, kernel_regularizer=l2, name="conv")])
    images = np.random.default_rng(1).random((2, 8, 8, 3), dtype=np.float32)
    obj = tf.saved_model.load(str(export_feature_vector(maps, tmp_path / "maps")))
    np.testing.assert_allclose(obj(images), maps(images).numpy().mean(axis=(1, 2)), atol=1e-5)
    penalty = float(l2(maps.get_layer("conv").kernel))
    assert [float(loss()) for loss in obj.regularization_losses] == pytest.approx([penalty])

    layer = HubLayer(tmp_path / "maps", trainable=True)
    layer(images)
    assert [float(loss) for loss in layer.losses] == pytest.approx([penalty])
    frozen = HubLayer(tmp_path / "maps")
    frozen(images)
    assert frozen.losses == []

    published_frozen = tf.saved_model.load(
        str(export_feature_vector(maps, tmp_path / "frozen", trainable=False)))
    assert len(published_frozen.variables) == 2
    assert list(published_frozen.trainable_variables) == []
    assert list(published_frozen.regularization_losses) == []


@pytest.mark.parametrize(("layers", "message"), [
    (lambda: [keras.Input((4,)), keras.layers.Dense(2)], r"images \[batch, height"),
    (lambda: [keras.Input((4, 4, 1)), keras.layers.Reshape((16, 1))],
     r"outputs shape \(None, 16, 1\)"),
], ids=["vector-input", "3d-output"])
def test_a_model_that_is_no_image_feature_extractor_is_refused(layers, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        export_feature_vector(keras.Sequential(layers()), tmp_path / "fv")
    assert not any(tmp_path.iterdir())


def test_gradients_reach_the_variables_the_loaded_function_reads(feature_vector):
    layer = HubLayer(feature_vector, trainable=True)
    read = {id(v) for v in zoo.hub._variables_used_by(layer._function)}
    assert layer.trainable_weights and all(id(w.value) in read for w in layer.weights)
    before = layer(X).numpy()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(X, training=True)))
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None for g in gradients)
    keras.optimizers.SGD(0.01).apply(gradients, layer.trainable_weights)
    assert not np.allclose(layer(X), before)

    frozen = HubLayer(feature_vector)
    assert frozen.trainable_weights == [] and not any(w.trainable for w in frozen.weights)
    frozen.trainable = True  # the usual unfreeze-to-fine-tune step
    assert len(frozen.trainable_weights) == len(layer.trainable_weights)


def test_a_mixed_precision_layer_feeds_the_module_its_dtype(backbone, feature_vector):
    layer = HubLayer(feature_vector, dtype="mixed_float16")
    as_keras_casts_it = X.astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(layer(X), backbone(as_keras_casts_it), atol=1e-5)


@pytest.fixture(scope="module")
def fashion_mnist():
    return zoo.data.load("fashion_mnist", "train", limit=512, batch_size=64, seed=0)


@pytest.mark.parametrize("trainable", [False, True], ids=["frozen", "fine-tuned"])
def test_a_keras3_classifier_trains_on_a_hub_module(feature_vector, fashion_mnist, trainable):
    keras.utils.set_random_seed(0)
    model = classifier(feature_vector, trainable)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    hub_layer, head = model.layers
    hub_before = [w.numpy().copy() for w in hub_layer.weights]
    head_before = head.kernel.numpy().copy()
    loss_before = model.evaluate(fashion_mnist, verbose=0)
    model.fit(fashion_mnist, epochs=2, verbose=0)
    assert model.evaluate(fashion_mnist, verbose=0) < loss_before
    assert not np.array_equal(head.kernel.numpy(), head_before)
    changed = [not np.array_equal(b, w.numpy()) for b, w in zip(hub_before, hub_layer.weights,
                                                                strict=True)]
    assert all(changed) if trainable else not any(changed)


def test_a_classifier_round_trips_through_a_keras_file(feature_vector, tmp_path):
    model = classifier(feature_vector, trainable=True)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.train_on_batch(X, np.arange(5))  # the weights now differ from the handle's
    model.save(tmp_path / "clf.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(tmp_path / "clf.keras")
    reloaded = keras.saving.load_model(tmp_path / "clf.keras", safe_mode=False)
    assert reloaded.layers[0].get_config()["handle"] == str(feature_vector)
    np.testing.assert_allclose(reloaded(X), model(X), atol=1e-6)


def test_a_zoo_export_serving_savedmodel_loads_through_its_signature(tmp_path):
    lenet = zoo.get_model("lenet5")
    path = zoo.export(lenet, root=tmp_path)
    for signature in ("serving_default", None):  # a module without __call__: serving_default
        layer = HubLayer(path, signature=signature, output_key="probabilities")
        model = keras.Sequential([keras.Input((28, 28, 1)), layer])
        np.testing.assert_allclose(model.predict(X, verbose=0), lenet(X), atol=1e-5)
    tuned = HubLayer(path, output_key="probabilities", trainable=True)
    assert len(tuned.trainable_weights) == len(lenet.trainable_weights)


def test_a_cached_url_loads_offline(feature_vector, offline):
    # tensorflow_hub caches a URL's module under TFHUB_CACHE_DIR/<sha1 of the URL>.
    shutil.copytree(feature_vector, offline / hashlib.sha1(FAKE_URL.encode()).hexdigest())
    assert HubLayer(FAKE_URL)(X).shape == (5, 120)


def test_an_uncached_url_fails_fast_and_says_why(offline):
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as error:
        HubLayer(FAKE_URL)
    assert time.perf_counter() - start < 10
    message = str(error.value)
    assert FAKE_URL in message and "neither a local SavedModel" in message
    assert "TFHUB_CACHE_DIR" in message and str(offline) in message


def test_paths_that_are_no_savedmodel(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nothing' is neither a local SavedModel"):
        HubLayer(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="holds no saved_model.pb"):
        HubLayer(tmp_path)


def test_bad_signatures_and_output_keys_name_what_exists(feature_vector, tmp_path):
    served = zoo.export(zoo.get_model("lenet5"), root=tmp_path)
    with pytest.raises(ValueError,
                       match=r"no signature 'serve'.*\['image_bytes', 'serving_default'\]"):
        HubLayer(served, signature="serve")
    with pytest.raises(ValueError, match=r"output_key='logits'.*\['class_id', 'probabilities'\]"):
        HubLayer(served, output_key="logits")
    with pytest.raises(ValueError, match=r"\['class_id', 'probabilities'\]; pick one"):
        HubLayer(served)
    with pytest.raises(ValueError, match="single tensor"):
        HubLayer(feature_vector, output_key="feature_vector")


def test_an_existing_export_is_kept_unless_overwrite(backbone, tmp_path):
    path = export_feature_vector(backbone, tmp_path / "fv")
    with pytest.raises(FileExistsError, match="fv"):
        export_feature_vector(backbone, path)
    other = zoo.get_model("lenet5", include_top=False, pooling="avg")
    export_feature_vector(other, path, overwrite=True)
    np.testing.assert_allclose(tf.saved_model.load(str(path))(X), other(X), atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["fv"]


def test_an_interrupted_export_leaves_nothing_behind(backbone, tmp_path, monkeypatch):
    def disk_full(obj, export_dir, **kwargs):
        tf.io.gfile.makedirs(export_dir)  # half a SavedModel, then the disk fills up
        tf.io.write_file(f"{export_dir}/saved_model.pb", "")
        raise OSError("No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        export_feature_vector(backbone, tmp_path / "fv")
    assert not any(tmp_path.iterdir())
