"""BERT-style masked language model pretraining (Devlin, Chang, Lee and Toutanova, 2019,
"BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", NAACL,
arXiv:1810.04805), and a `text_transformer` classifier started from its weights.

    mlm = pretrain(unlabelled_texts, max_tokens=4000, sequence_length=128, epochs=16)
    classifier = classifier_from_pretrained(mlm, num_classes=8, dropout=0.1)
    zoo.train(classifier, (train, validation))   # fine-tuning; the vocabulary is kept

The encoder is `zoo.models.text.transformer.transformer_body`, the body of `text_transformer`,
with the same layer names (`vectorize`, `embedding`, `encoder_1..n`), so the weights port to
the classifier by name. BERT's masked-LM objective (its Section 3.1, "Task #1"): 15% of the
real tokens are picked; of those 80% become [MASK], 10% a random word and 10% stay; the loss
is the cross-entropy of predicting the original token at the picked positions only. BERT's
next-sentence objective is left out: RoBERTa (Liu et al. 2019, arXiv:1907.11692) found that
dropping it loses nothing, and it also packs text into full-length sequences across text
boundaries (its FULL-SENTENCES), as `pack_texts` does here.

The [MASK] token. The vectoriser is adapted on the pretraining text with room for one word
less than `max_tokens`, and "[MASK]" is appended as the last id. The default standardisation
lower-cases and strips punctuation, so no input text can produce "[MASK]": the id appears only
where masking puts it. The classifier inherits the whole vocabulary (its [MASK] row is unused).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.data.feeding import prefetched

MASK_TOKEN = "[MASK]"
FIRST_WORD_ID = 2  # TextVectorization's 0 is padding and 1 is [UNK]
# BERT's corruption of the picked tokens: [MASK], a random word, or the token unchanged.
MASK_SHARE, RANDOM_SHARE = 0.8, 0.1
_BODY_LAYERS = ("embedding", "embedding_dropout")


def mask_tokens(ids, seed, *, mask_id, rate=0.15):
    """BERT's corruption of a batch of token ids (0 = padding).

    Each real token is picked with probability `rate`; a picked token becomes `mask_id` with
    probability 0.8, a word id drawn uniformly from [FIRST_WORD_ID, mask_id) with 0.1, and
    stays itself with 0.1. Stateless: the same `seed` (two integers) gives the same result.
    Returns `(inputs, picked)`: the corrupted ids and the boolean positions to predict.
    """
    ids = tf.convert_to_tensor(ids, tf.int64)
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=3)
    shape = tf.shape(ids)
    picked = (ids != 0) & (tf.random.stateless_uniform(shape, seeds[0]) < rate)
    kind = tf.random.stateless_uniform(shape, seeds[1])
    random_words = tf.random.stateless_uniform(shape, seeds[2], minval=FIRST_WORD_ID,
                                               maxval=mask_id, dtype=tf.int64)
    inputs = tf.where(picked & (kind < MASK_SHARE), tf.constant(mask_id, tf.int64), ids)
    replace = picked & (kind >= MASK_SHARE) & (kind < MASK_SHARE + RANDOM_SHARE)
    return tf.where(replace, random_words, inputs), picked


@keras.saving.register_keras_serializable(package="zoo")
class MaskedLanguageModel(keras.Model):
    """A Transformer encoder with BERT's masked-LM head, trained by `fit` on batches of
    strings (no labels).

    `vocabulary` is the vectoriser's full vocabulary: '' and '[UNK]' first, "[MASK]" last
    (`mlm_vocabulary` makes one). The head is BERT's: a dense layer with GELU, layer
    normalisation, and the token embedding matrix (tied, as in BERT) plus a bias projecting
    to the vocabulary. Called on strings it returns the logits of every position's token,
    (batch, sequence_length, vocabulary size), without masking.

    Metrics: `loss` (mean cross-entropy over the picked tokens) and `masked_accuracy`.
    Masking is seeded: training step t draws its masks from `(seed, t)`, so a run repeats;
    evaluation draws from `(seed, sum of the batch's ids)`, so the same batch always gets the
    same masks and evaluations compare, in any order of batches.
    """

    def __init__(self, vocabulary, sequence_length=128, embedding_dim=128, num_heads=4,
                 feed_forward_dim=256, num_layers=2, dropout=0.1, mask_rate=0.15, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        from zoo.models.text._common import text_input
        from zoo.models.text.transformer import transformer_body

        self.vocabulary = [str(word) for word in vocabulary]
        if len(self.vocabulary) <= FIRST_WORD_ID + 1 or self.vocabulary[-1] != MASK_TOKEN:
            raise ValueError(f"vocabulary must hold '', '[UNK]', at least one word and "
                             f"{MASK_TOKEN!r} last (see mlm_vocabulary); got "
                             f"{len(self.vocabulary)} entries ending in "
                             f"{self.vocabulary[-1:]!r}.")
        self.sequence_length = _validate.positive_int("sequence_length", sequence_length)
        self.embedding_dim = _validate.positive_int("embedding_dim", embedding_dim)
        self.num_heads = _validate.positive_int("num_heads", num_heads)
        self.feed_forward_dim = _validate.positive_int("feed_forward_dim", feed_forward_dim)
        self.num_layers = _validate.positive_int("num_layers", num_layers)
        self.dropout = _validate.fraction("dropout", dropout)
        self.mask_rate = _validate.fraction("mask_rate", mask_rate, inclusive_zero=False)
        self.seed = int(seed)
        if embedding_dim % num_heads:
            raise ValueError(f"embedding_dim={embedding_dim!r} must be divisible by "
                             f"num_heads={num_heads!r}.")

        # The classifier's own body, built once from strings; the vectoriser is then split off
        # so that masking can corrupt the token ids between it and the embedding.
        text = text_input()
        body = keras.Model(text, transformer_body(
            text, max_tokens=self.vocabulary_size, sequence_length=sequence_length,
            embedding_dim=embedding_dim, num_heads=num_heads, feed_forward_dim=feed_forward_dim,
            num_layers=num_layers, dropout=dropout, vocabulary=self.vocabulary))
        self.vectorize = body.get_layer("vectorize")
        ids = keras.Input((sequence_length,), dtype="int64", name="token_ids")
        x = ids
        for name in self.encoder_layer_names(with_dropout=True):
            x = body.get_layer(name)(x)
        self.encoder = keras.Model(ids, x, name="encoder")

        self.head_dense = keras.layers.Dense(embedding_dim, activation="gelu", name="mlm_dense")
        self.head_dense.build((None, embedding_dim))
        self.head_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="mlm_norm")
        self.head_norm.build((None, embedding_dim))
        self.output_bias = self.add_weight(shape=(self.vocabulary_size,), initializer="zeros",
                                           name="mlm_bias")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="masked_accuracy")
        # Every weight exists now. Built, `fit` and loading create the optimizer's slots (a
        # `.keras` file's optimizer state loads) although train_step never calls the model.
        self.built = True

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    @property
    def mask_id(self) -> int:
        return self.vocabulary_size - 1

    def encoder_layer_names(self, with_dropout=False) -> list[str]:
        """The body's layers after the vectoriser, in order: the ones a classifier takes over
        (without the weightless dropout unless asked)."""
        names = [*_BODY_LAYERS, *(f"encoder_{i}" for i in range(1, self.num_layers + 1))]
        return names if with_dropout else [n for n in names if n != "embedding_dropout"]

    def _logits(self, hidden):
        tokens = self.encoder.get_layer("embedding").tokens.embeddings
        transformed = self.head_norm(self.head_dense(hidden))
        return tf.matmul(transformed, tokens, transpose_b=True) + self.output_bias

    def call(self, text, training=False):
        return self._logits(self.encoder(self.vectorize(text), training=training))

    def mask(self, ids, seed):
        return mask_tokens(ids, seed, mask_id=self.mask_id, rate=self.mask_rate)

    def masked_loss(self, targets, inputs, picked, training=False):
        """Cross-entropy of predicting `targets` from the encoding of `inputs`, at the
        `picked` positions only. Returns (loss, logits at picked positions, their targets).
        The vocabulary projection runs on the picked positions alone: it is the largest matrix
        product, and the others' logits would be thrown away."""
        hidden = self.encoder(inputs, training=training)
        logits = self._logits(tf.boolean_mask(hidden, picked))
        labels = tf.boolean_mask(targets, picked)
        losses = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        count = tf.maximum(tf.cast(tf.size(labels), losses.dtype), 1.0)  # a batch may pick none
        return tf.reduce_sum(losses) / count, logits, labels

    def _report(self, loss, labels, logits):
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        text, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        ids = self.vectorize(text)
        seed = tf.stack([tf.constant(self.seed, tf.int64),
                         tf.cast(self.optimizer.iterations, tf.int64)])
        inputs, picked = self.mask(ids, seed)
        with tf.GradientTape() as tape:
            loss, logits, labels = self.masked_loss(ids, inputs, picked, training=True)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        return self._report(loss, labels, logits)

    def test_step(self, data):
        text, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        ids = self.vectorize(text)
        inputs, picked = self.mask(ids, tf.stack([tf.constant(self.seed, tf.int64),
                                                  tf.reduce_sum(ids)]))
        loss, logits, labels = self.masked_loss(ids, inputs, picked)
        return self._report(loss, labels, logits)

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary,
                "sequence_length": self.sequence_length, "embedding_dim": self.embedding_dim,
                "num_heads": self.num_heads, "feed_forward_dim": self.feed_forward_dim,
                "num_layers": self.num_layers, "dropout": self.dropout,
                "mask_rate": self.mask_rate, "seed": self.seed}


