"""f-AnoGAN: adapt trains the GAN, fit trains the encoder alone, the score is the pixel
plus feature residual, the exported signatures, and bad input."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.generative.anogan import EncodedGAN
from zoo.generative.measure import anomaly_scores
from zoo.train import compile_with_recipe

SMALL = {"filters": (16, 8), "latent_dim": 8}


def _images(batch=8, seed=0):
    return np.random.default_rng(seed).random((batch, 28, 28, 1), dtype=np.float32)


def test_adapt_trains_the_gan_once_and_says_so():
    model = EncodedGAN(**SMALL, gan_epochs=1, seed=0)
    assert not model.is_adapted()
    before = model.gan.generator.get_weights()
    data = tf.data.Dataset.from_tensor_slices((_images(32), np.zeros(32))).batch(16)
    logs = model.adapt(data)
    assert {"d_loss", "g_loss", "d_accuracy"} <= set(logs)
    assert model.is_adapted()
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.gan.generator.get_weights(),
                                                        strict=True))
    assert EncodedGAN(**SMALL, gan_epochs=0).is_adapted()  # the untrained-GAN ablation


def test_a_step_trains_the_encoder_and_leaves_the_gan_alone():
    card = zoo.model_card("f_anogan")
    model = compile_with_recipe(zoo.get_model("f_anogan", **SMALL, gan_epochs=0), card)
    gan_before = model.gan.get_weights()
    encoder_before = model.encoder.get_weights()
    logs = model.train_on_batch(_images(), np.zeros(8), return_dict=True)
    assert set(logs) == {"loss", "residual", "feature_residual"}
    for a, b in zip(gan_before, model.gan.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(not np.array_equal(a, b) for a, b in zip(encoder_before,
                                                        model.encoder.get_weights(), strict=True))


def test_the_score_is_the_pixel_residual_plus_kappa_times_the_feature_residual():
    model = EncodedGAN(**SMALL, kappa=2.0, seed=0)
    x = _images(4)
    drawn = model.gan.generator(model.encoder(x)).numpy()
    signed = 2 * x - 1
    pixels = np.mean((signed - drawn) ** 2, axis=(1, 2, 3))
    features = np.mean((model.features(signed).numpy() - model.features(drawn).numpy()) ** 2,
                       axis=-1)
    np.testing.assert_allclose(model(x).numpy(), pixels + 2.0 * features, rtol=1e-4)
    np.testing.assert_allclose(anomaly_scores(model, "anomaly-detection", x),
                               model(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.reconstruct(x).numpy(), (drawn + 1) / 2, atol=1e-6)


def test_the_savedmodel_scores_and_reconstructs(tmp_path):
    model = zoo.get_model("f_anogan", **SMALL)
    x = _images(3)
    loaded = tf.saved_model.load(str(zoo.export(model, root=tmp_path)))
    assert {"serving_default", "reconstruct"} <= set(loaded.signatures)
    served = loaded.signatures["serving_default"](image=tf.constant(x))["anomaly_score"]
    np.testing.assert_allclose(served.numpy(), model(x).numpy(), rtol=1e-5)
    drawn = loaded.signatures["reconstruct"](image=tf.constant(x))["image"]
    np.testing.assert_allclose(drawn.numpy(), model.reconstruct(x).numpy(), atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="image must be a batch"):
        loaded.signatures["serving_default"](image=tf.zeros((1, 14, 14, 1)))


def test_a_saved_model_keeps_its_trained_gan(tmp_path):
    model = EncodedGAN(**SMALL, gan_epochs=1)
    model.gan_trained.assign(1.0)
    model.save(tmp_path / "f_anogan.keras")
    loaded = zoo.load_model(tmp_path / "f_anogan.keras")
    assert loaded.is_adapted()
    np.testing.assert_allclose(loaded(_images(2)).numpy(), model(_images(2)).numpy(), rtol=1e-5)


@pytest.mark.parametrize(("options", "message"), [
    ({"gan_epochs": -1}, "gan_epochs=-1 must be a non-negative integer"),
    ({"kappa": -1.0}, "kappa=-1.0 must be a non-negative number"),
    ({"filters": (16,)}, "needs at least two"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        EncodedGAN(**options)


def test_images_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"do not fit this model: it takes \(batch, 28, 28, 1\)"):
        EncodedGAN(**SMALL)(np.zeros((2, 14, 14, 1), "float32"))
