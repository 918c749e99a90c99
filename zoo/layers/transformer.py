"""Transformer blocks (Vaswani et al. 2017, "Attention Is All You Need"): the encoder block
shared by the text classifier and the BERT-style masked language model (Devlin et al. 2019),
the decoder-only block of the character language model, and the encoder-decoder's decoder
block of the sequence-to-sequence Transformer.

Token id 0 is padding (as `TextVectorization` gives it): `TokenAndPositionEmbedding` masks it,
and the encoder lets no position attend to padding, so padding changes no real token's output.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embeddings plus learned position embeddings (BERT's), id 0 masked as padding."""

    def __init__(self, vocabulary_size, sequence_length, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = _validate.positive_int("vocabulary_size", vocabulary_size)
        self.sequence_length = _validate.positive_int("sequence_length", sequence_length)
        self.embedding_dim = _validate.positive_int("embedding_dim", embedding_dim)
        self.tokens = keras.layers.Embedding(vocabulary_size, embedding_dim, name="tokens")
        self.positions = keras.layers.Embedding(sequence_length, embedding_dim,
                                                name="positions")
        self.supports_masking = True

    def build(self, input_shape):
        self.tokens.build(input_shape)
        self.positions.build((self.sequence_length,))

    def call(self, token_ids):
        length = ops.shape(token_ids)[-1]
        return self.tokens(token_ids) + self.positions(ops.arange(length))

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length, "embedding_dim": self.embedding_dim}


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per position to a sequence of vectors (batch, length, width), as
    BERT's position embeddings do for tokens; for inputs that are vectors already (a
    forecaster's patches of a series)."""

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = _validate.positive_int("sequence_length", sequence_length)
        self.supports_masking = True

    def build(self, input_shape):
        if input_shape[-2] is not None and input_shape[-2] > self.sequence_length:
            raise ValueError(f"inputs of length {input_shape[-2]} exceed sequence_length="
                             f"{self.sequence_length}.")
        self.positions = self.add_weight(shape=(self.sequence_length, input_shape[-1]),
                                         initializer=keras.initializers.RandomNormal(stddev=0.02),
                                         name="positions")

    def call(self, x):
        return x + self.positions[: ops.shape(x)[-2]]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length}


