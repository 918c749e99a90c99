"""fashion_digits_canvas: real Fashion-MNIST items and MNIST digits composed into detection and
segmentation canvases (zoo.data.canvas), built as a TFDS dataset and fed by the detection
pipeline with box-aware augmentation (zoo.data.detection_pipeline, zoo.data.box_augment).

The module builds a small version (the catalog's recipe with fewer canvases) into a TFDS
directory of its own; the full build's figures are checked by one slow test.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo.data
from zoo.data import box_augment, canvas, catalog, recompose
from zoo.data.pipeline import _read
from zoo.data.tfds_pipeline import split_slice
from zoo.detection.boxes import iou

NAME = "fashion_digits_canvas"
FULL = catalog.DATASETS[NAME]  # the catalog's own entry, before the fixture shrinks it
SIZES = {"train": 160, "test": 60}
SIDE = 128


@pytest.fixture(scope="module", autouse=True)
def small_build(tmp_path_factory):
    """The catalog's canvases, fewer of them, in a TFDS data directory of this module's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_TFDS_DIR", str(tmp_path_factory.mktemp("tensorflow_datasets")))
        info = catalog.DATASETS[NAME]
        small = dataclasses.replace(info.corpus, split_sizes=SIZES)
        patch.setitem(catalog.DATASETS, NAME, dataclasses.replace(info, corpus=small))
        yield zoo.data.prepare(NAME)


def stored(split, path=None):
    """A built split as stored, one numpy dict per canvas."""
    builder = tfds.builder_from_directory(str(path or zoo.data.prepare(NAME)))
    return list(tfds.as_numpy(builder.as_dataset(split=split)))


def pixel_boxes(example):
    """The stored boxes (TFDS's fractions ymin, xmin, ymax, xmax) as "xyxy" pixel edges."""
    return np.rint(example["objects"]["bbox"][:, [1, 0, 3, 2]] * SIDE).astype(int)


def test_the_canvases_are_a_tfds_dataset_zoo_lists_and_tfds_reads_alone(small_build):
    info = zoo.data.dataset_info(NAME)
    assert NAME in zoo.data.list_datasets()
    assert (info.task, info.source, info.input_shape) == ("detection", "tfds", (SIDE, SIDE, 1))
    assert info.class_names[:2] == ("T-shirt/top", "Trouser") and len(info.class_names) == 20
    assert info.class_names[10:12] == ("digit 0", "digit 1")
    assert small_build == zoo.data.data_dir() / NAME / "1.0.0"
    assert zoo.data.prepare(NAME) == small_build  # idempotent
    # TFDS alone, by name, from the data directory: no zoo builder is involved.
    dataset, tfds_info = tfds.load(NAME, split="test", data_dir=str(zoo.data.data_dir()),
                                   with_info=True)
    assert {s: tfds_info.splits[s].num_examples for s in SIZES} == SIZES
    assert tfds_info.features["objects"]["label"].names == list(info.class_names)
    example = next(iter(dataset))
    assert example["image"].shape == example["instances"].shape == (SIDE, SIDE, 1)
    assert example["objects"]["bbox"].dtype == tf.float32


def test_the_build_is_deterministic_for_a_seed(monkeypatch, tmp_path):
    first = {split: stored(split) for split in SIZES}
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path / "again"))
    again = {split: stored(split) for split in SIZES}
    for split in SIZES:
        for one, other in zip(first[split], again[split], strict=True):
            tf.nest.map_structure(np.testing.assert_array_equal, one, other)
    info = catalog.DATASETS[NAME]
    reseeded = dataclasses.replace(info.corpus, seed=info.corpus.seed + 1)
    monkeypatch.setitem(catalog.DATASETS, NAME, dataclasses.replace(info, corpus=reseeded))
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path / "reseeded"))
    assert not np.array_equal(stored("test")[0]["image"], first["test"][0]["image"])


