"""A deep belief network: a stack of RBMs trained greedily, one layer at a time, then
unrolled into a classifier and fine-tuned by backpropagation (Hinton, Osindero and Teh,
2006; Hinton and Salakhutdinov, 2006).

Greedy pretraining trains the first RBM on the pixels. Each later RBM trains on the hidden
probabilities p(h = 1 | v) of the one below, which are its visible data. Each trained RBM's
weights and hidden biases become a sigmoid layer of the classifier, and a softmax layer on
top reads out the classes. Hinton et al. (2006) reported 1.25% test error on MNIST for a
784-500-500-2000 network fine-tuned generatively; backpropagation fine-tuning of the same
stack does about as well (Hinton and Salakhutdinov, 2006).

`DeepBeliefNetwork` is that classifier, a subclassed `keras.Model`. Its pretraining is its
`adapt` step, which `zoo.train` runs once on a new model (the image-classification task's
`prepare`), and fitting is ordinary supervised training. With `pretrain_epochs=0` it is the
same network from random initialisation, the baseline that the benchmark trains beside it.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from zoo import _validate
from zoo.data.pipeline import inputs_only


@keras.saving.register_keras_serializable(package="zoo")
class DeepBeliefNetwork(keras.Model):
    """A sigmoid MLP classifier whose hidden layers start as a greedily trained RBM stack.

    Args:
        input_shape: one image's shape; pixels in [0, 1] (read as the first RBM's visible
            probabilities).
        hidden_units: the hidden layers' widths, bottom to top (one RBM each).
        num_classes: the softmax read-out's classes.
        pretrain_epochs: epochs of CD-`cd_steps` per RBM; 0 for random initialisation.
        pretrain_learning_rate: the RBMs' SGD learning rate.
        cd_steps: k of CD-k.
        seed: the initial weights and the RBMs' Gibbs draws.
    """

    def __init__(self, input_shape=(28, 28, 1), hidden_units=(500, 500, 500), num_classes=10,
                 pretrain_epochs=10, pretrain_learning_rate=0.05, cd_steps=1, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("input_shape", input_shape)
        self.hidden_units = _validate.widths("hidden_units", hidden_units)
        self.num_classes = _validate.positive_int("num_classes", num_classes)
        self.pretrain_epochs = _validate.non_negative_int(
            "pretrain_epochs", pretrain_epochs,
            zero_means="random initialisation, no pretraining")
        self.pretrain_learning_rate = _validate.positive("pretrain_learning_rate",
                                                         pretrain_learning_rate)
        self.cd_steps = _validate.positive_int("cd_steps", cd_steps)
        self.seed = seed
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = [keras.layers.Dense(units, activation="sigmoid", name=f"hidden_{index}",
                                          kernel_initializer=keras.initializers.GlorotUniform(
                                              seed=None if seed is None else seed + index))
                       for index, units in enumerate(self.hidden_units, start=1)]
        self.classifier = keras.layers.Dense(self.num_classes, activation="softmax",
                                             name="predictions")
        # Whether the greedy pretraining has run (saved with the weights, so that a loaded
        # model is not pretrained again over its fine-tuned weights).
        self.pretrained = self.add_weight(shape=(), name="pretrained", initializer="zeros",
                                          trainable=False)
        self.build((None, *self.image_shape))

    def build(self, input_shape):
        width = math.prod(self.image_shape)
        for layer in self.hidden:
            layer.build((None, width))
            width = layer.units
        self.classifier.build((None, width))
        self.built = True

    def call(self, images, training=False):
        x = self.flatten(images)
        for layer in self.hidden:
            x = layer(x)
        return self.classifier(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    # --- greedy pretraining ---------------------------------------------------------------

    def is_adapted(self) -> bool:
        """Pretrained already, or built to start from random weights."""
        return self.pretrain_epochs == 0 or bool(self.pretrained.numpy() > 0)

    def adapt(self, dataset, epochs: int | None = None, verbose: int = 0) -> list[dict]:
        """Greedy layer-wise pretraining on the images of `dataset` (batches of images, or
        of `(images, labels)`; labels are not used): an RBM per hidden layer, each on the
        hidden probabilities of the layers below, for `epochs` (default
        `pretrain_epochs`) each. Returns each RBM's last training logs."""
        from zoo.generative.rbm import RestrictedBoltzmannMachine

        epochs = self.pretrain_epochs if epochs is None else epochs
        _validate.positive_int("epochs", epochs)
        visible = dataset.map(inputs_only)
        logs, width = [], math.prod(self.image_shape)
        for index, layer in enumerate(self.hidden):
            rbm = RestrictedBoltzmannMachine(
                (width,), layer.units, self.cd_steps,
                seed=None if self.seed is None else self.seed + 100 + index,
                negative_visible="probabilities", name=f"rbm_{index + 1}")
            data = visible.map(self._below(index))
            rbm.adapt(data)
            rbm.compile(optimizer=keras.optimizers.SGD(self.pretrain_learning_rate))
            history = rbm.fit(data, epochs=epochs, verbose=verbose, shuffle=False)
            layer.kernel.assign(rbm.kernel)
            layer.bias.assign(rbm.hidden_bias)
            logs.append({name: values[-1] for name, values in history.history.items()})
            width = layer.units
        self.pretrained.assign(1.0)
        return logs

    def _below(self, index):
        """Flattened images to the probabilities of hidden layer `index - 1` (the pixels for
        the first layer): the visible data of RBM `index`."""
        layers = self.hidden[:index]

        def features(images):
            x = ops.reshape(ops.cast(images, "float32"), (-1, math.prod(self.image_shape)))
            for layer in layers:
                x = ops.sigmoid(ops.matmul(x, layer.kernel) + layer.bias)
            return x

        return features

    def get_config(self):
        return {**super().get_config(), "input_shape": self.image_shape,
                "hidden_units": self.hidden_units, "num_classes": self.num_classes,
                "pretrain_epochs": self.pretrain_epochs,
                "pretrain_learning_rate": self.pretrain_learning_rate,
                "cd_steps": self.cd_steps, "seed": self.seed}
