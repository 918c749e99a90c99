"""Mixed precision: 16-bit compute with float32 variables and outputs, loss scaling for
float16, and Keras' global policy left as it was."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.train.precision import dtype_policy, float32_outputs

FEW = {"limit": 1000}


@pytest.mark.parametrize("precision, compute, optimizer", [
    ("mixed_bfloat16", "bfloat16", "Adam"),  # bfloat16 has float32's range: no loss scale
    ("mixed_float16", "float16", "LossScaleOptimizer"),
])
def test_a_mixed_precision_run_computes_in_16_bits_and_serves_float32(
        tmp_path, precision, compute, optimizer):
    result = zoo.train("lenet5_functional", epochs=1, dataset_options=FEW, precision=precision,
                       verbose=0, tensorboard=False, runs_root=tmp_path / "runs")
    model = result.model
    assert keras.mixed_precision.dtype_policy().name == "float32", "the policy was scoped"
    assert model.name == "lenet5_functional" and model.dtype_policy.name == precision
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert {layer.compute_dtype for layer in convolutions} == {compute}
    assert {v.dtype for v in model.trainable_variables} == {"float32"}
    assert [output.dtype for output in model.outputs] == ["float32"]
    assert type(model.optimizer).__name__ == optimizer
    assert np.isfinite(result.history["loss"]).all()
    assert json.loads((result.run_dir / "config.json").read_text())["precision"] == precision

    images = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    path = zoo.export(model, root=tmp_path / "saved_models")
    served = tf.saved_model.load(str(path)).signatures["serving_default"](image=images)
    assert served["probabilities"].dtype == tf.float32
    # The same 16-bit graph, whose kernels may round differently: 16-bit agreement.
    np.testing.assert_allclose(served["probabilities"].numpy(),
                               model.predict(images, verbose=0), atol=1e-2)

    # A .keras file keeps each layer's policy but not the model's; zoo.load_model puts it
    # back, so that compiling the reloaded model adds float16's loss scaling again.
    model.save(tmp_path / "mixed.keras")
    reloaded = zoo.load_model(tmp_path / "mixed.keras", compile=False)
    assert reloaded.dtype_policy.name == precision
    reloaded.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert type(reloaded.optimizer).__name__ == optimizer


def test_float32_outputs_keeps_the_layers_and_weights():
    with dtype_policy("mixed_bfloat16"):
        model = zoo.get_model("lenet5_functional")
        cast = float32_outputs(model)
    assert model.outputs[0].dtype == "bfloat16" and cast.outputs[0].dtype == "float32"
    assert cast.name == model.name and cast.count_params() == model.count_params()
    plain = zoo.get_model("mlp")
    assert float32_outputs(plain) is plain, "float32 outputs need no cast"


def test_bad_precision_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"precision='float8' is not one of \['float32'"):
        zoo.train("mlp", precision="float8", runs_root=tmp_path)
    with pytest.raises(ValueError, match="mlp was built with 'float32': pass its name"):
        zoo.train(zoo.get_model("mlp"), precision="mixed_float16", runs_root=tmp_path)
    with dtype_policy("mixed_float16"):
        subclassed = zoo.get_model("lenet5_subclass")
    with pytest.raises(ValueError, match="lenet5_subclass is a subclassed model"):
        float32_outputs(subclassed)
    assert keras.mixed_precision.dtype_policy().name == "float32"
    assert not any(tmp_path.iterdir()), "refused before any run directory"
