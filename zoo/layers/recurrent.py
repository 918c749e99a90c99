"""Recurrent cells that Keras does not ship."""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class LayerNormLSTMCell(keras.layers.Layer):
    """An LSTM cell with layer normalisation (Ba, Kiros and Hinton 2016, "Layer
    Normalization", section 3.1 and appendix): the input and recurrent projections are each
    normalised before they are summed, and so is the cell state before the output gate reads
    it. Normalising per time step keeps the gates' inputs at a steady scale along long
    sequences, which speeds up training. Use it in `keras.layers.RNN`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = _validate.positive_int("units", units)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        features, units = input_shape[-1], self.units
        self.kernel = self.add_weight(name="kernel", shape=(features, 4 * units),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(units, 4 * units), initializer="orthogonal")
        # The forget gate starts open (bias 1), as Keras' LSTM does (Jozefowicz et al. 2015).
        forget_open = keras.initializers.Constant(
            [0.0] * units + [1.0] * units + [0.0] * (2 * units))
        self.bias = self.add_weight(name="bias", shape=(4 * units,), initializer=forget_open)
        self.input_norm = keras.layers.LayerNormalization(center=False, name="input_norm")
        self.recurrent_norm = keras.layers.LayerNormalization(center=False, name="recurrent_norm")
        self.cell_norm = keras.layers.LayerNormalization(name="cell_norm")
        self.input_norm.build((None, 4 * units))
        self.recurrent_norm.build((None, 4 * units))
        self.cell_norm.build((None, units))

    def call(self, inputs, states, training=None):
        hidden, cell = states
        z = (self.input_norm(ops.matmul(inputs, self.kernel))
             + self.recurrent_norm(ops.matmul(hidden, self.recurrent_kernel)) + self.bias)
        i, f, g, o = ops.split(z, 4, axis=-1)
        cell = ops.sigmoid(f) * cell + ops.sigmoid(i) * ops.tanh(g)
        hidden = ops.sigmoid(o) * ops.tanh(self.cell_norm(cell))
        return hidden, [hidden, cell]

    def get_config(self):
        return {**super().get_config(), "units": self.units}
