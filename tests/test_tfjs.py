"""TF.js graph models converted from zoo's SavedModels by TensorFlow.js' own converter (in its
environment, .ci/install-tfjs) and run in Node with the pure-JavaScript TensorFlow.js, against
the Keras model's outputs; and what fails, failing clearly."""

import json

import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.export.tfjs import TFJSRunner, convert_saved_model, export_tfjs
from zoo.train.evaluation import evaluation_pipeline


def _model_and_batch(name, size=16, **options):
    card = zoo.model_card(name)
    model = zoo.get_model(name, **{**card.recipe.model_options, **options})
    images = next(iter(evaluation_pipeline(model, card, card.dataset, "test", size)))[0]
    return model, images.numpy()


# Dense layers; convolutions and pooling; residual blocks with zoo's fused batch norm;
# depthwise-separable convolutions with ReLU6 (folded and fused by the converter).
@pytest.mark.parametrize(("name", "options"), [
    ("mlp", {}), ("lenet5", {}), ("resnet20", {}), ("mobilenet_v2", {"alpha": 0.35}),
])
def test_a_tfjs_model_gives_the_keras_outputs_in_node(tmp_path, name, options):
    model, images = _model_and_batch(name, **options)
    directory = export_tfjs(model, tmp_path / f"{name}_tfjs")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}_tfjs"], "no staging left"
    manifest = json.loads((directory / "model.json").read_text())
    assert manifest["format"] == "graph-model"
    assert set(manifest["signature"]["outputs"]) == {"probabilities", "class_id"}

    runner = TFJSRunner(directory)
    outputs = runner({"image": images})
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(outputs["probabilities"], expected, atol=1e-5)
    np.testing.assert_array_equal(outputs["class_id"], expected.argmax(-1))
    # The batch dimension stays free.
    assert runner({"image": images[:3]})["probabilities"].shape == (3, expected.shape[-1])


def test_a_model_tfjs_cannot_run_fails_clearly_and_leaves_no_folder(tmp_path):
    model = zoo.get_model("text_cnn")  # its preprocessing is TensorFlow string ops
    with pytest.raises(ValueError, match="text_cnn takes text .* string ops, which TF.js "
                                         "does not have"):
        export_tfjs(model, tmp_path / "text_cnn_tfjs")
    # Past that check, what the converter refuses is named and nothing is left behind.
    saved_model = zoo.export(model, root=tmp_path / "saved_models")
    with pytest.raises(ValueError, match="tensorflowjs_converter could not convert"):
        convert_saved_model(saved_model, tmp_path / "text_cnn_tfjs")
    assert not (tmp_path / "text_cnn_tfjs").exists()


def test_bad_inputs_and_missing_parts_are_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="is not a SavedModel"):
        convert_saved_model(tmp_path, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="is not a TF.js model"):
        TFJSRunner(tmp_path)

    model, images = _model_and_batch("lenet5", size=2)
    directory = export_tfjs(model, tmp_path / "lenet5_tfjs")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_tfjs(model, directory)
    with pytest.raises(ValueError, match=r"inputs \['pixels'\] are not the model's; it takes "
                                         r"\['image'\]"):
        TFJSRunner(directory)({"pixels": images})
    with pytest.raises(ValueError, match="TF.js could not run"):
        TFJSRunner(directory)({"image": images[..., 0]})  # a channel short

    monkeypatch.setenv("ZOO_TFJS_PYTHON", str(tmp_path / "nowhere/python"))
    with pytest.raises(FileNotFoundError, match="converter's Python .* is missing: bash "
                                                r"\.ci/install-tfjs"):
        export_tfjs(model, tmp_path / "again")


def test_zoo_export_writes_a_tfjs_folder_from_a_keras_file(tmp_path, capsys):
    model, images = _model_and_batch("lenet5", size=4)
    model.save(tmp_path / "lenet5.keras")
    root = tmp_path / "exports"
    assert main(["export", str(tmp_path / "lenet5.keras"), "--format", "tfjs",
                 "--root", str(root)]) == 0
    assert capsys.readouterr().out.strip() == str(root / "lenet5_tfjs")
    np.testing.assert_allclose(TFJSRunner(root / "lenet5_tfjs")({"image": images})[
        "probabilities"], model.predict(images, verbose=0), atol=1e-5)