def _text_batches(texts, batch_size=1024):
    """Batches of strings from an array of texts or a dataset of strings (batched or not,
    `(text, label)` pairs reduced to the text)."""
    if not isinstance(texts, tf.data.Dataset):
        texts = np.asarray(list(texts), dtype=object)
        if len(texts) == 0:
            raise ValueError("texts is empty; pretraining needs a corpus.")
        return tf.data.Dataset.from_tensor_slices(texts.astype(str)).batch(batch_size)
    if isinstance(texts.element_spec, tuple):
        texts = texts.map(lambda *example: example[0])
    return texts if texts.element_spec.shape.rank == 1 else texts.batch(batch_size)


def mlm_vocabulary(texts, max_tokens=10000) -> list[str]:
    """'' , '[UNK]', the `max_tokens - 3` most frequent words of `texts` and "[MASK]": the
    vocabulary of a `MaskedLanguageModel`, adapted on the pretraining text only."""
    _validate.positive_int("max_tokens", max_tokens)
    if max_tokens < FIRST_WORD_ID + 2:
        raise ValueError(f"max_tokens={max_tokens!r} must be at least 4 (padding, [UNK], a "
                         f"word and {MASK_TOKEN}).")
    vectorize = keras.layers.TextVectorization(max_tokens=max_tokens - 1)
    vectorize.adapt(_text_batches(texts))
    return [*vectorize.get_vocabulary(), MASK_TOKEN]


