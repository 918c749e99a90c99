"""zoo.data.load(..., resample=...): every class drawn equally often per epoch, each
example as evenly as the draws allow, anew every epoch, for in-memory and TFDS datasets."""

import numpy as np
import pytest

import zoo
from zoo.data.resample import balanced_order


def _epochs(dataset, count=2):
    return [np.concatenate([y.numpy() for _, y in dataset]) for _ in range(count)]


@pytest.mark.parametrize("resample, per_class", [("oversample", 3020), ("undersample", 462)])
def test_spam_epochs_draw_every_class_equally(resample, per_class):
    # SMS spam's training split: 3,020 ham and 462 spam messages.
    dataset = zoo.data.load("sms_spam", "train", batch_size=256, resample=resample)
    assert int(dataset.cardinality()) == -(-2 * per_class // 256)
    first, second = _epochs(dataset)
    assert np.bincount(first).tolist() == [per_class, per_class]
    assert np.bincount(second).tolist() == [per_class, per_class]


def test_each_example_is_drawn_floor_or_ceil_times_and_epochs_differ():
    labels = np.array([0] * 10 + [1] * 3)
    order = balanced_order(labels, "oversample", np.array([0, 1])).numpy()
    assert np.bincount(labels[order]).tolist() == [10, 10]
    spam_draws = np.bincount(order, minlength=13)[10:]
    assert sorted(spam_draws.tolist()) == [3, 3, 4]  # 10 draws over 3 examples
    again = balanced_order(labels, "oversample", np.array([0, 1])).numpy()
    other = balanced_order(labels, "oversample", np.array([0, 2])).numpy()
    np.testing.assert_array_equal(order, again)
    assert not np.array_equal(order, other)
    kept = balanced_order(labels, "undersample", np.array([0, 1])).numpy()
    assert np.bincount(labels[kept]).tolist() == [3, 3] and len(set(kept)) == 6


def test_in_memory_datasets_resample_too_and_evaluation_does_not(tmp_path):
    options = dict(classes=(0, 1), limit=1200)
    plain = _epochs(zoo.data.load("fashion_mnist", "train", **options), count=1)[0]
    counts = np.bincount(plain)
    first, second = (zoo.data.load("fashion_mnist", "train", resample="oversample",
                                   shuffle=True, **options) for _ in range(2))
    a, b = _epochs(first)
    assert np.bincount(a).tolist() == np.bincount(b).tolist() == [counts.max()] * 2
    np.testing.assert_array_equal(a, _epochs(second)[0])  # the seed fixes the draws
    assert not np.array_equal(
        np.concatenate([x.numpy() for x, _ in first]),
        np.concatenate([x.numpy() for x, _ in first]))  # each epoch draws anew
    run = zoo.train("logistic_regression", epochs=1, runs_root=tmp_path, verbose=0,
                    tensorboard=False, model_options={"num_classes": 2},
                    dataset_options={**options, "resample": "undersample"})
    assert run.history["val_accuracy"], "validation ran on the unresampled split"


def test_bad_resampling_says_what_is_allowed():
    with pytest.raises(ValueError, match="resample='smote' is not allowed"):
        zoo.data.load("sms_spam", resample="smote")
    with pytest.raises(ValueError, match="diabetes is a regression dataset"):
        zoo.data.load("diabetes", resample="oversample")
    with pytest.raises(ValueError, match="leave domains=, corrupt= and targets= out"):
        zoo.data.load("fashion_mnist", targets="inputs", resample="oversample")
