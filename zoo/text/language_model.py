"""Character language models: strings in, the logits of every next character out.

A `CharLanguageModel` is a subclassed `keras.Model` that owns its vocabulary: a character
`TextVectorization` (no standardisation: case, punctuation and newlines are what it learns),
adapted on the training text when `zoo.train` starts (the task's `prepare`). Its network maps
character ids to next-character logits and is built by a factory from
`zoo.models.text.language_models` (an LSTM, a GRU or a causal Transformer).

Training is teacher forcing: the data are pairs of strings, a text and the same text one
character later (`zoo.data.chunks`); `compute_loss` maps the second to ids and scores every
position's prediction of its next character, so `fit`, callbacks, `.keras` and SavedModel
work unchanged. The loss is the mean cross-entropy in nats per character (bits per character
is that divided by ln 2).

A text longer than `sequence_length` characters (the model's context) is read through its last
`sequence_length` characters, as generation reads its prompt.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import _validate
from zoo.text.padded_tokens import WeightedTokenMetrics, mean_over_real, real_token_weights

UNKNOWN_ID = 1  # TextVectorization's id for '[UNK]' (PADDING_ID, 0, is '')
ARCHITECTURES = ("lstm", "gru", "transformer")
# Line breaks stand in the vocabulary as their Unicode control pictures: Keras saves a
# vocabulary one token per line, so a "\n" token would not load back from a .keras file.
LINE_BREAKS = (("\n", "\u2424"), ("\r", "\u240d"))


@keras.saving.register_keras_serializable(package="zoo")
def picture_line_breaks(text):
    """The vectoriser's standardisation: nothing changed but line breaks, which become
    symbols (`LINE_BREAKS`); case and punctuation are what a character model learns."""
    for line_break, picture in LINE_BREAKS:
        text = tf.strings.regex_replace(text, line_break, picture)
    return text


def restore_line_breaks(text):
    """The inverse of `picture_line_breaks`, for decoded ids."""
    for line_break, picture in LINE_BREAKS:
        text = tf.strings.regex_replace(text, picture, line_break)
    return text


def char_vectorizer(max_tokens, vocabulary=None, name="vectorize"):
    """Characters to ids; 0 is padding and 1 an unseen character."""
    return keras.layers.TextVectorization(max_tokens=max_tokens,
                                          standardize=picture_line_breaks, split="character",
                                          output_mode="int", vocabulary=vocabulary, name=name)


def network_hyperparameters(architecture, *, embedding_dim, units, num_layers, num_heads,
                            feed_forward_dim, dropout) -> dict:
    """The sizes of a recurrent or Transformer text network, validated: positive integers,
    a dropout fraction, and a Transformer width that its heads divide."""
    if architecture == "transformer" and embedding_dim % num_heads:
        raise ValueError(f"embedding_dim={embedding_dim!r} must be divisible by "
                         f"num_heads={num_heads!r}.")
    return dict(embedding_dim=_validate.positive_int("embedding_dim", embedding_dim),
                units=_validate.positive_int("units", units),
                num_layers=_validate.positive_int("num_layers", num_layers),
                num_heads=_validate.positive_int("num_heads", num_heads),
                feed_forward_dim=_validate.positive_int("feed_forward_dim", feed_forward_dim),
                dropout=_validate.fraction("dropout", dropout))


@keras.saving.register_keras_serializable(package="zoo")
class CharLanguageModel(WeightedTokenMetrics, keras.Model):
    """A character language model over a network built from its arguments.

    Args:
        architecture: "lstm", "gru" or "transformer" (see `build_network`).
        max_tokens: the largest vocabulary (ids, padding and [UNK] included); the logits have
            this many entries, those of ids the vocabulary does not use are never targets.
        sequence_length: the context, in characters.
        embedding_dim, units, num_layers, num_heads, feed_forward_dim, dropout: the network's
            (units for recurrent networks; heads and feed-forward width for the Transformer).
        vocabulary: the characters, '' and '[UNK]' first (`get_vocabulary()` of an adapted
            model); None to adapt on the training text.
    """

    def __init__(self, architecture="lstm", max_tokens=128, sequence_length=128,
                 embedding_dim=64, units=256, num_layers=1, num_heads=4, feed_forward_dim=512,
                 dropout=0.0, vocabulary=None, **kwargs):
        super().__init__(**kwargs)
        self.architecture = _validate.choice("architecture", architecture, ARCHITECTURES)
        self.max_tokens = _validate.positive_int("max_tokens", max_tokens)
        if max_tokens < 3:
            raise ValueError(f"max_tokens={max_tokens} leaves no id for a character (0 is "
                             "padding, 1 an unseen character).")
        self.sequence_length = _validate.positive_int("sequence_length", sequence_length)
        self.hyperparameters = network_hyperparameters(
            architecture, embedding_dim=embedding_dim, units=units, num_layers=num_layers,
            num_heads=num_heads, feed_forward_dim=feed_forward_dim, dropout=dropout)
        self.vectorize = char_vectorizer(max_tokens, vocabulary)
        self.network = build_network(architecture, max_tokens, sequence_length,
                                     **self.hyperparameters)
        self.build((None,))  # the network is built; strings of any batch are its input

    def build(self, input_shape):
        self.vectorize.build(input_shape)

    def vocabulary(self) -> list[str]:
        """The characters by id ('' and '[UNK]' first); empty before adapting."""
        return [str(token) for token in self.vectorize.get_vocabulary()]

    def token_ids(self, text):
        """Strings (batch,) to the ids of their last `sequence_length` characters, padded
        at the end with 0 to the longest text of the batch."""
        ids = self.vectorize(text)
        return ids[:, -self.sequence_length:]

    def call(self, text, training=False):
        return self.network(self.token_ids(text), training=training)

    def compute_output_shape(self, input_shape):
        """Strings (batch,) to logits (batch, characters, max_tokens)."""
        return (input_shape[0], None, self.max_tokens)

    def targets(self, y, y_pred, sample_weight=None):
        """`y` (the texts one character later) as ids, and weights that leave padding out."""
        if y is None or y.dtype != tf.string:
            return y, sample_weight
        y = self.token_ids(y)
        return y, real_token_weights(y, y_pred.dtype, sample_weight)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of predicting `y`'s characters from the logits of `x`'s,
        averaged over the real (not padding) characters."""
        y, sample_weight = self.targets(y, y_pred, sample_weight)
        return super().compute_loss(x=x, y=y, y_pred=y_pred,
                                    sample_weight=None if sample_weight is None
                                    else mean_over_real(sample_weight),
                                    training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        y, sample_weight = self.targets(y, y_pred, sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), "architecture": self.architecture,
                "max_tokens": self.max_tokens, "sequence_length": self.sequence_length,
                **self.hyperparameters}


