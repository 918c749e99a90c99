"""The textbooks' claims about training, checked on real data with zoo's own options.

Each test states a claim of Goodfellow, Bengio and Courville's *Deep Learning* (2016) or
Géron's *Hands-On Machine Learning* (2019) and measures it: the thresholds leave room for
seeds and machines, and the figures measured when the test was written are in the comments.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.augment import rotate

QUIET = dict(verbose=0, tensorboard=False)


def _batch(dataset="fashion_mnist", split="train", size=512):
    x, y = next(iter(zoo.data.load(dataset, split, batch_size=size, limit=size,
                                   shuffle=False)))
    return x, y


def test_stacked_linear_layers_collapse_to_one_affine_map(tmp_path):
    # Without a nonlinearity, 784-128-32-10 computes x W1 W2 W3 + b: one affine map of rank
    # at most 32 (Deep Learning, 6.1).
    model = zoo.train("mlp", epochs=1, model_options={"activation": "linear",
                                                      "classifier_activation": "linear"},
                      dataset_options={"limit": 2048}, runs_root=tmp_path, **QUIET).model
    x, _ = _batch(size=256)
    kernels = [model.get_layer(n).kernel.numpy() for n in ("dense_1", "dense_2", "predictions")]
    biases = [model.get_layer(n).bias.numpy() for n in ("dense_1", "dense_2", "predictions")]
    weight = kernels[0] @ kernels[1] @ kernels[2]
    bias = (biases[0] @ kernels[1] + biases[1]) @ kernels[2] + biases[2]
    flat = x.numpy().reshape(len(x), -1)
    np.testing.assert_allclose(model(x).numpy(), flat @ weight + bias, rtol=1e-4, atol=1e-4)
    assert np.linalg.matrix_rank(weight) <= 32


def _first_and_last_hidden_gradients(activation, initializer):
    keras.utils.set_random_seed(0)
    model = zoo.get_model("mlp", hidden_units=(64,) * 10, activation=activation,
                          kernel_initializer=initializer)
    x, y = _batch()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    gradients = dict(zip([v.path for v in model.trainable_variables],
                         tape.gradient(loss, model.trainable_variables), strict=True))
    return (float(tf.norm(gradients["mlp/dense_1/kernel"])),
            float(tf.norm(gradients["mlp/dense_10/kernel"])))


def test_a_deep_sigmoid_networks_first_layer_gradients_vanish_where_relus_do_not():
    # Ten hidden layers: each sigmoid multiplies the back-propagated gradient by at most
    # 1/4 (Deep Learning, 8.2.5; Glorot and Bengio 2010). Measured: the first layer's gradient
    # is 3e-6 of the last hidden layer's with sigmoid and Glorot, 5x with ReLU and He.
    first, last = _first_and_last_hidden_gradients("sigmoid", "glorot_uniform")
    assert first / last < 1e-3
    first, last = _first_and_last_hidden_gradients("relu", "he_normal")
    assert first / last > 0.1


def test_a_symmetric_initialisation_keeps_hidden_units_identical(tmp_path):
    # Units that start equal get equal gradients and stay equal: the symmetry that random
    # initialisation breaks (Deep Learning, 8.4). A constant start keeps every hidden unit's
    # incoming weights equal while they learn; zeros do not learn at all (0.1000 accuracy in
    # benchmarks/techniques.py).
    start = keras.initializers.Constant(0.01)
    result = zoo.train("mlp", epochs=1, model_options={"kernel_initializer": start},
                       dataset_options={"limit": 2048}, runs_root=tmp_path, **QUIET)
    kernel = result.model.get_layer("dense_1").kernel.numpy()
    assert np.abs(kernel - 0.01).max() > 1e-3, "the weights learned"
    np.testing.assert_allclose(kernel, kernel[:, :1].repeat(kernel.shape[1], axis=1),
                               atol=1e-6)


def _inactive_units(model, x):
    """Hidden units of dense_1 whose pre-activation is <= 0 on every example of `x`."""
    dense = model.get_layer("dense_1")
    return np.all(x.reshape(len(x), -1) @ dense.kernel.numpy() + dense.bias.numpy() <= 0,
                  axis=0)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_dead_relu_stays_dead_where_a_leaky_one_still_learns(activation, tmp_path):
    # A large learning rate pushes units to where they never fire; a ReLU there gets no
    # gradient and never comes back, a leaky ReLU keeps a small slope (Géron, chapter 11).
    # Measured after Adam at 0.03: 78% of ReLU units dead on 2,000 test images, 16% of
    # leaky ones inactive.
    data = {"limit": 10000}
    options = dict(model_options={"activation": activation, "hidden_units": (256,)},
                   dataset_options=data, early_stopping=False, runs_root=tmp_path, **QUIET)
    model = zoo.train("mlp", epochs=2, learning_rate=0.03, **options).model
    x, _ = zoo.data.arrays("fashion_mnist", "train", limit=10000)  # what it trains on
    inactive = _inactive_units(model, x)
    before = model.get_layer("dense_1").kernel.numpy()[:, inactive]
    # Train on, gently, with a fresh optimizer (no momentum left from before).
    zoo.train(model, "fashion_mnist", epochs=1, loss="sparse_categorical_crossentropy",
              learning_rate=1e-3, **{k: v for k, v in options.items() if k != "model_options"})
    after = model.get_layer("dense_1").kernel.numpy()[:, inactive]
    if activation == "relu":
        assert inactive.mean() > 0.4
        np.testing.assert_array_equal(after, before)  # no gradient reached them
    else:
        assert inactive.mean() < 0.4
        assert np.abs(after - before).max() > 1e-4  # the leak's gradient moved them


def _validation_crossentropy(model, x, y) -> float:
    """Cross-entropy alone (Keras' val_loss adds the L2 penalty)."""
    return float(np.mean(keras.losses.sparse_categorical_crossentropy(
        y, model.predict(x, verbose=0, batch_size=1024))))


def test_validation_loss_turns_up_and_regularisation_holds_it_down(tmp_path):
    # A 512-512 MLP on 1,000 images at a constant learning rate for 40 epochs: validation
    # loss falls to a minimum, then rises as the network fits its training set; dropout
    # lowers the minimum, L2 damps the rise, early stopping keeps the best epoch (Deep
    # Learning, 7.8 and 7.12).
    # Measured (seed 0): minimum 0.553 at epoch 12, 0.810 after 40; dropout 0.531 then 0.613;
    # L2 1e-3 reaches the same minimum (0.556) and ends at 0.663; early stopping keeps 0.560.
    x, y = zoo.data.arrays("fashion_mnist", "validation")
    curves = {}

    class ValidationCrossentropy(keras.callbacks.Callback):
        def __init__(self, name):
            super().__init__()
            self.curve = curves.setdefault(name, [])

        def on_epoch_end(self, epoch, logs=None):
            self.curve.append(_validation_crossentropy(self.model, x, y))

    def fit(name, early_stopping=False, **model_options):
        return zoo.train("mlp", epochs=40, schedule="constant", early_stopping=early_stopping,
                         model_options={"hidden_units": (512, 512), **model_options},
                         dataset_options={"limit": 1000}, runs_root=tmp_path,
                         callbacks=[ValidationCrossentropy(name)], **QUIET).model

    fit("plain")
    plain = curves["plain"]
    assert int(np.argmin(plain)) < 20 and plain[-1] > min(plain) + 0.15
    fit("dropout", dropout=0.5)
    assert min(curves["dropout"]) < min(plain)
    assert curves["dropout"][-1] - min(curves["dropout"]) < (plain[-1] - min(plain)) / 2
    fit("l2", l2=1e-3)
    assert curves["l2"][-1] < plain[-1] - 0.05
    kept = fit("early stopping", early_stopping=True)
    assert _validation_crossentropy(kept, x, y) < min(plain) + 0.03


def test_a_cnn_tolerates_shifts_not_rotations_until_it_trains_on_them(tmp_path):
    # Convolution and pooling give some tolerance to small shifts, none to rotations; rotated
    # training images teach it (Deep Learning, 9.3 and 7.4). Measured (LeNet-5, 2 epochs of
    # MNIST): 0.970 upright, 0.944 shifted 2 pixels, 0.478 turned 45 degrees; trained with
    # rotations of up to 45 degrees, 0.906 on the turned digits.
    x, y = zoo.data.arrays("mnist", "test", limit=3000)
    shifted = np.roll(x, 2, axis=2)
    shifted[:, :, :2] = 0
    turned = rotate(x, 45.0).numpy()

    def accuracy(model, images):
        return float((model.predict(images, verbose=0).argmax(axis=1) == y).mean())

    plain = zoo.train("lenet5", "mnist", epochs=2, runs_root=tmp_path, **QUIET).model
    upright = accuracy(plain, x)
    assert upright - accuracy(plain, shifted) < 0.06
    assert upright - accuracy(plain, turned) > 0.3
    taught = zoo.train("lenet5", "mnist", epochs=2, dataset_options={"augment": "rotate:45"},
                       runs_root=tmp_path, **QUIET).model
    assert accuracy(taught, turned) > accuracy(plain, turned) + 0.25


def test_a_deeper_plain_network_trains_worse_where_its_residual_version_does_not(tmp_path):
    # He et al.'s degradation problem (2016, Section 4.2, Fig. 6): with batch normalisation
    # the plain 56-layer network still trains worse than the plain 20-layer one, on its own
    # training data; the same 56 layers with identity shortcuts train better than either.
    # Images shrunk to 16x16 to keep the test short. Measured (3 epochs of 1,200 images):
    # training loss plain-20 0.82, plain-56 2.24, ResNet-56 0.38 (at 28x28 and 2,000 images:
    # 0.72, 1.77 and 0.46).
    losses = {}
    for depth, residual in ((20, False), (56, False), (56, True)):
        run = zoo.train(f"resnet{depth}", epochs=3, batch_size=64, early_stopping=False,
                        model_options={"residual": residual, "input_shape": (16, 16, 1)},
                        dataset_options={"limit": 1200, "augment": None, "image_size": 16},
                        runs_root=tmp_path, **QUIET)
        losses[run.model.name] = run.history["loss"][-1]
    assert losses["plain56"] > losses["plain20"] + 0.3, losses
    assert losses["resnet56"] < losses["plain20"], losses