class _AttentionBlock(keras.layers.Layer):
    """What an encoder and a decoder block share: multi-head self-attention over the
    sequence, a GELU feed-forward network, residual dropout, the padding mask kept, and the
    configuration. Subclasses add their layer norms and their `call`. The sublayers' names
    (`attention`, `feed_forward`) are what pretrained weights are ported by."""

    def __init__(self, num_heads, feed_forward_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = _validate.positive_int("num_heads", num_heads)
        self.feed_forward_dim = _validate.positive_int("feed_forward_dim", feed_forward_dim)
        self.dropout = _validate.fraction("dropout", dropout)
        self.supports_masking = True

    def build_attention_and_feed_forward(self, input_shape):
        width = input_shape[-1]
        if width % self.num_heads:
            raise ValueError(f"the embedding width {width} must be divisible by "
                             f"num_heads={self.num_heads}.")
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, width // self.num_heads, dropout=self.dropout, name="attention")
        self.attention.build(input_shape, input_shape)
        self.feed_forward = keras.Sequential([
            keras.layers.Dense(self.feed_forward_dim, activation="gelu"),
            keras.layers.Dense(width)], name="feed_forward")
        self.feed_forward.build(input_shape)
        self.residual_dropout = keras.layers.Dropout(self.dropout)

    def _layer_norm(self, name, input_shape, epsilon):
        norm = keras.layers.LayerNormalization(epsilon=epsilon, name=name)
        norm.build(input_shape)
        return norm

    @staticmethod
    def attention_mask(mask):
        """No query attends to a padded key."""
        return None if mask is None else ops.expand_dims(ops.cast(mask, "bool"), axis=1)

    def compute_mask(self, x, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "feed_forward_dim": self.feed_forward_dim, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="zoo")
class TransformerEncoder(_AttentionBlock):
    """One encoder block: multi-head self-attention and a position-wise feed-forward network,
    each followed by dropout, a residual connection and layer normalisation (the original
    post-norm arrangement, as in BERT)."""

    def build(self, input_shape):
        self.build_attention_and_feed_forward(input_shape)
        self.attention_norm = self._layer_norm("attention_norm", input_shape, 1e-6)
        self.output_norm = self._layer_norm("output_norm", input_shape, 1e-6)

    def call(self, x, mask=None, training=None):
        attended = self.attention(x, x, attention_mask=self.attention_mask(mask),
                                  training=training)
        x = self.attention_norm(x + self.residual_dropout(attended, training=training))
        transformed = self.feed_forward(x, training=training)
        return self.output_norm(x + self.residual_dropout(transformed, training=training))


@keras.saving.register_keras_serializable(package="zoo")
class CausalDecoder(_AttentionBlock):
    """One decoder-only block (GPT-2's, Radford et al. 2019): layer norm, causal multi-head
    self-attention (no position attends to a later one), residual; layer norm, a GELU
    feed-forward network, residual. Pre-norm, as GPT-2 and nanoGPT, which trains stably
    without a learning-rate warm-up at this size. Padding (masked) keys are never attended
    to."""

    def __init__(self, num_heads, feed_forward_dim, dropout=0.0, **kwargs):
        super().__init__(num_heads, feed_forward_dim, dropout, **kwargs)

    def build(self, input_shape):
        self.build_attention_and_feed_forward(input_shape)
        self.attention_norm = self._layer_norm("attention_norm", input_shape, 1e-5)
        self.feed_forward_norm = self._layer_norm("feed_forward_norm", input_shape, 1e-5)

    def call(self, x, mask=None, training=None):
        normed = self.attention_norm(x)
        attended = self.attention(normed, normed, attention_mask=self.attention_mask(mask),
                                  use_causal_mask=True, training=training)
        x = x + self.residual_dropout(attended, training=training)
        transformed = self.feed_forward(self.feed_forward_norm(x), training=training)
        return x + self.residual_dropout(transformed, training=training)


@keras.saving.register_keras_serializable(package="zoo")
class TransformerDecoder(_AttentionBlock):
    """One decoder block of the encoder-decoder Transformer (Vaswani et al. 2017): causal
    self-attention over the target so far, attention over the encoder's outputs
    (cross-attention), and the feed-forward network, each followed by dropout, a residual
    connection and layer normalisation (post-norm, as `TransformerEncoder`).

    Call it as `block(x, context, context_mask=...)`: `x` the target's vectors (its padding
    mask comes with it), `context` the encoder's outputs of the same width and
    `context_mask` (batch, source length) True for the source's real tokens. With
    `return_attention_scores=True` it also returns the cross-attention weights
    (batch, heads, target length, source length): where each target position looked."""

    def build(self, x_shape, context_shape=None):
        self.build_attention_and_feed_forward(x_shape)
        width = x_shape[-1]
        self.cross_attention = keras.layers.MultiHeadAttention(
            self.num_heads, width // self.num_heads, dropout=self.dropout,
            name="cross_attention")
        self.cross_attention.build(x_shape, context_shape or x_shape)
        self.attention_norm = self._layer_norm("attention_norm", x_shape, 1e-6)
        self.cross_attention_norm = self._layer_norm("cross_attention_norm", x_shape, 1e-6)
        self.output_norm = self._layer_norm("output_norm", x_shape, 1e-6)

    def call(self, x, context, mask=None, context_mask=None, training=None,
             return_attention_scores=False):
        attended = self.attention(x, x, attention_mask=self.attention_mask(mask),
                                  use_causal_mask=True, training=training)
        x = self.attention_norm(x + self.residual_dropout(attended, training=training))
        looked, scores = self.cross_attention(
            x, context, attention_mask=self.attention_mask(context_mask),
            return_attention_scores=True, training=training)
        x = self.cross_attention_norm(x + self.residual_dropout(looked, training=training))
        transformed = self.feed_forward(x, training=training)
        x = self.output_norm(x + self.residual_dropout(transformed, training=training))
        return (x, scores) if return_attention_scores else x