def build_network(architecture, max_tokens, sequence_length, *, embedding_dim, units,
                  num_layers, num_heads, feed_forward_dim, dropout):
    """Character ids (batch, length <= sequence_length) -> next-character logits (batch,
    length, max_tokens), each position seeing only itself and the positions before it.

    - "lstm", "gru": embeddings and `num_layers` recurrent layers of `units` (Graves 2013,
      "Generating Sequences With Recurrent Neural Networks"; Karpathy's char-rnn).
    - "transformer": token and learned position embeddings and `num_layers` pre-norm
      decoder blocks with causal self-attention (Radford et al. 2019, GPT-2), then a final
      layer norm; nanoGPT's layout.
    """
    ids = keras.Input((None,), dtype="int64", name="token_ids")
    if architecture == "transformer":
        from zoo.layers.transformer import CausalDecoder, TokenAndPositionEmbedding

        x = TokenAndPositionEmbedding(max_tokens, sequence_length, embedding_dim,
                                      name="embedding")(ids)
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
        for index in range(1, num_layers + 1):
            x = CausalDecoder(num_heads, feed_forward_dim, dropout, name=f"decoder_{index}")(x)
        x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    else:
        layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[architecture]
        x = keras.layers.Embedding(max_tokens, embedding_dim, mask_zero=True,
                                   name="embedding")(ids)
        for index in range(1, num_layers + 1):
            x = layer(units, return_sequences=True, name=f"{architecture}_{index}")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(max_tokens, name="logits")(x)
    return keras.Model(ids, logits, name=f"{architecture}_network")
