"""The training techniques as options: optimizers and their settings, learning-rate
schedules and warm-up, clipping, weight decay, label smoothing and mixup's soft labels, the
new augmentations, and the MLP's initialisers, activations and normalisation."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.augment import augmentation, rotate
from zoo.objectives import LabelAccuracy, SmoothedCrossentropy
from zoo.train.schedules import LinearWarmup, learning_rate_schedule

SMALL = {"limit": 640}
QUIET = dict(verbose=0, tensorboard=False)


def _lr(schedule, step):
    return float(schedule(step)) if callable(schedule) else float(schedule)


def test_step_schedule_divides_by_ten_at_half_and_three_quarters():
    schedule = learning_rate_schedule("step", 0.1, 100)
    assert [_lr(schedule, s) for s in (0, 49, 51, 74, 76, 99)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_cosine_ends_at_zero_and_exponential_at_a_hundredth():
    cosine = learning_rate_schedule("cosine", 0.1, 100)
    assert _lr(cosine, 0) == pytest.approx(0.1) and _lr(cosine, 50) == pytest.approx(0.05)
    assert _lr(cosine, 100) == pytest.approx(0.0, abs=1e-7)
    exponential = learning_rate_schedule("exponential", 0.1, 100)
    assert _lr(exponential, 100) == pytest.approx(0.001)
    assert learning_rate_schedule("constant", 0.1, 100) == 0.1


def test_warm_up_rises_linearly_then_the_schedule_runs_over_the_rest():
    schedule = learning_rate_schedule("cosine", 0.1, 110, warmup_steps=10)
    assert [_lr(schedule, s) for s in (0, 4, 9)] == pytest.approx([0.01, 0.05, 0.1])
    assert _lr(schedule, 10) == pytest.approx(0.1)
    assert _lr(schedule, 60) == pytest.approx(0.05)  # halfway through the cosine's 100 steps
    again = LinearWarmup.from_config(json.loads(json.dumps(schedule.get_config())))
    assert _lr(again, 60) == pytest.approx(0.05)


def test_bad_schedules_name_what_is_allowed():
    with pytest.raises(ValueError, match="schedule='linear' is not allowed.*cosine"):
        learning_rate_schedule("linear", 0.1, 100)
    with pytest.raises(ValueError, match="warm-up .100 steps. must be shorter"):
        learning_rate_schedule("cosine", 0.1, 100, warmup_steps=100)
    with pytest.raises(ValueError, match="schedule='linear'"):
        zoo.train("mlp", schedule="linear")
    with pytest.raises(ValueError, match="warmup_epochs=-1"):
        zoo.train("mlp", warmup_epochs=-1)


def test_a_schedule_sets_the_learning_rate_and_replaces_reduce_on_plateau(tmp_path):
    result = zoo.train("mlp", epochs=2, schedule="step", dataset_options=SMALL,
                       runs_root=tmp_path, **QUIET)
    optimizer = result.model.optimizer
    steps = int(optimizer.iterations)
    assert steps == 2 * 5  # 640 images less a tenth for validation, batches of 128
    # After the run: three quarters passed, so a hundredth of the recipe's 1e-3.
    assert float(optimizer.learning_rate) == pytest.approx(1e-5)
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["optimizer"]["config"]["learning_rate"]["class_name"] == \
        "PiecewiseConstantDecay"
    assert "learning_rate" not in result.history  # no ReduceLROnPlateau to log it


def test_optimizer_settings_reach_the_optimizer(tmp_path):
    result = zoo.train("mlp", epochs=1, optimizer="sgd", learning_rate=0.05,
                       optimizer_options={"momentum": 0.9, "nesterov": True},
                       weight_decay=1e-4, gradient_clip_norm=1.0, dataset_options=SMALL,
                       runs_root=tmp_path, **QUIET)
    config = result.model.optimizer.get_config()
    assert isinstance(result.model.optimizer, keras.optimizers.SGD)
    assert (config["momentum"], config["nesterov"]) == (0.9, True)
    assert (config["weight_decay"], config["clipnorm"]) == (1e-4, 1.0)
    assert config["learning_rate"] == pytest.approx(0.05)


def test_bad_optimizer_settings_are_clear_errors():
    with pytest.raises(ValueError, match="optimizer='sgd' does not take these options"):
        zoo.train("mlp", optimizer="sgd", optimizer_options={"momentun": 0.9},
                  dataset_options=SMALL, **QUIET)
    with pytest.raises(ValueError, match="optimizer='adamm' is not a Keras optimizer"):
        zoo.train("mlp", optimizer="adamm", dataset_options=SMALL, **QUIET)
    with pytest.raises(ValueError, match="SGD was given built: set them on it"):
        zoo.train("mlp", optimizer=keras.optimizers.SGD(), schedule="cosine",
                  dataset_options=SMALL, **QUIET)
    for argument, value, message in (("label_smoothing", 1.0, r"in \[0, 1\)"),
                                     ("weight_decay", -1.0, "non-negative"),
                                     ("gradient_clip_norm", 0, "positive"),
                                     ("optimizer_options", [0.9], "must be a dict")):
        with pytest.raises(ValueError, match=message):
            zoo.train("mlp", **{argument: value})


def test_techniques_refuse_a_model_compiled_already():
    model = zoo.get_model("mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"compiled already, so \['schedule'\] would not"):
        zoo.train(model, schedule="cosine", dataset_options=SMALL, **QUIET)


def test_label_smoothing_is_the_cross_entropy_of_smoothed_one_hot_labels():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    labels = np.array([0, 1])
    smoothed = keras.ops.one_hot(labels, 3) * 0.9 + 0.1 / 3
    expected = keras.losses.categorical_crossentropy(smoothed, probabilities)
    loss = SmoothedCrossentropy(label_smoothing=0.1)
    assert float(loss(labels, probabilities)) == pytest.approx(float(np.mean(expected)),
                                                               rel=1e-5)
    # Integer labels and the same labels as distributions give the same loss.
    assert float(loss(keras.ops.one_hot(labels, 3), probabilities)) == pytest.approx(
        float(loss(labels[:, None], probabilities)), rel=1e-6)
    accuracy = LabelAccuracy()
    accuracy.update_state(np.array([[0.3, 0.7, 0.0], [0.0, 0.4, 0.6]]), probabilities)
    assert float(accuracy.result()) == 0.5  # the first soft label's largest share is class 1


def test_label_smoothing_applies_to_cross_entropy_classifiers_only():
    with pytest.raises(ValueError, match="mlp_regressor's loss is 'mse'"):
        zoo.train("mlp_regressor", label_smoothing=0.1, epochs=1, **QUIET)


def test_mixup_mixes_images_and_labels_with_one_weight_per_batch():
    dataset = zoo.data.load("fashion_mnist", "test", batch_size=64, limit=64, shuffle=False)
    plain_x, plain_y = (t.numpy() for t in next(iter(dataset)))
    mixed = zoo.data.load("fashion_mnist", "test", batch_size=64, limit=64, shuffle=False,
                          augment="mixup:0.4")
    x, y = (t.numpy() for t in next(iter(mixed)))
    assert y.shape == (64, 10) and np.allclose(y.sum(axis=1), 1.0)
    one_hot = np.eye(10)[plain_y]
    # The batch's weight: an image's own class's share where its partner's class differs.
    two_classes = [i for i in range(64) if np.count_nonzero(y[i] > 1e-6) == 2]
    weight = y[two_classes[0], plain_y[two_classes[0]]]
    partners = []
    for i in range(64):
        # Image i is weight x itself + (1 - weight) x one image j of the batch; so is its label.
        errors = [np.abs(x[i] - weight * plain_x[i] - (1 - weight) * plain_x[j]).max()
                  for j in range(64)]
        j = int(np.argmin(errors))
        assert errors[j] < 1e-5
        np.testing.assert_allclose(y[i], weight * one_hot[i] + (1 - weight) * one_hot[j],
                                   atol=1e-6)
        partners.append(j)
    assert sorted(partners) == list(range(64))  # a shuffle of the batch: each image once


def test_rotate_turns_anticlockwise_about_the_centre():
    images = np.random.default_rng(0).random((2, 6, 6, 1), np.float32)
    turned = rotate(images, 90.0).numpy()
    np.testing.assert_allclose(turned[..., 0], np.rot90(images[..., 0], axes=(1, 2)),
                               atol=1e-5)


@pytest.mark.parametrize("spec", ["shift", "crop", "rotate:30", "erase:1", "flip+shift:2",
                                  "rotate+erase+crop"])
def test_augmentations_keep_shapes_and_the_range_and_draw_from_the_seed(spec):
    images, labels = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=32,
                                              limit=32, shuffle=False)))
    augment = augmentation(spec)
    # Traced as tf.data traces it: shapes only as static as the pipeline's.
    augment = tf.function(augment)
    first, same_labels = augment(images, labels, tf.constant([1, 2]))
    again, _ = augment(images, labels, tf.constant([1, 2]))
    other, _ = augment(images, labels, tf.constant([3, 4]))
    assert first.shape == images.shape
    np.testing.assert_array_equal(same_labels, labels)
    assert 0.0 <= float(tf.reduce_min(first)) and float(tf.reduce_max(first)) <= 1.0
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other) and not np.array_equal(first, images)


def test_bad_augmentations_say_what_is_wrong():
    for spec, message in (("spin", "'spin' is not a known augmentation; choose from"),
                          ("rotate:x", "the degrees of 'rotate' must be a number"),
                          ("mixup+flip", "mixup changes the labels, so it comes last"),
                          ("flip:2", "'flip' takes no parameter"),
                          ("rotate:-3", "must be positive"),
                          ("crop:1.5", "the scale of 'crop' is a share, at most 1")):
        with pytest.raises(ValueError, match=message):
            zoo.data.load("fashion_mnist", augment=spec)


def test_training_on_mixup_trains_and_evaluates_on_integer_labels(tmp_path):
    result = zoo.train("mlp", epochs=3, label_smoothing=0.1, runs_root=tmp_path,
                       dataset_options={"limit": 2560, "augment": "crop_flip+mixup"}, **QUIET)
    assert result.history["loss"][2] < result.history["loss"][0]
    assert isinstance(result.model.loss, SmoothedCrossentropy)
    accuracy = zoo.evaluate(result.model, dataset_options={"limit": 512})["accuracy"]
    assert accuracy > 0.5  # ten classes: far above chance after three short epochs
    best = keras.models.load_model(result.run_dir / "checkpoints" / "best.keras")
    assert best.loss.label_smoothing == pytest.approx(0.1)


def test_mlp_takes_initialisers_activations_normalisation_and_penalties():
    zeros = zoo.get_model("mlp", kernel_initializer="zeros")
    assert not np.any(zeros.get_layer("dense_1").kernel.numpy())
    model = zoo.get_model("mlp", normalization="layer", activation="gelu", l1=1e-5, l2=1e-4)
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["flatten", "dense_1", "layer_norm_1", "activation_1"]
    model(np.zeros((1, 28, 28, 1), np.float32))
    assert len(model.losses) == 2  # one L1+L2 penalty per hidden kernel
    batch = zoo.get_model("mlp", normalization="batch")
    assert batch.get_layer("dense_1").bias is None  # batch normalisation's shift replaces it
    for bad, message in ((dict(kernel_initializer="hee"), "not a Keras initialiser"),
                         (dict(activation="sgn"), "nor one of zoo's \\['sign'\\]"),
                         (dict(normalization="group"), "normalization='group'")):
        with pytest.raises(ValueError, match=message):
            zoo.get_model("mlp", **bad)


def test_sign_activation_passes_hard_tanh_gradients_and_reloads(tmp_path):
    model = zoo.get_model("mlp", activation="sign")
    x, _ = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=8, limit=8)))
    # dense_1 applies sign itself: its pre-activations are dense_1's kernel product.
    hidden = keras.Model(model.inputs, model.get_layer("flatten").output)
    signs = keras.Model(model.inputs, model.get_layer("dense_2").input)(x).numpy()
    assert set(np.unique(signs)) <= {-1.0, 1.0}
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x))
    kernel_gradient = tape.gradient(loss, model.get_layer("dense_1").kernel)
    assert float(tf.reduce_max(tf.abs(kernel_gradient))) > 0  # sign alone has none
    dense = model.get_layer("dense_1")
    pre_activations = hidden(x).numpy() @ dense.kernel.numpy() + dense.bias.numpy()
    # Some units sit inside [-1, 1], where the straight-through gradient flows.
    assert np.any(np.abs(pre_activations) < 1)
    model.save(tmp_path / "sign.keras")
    again = keras.models.load_model(tmp_path / "sign.keras")
    np.testing.assert_allclose(again(x), model(x), atol=1e-6)