@pytest.mark.parametrize("split", list(SIZES))
def test_each_box_is_exact_for_its_pasted_pixels_and_its_mask(split):
    """Every object re-rendered from its record (source split, index, size) lies on the
    canvas where its box says, its box is the tight box of its pasted pixels and of its
    instance mask, and the canvas shows its pixels wherever it owns them."""
    source_split = 0 if split == "train" else 1  # the canvases' split is the sources' split
    sources = {first: _read(name)[source_split] for name, first in canvas.SOURCES}
    counts = []
    for example in stored(split):
        image, owner = example["image"][..., 0], example["instances"][..., 0]
        labels, boxes = example["objects"]["label"], pixel_boxes(example)
        counts.append(len(labels))
        assert owner.max() <= len(labels)
        np.testing.assert_array_equal(image > 0, owner > 0)  # ink exactly where owned
        expected_classes = np.concatenate([[0], labels + 1])[owner]
        np.testing.assert_array_equal(example["segmentation"][..., 0], expected_classes)
        for number, (label, box, index, size) in enumerate(zip(
                labels, boxes, example["objects"]["source_index"], example["objects"]["size"],
                strict=True)):
            first = 0 if label < 10 else 10
            images, source_labels = sources[first]
            assert source_labels[index] == label - first  # the record names the real image
            patch = canvas.resize(images[index], size)
            pixels = patch > canvas.FOREGROUND_THRESHOLD
            x1, y1, x2, y2 = canvas.tight_box(pixels)
            # The patch's pixels, put where the box says, fill the box tightly.
            assert (box[2] - box[0], box[3] - box[1]) == (x2 - x1, y2 - y1)
            pasted = np.zeros_like(pixels, shape=(SIDE, SIDE))
            values = np.zeros_like(image)
            placed = pixels[y1:y2, x1:x2]
            pasted[box[1]:box[3], box[0]:box[2]] = placed
            values[box[1]:box[3], box[0]:box[2]] = patch[y1:y2, x1:x2] * placed
            mask = owner == number + 1
            assert canvas.tight_box(mask) == canvas.tight_box(pasted) == tuple(box)
            assert not (mask & ~pasted).any() and mask.sum() >= 0.5 * pasted.sum()
            np.testing.assert_array_equal(image[mask], values[mask])
    counts = np.bincount(counts, minlength=7)
    assert len(counts) == 7 and counts[0] > 0 and counts[6] > 0  # empty and full canvases


def test_classes_are_in_range_and_no_source_image_is_used_twice():
    for split in SIZES:
        objects = [example["objects"] for example in stored(split)]
        labels = np.concatenate([o["label"] for o in objects])
        assert set(labels.tolist()) == set(range(20))
        # (source, index) pairs: the first ten labels are Fashion-MNIST's, the rest MNIST's.
        records = {(int(label) >= 10, int(index)) for label, index in zip(
            labels, np.concatenate([o["source_index"] for o in objects]), strict=True)}
        assert len(records) == len(labels)  # so a validation carve shares none either


def test_placement_bounds_the_overlap_of_boxes():
    for example in stored("train"):
        boxes = pixel_boxes(example)
        for i in range(1, len(boxes)):
            assert canvas.box_iou(boxes[i], boxes[:i]).max() <= 0.3


def test_placement_iou_is_zoo_detections():
    rng = np.random.default_rng(0)
    corners = rng.integers(0, 100, (50, 2, 2))
    boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1) + 1], axis=1)
    expected = iou(boxes[:1], boxes).numpy()[0]
    np.testing.assert_allclose(canvas.box_iou(boxes[0], boxes), expected, rtol=1e-6)


def test_resize_is_tensorflows_antialiased_bilinear():
    image = _read("fashion_mnist")[1][0][0]
    for size in (14, 19, 28, 41, 56):
        expected = tf.image.resize(image[..., None].astype(np.float32), (size, size),
                                   method="bilinear", antialias=True).numpy()[..., 0]
        assert np.abs(canvas.resize(image, size) - expected).max() <= 0.5 + 1e-3


