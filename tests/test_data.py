"""zoo.data: real datasets, splits, the canonical pipeline and the errors users see."""

import gzip

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.data
from zoo.data import sources
from zoo.data.pipeline import _read


def test_fashion_mnist_is_the_full_real_dataset():
    sizes = {s: len(zoo.data.raw_arrays("fashion_mnist", s)[0]) for s in zoo.data.SPLITS}
    assert sizes == {"train": 54000, "validation": 6000, "test": 10000}
    x, y = zoo.data.raw_arrays("fashion_mnist", "test")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10  # the real test split is balanced


# Text datasets (from TFDS, yielding strings) have their own tests in test_text_data.py.
@pytest.mark.parametrize("name", [n for n in zoo.data.list_datasets()
                                  if zoo.data.dataset_info(n).source == "memory"])
def test_every_dataset_loads_as_batched_float32(name):
    info = zoo.data.dataset_info(name)
    x, y = next(iter(zoo.data.load(name, "test", batch_size=8)))
    assert x.shape == (8, *info.input_shape) and x.dtype == tf.float32
    if info.task == "image-classification":
        assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
        assert set(y.numpy()) <= set(range(info.num_classes))


def test_validation_is_carved_from_train_with_a_fixed_seed_and_disjoint():
    train, _ = zoo.data.raw_arrays("digits", "train", seed=3)
    validation, _ = zoo.data.raw_arrays("digits", "validation", seed=3)
    again, _ = zoo.data.raw_arrays("digits", "validation", seed=3)
    other, _ = zoo.data.raw_arrays("digits", "validation", seed=4)
    rows = {r.tobytes() for r in train}
    assert not any(r.tobytes() in rows for r in validation[:50])
    np.testing.assert_array_equal(validation, again)
    assert not np.array_equal(validation, other)
    assert len(train) + len(validation) == 1438


def test_test_split_does_not_depend_on_validation_options():
    a, _ = zoo.data.raw_arrays("digits", "test", seed=0, validation_fraction=0.1)
    b, _ = zoo.data.raw_arrays("digits", "test", seed=9, validation_fraction=0.3)
    np.testing.assert_array_equal(a, b)


def test_train_pipeline_reshuffles_each_epoch_and_test_keeps_order():
    train = zoo.data.load("digits", "train", batch_size=32)
    first = next(iter(train))[1].numpy()
    second = next(iter(train))[1].numpy()
    assert not np.array_equal(first, second)
    test = zoo.data.load("digits", "test", batch_size=32)
    np.testing.assert_array_equal(next(iter(test))[1], next(iter(test))[1])


def test_pipeline_and_in_memory_arrays_hold_the_same_examples():
    x, y = zoo.data.arrays("mnist_5k", "test")
    batches = list(zoo.data.load("mnist_5k", "test", batch_size=300))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)


def test_classes_selects_and_renumbers_labels():
    x, y = zoo.data.raw_arrays("fashion_mnist", "test", classes=(7, 5))
    assert len(x) == 2000 and set(y.tolist()) == {0, 1}
    full_x, full_y = zoo.data.raw_arrays("fashion_mnist", "test")
    np.testing.assert_array_equal(x[y == 0], full_x[full_y == 7])


def test_augment_runs_after_the_cache_every_epoch():
    def flip(x, y):
        return tf.image.flip_left_right(x), y

    plain = next(iter(zoo.data.load("digits", "test", batch_size=4)))[0]
    flipped = next(iter(zoo.data.load("digits", "test", batch_size=4, augment=flip)))[0]
    np.testing.assert_array_equal(flipped.numpy(), plain.numpy()[:, :, ::-1, :])


def test_crop_flip_shifts_and_flips_each_image_on_its_own():
    pad = 3
    plain, labels = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=64)))
    augmented, augmented_labels = next(iter(zoo.data.load(
        "fashion_mnist", "test", batch_size=64, augment="crop_flip")))
    np.testing.assert_array_equal(augmented_labels, labels)
    assert augmented.shape == plain.shape
    padded = np.pad(plain.numpy(), [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    offsets, flips = set(), set()
    for image, source in zip(augmented.numpy(), padded, strict=True):
        # Each augmented image is one window of its padded original, flipped or not.
        matches = [(top, left, flip) for top in range(2 * pad + 1)
                   for left in range(2 * pad + 1) for flip in (False, True)
                   if np.array_equal(image, (lambda w: w[:, ::-1] if flip else w)(
                       source[top:top + 28, left:left + 28]))]
        assert matches, "an augmented image is not a shifted (and flipped) original"
        offsets.add(matches[0][:2])
        flips.add(matches[0][2])
    assert len(offsets) > 5 and flips == {False, True}, "draws differ from image to image"


def test_augmentation_draws_anew_every_epoch_and_the_seed_fixes_the_draws():
    def epochs(dataset, count=2):
        return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(count)]

    options = dict(batch_size=64, limit=256, shuffle=False, augment="crop_flip")
    keras.utils.set_random_seed(0)  # as zoo.train does: it must not freeze the draws
    first, second = epochs(zoo.data.load("fashion_mnist", "test", **options))
    assert not np.array_equal(first, second)
    again = epochs(zoo.data.load("fashion_mnist", "test", **options))
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)
    other_seed = epochs(zoo.data.load("fashion_mnist", "test", seed=1, **options), count=1)
    assert not np.array_equal(other_seed[0], first)


