"""pix2pix: corrupted pairs from the data pipeline, a step changes both networks, L1 alone
skips the discriminator, bad arguments, and the recorded restorations."""

import numpy as np
import pytest

import zoo
from zoo.data.corrupt import MASK_FILL, MASK_SIZE, downsample, mask_square
from zoo.generative.pix2pix import ImageToImageGAN
from zoo.train import compile_with_recipe


def test_masks_are_squares_of_grey_and_test_masks_repeat():
    pairs = zoo.data.load("mnist", "test", batch_size=8, corrupt="mask")
    (x1, y1), (x2, _) = next(iter(pairs)), next(iter(pairs))
    np.testing.assert_array_equal(x1, x2)
    hole = (x1.numpy() == MASK_FILL).reshape(8, -1).sum(axis=1)
    assert (hole <= MASK_SIZE ** 2).all() and (hole > MASK_SIZE ** 2 * 0.9).all()
    keep = x1.numpy() != MASK_FILL
    np.testing.assert_array_equal(x1.numpy()[keep], y1.numpy()[keep])


def test_downsampling_averages_blocks():
    x, y = next(iter(zoo.data.load("mnist", "test", batch_size=4, corrupt="downsample")))
    assert x.shape == (4, 14, 14, 1) and y.shape == (4, 28, 28, 1)
    np.testing.assert_allclose(x.numpy(), downsample(y).numpy())


@pytest.mark.parametrize("name", ["pix2pix_super_resolution", "pix2pix_inpainting"])
def test_a_step_changes_both_networks(name):
    card = zoo.model_card(name)
    model = compile_with_recipe(zoo.get_model(name, filters=(16, 32), bottleneck=32), card)
    x = np.random.default_rng(0).random((4, *card.input_shape), dtype=np.float32)
    y = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    before = [model.generator.get_weights(), model.discriminator.get_weights()]
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "d_loss", "g_loss", "l1", "d_accuracy"}
    for old, part in zip(before, (model.generator, model.discriminator), strict=True):
        assert any(not np.array_equal(a, b) for a, b in zip(old, part.get_weights(),
                                                             strict=True))


def test_l1_alone_leaves_the_discriminator_untouched():
    model = ImageToImageGAN(filters=(16, 32), bottleneck=32, adversarial_weight=0.0)
    model.compile(optimizer="adam")
    before = model.discriminator.get_weights()
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    logs = model.train_on_batch(x, x, return_dict=True)
    assert logs["d_loss"] == 0.0 and logs["loss"] == pytest.approx(100 * logs["l1"], rel=1e-5)
    for a, b in zip(before, model.discriminator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_mask_square_marks_the_hole():
    images = np.zeros((3, 28, 28, 1), np.float32)
    masked, mask = mask_square(images, np.array([1, 2]))
    assert mask.numpy().reshape(3, -1).sum(axis=1).tolist() == [MASK_SIZE ** 2] * 3
    np.testing.assert_array_equal(masked.numpy(), MASK_FILL * mask.numpy())


@pytest.mark.parametrize(("options", "message"), [
    ({"input_shape": (10, 10, 1)}, "whole factor"),
    ({"l1_weight": 0.0, "adversarial_weight": 0.0}, "no loss"),
    ({"output_shape": (30, 30, 1), "input_shape": (30, 30, 1)}, "divide by 4"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        ImageToImageGAN(**options)


@pytest.mark.parametrize("name", ["pix2pix_super_resolution", "pix2pix_inpainting"])
def test_the_recorded_restorations_beat_the_classical_answer(name):
    row = zoo.model_card(name).measured.get("psnr_db")
    assert row is not None, f"run python benchmarks/image_to_image.py {name}"
    assert row["test_examples"] == 10_000 and row["epochs_run"] == row["epochs_max"]
    for variant in ("pix2pix", "l1_only"):
        assert row[f"{variant}_psnr_db"] > row["classical_psnr_db"] + 4, row
        assert row[f"{variant}_classifier_fid"] < row["classical_classifier_fid"] / 10, row
    # L1 alone optimises pixel fidelity: the adversarial term never buys PSNR.
    assert row["l1_only_psnr_db"] >= row["pix2pix_psnr_db"], row


def test_the_adversarial_term_makes_invented_strokes_look_real():
    """Isola et al.'s finding, where the hole leaves something to invent: a lower FID than
    the same U-Net on L1 alone, for a little PSNR."""
    row = zoo.model_card("pix2pix_inpainting").measured["psnr_db"]
    assert row["pix2pix_classifier_fid"] < row["l1_only_classifier_fid"], row


def test_the_readme_quotes_the_recorded_restorations():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in ("pix2pix_super_resolution", "pix2pix_inpainting"):
        row = zoo.model_card(name).measured["psnr_db"]
        for variant in ("pix2pix", "l1_only", "classical"):
            assert f"{row[f'{variant}_psnr_db']:.2f} dB" in readme, (name, variant)
            assert f"{row[f'{variant}_classifier_fid']:.3f}" in readme, (name, variant)
