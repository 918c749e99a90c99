"""Skip-gram word2vec with negative sampling: Mikolov, Sutskever, Chen, Corrado and Dean
(2013), "Distributed Representations of Words and Phrases and their Compositionality",
NeurIPS, arXiv:1310.4546.

Each word of the corpus predicts the words around it: a (target, context) pair is a positive
example, and `num_negative` words drawn from the unigram distribution raised to 3/4 are
negatives (the paper's Section 2.2). The logit of a pair is the dot product of the target's
input vector and the context's output vector, and the loss is the binary cross-entropy of
those logits, which is the paper's objective log s(v'_c . v_t) + sum_neg log s(-v'_n . v_t)
divided by 1 + num_negative. Frequent words are subsampled with the paper's Eq. 5: each
occurrence of w is discarded with probability 1 - sqrt(t / f(w)).

Details follow the authors' word2vec tool where the paper is silent: the window of each
target is drawn uniformly from 1..window (nearer words count more), discarded words are
removed before windows are taken, texts are cut into pieces of at most 1,000 words, the
input vectors start uniform in +-0.5/dim and the output vectors at zero. Unlike the tool,
training is Keras `compile`/`fit` with Adam on shuffled mini-batches.

With `subword=True` the target vectors are fastText's: the average of a word's character
n-gram embeddings (`zoo.layers.subword.CharNgramEmbedding`; Bojanowski et al., 2017,
"Enriching Word Vectors with Subword Information", arXiv:1607.04606), so that words never
seen in training get vectors too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.data.feeding import prefetched
from zoo.layers.subword import CharNgramEmbedding
from zoo.text import vectors as _vectors

# The word2vec tool's MAX_SENTENCE_LENGTH: longer texts are cut into pieces this long, which
# bounds the memory of one chunk of the pipeline whatever the corpus' line lengths.
MAX_PIECE_LENGTH = 1000
# Pieces of text whose pairs are made, shuffled and sampled together; batches are then cut
# across chunks, so a batch mixes this many texts or more.
PIECES_PER_CHUNK = 128
RESERVED = 2  # TextVectorization's '' (padding) and '[UNK]'


@keras.saving.register_keras_serializable(package="zoo")
class Word2Vec(keras.Model):
    """The skip-gram model: input (target) and output (context) embeddings; called on
    `(targets, contexts)`, int tensors of shapes (batch,) and (batch, n), it returns the
    (batch, n) logits target . context.

    With `subword=True` the target embedding is a `CharNgramEmbedding` read through the
    model's `vocabulary` (the word of each id), which must then be given.
    """

    def __init__(self, vocabulary_size, embedding_dim=100, subword=False, vocabulary=None,
                 num_buckets=100_000, min_n=3, max_n=6, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = _validate.positive_int("vocabulary_size", vocabulary_size)
        self.embedding_dim = _validate.positive_int("embedding_dim", embedding_dim)
        self.subword = bool(subword)
        self.num_buckets, self.min_n, self.max_n = num_buckets, min_n, max_n
        self.seed = seed
        self.vocabulary = None if vocabulary is None else [str(w) for w in vocabulary]
        bound = 0.5 / embedding_dim
        if self.subword:
            if self.vocabulary is None or len(self.vocabulary) != vocabulary_size:
                raise ValueError("subword=True needs vocabulary=, the word of each of the "
                                 f"{vocabulary_size} ids.")
            bound = 1.0 / embedding_dim  # fastText's initialisation
            self.target_embedding = CharNgramEmbedding(
                num_buckets, embedding_dim, min_n, max_n, name="target_embedding",
                embeddings_initializer=keras.initializers.RandomUniform(-bound, bound, seed))
        else:
            self.target_embedding = keras.layers.Embedding(
                vocabulary_size, embedding_dim, name="target_embedding",
                embeddings_initializer=keras.initializers.RandomUniform(-bound, bound, seed))
        self.context_embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, embeddings_initializer="zeros",
            name="context_embedding")

    def build(self, input_shape=None):
        self.target_embedding.build()
        self.context_embedding.build()
        if self.subword:
            # The n-gram buckets of every vocabulary word, hashed once: a training step then
            # gathers rows instead of splitting and hashing strings (about 15 ms a batch).
            self._target_buckets = self.target_embedding.bucket_ids(
                tf.constant(self.vocabulary, dtype=tf.string))
        self.built = True

    def embed_targets(self, ids):
        """The target (input) vectors of int ids: what word2vec publishes as word vectors."""
        if self.subword:
            buckets = tf.gather(self._target_buckets, tf.reshape(ids, [-1]))
            vectors = self.target_embedding.embed_bucket_ids(buckets)
            return tf.reshape(vectors, tf.concat([tf.shape(ids), [self.embedding_dim]], 0))
        return self.target_embedding(ids)

    def call(self, inputs):
        targets, contexts = inputs
        return tf.einsum("bd,bnd->bn", self.embed_targets(targets),
                         self.context_embedding(contexts))

    def word_vectors(self, batch_size=8192) -> np.ndarray:
        """The target vector of every id, a (vocabulary_size, embedding_dim) array."""
        ids = tf.range(self.vocabulary_size)
        return np.concatenate([self.embed_targets(ids[i:i + batch_size]).numpy()
                               for i in range(0, self.vocabulary_size, batch_size)])

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim, "subword": self.subword,
                "vocabulary": self.vocabulary, "num_buckets": self.num_buckets,
                "min_n": self.min_n, "max_n": self.max_n, "seed": self.seed}


def build_vocabulary(texts, min_count=5, max_vocabulary=None,
                     standardize="lower_and_strip_punctuation"):
    """A `TextVectorization` over the words seen at least `min_count` times (most frequent
    first, at most `max_vocabulary` of them beside '' and '[UNK]') and each vocabulary
    entry's count in `texts` (0 for '' and '[UNK]', which training never uses)."""
    _validate.positive_int("min_count", min_count)
    if max_vocabulary is not None:
        _validate.positive_int("max_vocabulary", max_vocabulary)
    texts = tf.constant(list(texts), dtype=tf.string)
    if texts.shape[0] == 0:
        raise ValueError("texts is empty; word2vec needs a corpus.")
    counting = keras.layers.TextVectorization(standardize=standardize, ragged=True)
    counting.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    # adapt() orders words by frequency but does not give the counts: count the ids.
    ids = counting(texts).flat_values
    counts = np.bincount(ids.numpy(), minlength=counting.vocabulary_size())
    all_words = [str(word) for word in counting.get_vocabulary()]
    kept = [i for i in range(RESERVED, len(all_words)) if counts[i] >= min_count]
    kept = kept[:max_vocabulary]
    if not kept:
        raise ValueError(f"no word occurs min_count={min_count} times; lower min_count.")
    vectorizer = keras.layers.TextVectorization(
        standardize=standardize, ragged=True, vocabulary=[all_words[i] for i in kept])
    return vectorizer, np.concatenate([[0, 0], counts[kept]]).astype(np.int64)