def pack_texts(texts, sequence_length) -> np.ndarray:
    """The words of `texts`, in order, cut into pieces of `sequence_length` words (RoBERTa's
    FULL-SENTENCES packing, across text boundaries). A verse of 25 words padded to 128 would
    spend four fifths of the encoder's work on padding; packed, every position is text, and
    long texts give several sequences instead of being truncated."""
    _validate.positive_int("sequence_length", sequence_length)
    words = [word for text in texts for word in str(text).split()]
    return np.array([" ".join(words[i:i + sequence_length])
                     for i in range(0, len(words), sequence_length)], dtype=object)


def pretrain(texts, *, max_tokens=4000, sequence_length=128, embedding_dim=64, num_heads=4,
             feed_forward_dim=256, num_layers=2, dropout=0.0, mask_rate=0.15, epochs=16,
             batch_size=16, learning_rate=2e-3, warmup_fraction=0.1, weight_decay=0.01,
             pack=True, validation_texts=None, seed=0, callbacks=(), verbose="auto"):
    """Pretrain a `MaskedLanguageModel` on unlabelled text and return it (its `history`
    holds the per-epoch loss and masked accuracy).

    `texts`: an array of strings (packed into `sequence_length`-word pieces when `pack`,
    shuffled every epoch with `seed`) or a `tf.data.Dataset` of strings used as it is. The
    vocabulary is adapted on `texts` alone. Optimiser: AdamW with linear warm-up over the
    first `warmup_fraction` of the steps, then cosine decay to zero (BERT warms up, then
    decays linearly; cosine is Keras' built-in with warm-up). `validation_texts`, if given,
    are packed alike and report `val_loss`/`val_masked_accuracy` each epoch.

    The defaults are those `benchmarks/pretraining.py` measured with. A small vocabulary: a
    word the MLM sees rarely keeps an embedding close to its random start, and in a classifier
    that noise enters every text the word is in, while a word outside the vocabulary maps to
    [UNK], whose embedding is trained. On R8 with 10% of its labels (three seeds), pretraining
    on R8's texts with 10,000 words for 8 epochs (masked accuracy 0.136) fine-tuned to
    0.895-0.927, below the same network from scratch; with 4,000 words for 12 epochs (0.186)
    to 0.923-0.935, above it on every seed. No dropout: a few epochs
    over millions of words overfit nothing (Geiping and Goldstein 2023, "Cramming",
    arXiv:2212.14034, drop it for short budgets too); give the classifier its dropout when
    fine-tuning. Batches of 16 reached a higher masked accuracy than batches of 32 in about
    the same time on two CPU cores (0.076 against 0.055 after two epochs of R8's texts): more,
    smaller steps early in training.
    """
    _validate.positive_int("epochs", epochs)
    _validate.positive_int("batch_size", batch_size)
    _validate.fraction("warmup_fraction", warmup_fraction)
    keras.utils.set_random_seed(seed)  # the initial weights follow the seed
    if isinstance(texts, tf.data.Dataset):
        train = _text_batches(texts, batch_size)
    else:
        pieces = pack_texts(texts, sequence_length) if pack else np.asarray(texts, object)
        train = prefetched(tf.data.Dataset.from_tensor_slices(pieces.astype(str)).cache()
                           .shuffle(len(pieces), seed=seed, reshuffle_each_iteration=True)
                           .batch(batch_size))
    validation = None
    if validation_texts is not None:
        pieces = pack_texts(validation_texts, sequence_length) if pack else validation_texts
        validation = prefetched(_text_batches(pieces, batch_size).cache())

    mlm = MaskedLanguageModel(
        mlm_vocabulary(train, max_tokens), sequence_length=sequence_length,
        embedding_dim=embedding_dim, num_heads=num_heads, feed_forward_dim=feed_forward_dim,
        num_layers=num_layers, dropout=dropout, mask_rate=mask_rate, seed=seed)
    steps_per_epoch = int(train.cardinality())
    if steps_per_epoch < 0:  # unknown or infinite: count one pass of the strings
        steps_per_epoch = sum(1 for _ in train)
    total = max(steps_per_epoch * epochs, 1)
    warmup = int(round(warmup_fraction * total))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else learning_rate, decay_steps=max(total - warmup, 1),
        warmup_target=learning_rate if warmup else None, warmup_steps=warmup)
    mlm.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay))
    mlm.fit(train, validation_data=validation, epochs=epochs, callbacks=list(callbacks),
            verbose=verbose, shuffle=False)  # the pipeline shuffles itself
    return mlm


