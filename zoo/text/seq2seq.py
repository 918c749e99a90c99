"""Sequence to sequence: a string in, a string out (a word's phonemes, a verse's translation).

A `Seq2SeqModel` is a subclassed `keras.Model` that owns both vocabularies: a source
`TextVectorization` (characters or words) and a target one (words, e.g. phonemes), adapted on
the training pairs when `zoo.train` starts (the task's `prepare`). Its target vocabulary
always begins '', '[UNK]', '[start]', '[end]' (ids 0-3), so decoding knows where to begin and
when to stop.

Architectures (`architecture`, `attention`):

- "lstm" / "gru" with attention "none": a bidirectional recurrent encoder whose final states
  start a recurrent decoder, which sees the source through them alone (Sutskever, Vinyals
  and Le 2014; Cho et al. 2014).
- "bahdanau": the decoder's output at every step also attends over the encoder's outputs with
  the additive score v . tanh(W q + U k) (Bahdanau, Cho and Bengio 2015).
- "luong": the same with the multiplicative ("general") score q . W k (Luong, Pham and
  Manning 2015). Both combine the context and the decoder's output into Luong's attentional
  vector tanh(W_c [c; h]) before the logits. Attention is computed from the decoder's output
  at each step (Luong's arrangement, without input feeding), so that teacher-forced training
  runs every step at once.
- "transformer": an encoder-decoder Transformer (Vaswani et al. 2017), post-norm blocks with
  learned positions (`zoo.layers.transformer`).

Training is teacher forcing: the data are `(source, target)` string pairs; `train_step` maps
the target to ids, feeds '[start]' and the target to the decoder, and scores its prediction
of the target and then '[end]' at every position. `call` decodes greedily, so `predict`, the
`.keras` file and the SavedModel give token ids; `zoo.text.seq2seq_decoding` decodes with beam
search and to text.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import _validate
from zoo.text.language_model import network_hyperparameters
from zoo.text.padded_tokens import (
    PADDING_ID,
    WeightedTokenMetrics,
    mean_over_real,
    real_token_weights,
)

UNKNOWN_ID, START_ID, END_ID = 1, 2, 3  # after PADDING_ID, 0
START, END = "[start]", "[end]"
ARCHITECTURES = ("lstm", "gru", "transformer")
RECURRENT_ATTENTIONS = ("none", "bahdanau", "luong")
TOKENS = ("characters", "words")


@keras.saving.register_keras_serializable(package="zoo")
def split_punctuation(text):
    """Words standardised for a word vocabulary: every mark that is not a letter, a digit or
    a space stands apart ("l'homme," -> "l ' homme ,"), so that punctuation is a token and
    words are not multiplied by the marks stuck to them."""
    return tf.strings.regex_replace(text, r"([^\pL\pN\s])", r" \1 ")


@keras.saving.register_keras_serializable(package="zoo")
def lower_and_split_punctuation(text):
    """`split_punctuation` after lower-casing (Unicode-aware: "À" -> "à")."""
    return split_punctuation(tf.strings.lower(text, encoding="utf-8"))


@keras.saving.register_keras_serializable(package="zoo")
def lowercase(text):
    """Unicode-aware lower case, for character vocabularies."""
    return tf.strings.lower(text, encoding="utf-8")


def standardizer(tokens, lowercase_text):
    """The function a vocabulary of `tokens` reads strings through (None: as they are)."""
    if tokens == "characters":
        return lowercase if lowercase_text else None
    return lower_and_split_punctuation if lowercase_text else split_punctuation


def vectorizer(tokens, max_tokens, lowercase_text, name):
    """Strings to ids of characters or of words (punctuation apart); 0 pads, 1 is unseen."""
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=standardizer(tokens, lowercase_text),
        split="character" if tokens == "characters" else "whitespace", output_mode="int",
        name=name)


@keras.saving.register_keras_serializable(package="zoo")
class Seq2SeqModel(WeightedTokenMetrics, keras.Model):
    """An encoder-decoder over strings, built from its arguments.

    Args:
        architecture: "lstm", "gru" or "transformer".
        attention: for recurrent models "none", "bahdanau" or "luong"; a Transformer attends
            by its nature (None or "multi_head").
        source_tokens, target_tokens: "characters" or "words" (punctuation apart).
        lowercase_source, lowercase_target: lower-case before splitting.
        source_max_tokens, target_max_tokens: vocabulary limits (ids 0-1, and 2-3 of the
            target, included); rarer tokens read as '[UNK]'.
        max_source_length: source tokens read (the rest is cut).
        max_output_length: target tokens written at most, '[end]' included; training
            targets are cut there too.
        embedding_dim, units: token vectors; recurrent width (the encoder's two directions
            have `units // 2` each, so `units` must be even).
        num_layers, num_heads, feed_forward_dim: the Transformer's encoder and decoder blocks.
        dropout: on the embeddings and before the logits (and inside Transformer blocks).
    """

    def __init__(self, architecture="gru", attention=None, source_tokens="characters",
                 target_tokens="words", lowercase_source=True, lowercase_target=False,
                 source_max_tokens=64, target_max_tokens=64, max_source_length=32,
                 max_output_length=32, embedding_dim=64, units=256, num_layers=2,
                 num_heads=4, feed_forward_dim=512, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.architecture = _validate.choice("architecture", architecture, ARCHITECTURES)
        if architecture == "transformer":
            _validate.choice("attention", attention, (None, "multi_head"))
            self.attention = "multi_head"
        else:
            self.attention = _validate.choice("attention", "none" if attention is None
                                              else attention, RECURRENT_ATTENTIONS)
        self.source_tokens = _validate.choice("source_tokens", source_tokens, TOKENS)
        self.target_tokens = _validate.choice("target_tokens", target_tokens, TOKENS)
        self.lowercase_source = bool(lowercase_source)
        self.lowercase_target = bool(lowercase_target)
        self.source_max_tokens = _validate.positive_int("source_max_tokens", source_max_tokens)
        self.target_max_tokens = _validate.positive_int("target_max_tokens", target_max_tokens)
        if source_max_tokens < 3 or target_max_tokens < 5:
            raise ValueError(f"source_max_tokens={source_max_tokens} and target_max_tokens="
                             f"{target_max_tokens} must leave ids for tokens (at least 3 and "
                             "5: padding, '[UNK]', and '[start]' and '[end]' in the target).")
        self.max_source_length = _validate.positive_int("max_source_length", max_source_length)
        self.max_output_length = _validate.positive_int("max_output_length", max_output_length)
        self.hyperparameters = network_hyperparameters(
            architecture, embedding_dim=embedding_dim, units=units, num_layers=num_layers,
            num_heads=num_heads, feed_forward_dim=feed_forward_dim, dropout=dropout)
        if architecture != "transformer" and units % 2:
            raise ValueError(f"units={units!r} must be even: the bidirectional encoder gives "
                             "each direction half.")
        self.source_vectorize = vectorizer(source_tokens, source_max_tokens, lowercase_source,
                                           "source_vectorize")
        self.target_vectorize = vectorizer(target_tokens, target_max_tokens, lowercase_target,
                                           "target_vectorize")
        if architecture == "transformer":
            self._make_transformer(**self.hyperparameters)
        else:
            self._make_recurrent(**self.hyperparameters)
        self.build((None,))

    # --- layers ------------------------------------------------------------------------------

    def _make_recurrent(self, *, embedding_dim, units, dropout, **_):
        recurrent = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[self.architecture]
        self.source_embedding = keras.layers.Embedding(self.source_max_tokens, embedding_dim,
                                                       mask_zero=True, name="source_embedding")
        self.encoder = keras.layers.Bidirectional(
            recurrent(units // 2, return_sequences=True, return_state=True), name="encoder")
        self.target_embedding = keras.layers.Embedding(self.target_max_tokens, embedding_dim,
                                                       mask_zero=True, name="target_embedding")
        self.decoder = recurrent(units, return_sequences=True, name="decoder")
        if self.attention != "none":
            # Bahdanau: v . tanh(W q + U k), the additive layer's tanh and v over projections
            # of both; Luong's "general" score: q . (W k), a dot product with projected keys.
            self.key_projection = keras.layers.Dense(units, use_bias=False,
                                                     name="key_projection")
            if self.attention == "bahdanau":
                self.query_projection = keras.layers.Dense(units, name="query_projection")
                self.score = keras.layers.AdditiveAttention(name="additive_attention")
            else:
                self.score = keras.layers.Attention(name="multiplicative_attention")
            self.attentional = keras.layers.Dense(units, activation="tanh", use_bias=False,
                                                  name="attentional")
        self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.logits = keras.layers.Dense(self.target_max_tokens, name="logits")

    def _make_transformer(self, *, embedding_dim, num_layers, num_heads, feed_forward_dim,
                          dropout, **_):
        from zoo.layers.transformer import (
            TokenAndPositionEmbedding,
            TransformerDecoder,
            TransformerEncoder,
        )

        self.source_embedding = TokenAndPositionEmbedding(
            self.source_max_tokens, self.max_source_length, embedding_dim,
            name="source_embedding")
        self.encoder_blocks = [TransformerEncoder(num_heads, feed_forward_dim, dropout,
                                                  name=f"encoder_{i}")
                               for i in range(1, num_layers + 1)]
        self.target_embedding = TokenAndPositionEmbedding(
            self.target_max_tokens, self.max_output_length, embedding_dim,
            name="target_embedding")
        self.decoder_blocks = [TransformerDecoder(num_heads, feed_forward_dim, dropout,
                                                  name=f"decoder_{i}")
                               for i in range(1, num_layers + 1)]
        self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        self.output_dropout = keras.layers.Dropout(0.0, name="output_dropout")
        self.logits = keras.layers.Dense(self.target_max_tokens, name="logits")

    def build(self, input_shape):
        """Builds every layer by running a two-token source and '[start]' through."""
        self.source_vectorize.build(input_shape)
        self.target_vectorize.build(input_shape)
        source = tf.fill((1, 2), tf.constant(2, tf.int64))
        memory, states, source_mask = self.encode(source)
        self.decode(memory, states, source_mask, tf.fill((1, 1), tf.constant(START_ID,
                                                                              tf.int64)))

    # --- vocabularies ------------------------------------------------------------------------

    def source_vocabulary(self) -> list[str]:
        return [str(token) for token in self.source_vectorize.get_vocabulary()]

    def target_vocabulary(self) -> list[str]:
        """The target tokens by id: '', '[UNK]', '[start]', '[end]' first once adapted."""
        return [str(token) for token in self.target_vectorize.get_vocabulary()]

    def adapt(self, pairs: tf.data.Dataset) -> None:
        """Learns both vocabularies from batches of `(source, target)` strings, the target's
        with '[start]' and '[end]' placed at ids 2 and 3, and starts the logits at the
        targets' unigram distribution (`initialise_output_prior`)."""
        if not isinstance(pairs.element_spec, tuple) or len(pairs.element_spec) < 2:
            raise ValueError("a sequence-to-sequence model adapts on (source, target) string "
                             "pairs, e.g. zoo.data.load('cmudict', feature=('word', "
                             "'phonemes'))")
        self.source_vectorize.adapt(pairs.map(lambda x, y, *_: x))
        self.target_vectorize.adapt(pairs.map(lambda x, y, *_: y))
        learned = [t for t in self.target_vocabulary()[2:] if t not in (START, END)]
        self.target_vectorize.set_vocabulary(
            [START, END, *learned][: self.target_max_tokens - 2])
        self.initialise_output_prior(pairs)

    def initialise_output_prior(self, pairs: tf.data.Dataset) -> None:
        """Sets the logits' bias to the log frequencies of the target tokens ('[end]'
        included, add-one smoothed) in `pairs`, so that the untrained model already
        predicts the targets' unigram distribution ("init well", Karpathy 2019; the prior
        initialisation of Lin et al. 2017, "Focal Loss for Dense Object Detection").

        Why: from a zero bias, a word vocabulary spends its first epochs learning that
        distribution. Measured on verse translation (8,000 French words, batches of 64): a
        whole epoch (416 steps, Adam at 2e-3) left the validation loss at 5.82 nats per
        token, above the unigram's 5.77, and the output a string of commas (so did 3e-3 and
        1e-3); with the prior, 200 steps at 3e-3 reach a training loss of 4.61 and 22%
        token accuracy."""
        size = self.target_max_tokens

        def counts(target_text):
            _, targets = self.teacher_forcing_pair(target_text)
            return tf.math.bincount(tf.cast(targets, tf.int32), minlength=size,
                                    maxlength=size, dtype=tf.float32)

        total = pairs.map(lambda x, y, *_: counts(y)).reduce(
            tf.zeros([size], tf.float32), lambda running, batch: running + batch)
        # bincount counted the padding positions too; padding is never a target.
        total = tf.tensor_scatter_nd_update(total + 1.0, [[PADDING_ID]], [1.0])
        self.logits.bias.assign(tf.math.log(total / tf.reduce_sum(total)))

    def standardize_target(self, texts) -> list[str]:
        """Target strings as the target vocabulary reads them, tokens joined by single spaces
        (characters joined by nothing): what a perfect model would write for them."""
        function = standardizer(self.target_tokens, self.lowercase_target)
        texts = tf.constant(list(texts))
        texts = function(texts) if function else texts
        decoded = [text.decode("utf-8") for text in texts.numpy()]
        if self.target_tokens == "characters":
            return decoded
        return [" ".join(text.split()) for text in decoded]

    def is_adapted(self) -> bool:
        return len(self.target_vocabulary()) > 4 and len(self.source_vocabulary()) > 2

    def check_adapted(self):
        if not self.is_adapted():
            raise ValueError(f"model {self.name!r} has no vocabularies yet: train it (zoo.train "
                             "adapts them on the training pairs) or call model.adapt(pairs).")
        if self.target_vocabulary()[START_ID:END_ID + 1] != [START, END]:
            raise ValueError(f"model {self.name!r}'s target vocabulary does not have {START} "
                             f"and {END} at ids {START_ID} and {END_ID}: adapt it with "
                             "model.adapt(pairs), not the vectoriser's own adapt.")

    def source_ids(self, text):
        """Strings (batch,) to source ids (batch, 1 to max_source_length), 0-padded. Empty
        sources still have one (padding) position: a recurrent encoder cannot run over none."""
        ids = tf.cast(self.source_vectorize(text)[:, : self.max_source_length], tf.int64)
        return tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])

    def teacher_forcing_pair(self, target_text):
        """Target strings to the decoder's inputs ('[start]' then the tokens) and the tokens
        it must predict (the tokens then '[end]'), both (batch, <= max_output_length). A
        target cut at `max_output_length` has no '[end]': it did not end there."""
        ids = tf.cast(self.target_vectorize(target_text), tf.int64)[:, : self.max_output_length]
        batch = tf.shape(ids)[0]
        starts = tf.fill([batch, 1], tf.constant(START_ID, tf.int64))
        inputs = tf.concat([starts, ids], axis=1)[:, : self.max_output_length]
        lengths = tf.math.count_nonzero(ids, axis=1)
        ends = tf.one_hot(lengths, tf.shape(ids)[1] + 1, on_value=tf.constant(END_ID, tf.int64),
                          off_value=tf.constant(0, tf.int64), dtype=tf.int64)
        targets = (tf.pad(ids, [[0, 0], [0, 1]]) + ends)[:, : self.max_output_length]
        return inputs, targets

    # --- the network -------------------------------------------------------------------------

    def encode(self, source_ids, training=False):
        """Source ids to `(memory, states, source_mask)`: the encoder's outputs (batch,
        source length, width), the states that start a recurrent decoder (none for the
        Transformer) and True where the source has a token."""
        source_mask = tf.not_equal(source_ids, PADDING_ID)
        x = self.embedding_dropout(self.source_embedding(source_ids), training=training)
        if self.architecture == "transformer":
            for block in self.encoder_blocks:
                x = block(x, mask=source_mask, training=training)
            return x, [], source_mask
        outputs = self.encoder(x, mask=source_mask, training=training)
        memory, states = outputs[0], outputs[1:]
        half = len(states) // 2  # forward states, then backward states
        states = [tf.concat([forward, backward], axis=-1)
                  for forward, backward in zip(states[:half], states[half:], strict=True)]
        return memory, states, source_mask

    def decode(self, memory, states, source_mask, decoder_ids, training=False,
               return_attention=False):
        """Logits (batch, target length, target_max_tokens) of the token after each prefix
        of `decoder_ids` ('[start]' first); each position sees only the positions up to
        itself. With `return_attention`, also the weights over the source (batch, target
        length, source length) of the attention, heads averaged (None without attention)."""
        target_mask = tf.not_equal(decoder_ids, PADDING_ID)
        x = self.embedding_dropout(self.target_embedding(decoder_ids), training=training)
        weights = None
        if self.architecture == "transformer":
            for block in self.decoder_blocks:
                x, scores = block(x, memory, mask=target_mask, context_mask=source_mask,
                                  training=training, return_attention_scores=True)
            weights = tf.reduce_mean(scores, axis=1)
        else:
            x = self.decoder(x, initial_state=states, mask=target_mask, training=training)
            x, weights = self._attend(x, memory, source_mask, target_mask, training)
        logits = self.logits(self.output_dropout(x, training=training))
        return (logits, weights) if return_attention else logits

    def _attend(self, x, memory, source_mask, target_mask=None, training=False):
        """A recurrent decoder's outputs (batch, steps, units) combined with what they attend
        to in `memory` (Luong's attentional vectors), and the attention weights; as they
        are without attention."""
        if self.attention == "none":
            return x, None
        keys = self.key_projection(memory)
        query = self.query_projection(x) if self.attention == "bahdanau" else x
        context, weights = self.score([query, memory, keys], mask=[target_mask, source_mask],
                                      return_attention_scores=True, training=training)
        return self.attentional(tf.concat([context, x], axis=-1)), weights

    def decode_step(self, memory, source_mask, decoder_ids, state):
        """`(logits, state)`: the logits (batch, target_max_tokens) of the token after each
        prefix `decoder_ids` (batch, length), and the decoder's state after reading it. A
        recurrent decoder reads only the last token and carries its state (which starts as
        `encode`'s states), so decoding costs one step per token; the Transformer re-reads
        the prefix (its state stays empty)."""
        if self.architecture == "transformer":
            return self.decode(memory, [], source_mask, decoder_ids)[:, -1], state
        # The embedding table read directly: the layer would attach a padding mask, which a
        # cell called alone cannot take.
        x = tf.gather(self.target_embedding.embeddings, decoder_ids[:, -1])
        x, state = self.decoder.cell(x, list(state))
        x, _ = self._attend(x[:, tf.newaxis], memory, source_mask)
        return self.logits(x)[:, 0], tf.nest.flatten(state)

    def teacher_forced(self, source_text, target_text, training=False):
        """`(logits, targets)` of predicting each target token from the source and the
        target tokens before it."""
        memory, states, source_mask = self.encode(self.source_ids(source_text), training)
        inputs, targets = self.teacher_forcing_pair(target_text)
        return self.decode(memory, states, source_mask, inputs, training), targets

    def call(self, source_text, training=False):
        """Strings (batch,) to the greedy decoding's token ids (batch, max_output_length),
        '[end]' and everything after it 0."""
        from zoo.text.seq2seq_decoding import beam_search

        ids, _ = beam_search(self, self.source_ids(source_text), num_beams=1)
        return ids

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.max_output_length)

    # --- training ----------------------------------------------------------------------------

    def _scored(self, x, y, sample_weight, training):
        """Teacher-forced logits, target ids and token weights that leave padding out (the
        metrics' weights; the loss's are `mean_over_real` of them)."""
        if y is None or getattr(y, "dtype", None) != tf.string:
            raise ValueError("a sequence-to-sequence model trains on (source, target) string "
                             "pairs; the data gave no target strings.")
        logits, targets = self.teacher_forced(x, y, training)
        return logits, targets, real_token_weights(targets, logits.dtype, sample_weight)

    def _token_loss(self, x, targets, logits, weights, training):
        """The compiled loss averaged over the real target tokens."""
        return super().compute_loss(x=x, y=targets, y_pred=logits,
                                    sample_weight=mean_over_real(weights), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of the teacher-forced logits against the target tokens of the
        strings `y`, averaged over real tokens. `y_pred` (what `call` gives: decoded ids)
        does not enter it."""
        logits, targets, weights = self._scored(x, y, sample_weight, training)
        return self._token_loss(x, targets, logits, weights, training)

    # train_step and test_step are Keras' own (TensorFlow backend) with the forward pass
    # replaced by teacher forcing: `call` decodes, which training must not do.
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits, targets, weights = self._scored(x, y, sample_weight, training=True)
            loss = self._token_loss(x, targets, logits, weights, training=True)
            self._loss_tracker.update_state(loss, sample_weight=tf.shape(x)[0])
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights, strict=True))
        return super().compute_metrics(x, targets, logits, weights)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        logits, targets, weights = self._scored(x, y, sample_weight, training=False)
        loss = self._token_loss(x, targets, logits, weights, training=False)
        self._loss_tracker.update_state(loss, sample_weight=tf.shape(x)[0])
        return super().compute_metrics(x, targets, logits, weights)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Metrics of the teacher-forced logits (as in `train_step`) for target strings `y`."""
        if y is not None and y.dtype == tf.string:
            y_pred, y, sample_weight = self._scored(x, y, sample_weight, training=False)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), "architecture": self.architecture,
                "attention": None if self.architecture == "transformer" else self.attention,
                "source_tokens": self.source_tokens, "target_tokens": self.target_tokens,
                "lowercase_source": self.lowercase_source,
                "lowercase_target": self.lowercase_target,
                "source_max_tokens": self.source_max_tokens,
                "target_max_tokens": self.target_max_tokens,
                "max_source_length": self.max_source_length,
                "max_output_length": self.max_output_length, **self.hyperparameters}
