"""GANs: the game's losses and steps, conditioning, bad input, export, a diverging run that
keeps its last good epoch, and the recorded sample quality."""

import json
import math
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.generative.gan import GenerativeAdversarialNetwork
from zoo.generative.sample_quality import class_coverage, frechet_distance
from zoo.train import compile_with_recipe
from zoo.train.callbacks import LastFiniteCheckpoint, standard_callbacks

GANS = zoo.list_models(task="generation")
RNG = np.random.default_rng(0)
IMAGES = RNG.random((8, 28, 28, 1), dtype=np.float32)
LABELS = np.arange(8, dtype=np.int32) % 10


def small(conditional=False, architecture="conv", **options):
    """A small GAN compiled with the recipe's optimizer, seeded."""
    keras.utils.set_random_seed(0)
    name = ("conditional_dcgan" if conditional else "dcgan") if architecture == "conv" \
        else ("cgan" if conditional else "gan")
    sizes = {"filters": (16, 8)} if architecture == "conv" else {"hidden_units": (32, 64)}
    model = zoo.get_model(name, latent_dim=8, seed=0, **sizes, **options)
    return compile_with_recipe(model, zoo.model_card(name))


def test_the_gans_are_registered_as_generators_of_mnist():
    assert GANS == ["cgan", "conditional_dcgan", "dcgan", "gan"]
    for name in GANS:
        card = zoo.model_card(name)
        assert card.family == "gan" and card.api == "subclass" and card.dataset == "mnist"
        assert card.recipe.monitor is None and card.recipe.optimizer_options == {"beta_1": 0.5}
    assert zoo.model_card("cgan").num_classes == 10 and zoo.model_card("gan").num_classes is None


def test_the_recipe_optimizer_is_radfords_adam():
    model = small()
    assert model.optimizer.beta_1 == 0.5
    assert math.isclose(float(model.optimizer.learning_rate), 2e-4, rel_tol=1e-6)


@pytest.mark.parametrize("conditional", [False, True])
def test_a_training_step_changes_both_networks(conditional):
    model = small(conditional)
    before = {part: [w.copy() for w in getattr(model, part).get_weights()]
              for part in ("generator", "discriminator")}
    logs = model.train_on_batch(IMAGES, LABELS, return_dict=True)
    assert set(logs) == {"loss", "d_loss", "g_loss", "d_accuracy"}
    assert 0.0 <= logs["d_accuracy"] <= 1.0
    assert math.isclose(logs["loss"], logs["d_loss"] + logs["g_loss"], rel_tol=1e-5)
    for part, weights in before.items():
        after = getattr(model, part).get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(after, weights, strict=True)), part


def test_the_losses_are_the_cross_entropies_of_the_game():
    model = small(label_smoothing=0.1)
    latent = RNG.normal(size=(8, 8)).astype(np.float32)
    d_loss, g_loss, accuracy = model.adversarial_losses(IMAGES, latent=latent)
    real = model.discriminator(IMAGES * 2 - 1).numpy().ravel()
    fake = model.discriminator(model.generator(latent)).numpy().ravel()
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    # One-sided label smoothing: real images aim at 0.9, generated ones at 0.
    expected_d = bce(np.full(8, 0.9), real) + bce(np.zeros(8), fake)
    np.testing.assert_allclose(d_loss, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g_loss, bce(np.ones(8), fake), rtol=1e-5)  # -log D(G(z))
    np.testing.assert_allclose(accuracy, np.mean(np.r_[real > 0, fake < 0]))


