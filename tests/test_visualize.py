"""Filter and activation-map pictures of a conv layer."""

import numpy as np
import pytest

import zoo
import zoo.visualize as visualize


@pytest.fixture(scope="module")
def lenet():
    return zoo.get_model("lenet5_functional")


def test_filters_and_activations_are_written_as_png(lenet, tmp_path):
    filters = visualize.plot_filters(lenet, "c1", tmp_path / "filters.png")
    image = zoo.data.arrays("fashion_mnist", "test", limit=1)[0][0]
    maps = visualize.plot_activations(lenet, "c3", image, tmp_path / "maps" / "c3.png")
    for path in (filters, maps):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_activation_maps_are_the_layer_outputs(lenet):
    image = np.random.default_rng(0).random((28, 28, 1), dtype=np.float32)
    maps = visualize.activation_maps(lenet, "c1", image)
    assert maps.shape == (28, 28, 6)
    expected = lenet.get_layer("c1")(image[None]).numpy()[0]
    np.testing.assert_allclose(maps, expected, atol=1e-6)


def test_only_conv_layers_can_be_shown(lenet, tmp_path):
    with pytest.raises(ValueError, match="'f6' is a Dense"):
        visualize.plot_filters(lenet, "f6", tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"no layer 'conv9'.*\['c1', 'c3', 'c5'\]"):
        visualize.plot_filters(lenet, "conv9", tmp_path / "x.png")
