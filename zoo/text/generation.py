"""Text from a character language model: greedy decoding, sampling (temperature, top-k,
nucleus) and beam search, in Python (`generate`) and as a SavedModel signature that
TensorFlow alone runs (`generate_signature`, exported by `zoo.export`).

    text = generate(model, "ROMEO:", max_length=200, temperature=0.8, top_k=20, seed=1)

- Greedy: `temperature=0` takes the likeliest character at every step.
- Sampling: the logits divided by `temperature`, cut to the `top_k` likeliest characters
  (Fan, Lewis and Dauphin 2018) and to the smallest set whose probability reaches `top_p`
  (nucleus sampling, Holtzman et al. 2020), then drawn with a stateless generator seeded by
  `(seed, step)`: the same seed gives the same text, in Python and in the SavedModel alike.
- Beam search (`num_beams > 1`): keeps the `num_beams` likeliest continuations at every step
  and returns the likeliest at the end. It usually finds a likelier continuation than
  greedy's, though not always: the greedy path can fall out of the beam on the way
  (`sequence_log_probability` scores any continuation, to compare).

Padding and the unseen-character id are never generated. Characters of the prompt that the
vocabulary lacks are read as the unseen-character id and kept as written in the returned
text. Each step reads the last `sequence_length` characters afresh (no cached state): simple,
and for the short texts a character model writes, fast enough on a CPU.
"""

from __future__ import annotations

import weakref

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.text.language_model import UNKNOWN_ID, restore_line_breaks
from zoo.text.padded_tokens import PADDING_ID

MAX_NEW_CHARACTERS = 10_000


def _usable_ids(model) -> tf.Tensor:
    """True for the logits that name a character of the vocabulary."""
    vocabulary_size = len(model.vocabulary())
    if vocabulary_size <= 2:
        raise ValueError(f"model {model.name!r} has no vocabulary yet: train it (zoo.train "
                         "adapts it on the training text) or build it with vocabulary=.")
    ids = np.arange(model.max_tokens)
    return tf.constant((ids != PADDING_ID) & (ids != UNKNOWN_ID) & (ids < vocabulary_size))


def choose_next(logits, temperature, top_k, top_p, seed):
    """The next id from one position's `logits` (vocabulary,): the argmax when `temperature`
    is 0, else a draw from the tempered, top-k and top-p filtered distribution (`top_k=0`
    and `top_p=1` filter nothing), seeded by the two integers `seed`."""
    negative_infinity = tf.constant(-np.inf, logits.dtype)

    def greedy():
        return tf.argmax(logits, output_type=tf.int64)

    def sample():
        scaled = logits / tf.cast(temperature, logits.dtype)
        k = tf.minimum(tf.cast(top_k, tf.int32), tf.size(scaled))
        kth = tf.cond(k > 0, lambda: tf.math.top_k(scaled, k).values[-1],
                      lambda: negative_infinity)
        scaled = tf.where(scaled < kth, negative_infinity, scaled)
        ordered = tf.sort(scaled, direction="DESCENDING")
        probabilities = tf.nn.softmax(ordered)
        # Keep a character while the mass before it is below top_p: the smallest set whose
        # probability reaches top_p (the likeliest character always stays).
        before = tf.cumsum(probabilities, exclusive=True)
        cutoff = tf.reduce_min(tf.boolean_mask(ordered, before < tf.cast(top_p, before.dtype)))
        scaled = tf.where(scaled < cutoff, negative_infinity, scaled)
        return tf.random.stateless_categorical(scaled[tf.newaxis], 1, seed,
                                               dtype=tf.int64)[0, 0]

    return tf.cond(temperature > 0, sample, greedy)


