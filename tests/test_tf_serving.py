"""Serving beyond `serving_default`: the `image_bytes` signature of image classifiers, TF
Serving's models config and warm-up records (checked with TF Serving's own protos), and the
refusal of `.keras` files that carry code."""

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

import zoo
from zoo.cli import main
from zoo.data import arrays
from zoo.export.tf_serving import read_warmup_requests, write_models_config


@pytest.fixture(scope="module")
def lenet():
    return zoo.get_model("lenet5")


@pytest.fixture(scope="module")
def served_lenet(lenet, tmp_path_factory):
    path = zoo.export(lenet, root=tmp_path_factory.mktemp("served"))
    return tf.saved_model.load(str(path)).signatures


@pytest.fixture(scope="module")
def fashion_test():
    images, labels = arrays("fashion_mnist", "test")
    return images[:8], labels[:8]


def _png(image):
    return tf.io.encode_png(tf.cast(tf.round(image * 255), tf.uint8)).numpy()


# -- image_bytes ----------------------------------------------------------------------------

def test_png_files_are_served_as_the_pipeline_images_are(served_lenet, fashion_test):
    images, _ = fashion_test
    from_pixels = served_lenet["serving_default"](image=tf.constant(images))
    from_files = served_lenet["image_bytes"](image_bytes=tf.constant([_png(i) for i in images]))
    # PNG is lossless and the pipeline's pixels are k / 255: the same batch, the same outputs.
    np.testing.assert_allclose(from_files["probabilities"], from_pixels["probabilities"],
                               atol=1e-6)
    np.testing.assert_array_equal(from_files["class_id"], from_pixels["class_id"])


def test_files_of_another_size_and_colour_are_decoded_and_resized(served_lenet, fashion_test):
    image = fashion_test[0][0]
    large_colour = tf.image.grayscale_to_rgb(tf.image.resize(image, (56, 56), "nearest"))
    served = served_lenet["image_bytes"](image_bytes=tf.constant([
        tf.io.encode_jpeg(tf.cast(tf.round(large_colour * 255), tf.uint8), quality=100).numpy()
    ]))
    expected = served_lenet["serving_default"](image=tf.constant(image[None]))
    # Grey through a colour JPEG at twice the size and back: the class survives, and the
    # probabilities barely move (JPEG's rounding, the bilinear resize).
    assert served["class_id"].numpy()[0] == expected["class_id"].numpy()[0]
    np.testing.assert_allclose(served["probabilities"], expected["probabilities"], atol=0.02)


def test_a_colour_model_decodes_files_to_three_channels(tmp_path):
    model = zoo.get_model("resnet20")
    signatures = tf.saved_model.load(str(zoo.export(model, root=tmp_path))).signatures
    assert signatures["image_bytes"].structured_input_signature[1]["image_bytes"].dtype == \
        tf.string
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    served = signatures["image_bytes"](image_bytes=tf.constant([tf.io.encode_png(pixels)
                                                                 .numpy()]))
    expected = model(pixels[None].astype(np.float32) / 255.0, training=False)
    np.testing.assert_allclose(served["probabilities"], expected, atol=1e-5)


@pytest.mark.parametrize("data", [b"not an image", b"GIF89a" + bytes(40)])
def test_bytes_that_are_not_jpeg_or_png_fail_the_request_not_the_model(served_lenet, data,
                                                                        fashion_test):
    with pytest.raises(tf.errors.InvalidArgumentError, match="image_bytes must hold JPEG or PNG"):
        served_lenet["image_bytes"](image_bytes=tf.constant([data]))
    # The next request is served as ever.
    image = fashion_test[0][0]
    served = served_lenet["image_bytes"](image_bytes=tf.constant([_png(image)]))
    assert served["probabilities"].shape == (1, 10)


def test_a_truncated_jpeg_fails_the_request(served_lenet, fashion_test):
    jpeg = tf.io.encode_jpeg(tf.cast(fashion_test[0][0] * 255, tf.uint8)).numpy()
    with pytest.raises(tf.errors.InvalidArgumentError, match="JPEG"):
        served_lenet["image_bytes"](image_bytes=tf.constant([jpeg[:40]]))


def test_classifiers_without_a_fixed_image_size_serve_no_image_bytes(tmp_path):
    vector = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, "softmax")])
    signatures = tf.saved_model.load(str(zoo.export(
        vector, "vector", root=tmp_path, task="image-classification"))).signatures
    assert list(signatures) == ["serving_default"]


# -- models.config ----------------------------------------------------------------------------