def keep_probabilities(counts, subsample):
    """The paper's Eq. 5 as the chance of keeping each id: min(1, sqrt(t / f(w))), with f(w)
    the word's share of the corpus and t = `subsample` (0 keeps every word). The reserved
    ids ('' and '[UNK]') are never kept: words outside the vocabulary leave the text, as in
    the word2vec tool."""
    counts = np.asarray(counts, dtype=np.float64)
    frequency = counts / counts.sum()
    keep = np.ones_like(frequency)
    if subsample:
        with np.errstate(divide="ignore"):
            keep = np.minimum(1.0, np.sqrt(subsample / frequency))
    keep[:RESERVED] = 0.0
    return keep.astype(np.float32)


def skipgram_dataset(ids, counts, window=5, num_negative=5, subsample=1e-3, batch_size=1024,
                     seed=0, repeat=True):
    """The training pipeline: ((targets, contexts), labels) batches from `ids`, a RaggedTensor
    of texts as vocabulary ids, with `counts` the count of each id. The dataset repeats
    without end (each pass through the texts draws anew) unless `repeat=False`, which gives
    one pass; `expected_pairs` says how many pairs a pass gives on average, i.e. how long an
    epoch is.

    `contexts` is (batch, 1 + num_negative): the true context, then negatives drawn from
    counts ** 0.75 (normalised); `labels` is 1 then zeros. Subsampling, windows and
    negatives are drawn afresh each epoch, from stateless random ops keyed by `seed`, so
    that a seed gives the same batches in every run however tf.data schedules its threads.
    Negatives come from `tf.random.stateless_categorical` over log(counts ** 0.75), the
    distribution `tf.random.fixed_unigram_candidate_sampler(distortion=0.75)` draws from,
    without the sampler's hidden state.
    """
    window = _validate.positive_int("window", window)
    num_negative = _validate.positive_int("num_negative", num_negative)
    keep = tf.constant(keep_probabilities(counts, subsample))
    with np.errstate(divide="ignore"):
        noise_logits = tf.constant(0.75 * np.log(np.asarray(counts, np.float64)), tf.float32)
    offsets = tf.constant([o for o in range(-window, window + 1) if o], tf.int64)

    def chunk_examples(chunk_seed, pieces):
        seeds = tf.random.experimental.stateless_split(tf.stack([chunk_seed, 0]), 4)
        tokens = pieces.flat_values
        kept = tf.random.stateless_uniform(tf.shape(tokens), seeds[0]) < tf.gather(keep, tokens)
        tokens = tf.boolean_mask(tokens, kept)
        piece = tf.boolean_mask(pieces.value_rowids(), kept)
        # Every token against every offset; a pair counts where the context lies in the same
        # piece and within the token's own window, drawn from 1..window.
        length = tf.size(tokens, out_type=tf.int64)
        reach = tf.random.stateless_uniform([length], seeds[1], 1, window + 1, dtype=tf.int64)
        position = tf.range(length)[:, None]
        context = position + offsets[None, :]
        inside = (context >= 0) & (context < length)
        clipped = tf.clip_by_value(context, 0, tf.maximum(length - 1, 0))
        valid = (inside & (tf.gather(piece, clipped) == piece[:, None])
                 & (tf.abs(offsets)[None, :] <= reach[:, None]))
        targets = tf.boolean_mask(tf.broadcast_to(tokens[:, None], tf.shape(context)), valid)
        contexts = tf.gather(tokens, tf.boolean_mask(context, valid))
        order = tf.random.experimental.stateless_shuffle(tf.range(tf.size(targets)), seeds[2])
        targets, contexts = tf.gather(targets, order), tf.gather(contexts, order)
        pairs = tf.size(targets)
        negatives = tf.random.stateless_categorical(
            noise_logits[None, :], pairs * num_negative, seeds[3])
        negatives = tf.reshape(negatives, [pairs, num_negative])
        labels = tf.concat([tf.ones([pairs, 1]), tf.zeros([pairs, num_negative])], axis=1)
        return (targets, tf.concat([contexts[:, None], negatives], axis=1)), labels

    pieces = tf.data.Dataset.from_tensor_slices(ids)
    # One random number per chunk and per epoch: rerandomize_each_iteration gives every epoch
    # new draws, the same in every run for a given seed.
    chunk_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    chunks = (pieces.shuffle(int(ids.nrows()), seed=seed, reshuffle_each_iteration=True)
              .ragged_batch(PIECES_PER_CHUNK))
    if repeat:
        chunks = chunks.repeat()
    return prefetched(tf.data.Dataset.zip(chunk_seeds, chunks)
                      .map(chunk_examples, num_parallel_calls=tf.data.AUTOTUNE,
                           deterministic=True)
                      .rebatch(batch_size))