def test_a_split_that_would_reuse_source_images_fails_clearly():
    (images, labels), _ = _read("mnist")
    pool = canvas._Pool("mnist", images[:2], labels[:2], 10, np.random.default_rng(0))
    recipe = canvas.CanvasRecipe(max_objects=6)
    with pytest.raises(ValueError, match="need more than the 2 images of mnist's train split"):
        for seed in range(50):
            canvas.compose_canvas(recipe, [pool], np.random.default_rng(seed))


def test_the_pipeline_gives_padded_boxes_and_classes():
    dataset = zoo.data.load(NAME, "train", batch_size=8)
    images, targets = next(iter(dataset))
    assert images.shape == (8, SIDE, SIDE, 1) and images.dtype == tf.float32
    assert 0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1
    assert targets["boxes"].shape == (8, 6, 4) and targets["boxes"].dtype == tf.float32
    assert targets["classes"].shape == (8, 6) and targets["classes"].dtype == tf.int32
    train, validation = (len(zoo.data.arrays(NAME, s)[0]) for s in ("train", "validation"))
    assert (train, validation) == (144, 16)
    assert int(dataset.cardinality()) == len(list(dataset)) == 18
    images, targets = zoo.data.arrays(NAME, "test")
    for example, image, boxes, classes in zip(stored("test"), images, targets["boxes"],
                                              targets["classes"], strict=True):
        count = len(example["objects"]["label"])
        np.testing.assert_array_equal(image, example["image"] / np.float32(255))
        np.testing.assert_array_equal(boxes[:count], pixel_boxes(example))
        np.testing.assert_array_equal(classes[:count], example["objects"]["label"])
        assert (boxes[count:] == -1).all() and (classes[count:] == -1).all()
    rgb, _ = next(iter(zoo.data.load(NAME, "test", batch_size=2, channels=3)))
    assert rgb.shape == (2, SIDE, SIDE, 3)
    limited = zoo.data.load(NAME, "test", batch_size=8, limit=10)
    assert int(limited.cardinality()) == len(list(limited)) == 2


def test_masks_and_segmentation_targets_are_the_stored_maps():
    examples = stored("test")[:8]
    images, targets = next(iter(zoo.data.load(NAME, "test", batch_size=8, targets="masks")))
    assert targets["masks"].shape == (8, 6, SIDE, SIDE) and targets["masks"].dtype == tf.bool
    _, classes = next(iter(zoo.data.load(NAME, "test", batch_size=8,
                                         targets="segmentation")))
    assert classes.shape == (8, SIDE, SIDE) and classes.dtype == tf.int32
    for example, masks, class_map in zip(examples, targets["masks"].numpy(), classes.numpy(),
                                         strict=True):
        owner = example["instances"][..., 0]
        for slot, mask in enumerate(masks):
            np.testing.assert_array_equal(mask, owner == slot + 1)  # padding's id: no pixel
        np.testing.assert_array_equal(class_map, example["segmentation"][..., 0])


def augmented(augment, split="train", seed=0):
    """The whole split once, unshuffled, augmented, with masks, as numpy."""
    images, targets = zoo.data.arrays(NAME, split, augment=augment, targets="masks",
                                      seed=seed)
    return images, targets["boxes"], targets["classes"], targets["masks"]


def test_flip_mirrors_pixels_boxes_and_masks_exactly():
    images, boxes, classes, masks = augmented(None)
    flipped_images, flipped_boxes, flipped_classes, flipped_masks = augmented("flip")
    mirrored = 0
    for i in range(len(images)):
        mirror = not np.array_equal(flipped_images[i], images[i])
        mirrored += mirror
        expect = images[i][:, ::-1] if mirror else images[i]
        np.testing.assert_array_equal(flipped_images[i], expect)
        np.testing.assert_array_equal(flipped_classes[i], classes[i])
        for box, label, mask in zip(flipped_boxes[i], flipped_classes[i], flipped_masks[i],
                                    strict=True):
            if label >= 0:
                assert canvas.tight_box(mask) == tuple(box.astype(int))  # exact
        np.testing.assert_array_equal(flipped_masks[i],
                                      masks[i][:, :, ::-1] if mirror else masks[i])
    assert 0 < mirrored < len(images)