def test_models_config_lists_every_exported_model_for_tf_serving(lenet, tmp_path):
    zoo.export(lenet, root=tmp_path)
    zoo.export(lenet, "lenet5_copy", root=tmp_path)
    (tmp_path / "notes").mkdir()  # a folder without versions is not a model
    path = write_models_config(tmp_path, base_path="/models/")
    config = text_format.Parse(path.read_text(), model_server_config_pb2.ModelServerConfig())
    entries = [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config]
    assert entries == [("lenet5", "/models/lenet5", "tensorflow"),
                       ("lenet5_copy", "/models/lenet5_copy", "tensorflow")]
    local = text_format.Parse(write_models_config(tmp_path).read_text(),
                              model_server_config_pb2.ModelServerConfig())
    assert local.model_config_list.config[0].base_path == str((tmp_path / "lenet5").resolve())


def test_models_config_of_an_empty_root_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="holds no exported model"):
        write_models_config(tmp_path)
    assert not (tmp_path / "models.config").exists()


# -- warm-up requests -------------------------------------------------------------------------

def test_warmup_requests_replay_through_the_served_signature(lenet, fashion_test, tmp_path):
    images, _ = fashion_test
    path = zoo.export(lenet, root=tmp_path, warmup=images[:3])
    logs = read_warmup_requests(path)
    assert len(logs) == 3
    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    for index, log in enumerate(logs):
        request = log.predict_log.request
        assert (request.model_spec.name, request.model_spec.signature_name) == \
            ("lenet5", "serving_default")
        batch = tf.make_ndarray(request.inputs["image"])
        np.testing.assert_array_equal(batch, images[index:index + 1])
        np.testing.assert_allclose(signature(image=tf.constant(batch))["probabilities"],
                                   lenet(batch, training=False), atol=1e-6)


def test_a_warmup_that_does_not_fit_the_signature_leaves_no_version(lenet, tmp_path):
    with pytest.raises(ValueError, match="warmup does not fit serving_default"):
        zoo.export(lenet, root=tmp_path, warmup=np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match="warmup names the inputs"):
        zoo.export(lenet, root=tmp_path, warmup={"pixels": np.zeros((2, 28, 28, 1))})
    assert not (tmp_path / "lenet5").exists() or not any((tmp_path / "lenet5").iterdir())


def test_cli_export_writes_warmup_and_models_config(lenet, tmp_path, capsys):
    lenet.save(tmp_path / "lenet5.keras")
    root = tmp_path / "served"
    assert main(["export", str(tmp_path / "lenet5.keras"), "--root", str(root), "--warmup", "4",
                 "--models-config", "--serving-base-path", "/models"]) == 0
    assert len(read_warmup_requests(root / "lenet5" / "1")) == 4
    assert 'base_path: "/models/lenet5"' in (root / "models.config").read_text()
    assert main(["export", str(tmp_path / "lenet5.keras"), "--root", str(root),
                 "--warmup", "0"]) == 2
    assert "--warmup 0" in capsys.readouterr().err


# -- loading is safe by default ---------------------------------------------------------------

def test_a_keras_file_carrying_code_is_refused_unless_trusted(tmp_path):
    marker = tmp_path / "ran"
    inputs = keras.Input((3,))
    # The payload a crafted file carries: Python bytecode that would run on load (here it
    # only touches a file; its path is a constant of the code object).
    payload = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")
    outputs = keras.layers.Lambda(payload)(inputs)
    keras.Model(inputs, outputs).save(tmp_path / "crafted.keras")
    marker.unlink(missing_ok=True)
    with pytest.raises(ValueError, match="safe_mode=False"):
        zoo.load_model(tmp_path / "crafted.keras")
    assert not marker.exists()
    model = zoo.load_model(tmp_path / "crafted.keras", safe_mode=False)  # the caller opts in
    np.testing.assert_allclose(model(np.ones((1, 3), np.float32)), np.ones((1, 3)))


def test_a_keras_file_naming_a_module_outside_keras_is_refused(lenet, tmp_path):
    lenet.save(tmp_path / "lenet5.keras")
    crafted = tmp_path / "crafted.keras"
    with zipfile.ZipFile(tmp_path / "lenet5.keras") as source, \
            zipfile.ZipFile(crafted, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][1].update(module="os", class_name="system",
                                                     registered_name=None)
                data = json.dumps(config).encode()
            target.writestr(item, data)
    with pytest.raises(ValueError, match="could not be loaded"):
        zoo.load_model(crafted)
