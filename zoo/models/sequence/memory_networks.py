"""Memory networks on algorithmic tasks: the Neural Turing Machine (Graves, Wayne and
Danihelka 2014) and the LSTM it is compared with, both mapping a sequence of bit vectors to a
sequence of bit logits step by step. Trained on the copy task (`zoo.data.algorithmic`): shown
up to 10 random 8-bit vectors, reproduce them. Graves et al. found the NTM's
external memory let it copy sequences longer than any it was trained on, where an LSTM could
not; `benchmarks/copy_task.py` measures the bit error rate at the trained lengths and at
twice the longest, beside an LSTM of similar size.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.registry import Recipe, Reference, register, search_space

NTM = Reference("Neural Turing Machines", "Graves, A., Wayne, G. and Danihelka, I.", 2014,
                "https://arxiv.org/abs/1410.5401")
LSTM = Reference("Long Short-Term Memory", "Hochreiter, S. and Schmidhuber, J.", 1997,
                 "https://doi.org/10.1162/neco.1997.9.8.1735")

BITS = 8
TRAINED_LENGTH = 10
# Collier and Beel (2018): Adam at 1e-3, gradients clipped by norm, batches of 32. 100
# batches an epoch, fresh every epoch: 200 epochs are 640,000 sequences. Sequences of up to
# 10 vectors (the paper trains up to 20): measured here, 100 epochs on lengths 1-20 left the
# NTM at a 14.8% bit error rate, and 2 CPU cores cannot afford Collier and Beel's 31,250
# steps at that length.
COPY_RECIPE = Recipe(loss="masked_binary_crossentropy", metrics=("bit_error_rate",),
                     learning_rate=1e-3, epochs=200, batch_size=32, patience=30,
                     gradient_clip_norm=10.0,
                     dataset_options={"max_length": TRAINED_LENGTH})


def _card(family, reference):
    return dict(family=family, task="sequence-transduction", api="functional",
                input_shape=(None, BITS + 1), input_name="sequence", dataset="copy",
                recipe=COPY_RECIPE, reference=reference)


def _sequence_input(bits):
    _validate.positive_int("bits", bits)
    return keras.Input((None, bits + 1), name="sequence")


def ntm_space(hp) -> dict:
    """The controller's width and the memory's rows and row width, the sizes Graves et al.
    (2014, section 4) choose per task (100 LSTM units and 128 x 20 for copy); every size
    holds the longest sequences the copy benchmark asks for, twice the trained ones."""
    return {"controller_units": hp.Choice("controller_units", [50, 100, 200], default=100),
            "memory_size": hp.Choice("memory_size", [32, 64, 128], default=128),
            "memory_width": hp.Choice("memory_width", [10, 20, 40], default=20)}


@search_space(ntm_space)
@register("ntm", **_card("memory_network", NTM))
def ntm(bits=BITS, controller_units=100, memory_size=128, memory_width=20, name="ntm"):
    """A Neural Turing Machine (`zoo.layers.memory.NTMCell`: an LSTM controller, one read and
    one write head) over the sequence, and a linear layer from each step's controller output
    and read vector to the logits of `bits` output bits.

    Args:
        bits: the width of the vectors; the input has one more channel, the delimiter.
        controller_units, memory_size, memory_width: the cell's (memory_size rows must hold
            the longest sequence to be remembered).
    """
    from zoo.layers.memory import NTMCell

    sequence = _sequence_input(bits)
    x = keras.layers.RNN(NTMCell(controller_units, memory_size, memory_width),
                         return_sequences=True, name="ntm_cell")(sequence)
    return keras.Model(sequence, keras.layers.Dense(bits, name="bits")(x), name=name)


def lstm_sequence_space(hp) -> dict:
    """Width and depth of the LSTM baseline, which set its capacity against the NTM's; the
    range reaches Graves et al.'s (2014) copy baseline of three layers of 256 units."""
    return {"units": hp.Choice("units", [64, 128, 256], default=128),
            "num_layers": hp.Int("num_layers", 1, 3)}


@search_space(lstm_sequence_space)
@register("lstm_sequence", **_card("recurrent_transducer", LSTM))
def lstm_sequence(bits=BITS, units=128, num_layers=1, name="lstm_sequence"):
    """`num_layers` LSTM layers over the sequence and a linear layer to the logits of `bits`
    output bits at every step: the NTM's baseline (128 units: about the NTM's parameters)."""
    _validate.positive_int("units", units)
    _validate.positive_int("num_layers", num_layers)
    x = sequence = _sequence_input(bits)
    for index in range(1, num_layers + 1):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{index}")(x)
    return keras.Model(sequence, keras.layers.Dense(bits, name="bits")(x), name=name)
