"""LeNet-5 as a subclassed `keras.Model` (see `zoo.models.vision.lenet`). Kept in its own module
because defining a Keras class imports Keras, and the registry must not."""

import keras

from zoo.models.vision.lenet import lenet5_layers


@keras.saving.register_keras_serializable(package="zoo")
class LeNet5(keras.Model):
    """LeNet-5 whose forward pass is written out in `call`."""

    def __init__(self, num_classes=10, include_top=True, pooling=None,
                 classifier_activation="softmax", activation="relu", pool="max", **kwargs):
        super().__init__(**kwargs)
        self.options = dict(num_classes=num_classes, include_top=include_top, pooling=pooling,
                            classifier_activation=classifier_activation, activation=activation,
                            pool=pool)
        self.stack = lenet5_layers(**self.options)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.stack:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def call(self, inputs):
        x = inputs
        for layer in self.stack:
            x = layer(x)
        return x

    def get_config(self):
        return {**super().get_config(), **self.options}