def test_named_augmentations_apply_to_image_datasets_only():
    with pytest.raises(ValueError, match="augment='flip' applies to image datasets"):
        zoo.data.load("diabetes", augment="flip")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"split": "dev"}, r"split='dev'"),
    ({"batch_size": 0}, r"batch_size=0"),
    ({"validation_fraction": 1.0}, r"validation_fraction=1.0"),
    ({"classes": (3,)}, r"at least two"),
    ({"classes": (0, 12)}, r"\[12\] are not labels"),
    ({"augment": "spin"}, r"augment='spin': 'spin' is not a known augmentation"),
    ({"augment": 3}, r"augment=3 must be None, the name of an augmentation"),
])
def test_bad_options_raise_value_error(kwargs, message):
    options = {"split": "train", **kwargs}
    with pytest.raises(ValueError, match=message):
        zoo.data.load("digits", **options)


def test_unknown_dataset_names_close_matches():
    with pytest.raises(ValueError, match=r"unknown dataset 'fashion'.*fashion_mnist"):
        zoo.data.load("fashion")


@pytest.fixture
def no_fashion_mnist(monkeypatch, tmp_path):
    """A machine where neither the Keras cache nor Debian's copy has Fashion-MNIST."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(sources, "SYSTEM_DATA_DIRS", (tmp_path / "usr-share",))
    _read.cache_clear()
    yield tmp_path
    _read.cache_clear()


def test_missing_dataset_says_where_it_looked_and_how_to_get_it(no_fashion_mnist):
    with pytest.raises(zoo.data.DatasetNotFoundError) as error:
        zoo.data.load("fashion_mnist")
    message = str(error.value)
    assert str(no_fashion_mnist / "keras" / "datasets" / "fashion-mnist") in message
    assert str(no_fashion_mnist / "usr-share" / "fashion-mnist") in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_corrupt_dataset_file_is_named(no_fashion_mnist):
    folder = no_fashion_mnist / "keras" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in sources.FASHION_MNIST_FILES.values():
        with gzip.open(folder / name, "wb") as handle:
            handle.write(b"\x00\x00\x08\x01\x00\x00\x00\x05ab")  # says 5 labels, has 2
    with pytest.raises(zoo.data.CorruptDatasetError, match="truncated"):
        zoo.data.load("fashion_mnist")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(zoo.data.CorruptDatasetError, match="train-images-idx3-ubyte.gz"):
        zoo.data.load("fashion_mnist")


def test_images_can_be_resized_and_made_rgb_for_colour_networks():
    x, _ = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=2, image_size=32,
                                   channels=3)))
    assert x.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    with pytest.raises(ValueError, match="channels=2"):
        zoo.data.load("fashion_mnist", channels=2)
    with pytest.raises(ValueError, match="not diabetes"):
        zoo.data.load("diabetes", image_size=32)


def test_per_example_and_per_batch_preprocessing_agree():
    def identity(x, y):
        return x, y

    plain = next(iter(zoo.data.load("digits", "test", batch_size=16, image_size=12)))[0]
    mapped = next(iter(zoo.data.load("digits", "test", batch_size=16, image_size=12,
                                     augment=identity)))[0]
    np.testing.assert_allclose(mapped.numpy(), plain.numpy(), atol=1e-6)


def test_shared_raw_arrays_cannot_be_corrupted_in_place():
    x, _ = zoo.data.raw_arrays("digits", "test")
    with pytest.raises(ValueError, match="read-only"):
        x[0, 0, 0] = 1


def test_every_epoch_is_a_permutation_and_the_seed_fixes_the_order():
    _, labels = zoo.data.raw_arrays("digits", "train", seed=5)
    epochs = []
    for _ in range(2):
        dataset = zoo.data.load("digits", "train", batch_size=100, seed=5)
        epochs += [np.concatenate([y.numpy() for _, y in dataset]) for _ in range(2)]
    for epoch in epochs:
        np.testing.assert_array_equal(np.sort(epoch), np.sort(labels))
    assert not np.array_equal(epochs[0], epochs[1]), "a new order each epoch"
    np.testing.assert_array_equal(epochs[0], epochs[2])  # same seed, same sequence of orders
    np.testing.assert_array_equal(epochs[1], epochs[3])


def test_drop_remainder_keeps_only_full_batches():
    sizes = [len(y) for _, y in zoo.data.load("digits", "test", batch_size=100,
                                              drop_remainder=True)]
    assert sizes == [100, 100, 100]


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_pipelines_know_their_length(drop_remainder):
    dataset = zoo.data.load("digits", "test", batch_size=100, drop_remainder=drop_remainder)
    assert int(dataset.cardinality()) == len(list(dataset)) == (3 if drop_remainder else 4)
