"""Recurrent text classifiers: an Elman network (SimpleRNN), LSTM (Hochreiter and
Schmidhuber 1997) and GRU (Cho et al. 2014), one-way or bidirectional (Schuster and Paliwal
1997), one layer or stacked, with a layer-normalised LSTM (Ba et al. 2016).

Training recurrent networks well, as the recipes do: gradients clipped by norm (Pascanu et
al. 2013, against exploding gradients), dropout on the inputs and, separately, on the
recurrent connections (Gal and Ghahramani 2016's variational dropout: the same mask at every
step). The variants are compared on the same data by `benchmarks/text_classifiers.py`.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models.text._common import (
    check_text_classifier,
    classifier_top,
    text_card,
    text_input,
    text_recipe,
)
from zoo.registry import Reference, register, search_space

CELLS = ("simple_rnn", "lstm", "gru", "lstm_layernorm")

ELMAN = Reference("Finding Structure in Time", "Elman, J. L.", 1990,
                  "https://doi.org/10.1207/s15516709cog1402_1")
LSTM = Reference("Long Short-Term Memory", "Hochreiter, S. and Schmidhuber, J.", 1997,
                 "https://doi.org/10.1162/neco.1997.9.8.1735")
GRU = Reference("Learning Phrase Representations using RNN Encoder-Decoder for Statistical "
                "Machine Translation", "Cho, K. et al.", 2014, "https://arxiv.org/abs/1406.1078")
BIDIRECTIONAL = Reference("Bidirectional Recurrent Neural Networks",
                          "Schuster, M. and Paliwal, K. K.", 1997,
                          "https://doi.org/10.1109/78.650093")
LAYER_NORM = Reference("Layer Normalization", "Ba, J. L., Kiros, J. R. and Hinton, G. E.", 2016,
                       "https://arxiv.org/abs/1607.06450")

# Clipping by norm 1.0 and a shorter input than the bag models: recurrent networks read one
# token per step, so the sequence length is their cost.
RECURRENT_RECIPE = text_recipe(epochs=15, batch_size=32, learning_rate=2e-3, patience=4,
                               gradient_clip_norm=1.0)


def _recurrent_layer(cell, units, *, return_sequences, recurrent_dropout, name):
    if cell == "lstm_layernorm":
        from zoo.layers.recurrent import LayerNormLSTMCell

        if recurrent_dropout:
            raise ValueError("recurrent_dropout is not implemented for cell='lstm_layernorm'; "
                             "use input_dropout.")
        return keras.layers.RNN(LayerNormLSTMCell(units), return_sequences=return_sequences,
                                name=name)
    layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
             "gru": keras.layers.GRU}[cell]
    return layer(units, return_sequences=return_sequences, recurrent_dropout=recurrent_dropout,
                 name=name)


def recurrent_classifier_space(hp) -> dict:
    """The recurrent layers' width, the embedding's, and the dropout on the embedded tokens
    and before the classifier (Gal and Ghahramani, 2016, tune the rates of their
    variational dropout). The cell, the directions and the number of layers are what tell
    the registered variants apart, and recurrent dropout is refused by the layer-normalised
    LSTM, so they stay."""
    return {"units": hp.Choice("units", [32, 64, 128], default=64),
            "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128], default=64),
            "input_dropout": hp.Float("input_dropout", 0.0, 0.5, step=0.1, default=0.2),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3)}


@search_space(recurrent_classifier_space)
def recurrent_classifier(num_classes=8, cell="lstm", units=64, num_layers=1, bidirectional=False,
                         max_tokens=20000, sequence_length=200, embedding_dim=64,
                         input_dropout=0.2, recurrent_dropout=0.0, dropout=0.3, vocabulary=None,
                         classifier_activation="softmax", name="text_rnn"):
    """Embeddings (padding masked), `num_layers` recurrent layers of `cell` (each one way or
    both ways), the last state into the classifier.

    Args:
        cell: "simple_rnn", "lstm", "gru" or "lstm_layernorm".
        input_dropout: dropout on the embedded tokens (whole embedding dimensions dropped
            for the whole text, i.e. the same mask at every step).
        recurrent_dropout: dropout on the recurrent state, the same mask at every step.
        dropout: dropout before the classifier.
    """
    from zoo.layers.text import token_ids

    check_text_classifier(num_classes, classifier_activation, dropout)
    _validate.choice("cell", cell, CELLS)
    for arg, value in (("units", units), ("num_layers", num_layers),
                       ("embedding_dim", embedding_dim)):
        _validate.positive_int(arg, value)
    input_dropout = _validate.fraction("input_dropout", input_dropout)
    recurrent_dropout = _validate.fraction("recurrent_dropout", recurrent_dropout)
    _validate.boolean("bidirectional", bidirectional)
    text = text_input()
    x = token_ids(max_tokens, sequence_length, vocabulary=vocabulary)(text)
    x = keras.layers.Embedding(max_tokens, embedding_dim, mask_zero=True, name="embedding")(x)
    if input_dropout:
        x = keras.layers.SpatialDropout1D(input_dropout, name="input_dropout")(x)
    for index in range(1, num_layers + 1):
        layer = _recurrent_layer(cell, units, return_sequences=index < num_layers,
                                 recurrent_dropout=recurrent_dropout, name=f"{cell}_{index}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{index}")
        x = layer(x)
    return keras.Model(text, classifier_top(x, num_classes, classifier_activation, dropout),
                       name=name)


# name: (reference, the factory's defaults for that variant)
VARIANTS = {
    "text_simple_rnn": (ELMAN, {"cell": "simple_rnn"}),
    "text_lstm": (LSTM, {"cell": "lstm"}),
    "text_gru": (GRU, {"cell": "gru"}),
    "text_bilstm": (BIDIRECTIONAL, {"cell": "lstm", "bidirectional": True}),
    "text_bigru": (BIDIRECTIONAL, {"cell": "gru", "bidirectional": True}),
    "text_stacked_lstm": (LSTM, {"cell": "lstm", "num_layers": 2}),
    "text_lstm_layernorm": (LAYER_NORM, {"cell": "lstm_layernorm"}),
}
for _name, (_reference, _defaults) in VARIANTS.items():
    register(_name, **text_card("recurrent"), recipe=RECURRENT_RECIPE, reference=_reference,
             defaults={"name": _name, **_defaults})(recurrent_classifier)
