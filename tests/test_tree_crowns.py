"""deepforest_trees: DeepForest's real aerial tree-crown boxes tiled into a detection dataset
(zoo.data.tree_crowns), built as a TFDS dataset in a data directory of this module's."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

import zoo
import zoo.data
from tests.helpers import prepared_apart
from zoo.data import tree_crowns
from zoo.data.sources import CorruptDatasetError
from zoo.detection.measure import grid_baseline
from zoo.registry import card_of
from zoo.train.dataset_fit import build_for_dataset

NAME = "deepforest_trees"
TILE = 200


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with prepared_apart(NAME, tmp_path_factory.mktemp("tensorflow_datasets")) as path:
        yield path


def test_the_sources_hold_deepforests_951_crowns_inside_their_images():
    sources = tree_crowns.read_sources()
    assert sum(len(s.boxes) for s in sources) == 951
    for source in sources:
        height, width = source.pixels.shape[:2]
        assert source.pixels.dtype == np.uint8 and source.pixels.shape[2] == 3
        assert (source.boxes >= 0).all() and (source.boxes[:, [0, 2]] <= width).all()
        assert (source.boxes[:, [1, 3]] <= height).all()


def test_tiles_split_each_image_left_train_right_test_and_keep_its_crowns(built):
    builder = tfds.builder_from_directory(str(built))
    sizes = {split: builder.info.splits[split].num_examples for split in ("train", "test")}
    assert sizes == tree_crowns.TreeCrownRecipe().split_sizes == {"train": 120, "test": 50}
    # The first tile: the top-left 200x200 of the first image, its crowns clipped to it.
    first = next(iter(tfds.as_numpy(builder.as_dataset(split="train", shuffle_files=False))))
    source = tree_crowns.read_sources()[0]
    np.testing.assert_array_equal(first["image"], source.pixels[:TILE, :TILE])
    expected = tree_crowns.crowns_in(source.boxes, (0, 0, TILE, TILE), 0.5)
    stored = first["objects"]["bbox"][:, [1, 0, 3, 2]] * TILE
    np.testing.assert_allclose(stored, expected, atol=1e-3)
    assert (first["objects"]["label"] == 0).all()


def test_a_crown_across_a_tile_edge_is_kept_clipped_only_when_mostly_inside():
    boxes = np.array([[190, 10, 210, 30],    # half inside: kept, clipped
                      [195, 40, 215, 60],    # a quarter inside: left out
                      [10, 10, 50, 50],      # wholly inside
                      [250, 10, 260, 20]],   # outside
                     np.float32)
    kept = tree_crowns.crowns_in(boxes, (0, 0, 200, 200), 0.5)
    np.testing.assert_array_equal(kept, [[190, 10, 200, 30], [10, 10, 50, 50]])
    # The tile to the right: the first crown's other half, three quarters of the second.
    moved = tree_crowns.crowns_in(boxes, (200, 0, 400, 200), 0.5)
    np.testing.assert_array_equal(moved, [[0, 10, 10, 30], [0, 40, 15, 60], [50, 10, 60, 20]])


def test_the_pipeline_feeds_rgb_tiles_and_refuses_masks(built):
    images, targets = next(iter(zoo.data.load(NAME, "test", batch_size=5, shuffle=False)))
    assert images.shape == (5, TILE, TILE, 3)
    assert targets["boxes"].shape == (5, 24, 4)
    grey, _ = next(iter(zoo.data.load(NAME, "test", batch_size=5, shuffle=False, channels=1)))
    assert grey.shape == (5, TILE, TILE, 1)
    with pytest.raises(ValueError, match="no segmentation maps .* targets='labels'"):
        zoo.data.load(NAME, "train", targets="segmentation")


def test_a_detector_trained_on_the_trees_sees_colour_and_one_class():
    detector = build_for_dataset(card_of("retinanet_resnet18"), NAME)
    assert detector.num_classes == 1 and detector.channels == 3


def test_the_size_only_baseline_tiles_the_median_training_box(built):
    truths = [{"boxes": np.zeros((0, 4)), "classes": np.zeros(0, int)}] * 3
    guesses, grid = grid_baseline(NAME, truths)
    assert len(guesses) == 3 and 30 < grid["box_width"] < 50
    boxes = guesses[0]["boxes"]
    assert len(boxes) == grid["boxes_per_image"] and boxes.max() <= TILE
    np.testing.assert_allclose(boxes[:, 2] - boxes[:, 0], grid["box_width"], atol=0.06)


@pytest.mark.parametrize("options, message", [
    (dict(test_share=1.0), "test_share=1.0"),
    (dict(min_visible=1.5), "min_visible=1.5"),
    (dict(max_objects=3), "holds .* crowns, more than max_objects=3"),
    (dict(tile_size=1500), "without two columns"),
])
def test_bad_recipes_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        recipe = tree_crowns.TreeCrownRecipe(**options)
        list(recipe.examples()["train"])


def test_a_corrupt_annotation_is_named(tmp_path, monkeypatch):
    broken = tmp_path / "OSBS_029.xml"
    broken.write_text("<annotation><filename>OSBS_029.tif</filename><object>")
    monkeypatch.setattr(tree_crowns, "locate_package_files", lambda *args: [broken])
    with pytest.raises(CorruptDatasetError, match="OSBS_029.xml is not a Pascal VOC"):
        tree_crowns.read_sources()
