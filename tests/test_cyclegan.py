"""CycleGAN: unpaired domains from the data pipeline, a step changes all four networks, the
cycle and identity terms, the exported translate signatures, and bad input."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.generative.cyclegan import CycleGAN
from zoo.generative.measure_image_to_image import silhouette_iou
from zoo.train import compile_with_recipe

NAME = "cyclegan_sneaker_to_boot"
SMALL = {"filters": (8, 16), "residual_blocks": 1, "critic_filters": (8, 16)}


def test_unpaired_domains_are_the_two_classes_each_in_full():
    sneakers, boots = (np.concatenate(side) for side in zip(*(
        (a.numpy(), b.numpy()) for a, b in zoo.data.load("fashion_mnist", "test",
                                                         batch_size=300, domains=(7, 9))),
        strict=True))
    x, y = zoo.data.raw_arrays("fashion_mnist", "test")
    for images, label in ((sneakers, 7), (boots, 9)):
        expected = x[y == label]
        assert images.shape == (1000, 28, 28, 1) and len(expected) == 1000
        # The same images (the pipeline scales them to [0, 1]), in the pipeline's order.
        assert images.sum() * 255 == pytest.approx(float(expected.sum()), rel=1e-4)


def test_training_batches_of_the_two_domains_are_shuffled_apart():
    data = zoo.data.load("fashion_mnist", "train", batch_size=16, domains=(7, 9), limit=400)
    (a1, b1), (a2, _) = (next(iter(data)) for _ in range(2))
    assert a1.shape == b1.shape == (16, 28, 28, 1)
    assert not np.array_equal(a1, a2)  # a new order every epoch


def test_a_step_changes_all_four_networks():
    card = zoo.model_card(NAME)
    model = compile_with_recipe(zoo.get_model(NAME, **SMALL), card)
    rng = np.random.default_rng(0)
    a, b = (rng.random((4, 28, 28, 1), dtype=np.float32) for _ in range(2))
    networks = model.generators + model.critics
    before = [network.get_weights() for network in networks]
    logs = model.train_on_batch(a, b, return_dict=True)
    assert set(logs) == {"loss", "d_loss", "g_loss", "cycle", "identity", "d_accuracy"}
    for old, network in zip(before, networks, strict=True):
        assert any(not np.array_equal(x, y) for x, y in zip(old, network.get_weights(),
                                                            strict=True)), network.name


def test_the_loss_is_adversarial_plus_weighted_cycle_and_identity_terms():
    model = CycleGAN(**SMALL, cycle_weight=10.0, identity_weight=0.0)
    rng = np.random.default_rng(1)
    a, b = (rng.random((3, 28, 28, 1), dtype=np.float32) for _ in range(2))
    terms = {k: float(v) for k, v in model.losses_on(a, b).items()}
    assert terms["identity"] == 0.0
    fake_b = model.a_to_b(a).numpy()
    cycled = model.b_to_a((fake_b + 1) / 2).numpy()
    fake_a = model.b_to_a(b).numpy()
    expected_cycle = (np.mean(np.abs(cycled - (2 * a - 1)))
                      + np.mean(np.abs(model.a_to_b((fake_a + 1) / 2).numpy() - (2 * b - 1))))
    assert terms["cycle"] == pytest.approx(expected_cycle, rel=1e-4)
    total = float(model.compute_loss(a, b, training=False))
    assert total == pytest.approx(terms["d_loss"] + terms["g_loss"] + 10 * terms["cycle"],
                                  rel=1e-4)


def test_the_savedmodel_translates_both_ways(tmp_path):
    model = zoo.get_model(NAME, **SMALL)
    images = np.random.default_rng(2).random((3, 28, 28, 1), dtype=np.float32)
    loaded = tf.saved_model.load(str(zoo.export(model, root=tmp_path)))
    assert {"serving_default", "translate_back"} <= set(loaded.signatures)
    for signature, direction in (("serving_default", "a_to_b"), ("translate_back", "b_to_a")):
        served = loaded.signatures[signature](image=tf.constant(images))["translated"]
        np.testing.assert_allclose(served.numpy(), model.translate(images, direction).numpy(),
                                   atol=1e-5)
        assert 0.0 <= served.numpy().min() and served.numpy().max() <= 1.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="image must be a batch"):
        loaded.signatures["translate_back"](image=tf.zeros((1, 14, 14, 1)))


def test_silhouette_iou_is_one_for_the_same_outline_and_zero_for_disjoint_ones():
    left, right = np.zeros((2, 28, 28, 1), "float32"), np.zeros((2, 28, 28, 1), "float32")
    left[:, :, :14], right[:, :, 14:] = 0.8, 0.3
    assert silhouette_iou(left, left * 0.5) == 1.0
    assert silhouette_iou(left, right) == 0.0


@pytest.mark.parametrize(("options", "message"), [
    ({"filters": (8, 16, 32, 64)}, "divide by 8"),
    ({"cycle_weight": -1.0}, "cycle_weight"),
    ({"residual_blocks": 0}, "residual_blocks=0"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        CycleGAN(**options)


def test_bad_directions_domains_and_batches_are_refused():
    model = CycleGAN(**SMALL)
    with pytest.raises(ValueError, match="direction"):
        model.translate(np.zeros((1, 28, 28, 1), "float32"), "sideways")
    with pytest.raises(ValueError, match=r"do not fit this model: it takes \(batch, 28, 28, 1\)"):
        model(np.zeros((1, 14, 14, 1), "float32"))
    with pytest.raises(ValueError, match="must name two classes"):
        zoo.data.load("fashion_mnist", "train", domains=(7, 8, 9))
    with pytest.raises(ValueError, match="leave classes="):
        zoo.data.load("fashion_mnist", "train", domains=(7, 9), classes=(7, 9))
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="domains=\\(a, b\\)"):
        model.train_step((tf.zeros((2, 28, 28, 1)),))


def test_the_recorded_translations_change_class_and_keep_the_outline():
    row = zoo.model_card(NAME).measured.get("judged_as_target")
    assert row is not None, f"run python benchmarks/image_to_image.py {NAME}"
    assert row["test_examples"] == {"Sneaker": 1000, "Ankle boot": 1000}
    for source, target, direction in (("a", "b", "a_to_b"), ("b", "a", "b_to_a")):
        # What changes: the judge calls most translations the target class, few originals.
        assert row[f"{direction}_judged_as_target"] > 0.8, row
        assert row[f"{source}_untranslated_judged_as_target"] < 0.1, row
        untranslated_fid = row[f"{source}_untranslated_classifier_fid"]
        assert row[f"{direction}_classifier_fid"] < untranslated_fid / 10, row
        # What stays: more of the input's outline than a random image of the target has.
        assert row[f"{direction}_silhouette_iou"] > row[f"{source}_random_{target}_silhouette_iou"]
        assert row[f"{source}_round_trip_psnr_db"] > 15, row


def test_the_readme_quotes_the_recorded_translations():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    row = zoo.model_card(NAME).measured["judged_as_target"]
    for key in ("a_to_b_judged_as_target", "b_to_a_judged_as_target"):
        assert f"{row[key]:.1%}" in readme, key
    for key in ("a_to_b_silhouette_iou", "b_to_a_silhouette_iou", "a_random_b_silhouette_iou",
                "b_random_a_silhouette_iou"):
        assert f"{row[key]:.3f}" in readme, key
    for key in ("a_round_trip_psnr_db", "b_round_trip_psnr_db"):
        assert f"{row[key]:.2f} dB" in readme, key