def classifier_from_pretrained(mlm, num_classes=8, *, dropout=None,
                               classifier_activation="softmax", name="text_transformer"):
    """A `text_transformer` with `mlm`'s sizes and vocabulary, started from its weights.

    Copied, by layer name: the vectoriser's vocabulary (given as `vocabulary=`, so `zoo.train`
    does not adapt it again), `embedding` (token and position tables) and every
    `encoder_<i>` (attention, feed-forward and both layer normalisations). Not copied: the
    MLM head (dense, layer norm, output bias), which only pretraining uses, and the
    classifier's `predictions` layer, which starts fresh. `dropout` defaults to the MLM's.
    Keeps the name `text_transformer` so that `zoo.train` finds its card's recipe.
    """
    from zoo.models.text.transformer import text_transformer

    model = text_transformer(
        num_classes, max_tokens=mlm.vocabulary_size, sequence_length=mlm.sequence_length,
        embedding_dim=mlm.embedding_dim, num_heads=mlm.num_heads,
        feed_forward_dim=mlm.feed_forward_dim, num_layers=mlm.num_layers,
        dropout=mlm.dropout if dropout is None else dropout, vocabulary=mlm.vocabulary,
        classifier_activation=classifier_activation, name=name)
    for layer_name in mlm.encoder_layer_names():
        model.get_layer(layer_name).set_weights(mlm.encoder.get_layer(layer_name).get_weights())
    return model
