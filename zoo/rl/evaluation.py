"""Playing a policy for many episodes at once, to judge it.

"Solved" for CartPole-v1 means a mean return of at least 475 over 100 consecutive episodes
(gymnasium's `reward_threshold`). Playing 100 episodes one after another would call the network
once per step of each; here the 100 episodes run side by side, each in its own environment
seeded `seed + i`, and the network sees one batch per step of the still-running ones.

`play` also measures how far a Q-network's values are from the truth (van Hasselt, Guez and
Silver 2016, "Deep reinforcement learning with double Q-learning", AAAI): at every state
visited, the greedy value max_a Q(s, a) against the discounted return that actually followed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zoo import _validate
from zoo.rl import environments

# States closer than this to a time-limit cut are left out of the value comparison: the cut
# hides the rest of their return (0.99 ** 300 < 0.05, so at most 5% of it is missing).
_CUT_MARGIN = 300


@dataclass(frozen=True)
class Episodes:
    """What a policy earned over a set of episodes."""

    returns: np.ndarray  # [episodes], undiscounted
    lengths: np.ndarray  # [episodes]
    mean_value: float | None = None  # mean max_a Q(s, a) over the compared states
    mean_discounted_return: float | None = None  # the discounted return from those states

    @property
    def mean_return(self) -> float:
        return float(self.returns.mean())

    @property
    def overestimation(self) -> float | None:
        """Mean predicted value minus the mean discounted return actually obtained."""
        if self.mean_value is None:
            return None
        return self.mean_value - self.mean_discounted_return


def play(env_id: str, act: Callable[[np.ndarray], np.ndarray], *, episodes: int = 100,
         seed: int = 10_000, values: Callable[[np.ndarray], np.ndarray] | None = None,
         discount: float = 0.99, **env_kwargs) -> Episodes:
    """Play `episodes` episodes of `env_id` with `act` (a batch of observations to a batch of
    actions) and return their returns.

    `values`, if given, maps a batch of observations to each one's max_a Q(s, a); the result
    then also holds the mean value and the mean discounted return (with `discount`) over
    every visited state whose return the episode's end does not hide.
    """
    episodes = _validate.positive_int("episodes", episodes)
    envs = [environments.make(env_id, **env_kwargs) for _ in range(episodes)]
    observations = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    running = np.ones(episodes, bool)
    rewards: list[list[float]] = [[] for _ in range(episodes)]
    predicted: list[list[float]] = [[] for _ in range(episodes)]
    truncated = np.zeros(episodes, bool)
    while running.any():
        active = np.flatnonzero(running)
        batch = observations[active].astype(np.float32)
        actions = np.asarray(act(batch))
        if values is not None:
            for i, value in zip(active, np.asarray(values(batch)), strict=True):
                predicted[i].append(float(value))
        for i, action in zip(active, actions, strict=True):
            observation, reward, terminated, cut, _ = envs[i].step(int(action))
            rewards[i].append(environments.checked_reward(reward, envs[i]))
            observations[i] = observation
            if terminated or cut:
                running[i], truncated[i] = False, cut and not terminated
    result = Episodes(np.array([sum(r) for r in rewards]),
                      np.array([len(r) for r in rewards]))
    if values is None:
        return result
    compared_values, compared_returns = [], []
    for episode_rewards, episode_values, cut in zip(rewards, predicted, truncated, strict=True):
        followed = _discounted_returns(np.array(episode_rewards), discount)
        keep = len(followed) - _CUT_MARGIN if cut else len(followed)
        compared_values.extend(episode_values[:max(keep, 0)])
        compared_returns.extend(followed[:max(keep, 0)])
    if not compared_values:
        raise ValueError(f"every episode was cut by the time limit within {_CUT_MARGIN} steps "
                         "of its start, so no state's discounted return is known.")
    return Episodes(result.returns, result.lengths, float(np.mean(compared_values)),
                    float(np.mean(compared_returns)))


def _discounted_returns(rewards: np.ndarray, discount: float) -> np.ndarray:
    """G_t = r_t + discount * G_{t+1}, for every step t of one episode."""
    returns = np.empty_like(rewards, dtype=np.float64)
    following = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        following = rewards[t] + discount * following
        returns[t] = following
    return returns
