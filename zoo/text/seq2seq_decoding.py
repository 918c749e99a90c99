"""Decoding a sequence-to-sequence model: greedy and beam search, in Python and as a
SavedModel signature that TensorFlow alone runs.

    translate(model, ["hello", "world"])                 # greedy
    translate(model, ["hello"], num_beams=5)              # beam search

Beam search keeps, for every source of a batch at once, the `num_beams` likeliest target
prefixes; a prefix that has written '[end]' is finished and kept as it is. At the end the
likeliest is chosen with GNMT's length normalisation, log P / ((5 + length) / 6) ** alpha
(Wu et al. 2016, "Google's Neural Machine Translation System"), so that longer outputs are
not lost merely for having more factors below 1. Greedy decoding is the search with one beam.
A recurrent decoder carries its state from step to step (one step per token); the
Transformer's re-reads the prefix at every step (no cached keys and values: the prefixes
are short, a word's phonemes or a verse).

Padding and '[start]' are never written; '[UNK]' can be (a word the target vocabulary lacks).
"""

from __future__ import annotations

import weakref

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.text.seq2seq import END_ID, PADDING_ID, START_ID

DEFAULT_LENGTH_PENALTY = 0.6  # GNMT's alpha
MAX_BEAMS = 64


def _writable(model) -> tf.Tensor:
    """True for the target ids a decoder may write: tokens of the vocabulary and '[end]'.
    (The vocabulary's size is read as a tensor: inside a traced function the vocabulary
    itself cannot be.)"""
    size = tf.cast(model.target_vectorize.vocabulary_size(), tf.int64)
    ids = tf.range(model.target_max_tokens, dtype=tf.int64)
    return (ids != PADDING_ID) & (ids != START_ID) & (ids < tf.maximum(size, END_ID + 1))


def beam_search(model, source_ids, num_beams=1, length_penalty=DEFAULT_LENGTH_PENALTY):
    """The likeliest target ids for each source, `(ids, log_probability)`: ids (batch,
    max_output_length) with '[end]' and what follows it 0, and each output's log-probability
    (nats). Graph-safe: `num_beams` may be a tensor."""
    num_beams = tf.cast(num_beams, tf.int32)
    memory, states, source_mask = model.encode(source_ids)
    batch = tf.shape(source_ids)[0]
    vocabulary = model.target_max_tokens
    repeat = lambda t: tf.repeat(t, num_beams, axis=0)  # noqa: E731 - (batch * beams, ...)
    memory, source_mask = repeat(memory), repeat(source_mask)
    states = [repeat(state) for state in states]
    negative_infinity = tf.constant(-np.inf, memory.dtype)
    writable = _writable(model)
    only_padding = tf.one_hot(PADDING_ID, vocabulary, on_value=0.0, off_value=-np.inf,
                              dtype=memory.dtype)

    def regroup(state, parents):
        """(batch * beams, ...) rows reordered to follow each kept beam's parent."""
        grouped = tf.reshape(state, tf.concat([[batch, num_beams], tf.shape(state)[1:]], 0))
        return tf.reshape(tf.gather(grouped, parents, batch_dims=1), tf.shape(state))

    def step(t, ids, state, scores, finished, lengths):
        logits, state = model.decode_step(memory, source_mask, ids, state)
        logits = tf.where(writable, logits, negative_infinity)
        log_p = tf.reshape(tf.nn.log_softmax(logits), [batch, num_beams, vocabulary])
        # A finished output continues with padding, at no cost, so that it competes as is.
        log_p = tf.where(finished[..., tf.newaxis], only_padding, log_p)
        totals = tf.reshape(scores[..., tf.newaxis] + log_p, [batch, -1])
        scores, chosen = tf.math.top_k(totals, k=num_beams)
        parents, tokens = chosen // vocabulary, tf.cast(chosen % vocabulary, tf.int64)
        ids = tf.concat([regroup(ids, parents), tf.reshape(tokens, [-1, 1])], axis=1)
        state = [regroup(part, parents) for part in state]
        was_finished = tf.gather(finished, parents, batch_dims=1)
        lengths = tf.gather(lengths, parents, batch_dims=1) + tf.cast(~was_finished,
                                                                      lengths.dtype)
        finished = was_finished | tf.equal(tokens, END_ID)
        return t + 1, ids, state, scores, finished, lengths

    ids = tf.fill([batch * num_beams, 1], tf.constant(START_ID, tf.int64))
    # All beams start as the same '[start]': only the first may grow at the first step.
    first = tf.concat([[0.0], tf.fill([num_beams - 1], -np.inf)], axis=0)
    scores = tf.tile(tf.cast(first, memory.dtype)[tf.newaxis], [batch, 1])
    finished = tf.zeros([batch, num_beams], tf.bool)
    lengths = tf.zeros([batch, num_beams], memory.dtype)
    _, ids, _, scores, finished, lengths = tf.while_loop(
        lambda t, ids, state, scores, finished, lengths: (t < model.max_output_length) &
        ~tf.reduce_all(finished),
        step, (tf.constant(0), ids, states, scores, finished, lengths),
        shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, None]),
                          [tf.TensorShape([None, None])] * len(states),
                          *[tf.TensorShape([None, None])] * 3))
    normalised = scores / ((5.0 + lengths) / 6.0) ** tf.cast(length_penalty, scores.dtype)
    best = tf.argmax(normalised, axis=1, output_type=tf.int32)
    ids = tf.gather(tf.reshape(ids, [batch, num_beams, -1]), best, batch_dims=1)[:, 1:]
    ids = tf.where(tf.cumsum(tf.cast(tf.equal(ids, END_ID), tf.int32), axis=1) > 0,
                   tf.constant(PADDING_ID, tf.int64), ids)
    ids = tf.pad(ids, [[0, 0], [0, model.max_output_length - tf.shape(ids)[1]]])
    ids = tf.ensure_shape(ids, [None, model.max_output_length])
    return ids, tf.gather(scores, best, batch_dims=1)


