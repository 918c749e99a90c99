"""TFLite (float and int8) and ONNX files, each run in its own runtime (LiteRT's interpreter,
ONNX Runtime) against the Keras model's outputs."""

import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.export.formats import export_format, run_onnx, run_tflite
from zoo.train.evaluation import evaluation_pipeline

# One of each kind of layer the image families use: a plain stack, convolutions and pooling,
# residual blocks with (fused) batch normalisation, and a convolutional decoder.
MODELS = ("mlp", "lenet5", "resnet20", "conv_autoencoder")
RUNNERS = {"tflite": run_tflite, "onnx": run_onnx}


def _model_and_batch(name, size=32):
    card = zoo.model_card(name)
    model = zoo.get_model(name, **card.recipe.model_options)
    images = next(iter(evaluation_pipeline(model, card, card.dataset, "test", size)))[0]
    return model, images.numpy()


@pytest.mark.parametrize("format", sorted(RUNNERS))
@pytest.mark.parametrize("name", MODELS)
def test_a_float_file_gives_the_keras_outputs_in_its_runtime(tmp_path, name, format):
    model, images = _model_and_batch(name)
    path = export_format(model, tmp_path / f"{name}.{format}", format)
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no staging file is left"
    np.testing.assert_allclose(RUNNERS[format](path, images), model.predict(images, verbose=0),
                               atol=1e-5)
    # Any batch size: the batch dimension stays free in both formats.
    assert RUNNERS[format](path, images[:3]).shape[0] == 3


@pytest.mark.slow
def test_int8_quantisation_keeps_a_trained_lenet_within_a_point_of_its_accuracy(tmp_path):
    trained = zoo.train("lenet5", epochs=2, dataset_options={"limit": 12000}, verbose=0,
                        tensorboard=False, runs_root=tmp_path / "runs").model
    card = zoo.model_card("lenet5")
    calibration = evaluation_pipeline(trained, card, card.dataset, "train", 256).take(1)
    float_path = export_format(trained, tmp_path / "lenet5.tflite", "tflite")
    int8_path = export_format(trained, tmp_path / "lenet5_int8.tflite", "tflite_int8",
                              representative_data=calibration)
    assert int8_path.stat().st_size < 0.35 * float_path.stat().st_size, "8 bits, not 32"
    images, labels = [], []
    for x, y in evaluation_pipeline(trained, card, card.dataset, "test", 1000).take(2):
        images.append(x.numpy())
        labels.append(y.numpy())
    images, labels = np.concatenate(images), np.concatenate(labels)
    accuracy = {path.name: float((run_tflite(path, images).argmax(-1) == labels).mean())
                for path in (float_path, int8_path)}
    keras_accuracy = float((trained.predict(images, verbose=0).argmax(-1) == labels).mean())
    assert accuracy["lenet5.tflite"] == keras_accuracy
    assert keras_accuracy > 0.75, "trained: quantisation has real features to keep"
    assert abs(accuracy["lenet5_int8.tflite"] - keras_accuracy) < 0.01, accuracy


def test_a_model_a_runtime_cannot_run_fails_clearly_and_leaves_no_file(tmp_path):
    model = zoo.get_model("text_cnn")  # its preprocessing is TensorFlow string ops
    with pytest.raises(ValueError, match="text_cnn could not be converted to tflite: LiteRT "
                                         "has no kernels for .*StringSplitV2"):
        export_format(model, tmp_path / "text_cnn.tflite", "tflite")
    with pytest.raises(ValueError, match="text_cnn could not be converted to onnx: .*"
                                         "StaticRegexReplace"):
        export_format(model, tmp_path / "text_cnn.onnx", "onnx")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("call, message", [
    (dict(format="tfjs", path="m.json"), r"format='tfjs' is not one of \['onnx', 'tflite'"),
    (dict(format="onnx", path="m.tflite"), r"a onnx file is named \*.onnx, not 'm.tflite'"),
    (dict(format="tflite_int8", path="m.tflite"), "calibrates on real inputs"),
])
def test_bad_export_arguments_are_refused(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        export_format(zoo.get_model("mlp"), tmp_path / call["path"], call["format"])
    assert not any(tmp_path.iterdir())


def test_zoo_export_writes_each_format_from_a_keras_file(tmp_path, capsys):
    model, images = _model_and_batch("lenet5", size=8)
    model.save(tmp_path / "lenet5.keras")
    root = tmp_path / "exports"
    for format, name in (("onnx", "lenet5.onnx"), ("tflite_int8", "lenet5_int8.tflite")):
        assert main(["export", str(tmp_path / "lenet5.keras"), "--format", format,
                     "--root", str(root)]) == 0
        assert capsys.readouterr().out.strip() == str(root / name)
    np.testing.assert_allclose(run_onnx(root / "lenet5.onnx", images),
                               model.predict(images, verbose=0), atol=1e-5)
    # An existing file is kept unless --overwrite says otherwise.
    assert main(["export", str(tmp_path / "lenet5.keras"), "--format", "onnx",
                 "--root", str(root)]) == 2
    assert "exists: pass --overwrite" in capsys.readouterr().err