def _sample_continuation(model, usable, prompt_ids, length, temperature, top_k, top_p, seed):
    """`length` new ids after `prompt_ids` (1-D int64), one step at a time (graph-safe)."""
    context = model.sequence_length
    seed = tf.cast(seed, tf.int64)

    def step(index, ids):
        logits = model.network(ids[tf.newaxis, -context:], training=False)[0, -1]
        logits = tf.where(usable, logits, tf.constant(-np.inf, logits.dtype))
        next_id = choose_next(logits, temperature, top_k, top_p,
                              tf.stack([seed, tf.cast(index, tf.int64)]))
        return index + 1, tf.concat([ids, next_id[tf.newaxis]], axis=0)

    _, ids = tf.while_loop(lambda index, _: index < length, step,
                           (tf.constant(0), prompt_ids),
                           shape_invariants=(tf.TensorShape([]), tf.TensorShape([None])))
    return ids[tf.size(prompt_ids):]


def _decode(vocabulary, ids) -> tf.Tensor:
    """Ids to one string; `vocabulary` a string tensor read outside any traced function
    (reading a lookup table's vocabulary inside one is not possible)."""
    return restore_line_breaks(tf.strings.reduce_join(tf.gather(vocabulary, ids)))


def _prompt_ids(model, prompt, checks=()):
    """The prompt's ids, after `checks` (assertions) and a check that it is not empty have
    run: in a graph, an assertion guards only what depends on it."""
    ids = tf.cast(model.vectorize(tf.reshape(prompt, [1]))[0], tf.int64)
    checks = [*checks, tf.debugging.assert_positive(
        tf.size(ids), message="the prompt is empty: give at least one character to continue")]
    with tf.control_dependencies(checks):
        return tf.identity(ids)


def generate_signature(model):
    """`(function, input_signature)` of the exported `generate` endpoint: a prompt (string
    scalar), the number of characters to add (int32), the temperature (float32; 0 is greedy)
    and a seed (int64) in; `text` (prompt and continuation) and `generated` out."""
    usable, vocabulary = _usable_ids(model), tf.constant(model.vocabulary())

    def generate_fn(prompt, length, temperature, seed):
        checks = [
            tf.debugging.assert_non_negative(length, message="length must be >= 0"),
            tf.debugging.assert_less_equal(length, MAX_NEW_CHARACTERS,
                                           message=f"length must be <= {MAX_NEW_CHARACTERS}"),
            tf.debugging.assert_non_negative(temperature, message="temperature must be >= 0")]
        new_ids = _sample_continuation(model, usable, _prompt_ids(model, prompt, checks),
                                       length, temperature, 0, 1.0, seed)
        generated = _decode(vocabulary, new_ids)
        return {"text": tf.strings.join([prompt, generated]), "generated": generated}

    return generate_fn, [tf.TensorSpec([], tf.string, name="prompt"),
                         tf.TensorSpec([], tf.int32, name="length"),
                         tf.TensorSpec([], tf.float32, name="temperature"),
                         tf.TensorSpec([], tf.int64, name="seed")]


_SAMPLERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sampler(model):
    """One traced sampling function per model, reused by every call."""
    if model not in _SAMPLERS:
        usable = _usable_ids(model)
        _SAMPLERS[model] = tf.function(
            lambda prompt_ids, length, temperature, top_k, top_p, seed: _sample_continuation(
                model, usable, prompt_ids, length, temperature, top_k, top_p, seed),
            input_signature=[tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int32),
                             tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32),
                             tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int64)])
    return _SAMPLERS[model]


def _check_prompt(model, prompt):
    _usable_ids(model)  # a model without a vocabulary says so before reading the prompt
    if not isinstance(prompt, str):
        raise ValueError(f"prompt must be a string, got {type(prompt).__name__}.")
    if not prompt:
        raise ValueError("the prompt is empty: give at least one character to continue.")
    return _prompt_ids(model, prompt)