def expected_pairs(ids, counts, window=5, subsample=1e-3) -> float:
    """The mean number of (target, context) pairs in one pass over `ids`: a piece that keeps
    n words after subsampling gives 2 * sum over o in 1..window of P(reach >= o) * (n - o)+,
    evaluated at n's mean (close: within half a percent on the King James Bible)."""
    keep = tf.constant(keep_probabilities(counts, subsample))
    kept = tf.math.segment_sum(tf.gather(keep, ids.flat_values), ids.value_rowids()).numpy()
    return float(sum(2 * (window - o + 1) / window * np.maximum(kept - o, 0).sum()
                     for o in range(1, window + 1)))


def _pieces(ids: tf.RaggedTensor) -> tf.RaggedTensor:
    """Texts longer than MAX_PIECE_LENGTH words cut into pieces; empty texts dropped."""
    lengths = []
    for length in ids.row_lengths().numpy():
        full, rest = divmod(int(length), MAX_PIECE_LENGTH)
        lengths.extend([MAX_PIECE_LENGTH] * full + ([rest] if rest else []))
    return tf.RaggedTensor.from_row_lengths(tf.cast(ids.flat_values, tf.int64),
                                            tf.constant(lengths, tf.int64))


@dataclass
class Word2VecResult:
    """What `train_word2vec` returns: the vocabulary words and their trained vectors (row i
    is words[i]; '' and '[UNK]' left out), the model, the Keras history, the full
    vocabulary in id order (with '' and '[UNK]') and each id's count in the corpus."""

    words: list[str]
    vectors: np.ndarray
    model: Word2Vec
    history: Any
    vocabulary: list[str] = field(repr=False)
    counts: np.ndarray = field(repr=False)

    def save(self, path):
        """Write the vectors in the word2vec text format (atomically)."""
        return _vectors.save_word2vec_format(path, self.words, self.vectors)

    def nearest(self, query, k=10):
        """`zoo.text.vectors.nearest_neighbours` over these vectors."""
        return _vectors.nearest_neighbours(self.words, self.vectors, query, k=k)


