"""The Neural Turing Machine cell (Graves, Wayne and Danihelka 2014, "Neural Turing Machines",
arXiv:1410.5401): a controller network reading from and writing to an external memory matrix
through differentiable attention, one step at a time, as a Keras RNN cell.

Each step, the controller (an LSTM cell) reads the input and the vector read the step before.
Its output parameterises two heads, one writing and one reading, each addressing the memory's
`memory_size` rows as the paper's Section 3.3 does:

1. content: cosine similarity of a key with every row, sharpened by a strength beta (3.3.1);
2. interpolation with the head's previous weighting by a gate g (3.3.2);
3. a circular shift by -1, 0 or +1 rows, from a softmax over those three (location, 3.3.2);
4. sharpening by gamma >= 1 against the blur the shift causes.

The write head erases (e in [0, 1]^M) and adds (a) at its weighting (3.2); the read head then
reads the weighted sum of the updated rows (3.1). The cell outputs the controller's output
and the read vector.

Choices from Collier and Beel (2018, "Implementing Neural Turing Machines", ICANN,
arXiv:1807.08518), whose comparison found them to converge fastest and most reliably: the
memory starts as a small constant (1e-6) rather than learned or random; the initial read
vector and head weightings are learned (bias) parameters; the controller's output is clipped
to [-20, 20].
"""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate

SHIFTS = (-1, 0, 1)
MEMORY_INIT = 1e-6
CONTROLLER_CLIP = 20.0


def address(memory, previous, key, strength, gate, shift, sharpening):
    """A head's weighting over the rows of `memory` (batch, N, M), Graves et al. 3.3."""
    similarity = ops.einsum("bnm,bm->bn", ops.normalize(memory, axis=-1),
                            ops.normalize(key, axis=-1))
    content = ops.softmax(strength * similarity, axis=-1)
    gated = gate * content + (1.0 - gate) * previous
    shifted = sum(shift[:, index:index + 1] * ops.roll(gated, offset, axis=1)
                  for index, offset in enumerate(SHIFTS))
    sharpened = ops.power(shifted + 1e-12, sharpening)
    return sharpened / ops.sum(sharpened, axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="zoo")
class NTMCell(keras.layers.Layer):
    """One step of a Neural Turing Machine with one read and one write head.

    Args:
        controller_units: units of the LSTM controller.
        memory_size: N, rows of memory.
        memory_width: M, the width of a row.

    State: controller h and c, memory (batch, N * M), read and write weightings (batch, N),
    the last read vector (batch, M). Output: controller output and read vector concatenated.
    """

    def __init__(self, controller_units=100, memory_size=128, memory_width=20, **kwargs):
        super().__init__(**kwargs)
        self.controller_units = _validate.positive_int("controller_units", controller_units)
        self.memory_size = _validate.positive_int("memory_size", memory_size)
        self.memory_width = _validate.positive_int("memory_width", memory_width)
        n, m = memory_size, memory_width
        self.state_size = [controller_units, controller_units, n * m, n, n, m]
        self.output_size = controller_units + m
        self.controller = keras.layers.LSTMCell(controller_units, name="controller")
        # key (M), strength, gate, three shifts, sharpening; the write head adds erase and add.
        self.read_parameters = keras.layers.Dense(m + 6, name="read_head")
        self.write_parameters = keras.layers.Dense(3 * m + 6, name="write_head")

    def build(self, input_shape):
        n, m = self.memory_size, self.memory_width
        self.controller.build((input_shape[0], input_shape[-1] + m))
        self.read_parameters.build((input_shape[0], self.controller_units))
        self.write_parameters.build((input_shape[0], self.controller_units))
        self.initial_read = self.add_weight(shape=(m,), initializer="random_normal",
                                            name="initial_read")
        self.initial_read_weighting = self.add_weight(shape=(n,), initializer="random_normal",
                                                      name="initial_read_weighting")
        self.initial_write_weighting = self.add_weight(shape=(n,), initializer="random_normal",
                                                       name="initial_write_weighting")

    def get_initial_state(self, batch_size=None):
        n, m = self.memory_size, self.memory_width

        def tile(vector):
            return ops.tile(ops.expand_dims(vector, 0), (batch_size, 1))

        zeros = ops.zeros((batch_size, self.controller_units))
        return [zeros, zeros, ops.full((batch_size, n * m), MEMORY_INIT),
                tile(ops.softmax(self.initial_read_weighting)),
                tile(ops.softmax(self.initial_write_weighting)),
                tile(ops.tanh(self.initial_read))]

    def _head(self, parameters, memory, previous):
        m = self.memory_width
        key = parameters[:, :m]
        strength = ops.softplus(parameters[:, m:m + 1])
        gate = ops.sigmoid(parameters[:, m + 1:m + 2])
        shift = ops.softmax(parameters[:, m + 2:m + 5], axis=-1)
        sharpening = 1.0 + ops.softplus(parameters[:, m + 5:m + 6])
        return address(memory, previous, key, strength, gate, shift, sharpening)

    def call(self, inputs, states, training=False):
        h, c, memory, read_weighting, write_weighting, read = states
        n, m = self.memory_size, self.memory_width
        memory = ops.reshape(memory, (-1, n, m))
        output, (h, c) = self.controller(ops.concatenate([inputs, read], axis=-1), [h, c],
                                         training=training)
        output = ops.clip(output, -CONTROLLER_CLIP, CONTROLLER_CLIP)

        write = self.write_parameters(output)
        write_weighting = self._head(write[:, :m + 6], memory, write_weighting)
        erase = ops.sigmoid(write[:, m + 6:2 * m + 6])
        add = ops.tanh(write[:, 2 * m + 6:])
        weights = ops.expand_dims(write_weighting, -1)
        memory = memory * (1.0 - weights * ops.expand_dims(erase, 1)) + \
            weights * ops.expand_dims(add, 1)

        read_weighting = self._head(self.read_parameters(output), memory, read_weighting)
        read = ops.einsum("bn,bnm->bm", read_weighting, memory)
        state = [h, c, ops.reshape(memory, (-1, n * m)), read_weighting, write_weighting, read]
        return ops.concatenate([output, read], axis=-1), state

    def get_config(self):
        return {**super().get_config(), "controller_units": self.controller_units,
                "memory_size": self.memory_size, "memory_width": self.memory_width}
