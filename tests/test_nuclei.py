"""stardist_nuclei: StarDist's real nuclei image and instance masks tiled into a detection and
segmentation dataset (zoo.data.nuclei), built as a TFDS dataset in a data directory of this
module's and fed by the detection pipeline."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

import zoo
import zoo.data
from tests.helpers import prepared_apart
from zoo.data import nuclei
from zoo.data.canvas import tight_box
from zoo.data.sources import CorruptDatasetError
from zoo.registry import card_of
from zoo.train.dataset_fit import build_for_dataset

NAME = "stardist_nuclei"
TILE = 64


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with prepared_apart(NAME, tmp_path_factory.mktemp("tensorflow_datasets")) as path:
        yield path


def stored(path, split):
    builder = tfds.builder_from_directory(str(path))
    return list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))


def test_tiles_cover_the_image_exactly_left_columns_train_right_columns_test(built):
    image, labels = nuclei.read_source()
    assert image.shape == labels.shape == (512, 512)
    assert len(np.unique(labels[labels > 0])) == 125
    train, test = stored(built, "train"), stored(built, "test")
    assert (len(train), len(test)) == (48, 16)
    scaled = nuclei.to_uint8(image)
    # Row-major over the grid: 6 train columns, then 2 test columns, per row.
    for index, example in enumerate(train + test):
        if index < 48:
            row, column = divmod(index, 6)
        else:
            row, column = divmod(index - 48, 2)
            column += 6
        window = np.s_[row * TILE:(row + 1) * TILE, column * TILE:(column + 1) * TILE]
        np.testing.assert_array_equal(example["image"][..., 0], scaled[window])
        np.testing.assert_array_equal(example["segmentation"][..., 0] == 1, labels[window] > 0)


def test_every_instance_owns_its_pixels_and_its_box_is_tight(built):
    for example in stored(built, "train") + stored(built, "test"):
        owners = example["instances"][..., 0]
        boxes = np.rint(example["objects"]["bbox"][:, [1, 0, 3, 2]] * TILE).astype(int)
        assert len(boxes) == owners.max() >= 1
        assert (example["objects"]["label"] == 0).all()
        for owner, box in enumerate(boxes, start=1):
            assert tuple(box) == tight_box(owners == owner)
        np.testing.assert_array_equal(example["segmentation"][..., 0], owners > 0)


def test_the_pipeline_feeds_class_maps_and_padded_boxes(built):
    info = zoo.data.dataset_info(NAME)
    assert (info.task, info.input_shape, info.class_names) == ("detection", (64, 64, 1),
                                                               ("nucleus",))
    images, maps = next(iter(zoo.data.load(NAME, "test", batch_size=16, shuffle=False,
                                           targets="segmentation")))
    assert images.shape == (16, 64, 64, 1) and maps.shape == (16, 64, 64)
    assert set(np.unique(maps.numpy())) == {0, 1}
    images, targets = next(iter(zoo.data.load(NAME, "test", batch_size=4, shuffle=False)))
    assert targets["boxes"].shape == (4, 16, 4) and targets["classes"].shape == (4, 16)


def test_a_segmenter_trained_on_the_nuclei_has_a_background_and_a_nucleus_class():
    model = build_for_dataset(card_of("fcn8s_resnet18"), NAME)
    assert model.output_shape[-1] == 2
    detector = build_for_dataset(card_of("retinanet_resnet18"), NAME)
    assert detector.num_classes == 1


@pytest.mark.parametrize("options, message", [
    (dict(tile_size=60), "tile_size=60 must divide"),
    (dict(train_columns=8), "train_columns=8 must leave"),
    (dict(max_objects=0), "max_objects=0"),
])
def test_bad_recipes_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        nuclei.NucleiRecipe(**options)


def test_a_tile_with_more_nuclei_than_slots_names_the_tile():
    with pytest.raises(ValueError, match="row 0, column 0 holds .* more than max_objects=1"):
        list(nuclei.NucleiRecipe(max_objects=1).examples()["train"])


def test_a_corrupt_tiff_is_named(tmp_path, monkeypatch):
    broken = tmp_path / "img2d.tif"
    broken.write_bytes(b"II*\x00 not a tiff")
    monkeypatch.setattr(nuclei, "locate_package_files", lambda *args: [broken, broken])
    with pytest.raises(CorruptDatasetError, match="img2d.tif is not a readable TIFF"):
        nuclei.read_source()