def ids_to_text(model, vocabulary, ids) -> tf.Tensor:
    """Target ids (batch, length) to strings (batch,), padding dropped, tokens joined by a
    space (words) or by nothing (characters). `vocabulary` is a string tensor read outside
    any traced function."""
    tokens = tf.ragged.boolean_mask(tf.gather(vocabulary, ids), tf.not_equal(ids, PADDING_ID))
    separator = "" if model.target_tokens == "characters" else " "
    return tf.strings.reduce_join(tokens, axis=1, separator=separator)


def translate_signature(model):
    """`(function, input_signature)` of the exported `translate` endpoint: source strings
    (batch,) and a beam count (int32 scalar; 1 is greedy) in; `text`, `token_ids` and
    `log_probability` out."""
    model.check_adapted()
    vocabulary = tf.constant(model.target_vocabulary())

    def translate_fn(text, num_beams):
        checks = [tf.debugging.assert_positive(num_beams, message="num_beams must be >= 1"),
                  tf.debugging.assert_less_equal(num_beams, MAX_BEAMS,
                                                 message=f"num_beams must be <= {MAX_BEAMS}")]
        with tf.control_dependencies(checks):
            ids, scores = beam_search(model, model.source_ids(text), tf.identity(num_beams))
        return {"text": ids_to_text(model, vocabulary, ids), "token_ids": ids,
                "log_probability": scores}

    return translate_fn, [tf.TensorSpec([None], tf.string, name="text"),
                          tf.TensorSpec([], tf.int32, name="num_beams")]


_SEARCHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _search(model):
    """One traced search per model, reused by every call."""
    if model not in _SEARCHES:
        _SEARCHES[model] = tf.function(
            lambda text, num_beams, length_penalty: beam_search(
                model, model.source_ids(text), num_beams, length_penalty),
            input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.int32),
                             tf.TensorSpec([], tf.float32)])
    return _SEARCHES[model]


def translate(model, texts, *, num_beams: int = 1,
              length_penalty: float = DEFAULT_LENGTH_PENALTY, batch_size: int = 256,
              return_scores: bool = False):
    """The model's output for each of `texts` (a string or a list of strings).

    Args:
        model: a trained `Seq2SeqModel` (e.g. `zoo.train("gru_bahdanau").model`).
        texts: source strings; an empty one gives the model's output for nothing.
        num_beams: 1 for greedy decoding, more for beam search (at most `MAX_BEAMS`).
        length_penalty: GNMT's alpha; 0 compares outputs by log-probability alone.
        batch_size: sources decoded at once.
        return_scores: also return each output's log-probability (nats).
    """
    model.check_adapted()
    single = isinstance(texts, str)
    texts = [texts] if single else list(texts)
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("texts must be strings (or one string).")
    if isinstance(num_beams, bool) or not isinstance(num_beams, int) or \
            not 1 <= num_beams <= MAX_BEAMS:
        raise ValueError(f"num_beams={num_beams!r} must be an integer from 1 to {MAX_BEAMS}.")
    _validate.non_negative("length_penalty", length_penalty)
    _validate.positive_int("batch_size", batch_size)
    vocabulary = tf.constant(model.target_vocabulary())
    outputs, scores = [], []
    for start in range(0, len(texts), batch_size):
        ids, score = _search(model)(tf.constant(texts[start:start + batch_size]),
                                    num_beams, float(length_penalty))
        outputs += [t.decode("utf-8") for t in ids_to_text(model, vocabulary, ids).numpy()]
        scores += score.numpy().tolist()
    result = (outputs[0], scores[0]) if single else (outputs, scores)
    return result if return_scores else result[0]


def attention_weights(model, source: str, target: str):
    """Where the decoder looked: `(weights, source_tokens, target_tokens)` for one pair,
    weights (target tokens + '[end]', source tokens), each row summing to 1 (heads averaged;
    the last decoder block's for a Transformer). For heat maps of any output, e.g. the
    model's own: `attention_weights(model, word, translate(model, word))`."""
    model.check_adapted()
    if model.attention == "none":
        raise ValueError(f"model {model.name!r} has no attention (attention='none').")
    source_ids = model.source_ids(tf.constant([source]))
    inputs, targets = model.teacher_forcing_pair(tf.constant([target]))
    memory, states, source_mask = model.encode(source_ids)
    _, weights = model.decode(memory, states, source_mask, inputs, return_attention=True)
    source_vocabulary, target_vocabulary = model.source_vocabulary(), model.target_vocabulary()
    source_tokens = [source_vocabulary[i] for i in source_ids[0].numpy()]
    target_tokens = [target_vocabulary[i] for i in targets[0].numpy()]
    return weights[0].numpy(), source_tokens, target_tokens


def edit_distance(hypothesis: list, reference: list) -> int:
    """Levenshtein distance between two token lists (insertions, deletions, substitutions)."""
    previous = list(range(len(reference) + 1))
    for i, token in enumerate(hypothesis, start=1):
        current = [i]
        for j, expected in enumerate(reference, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (token != expected)))
        previous = current
    return previous[-1]


def token_error_rate(hypotheses, references) -> float:
    """Edit distance over reference length, summed over the corpus (the phoneme error rate
    of G2P when the tokens are phonemes); strings are split on spaces."""
    errors = total = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        reference = reference.split()
        errors += edit_distance(hypothesis.split(), reference)
        total += len(reference)
    if total == 0:
        raise ValueError("the references hold no tokens.")
    return errors / total