def assert_masks_inside_boxes(boxes, classes, masks, tight):
    """Every present object's mask pixel centres inside its box; padding has no mask. With
    `tight`, a box that no image edge cut has each edge within half a pixel of its mask's."""
    checked = 0
    for box, label, mask in zip(boxes.reshape(-1, 4), classes.ravel(),
                                masks.reshape(-1, SIDE, SIDE), strict=True):
        if label < 0:
            assert not mask.any() and (box == -1).all()
            continue
        rows, columns = np.nonzero(mask)
        assert len(rows), "a kept object has pixels"
        x1, y1, x2, y2 = box
        eps = 1e-3  # float32 arithmetic of the positions
        assert (x1 - eps <= columns + 0.5).all() and (columns + 0.5 <= x2 + eps).all()
        assert (y1 - eps <= rows + 0.5).all() and (rows + 0.5 <= y2 + eps).all()
        if tight and 0 < x1 and 0 < y1 and x2 < SIDE and y2 < SIDE:
            assert np.abs(np.array(canvas.tight_box(mask)) - box).max() <= 0.5 + eps
            checked += 1
    return checked


@pytest.mark.parametrize("augment", ["crop", "zoom", "zoom_crop_flip"])
def test_crops_and_zooms_keep_masks_inside_their_boxes(augment):
    _, boxes, classes, masks = augmented(augment)
    tight = augment == "crop"  # zooming in: every source pixel reaches the output
    checked = assert_masks_inside_boxes(boxes, classes, masks, tight)
    assert checked > 100 or not tight
    kept = (classes >= 0).sum()
    original = (augmented(None)[2] >= 0).sum()
    assert (kept < original) if "crop" in augment else (kept == original)  # zoom cuts none


def test_boxes_leaving_the_image_are_clipped_and_dropped_by_visible_area():
    height = width = 10
    owner = np.zeros((1, height, width), np.uint8)
    owner[0, 2:6, 1:3], owner[0, 2:6, 5:9], owner[0, 7:9, 0:2] = 1, 2, 3
    batch = {"images": tf.constant(owner[..., None] / 3.0, tf.float32),
             "boxes": tf.constant([[[1, 2, 3, 6], [5, 2, 9, 6], [0, 7, 2, 9], [-1] * 4]],
                                  tf.float32),
             "classes": tf.constant([[4, 11, 7, -1]], tf.int32),
             "instances": tf.constant(owner)}
    # Zoom in by 2 on the window starting at (x, y) = (4, 1): x' = 2 (x - 4), y' = 2 (y - 1).
    out = box_augment.scale_translate(batch, tf.constant([2.0]), tf.constant([4.0]),
                                      tf.constant([1.0]))
    np.testing.assert_array_equal(out["classes"], [[-1, 11, -1, -1]])
    # Object 2 keeps x in [5, 9) -> [2, 10), y in [2, 6) -> [2, 10): inside.
    np.testing.assert_array_equal(out["boxes"][0, 1], [2, 2, 10, 10])
    np.testing.assert_array_equal(out["instances"][0], np.repeat(np.repeat(
        owner[0, 1:6, 4:9], 2, axis=0), 2, axis=1))  # each source pixel becomes 2x2
    # Shifted left by 7, object 2 keeps half its area, which is enough; by 8, a quarter.
    half = box_augment.scale_translate(batch, tf.constant([1.0]), tf.constant([7.0]),
                                       tf.constant([0.0]))
    np.testing.assert_array_equal(half["boxes"][0, 1], [0, 2, 2, 6])
    np.testing.assert_array_equal(half["classes"], [[-1, 11, -1, -1]])
    np.testing.assert_array_equal(half["instances"][0, :, :3], owner[0, :, 7:])
    quarter = box_augment.scale_translate(batch, tf.constant([1.0]), tf.constant([8.0]),
                                          tf.constant([0.0]))
    np.testing.assert_array_equal(quarter["classes"], [[-1, -1, -1, -1]])
    np.testing.assert_array_equal(quarter["boxes"], -np.ones((1, 4, 4)))