def generate(model, prompt: str, max_length: int = 200, *, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, num_beams: int = 1, seed: int = 0) -> str:
    """`prompt` followed by `max_length` characters the model writes.

    Args:
        model: a trained `CharLanguageModel` (e.g. `zoo.train("char_lstm_lm").model`).
        prompt: at least one character; unseen characters are read as unknown.
        max_length: characters to add, 0 to `MAX_NEW_CHARACTERS`.
        temperature: 0 for greedy decoding; below 1 sharpens, above 1 flattens.
        top_k: sample among the `top_k` likeliest characters (0: all).
        top_p: sample among the smallest set of characters whose probability reaches top_p.
        num_beams: above 1, beam search for the likeliest continuation (then temperature,
            top_k and top_p must keep their defaults).
        seed: the same seed gives the same text.
    """
    if isinstance(max_length, bool) or not isinstance(max_length, int) or \
            not 0 <= max_length <= MAX_NEW_CHARACTERS:
        raise ValueError(f"max_length={max_length!r} must be an integer from 0 to "
                         f"{MAX_NEW_CHARACTERS}.")
    _validate.non_negative("temperature", temperature)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k={top_k!r} must be a non-negative integer (0: no cut).")
    if not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ValueError(f"top_p={top_p!r} must be in (0, 1].")
    _validate.positive_int("num_beams", num_beams)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed={seed!r} must be an integer.")
    prompt_ids = _check_prompt(model, prompt)
    if num_beams > 1:
        if (temperature, top_k, top_p) != (1.0, 0, 1.0):
            raise ValueError("beam search returns the likeliest continuation: temperature, "
                             "top_k and top_p do not apply with num_beams > 1.")
        new_ids = beam_search(model, prompt_ids.numpy(), max_length, num_beams)
    else:
        new_ids = _sampler(model)(prompt_ids, max_length, float(temperature), top_k,
                                  float(top_p), seed)
    vocabulary = tf.constant(model.vocabulary())
    return prompt + _decode(vocabulary, new_ids).numpy().decode("utf-8")


_LAST_LOGITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _last_log_probabilities(model):
    """ids (beams, length) -> log-probabilities of the next character (beams, vocabulary),
    unusable ids at -inf; traced once per model."""
    if model not in _LAST_LOGITS:
        usable = _usable_ids(model)

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64)])
        def last(ids):
            logits = model.network(ids[:, -model.sequence_length:], training=False)[:, -1]
            logits = tf.where(usable, logits, tf.constant(-np.inf, logits.dtype))
            return tf.nn.log_softmax(logits)

        _LAST_LOGITS[model] = last
    return _LAST_LOGITS[model]


def beam_search(model, prompt_ids, length: int, num_beams: int) -> np.ndarray:
    """The `length` new ids of the likeliest continuation found keeping `num_beams`
    candidates per step (all of the same length, so no length penalty is needed)."""
    last = _last_log_probabilities(model)
    beams = np.asarray(prompt_ids, np.int64)[np.newaxis]
    scores = np.zeros(1)
    for _ in range(length):
        log_probabilities = last(tf.constant(beams)).numpy()
        totals = scores[:, np.newaxis] + log_probabilities
        flat = np.argsort(-totals, axis=None, kind="stable")[:num_beams]
        parents, chosen = np.unravel_index(flat, totals.shape)
        beams = np.concatenate([beams[parents], chosen[:, np.newaxis]], axis=1)
        scores = totals[parents, chosen]
    return beams[0, len(prompt_ids):]


def sequence_log_probability(model, prompt: str, continuation: str) -> float:
    """The log-probability (nats) the model gives `continuation` after `prompt`, character by
    character, each read with at most `sequence_length` characters before it."""
    prompt_ids = _check_prompt(model, prompt).numpy()
    following = model.vectorize(tf.constant([continuation]))[0].numpy().astype(np.int64)
    last = _last_log_probabilities(model)
    ids, total = prompt_ids, 0.0
    for next_id in following:
        total += float(last(tf.constant(ids[np.newaxis]))[0, next_id])
        ids = np.append(ids, next_id)
    return total