def test_generated_pixels_are_in_the_unit_interval():
    model = small()
    images = model.sample(16, seed=3).numpy()
    assert images.shape == (16, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(images, model.sample(16, seed=3).numpy())
    assert not np.array_equal(images, model.sample(16, seed=4).numpy())


def test_the_label_conditions_the_image():
    model = small(conditional=True)
    latent = np.repeat(RNG.normal(size=(1, 8)).astype(np.float32), 10, axis=0)
    images = model({"latent": latent, "label": np.arange(10)}).numpy()
    assert all(not np.allclose(images[0], images[k]) for k in range(1, 10))
    np.testing.assert_allclose(model((latent, np.arange(10))).numpy(), images)
    # Without labels, sample cycles through the classes.
    np.testing.assert_allclose(model.sample(10, seed=1).numpy(),
                               model.sample(seed=1, labels=np.arange(10)).numpy())


@pytest.mark.parametrize(("conditional", "call", "message"), [
    (False, lambda m: m(np.zeros((2, 9), "float32")), r"takes \(batch, 8\)"),
    (False, lambda m: m({"latent": np.zeros((2, 8), "float32"), "label": np.arange(2)}),
     "unconditional"),
    (False, lambda m: m.sample(4, labels=[0, 1, 2, 3]), "unconditional"),
    (True, lambda m: m(np.zeros((2, 8), "float32")), "conditional on 10 classes"),
    (True, lambda m: m({"latent": np.zeros((2, 8), "float32"), "labels": np.arange(2)}),
     "keys"),
    (True, lambda m: m.sample(3, labels=[0, 1]), "one label per image"),
    (True, lambda m: m.discriminate(IMAGES), "pass labels="),
    (False, lambda m: m.adversarial_losses(IMAGES[:, :14]), r"\(batch, 28, 28, 1\)"),
])
def test_bad_input_names_what_was_wrong(conditional, call, message):
    with pytest.raises(ValueError, match=message):
        call(small(conditional))


@pytest.mark.parametrize("label", [-1, 10])
def test_labels_out_of_range_are_refused(label):
    model = small(conditional=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be"):
        model({"latent": np.zeros((2, 8), "float32"), "label": np.array([0, label])})
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be"):
        model.train_on_batch(IMAGES[:2], np.array([0, label]))


@pytest.mark.parametrize(("options", "message"), [
    ({"num_classes": 1}, "num_classes=1"),
    ({"label_smoothing": 0.5}, "label_smoothing=0.5"),
    ({"filters": (16,)}, "at least two"),
    ({"image_shape": (30, 30, 1)}, "divide by 4"),
    ({"architecture": "mlp"}, "architecture"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        GenerativeAdversarialNetwork(**{"filters": (16, 8), **options})


def test_a_conditional_generator_exports_and_tensorflow_alone_reloads_it(tmp_path):
    model = small(conditional=True)
    model.train_on_batch(IMAGES, LABELS)
    path = zoo.export(model, root=tmp_path)
    latent = RNG.normal(size=(4, 8)).astype(np.float32)
    labels = np.array([3, 1, 4, 1], np.int32)
    expected = model({"latent": latent, "label": labels}).numpy()
    card = json.loads((path / "zoo_card.json").read_text())
    assert card["inputs"] == {"latent": [None, 8], "label": [None]}
    script = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
data = np.load(sys.argv[2])
image = loaded.signatures["serving_default"](latent=data["latent"], label=data["label"])
sampled = loaded.signatures["sample"](label=data["label"], seed=tf.constant(7, tf.int64))
again = loaded.signatures["sample"](label=data["label"], seed=tf.constant(7, tf.int64))
judged = loaded.signatures["discriminate"](image=image["image"], label=data["label"])
np.savez(sys.argv[3], image=image["image"], sampled=sampled["image"],
         again=again["image"], probability=judged["probability_real"])
try:
    loaded.signatures["serving_default"](latent=tf.constant(data["latent"][:, :5]),
                                         label=tf.constant(data["label"]))
except tf.errors.InvalidArgumentError as error:
    print("REFUSED", "latent size" in str(error))
try:
    loaded.signatures["sample"](label=tf.constant([0, 12]), seed=tf.constant(1, tf.int64))
except tf.errors.InvalidArgumentError as error:
    print("REFUSED", "num_classes=10" in str(error))
"""
    np.savez(tmp_path / "in.npz", latent=latent, label=labels)
    done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "in.npz"),
                           str(tmp_path / "out.npz")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split("\n")[:2] == ["REFUSED True", "REFUSED True"], done.stdout
    served = np.load(tmp_path / "out.npz")
    np.testing.assert_allclose(served["image"], expected, atol=1e-5)
    np.testing.assert_array_equal(served["sampled"], served["again"])
    assert served["sampled"].shape == (4, 28, 28, 1)
    assert ((served["probability"] > 0) & (served["probability"] < 1)).all()


def test_an_unconditional_generator_samples_by_count_and_seed(tmp_path):
    model = small()
    loaded = tf.saved_model.load(str(zoo.export(model, root=tmp_path)))
    sampled = loaded.signatures["sample"](count=tf.constant(5), seed=tf.constant(2, tf.int64))
    assert sampled["image"].shape == (5, 28, 28, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="count must be >= 1"):
        loaded.signatures["sample"](count=tf.constant(0), seed=tf.constant(2, tf.int64))


def test_the_standard_callbacks_without_a_monitor_keep_the_last_finite_epoch(tmp_path):
    kinds = {type(c).__name__ for c in standard_callbacks(tmp_path, monitor=None)}
    assert "LastFiniteCheckpoint" in kinds and "TerminateOnNaN" in kinds
    assert not kinds & {"EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint"}


class _Diverge(keras.callbacks.Callback):
    """Poisons one discriminator weight at the start of the second epoch: a collapse."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            self.first_epoch = [w.copy() for w in self.model.get_weights()]
            kernel = self.model.discriminator.get_layer("logit").kernel
            kernel.assign(tf.fill(kernel.shape, np.nan))


def test_a_collapsed_run_stops_and_keeps_its_last_good_epoch(tmp_path):
    model = small()
    data = tf.data.Dataset.from_tensor_slices((np.tile(IMAGES, (4, 1, 1, 1)),
                                               np.tile(LABELS, 4))).batch(8)
    diverge = _Diverge()
    result = zoo.train(model, (data, data.take(1)), epochs=4, run_dir=tmp_path / "run",
                       callbacks=[diverge], verbose=0, tensorboard=False)
    assert len(result.history["loss"]) == 2 and math.isnan(result.history["loss"][-1])
    kept = zoo.load_model(tmp_path / "run" / "checkpoints" / "last.keras")
    for saved, first in zip(kept.get_weights(), diverge.first_epoch, strict=True):
        np.testing.assert_array_equal(saved, first)  # the first epoch's weights, all finite


def test_the_last_finite_checkpoint_never_leaves_half_a_file(tmp_path, monkeypatch):
    model = small()
    checkpoint = LastFiniteCheckpoint(tmp_path / "last.keras")
    checkpoint.set_model(model)

    def interrupted(path, *args, **kwargs):
        open(path, "wb").write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(0, {"loss": 1.0})
    assert list(tmp_path.iterdir()) == []


def test_frechet_distance_is_zero_for_the_same_sample_and_grows_with_a_shift():
    features = RNG.normal(size=(500, 4))
    assert abs(frechet_distance(features, features)) < 1e-9
    # Same covariance, mean moved by 3 along one axis: the distance is 9 (up to sampling).
    assert abs(frechet_distance(features, features + [3, 0, 0, 0]) - 9.0) < 1e-6
    with pytest.raises(ValueError, match="more examples than features"):
        frechet_distance(features[:3], features[:3])


def test_class_coverage_runs_from_collapse_to_uniform():
    assert class_coverage(np.zeros(100, int), 10) == 0.0
    assert math.isclose(class_coverage(np.arange(100) % 10, 10), 1.0)


@pytest.mark.slow
def test_half_an_epoch_on_mnist_moves_the_samples_towards_the_digits():
    # The Frechet distance in the space of the digits' 20 leading principal components
    # (cheap, no judge to train): a dense GAN's samples after 400 steps (25,600 digits) sit
    # far closer to the test digits than an untrained generator's.
    from sklearn.decomposition import PCA

    from zoo.generative.measure import images_and_labels

    digits, _ = images_and_labels("mnist", "test")
    pca = PCA(20, random_state=0).fit(digits.reshape(len(digits), -1))

    def distance(model):
        samples = model.sample(2000, seed=0).numpy()
        return frechet_distance(pca.transform(digits.reshape(len(digits), -1)),
                                pca.transform(samples.reshape(len(samples), -1)))

    keras.utils.set_random_seed(0)
    model = compile_with_recipe(zoo.get_model("gan", seed=0), zoo.model_card("gan"))
    untrained = distance(model)
    train = zoo.data.load("mnist", "train", batch_size=64, seed=0).take(400)
    model.fit(train, epochs=1, verbose=0, shuffle=False)
    trained = distance(model)
    assert trained < untrained / 4, (trained, untrained)


def test_every_gan_has_its_sample_quality_recorded():
    for name in GANS:
        row = zoo.model_card(name).measured["classifier_fid"]
        assert row["real_fid_floor"] < row["value"], row
        assert 0.0 < row["class_coverage"] <= 1.0
        assert ("class_consistency" in row) == (zoo.model_card(name).num_classes is not None)
        assert len(row["d_accuracy_by_epoch"]) == row["epochs_run"] == row["epochs_max"]


def test_conditional_samples_are_judged_as_the_class_asked_for():
    for name in ("cgan", "conditional_dcgan"):
        row = zoo.model_card(name).measured["classifier_fid"]
        assert row["class_consistency"] > 0.9, row


def test_the_readme_quotes_the_recorded_figures():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in GANS:
        row = zoo.model_card(name).measured["classifier_fid"]
        for key in ("value", "real_fid_floor", "class_coverage", "class_consistency"):
            if key in row:
                assert str(row[key]) in readme, (name, key, row[key])