def test_augmentation_draws_anew_every_epoch_and_the_seed_fixes_them():
    def epochs(dataset):
        return [np.concatenate([t["boxes"].numpy() for _, t in dataset]) for _ in range(2)]

    options = dict(batch_size=32, shuffle=False, augment="crop_flip")
    first, second = epochs(zoo.data.load(NAME, "test", **options))
    assert not np.array_equal(first, second)
    again = epochs(zoo.data.load(NAME, "test", **options))
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)


@pytest.mark.parametrize(("name", "options", "message"), [
    (NAME, {"augment": "rotate"}, r"augment='rotate' is not a box-aware augmentation"),
    (NAME, {"augment": "binarize"}, r"augment='binarize' is not a box-aware augmentation"),
    (NAME, {"targets": "boxes"}, r"targets='boxes' is not allowed"),
    (NAME, {"classes": (0, 1)}, r"classes=\(0, 1\): not options of the detection dataset"),
    (NAME, {"image_size": 64}, r"image_size=64: not options of the detection dataset"),
    (NAME, {"channels": 2}, r"channels=2 is not allowed"),
    (NAME, {"split": "dev"}, r"split='dev' is not allowed"),
    (NAME, {"limit": 0}, r"limit=0 must be a positive integer"),
    ("mnist", {"targets": "segmentation"}, r"targets='segmentation' applies to detection"),
    ("mnist", {"augment": "zoom"}, r"augment='zoom': 'zoom' is not a known augmentation"),
    (NAME, {"augment": "recompose", "split": "test"},
     r"augment='recompose' composes new training canvases; the 'test' split keeps"),
    ("stardist_nuclei", {"augment": "recompose"}, r"not composed, so there is nothing to"),
])
def test_bad_options_name_themselves(name, options, message):
    with pytest.raises(ValueError, match=message):
        zoo.data.load(name, **options)


def recomposed(seed=0, targets="masks"):
    """Two epochs of recomposed training batches, as numpy."""
    dataset = zoo.data.load(NAME, "train", batch_size=48, augment="recompose", seed=seed,
                            targets=targets)
    assert int(dataset.cardinality()) == 3  # 144 canvases an epoch, as the stored split
    return [[tf.nest.map_structure(lambda t: t.numpy(), batch) for batch in dataset]
            for _ in range(2)]


def test_recompose_composes_new_exact_canvases_every_epoch():
    epochs = recomposed()
    counts = []
    for images, targets in (batch for epoch in epochs for batch in epoch):
        assert images.shape[1:] == (SIDE, SIDE, 1) and 0 <= images.min() <= images.max() <= 1
        for image, boxes, classes, masks in zip(images[..., 0], targets["boxes"],
                                                targets["classes"], targets["masks"],
                                                strict=True):
            present = classes >= 0
            counts.append(int(present.sum()))
            assert present[:present.sum()].all()  # objects first, then padding
            assert (boxes[~present] == -1).all() and not masks[~present].any()
            assert set(classes[present].tolist()) <= set(range(20))
            np.testing.assert_array_equal(image > 0, masks.any(axis=0))  # ink where owned
            for number, (box, mask) in enumerate(zip(boxes[present], masks[present],
                                                     strict=True)):
                assert canvas.tight_box(mask) == tuple(int(v) for v in box)  # exact boxes
                if number:
                    assert canvas.box_iou(box, boxes[:number]).max() <= 0.3
    assert np.bincount(counts, minlength=7)[[0, 6]].all()  # empty and full canvases
    first, second = ([images for images, _ in epoch] for epoch in epochs)
    assert not np.array_equal(first[0], second[0])  # new canvases every epoch
    stored_images = np.stack([e["image"][..., 0] for e in stored("train")]) / np.float32(255)
    assert not (stored_images == first[0][0, ..., 0]).all(axis=(1, 2)).any()
    again = recomposed()  # the seed fixes every epoch's canvases
    tf.nest.map_structure(np.testing.assert_array_equal, again, epochs)
    assert not np.array_equal(recomposed(seed=1)[0][0][0], first[0])


