"""Soft-max action selection in numpy: the distribution a gradient bandit's preferences and a
policy network's logits both define, sampled with a seeded generator."""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax along the last axis, shifted by the max first so that exp cannot
    overflow."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sample(logits: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One action per row of `logits` [batch, actions], drawn from softmax(logits) with `rng`,
    and its log-probability."""
    log_probs = log_softmax(logits)
    cumulative = np.cumsum(np.exp(log_probs), axis=1)
    draws = rng.random((len(cumulative), 1))
    # The first action whose cumulative probability exceeds the draw (clipped: rounding can
    # leave the last cumulative sum a hair under 1).
    actions = np.minimum((cumulative < draws).sum(axis=1), logits.shape[1] - 1)
    return actions, log_probs[np.arange(len(actions)), actions]