def train_word2vec(texts, embedding_dim=100, window=5, num_negative=5, min_count=5, epochs=5,
                   seed=0, subsample=1e-3, batch_size=1024, learning_rate=5e-3,
                   max_vocabulary=None, subword=False, num_buckets=100_000, min_n=3, max_n=6,
                   standardize="lower_and_strip_punctuation", optimizer=None,
                   callbacks=None, verbose=0) -> Word2VecResult:
    """Train skip-gram word2vec with negative sampling on `texts`, an iterable of strings
    (sentences, verses, lines or documents; windows never cross from one to the next).

    The defaults are the word2vec tool's (window 5, 5 negatives, min_count 5, subsampling
    t = 1e-3). The paper's t = 1e-5 suits corpora of billions of words: on the King James
    Bible (790,000 words) it keeps 13% of them, and after two epochs every vector pointed the
    same way (related pairs no closer than chance), where 1e-3 keeps 57% and works. Adam
    replaces the tool's SGD: SGD on mini-batches gave worse vectors for the same two epochs
    on the KJV (pass `optimizer=` for another). The corpus is held in memory. The same `seed`
    gives the same vectors, run after run.

    `subword=True` trains fastText's target vectors (see `Word2Vec`); a word outside the
    vocabulary then gets its vector from `result.model.target_embedding(tf.constant([word]))`.
    It costs more: Adam updates the whole bucket table at every step (61 ms a step with
    65,536 buckets of 50 against 9 ms without subwords, on 2 cores).

    Returns a `Word2VecResult`: `.words`, `.vectors`, `.model`, `.history`; `.save(path)`
    writes the word2vec text format and `.nearest(word)` lists neighbours.
    """
    for arg, value in (("embedding_dim", embedding_dim), ("epochs", epochs),
                       ("batch_size", batch_size)):
        _validate.positive_int(arg, value)
    _validate.non_negative("subsample", subsample)
    # tf.data's op seeds combine with TensorFlow's global seed: fixing it here makes a run
    # independent of whatever ran before in the process (as zoo.train does).
    keras.utils.set_random_seed(seed)
    texts = list(texts)
    vectorizer, counts = build_vocabulary(texts, min_count, max_vocabulary, standardize)
    vocabulary = [str(word) for word in vectorizer.get_vocabulary()]
    ids = _pieces(vectorizer(tf.constant(texts, dtype=tf.string)))
    pairs = expected_pairs(ids, counts, window, subsample)
    if pairs < 1:  # the endless pipeline would then wait for a batch for ever
        raise ValueError("texts give no (target, context) pairs: no text has two vocabulary "
                         "words; give more text or lower min_count.")
    dataset = skipgram_dataset(ids, counts, window, num_negative, subsample, batch_size, seed)

    model = Word2Vec(len(vocabulary), embedding_dim, subword=subword,
                     vocabulary=vocabulary if subword else None, num_buckets=num_buckets,
                     min_n=min_n, max_n=max_n, seed=seed)
    model.build()
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    # An epoch is one pass's worth of pairs on average: the exact count changes with each
    # pass's subsampling, and Keras would otherwise fix every epoch to the first one's length.
    history = model.fit(dataset, epochs=epochs, steps_per_epoch=math.ceil(pairs / batch_size),
                        shuffle=False, callbacks=callbacks, verbose=verbose)
    return Word2VecResult(words=vocabulary[RESERVED:],
                          vectors=model.word_vectors()[RESERVED:], model=model,
                          history=history, vocabulary=vocabulary, counts=counts)