def test_recompose_paints_class_maps_from_the_same_canvases():
    (masks_epoch, _), (maps_epoch, _) = recomposed(), recomposed(targets="segmentation")
    for (images, targets), (same_images, class_maps) in zip(masks_epoch, maps_epoch,
                                                            strict=True):
        np.testing.assert_array_equal(images, same_images)
        painted = np.zeros_like(class_maps)
        for slot in range(targets["classes"].shape[1]):
            painted += targets["masks"][:, slot] * (targets["classes"][:, slot, None, None] + 1)
        np.testing.assert_array_equal(class_maps, painted)


def test_recompose_never_uses_a_validation_canvas_source_item():
    info = zoo.data.dataset_info(NAME)
    held = recompose.validation_items(info, 0.1, seed=0)
    expected = {name: set() for name, _ in canvas.SOURCES}
    builder = tfds.builder_from_directory(str(zoo.data.prepare(NAME)))
    spec, count = split_slice(builder, "validation", 0.1, 0)
    for example in tfds.as_numpy(builder.as_dataset(split=spec)):
        for label, index in zip(example["objects"]["label"], example["objects"]["source_index"],
                                strict=True):
            expected["mnist" if label >= 10 else "fashion_mnist"].add(int(index))
    assert count == 16 and all(expected.values())
    assert {name: set(indices.tolist()) for name, indices in held.items()} == expected
    (images, labels), _ = _read("mnist")
    pool = canvas._Pool("mnist", images, labels, 10, np.random.default_rng(0),
                        exclude=held["mnist"])
    handed = {pool.take("train")[2] for _ in range(len(images) - len(held["mnist"]))}
    assert handed == set(range(len(images))) - expected["mnist"]
    with pytest.raises(ValueError, match="need more than"):
        pool.take("train")


def test_raw_arrays_points_to_the_padded_arrays():
    with pytest.raises(ValueError, match="zoo.data.arrays gives them padded"):
        zoo.data.raw_arrays(NAME, "test")


@pytest.mark.parametrize(("options", "message"), [
    ({"max_iou": 1.5}, r"max_iou=1.5 must be a number in \[0, 1\)"),
    ({"object_sizes": (60, 20)}, r"object_sizes=\(60, 20\) must be the \(smallest, largest\)"),
    ({"object_sizes": (14, 200)}, r"largest <= canvas_size \(128\)"),
    ({"split_sizes": {"train": 10}}, r"split_sizes=\{'train': 10\} must give the canvases"),
    ({"split_sizes": {"train": 10, "test": 0}}, r"split_sizes\['test'\]=0 must be a positive"),
])
def test_bad_recipes_name_the_field(options, message):
    with pytest.raises(ValueError, match=message):
        canvas.CanvasRecipe(**options)


@pytest.mark.slow
def test_the_full_build_has_the_documented_figures(monkeypatch, tmp_path):
    monkeypatch.setitem(catalog.DATASETS, NAME, FULL)
    monkeypatch.setenv("ZOO_TFDS_DIR", str(tmp_path))
    info = zoo.data.dataset_info(NAME)
    builder = tfds.builder_from_directory(str(zoo.data.prepare(NAME)))
    sizes = {split: builder.info.splits[split].num_examples for split in ("train", "test")}
    assert sizes == {"train": 7000, "test": 1000}
    assert "7,000 train / 1,000 test canvases" in info.description
    for split in sizes:
        counts = [len(e["objects"]["label"]) for e in tfds.as_numpy(
            builder.as_dataset(split=split, decoders={
                name: tfds.decode.SkipDecoding() for name in
                ("image", "instances", "segmentation")}))]
        shares = np.bincount(counts, minlength=7) / len(counts)
        assert len(shares) == 7 and np.abs(shares - 1 / 7).max() < 0.03  # uniform 0..6
