"""On-policy experience: several copies of an environment stepped together, and the
advantages a policy-gradient update weighs its actions by.

- `Rollouts` steps `n_envs` environments in lockstep with one batched call of the networks per
  step (Mnih et al. 2016's synchronous variant of their asynchronous actors, A2C). An
  environment whose episode ends is reset at once and goes on; the returns of finished
  episodes are collected.
- `advantages`: generalised advantage estimation (Schulman, Moritz, Levine, Jordan and Abbeel
  2016, "High-dimensional continuous control using generalized advantage estimation", ICLR),
  A_t = sum_k (gamma lambda)^k delta_{t+k} with delta_t = r_t + gamma V(s_{t+1}) - V(s_t).
  lambda = 1 gives the n-step returns of A2C; lambda < 1 trades variance for bias (PPO).

An episode cut off by a time limit did not end in a terminal state, so the value of the state
it stopped in is added to its last reward (discounted), as Stable-Baselines3 does; only a
terminal state contributes nothing beyond its reward (Pardo et al. 2018).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zoo.rl import environments


@dataclass
class Batch:
    """`n_steps` steps of `n_envs` environments, arrays shaped [n_steps, n_envs, ...]."""

    observations: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray  # the episode ended with this step (terminal or cut off)
    last_values: np.ndarray  # [n_envs], V of the state each environment stands in now


class Rollouts:
    """`n_envs` copies of `env_id`, environment i seeded `seed + i` at its first reset."""

    def __init__(self, env_id: str, n_envs: int, seed: int, agent: str):
        self.envs = [environments.make(env_id, seed=seed + i) for i in range(n_envs)]
        self.observation_size = environments.vector_size(self.envs[0], agent)
        self.num_actions = environments.discrete_size(self.envs[0], "action", agent)
        self.observations = np.stack([env.reset(seed=seed + i)[0]
                                      for i, env in enumerate(self.envs)]).astype(np.float32)
        self._running_returns = np.zeros(n_envs)
        self.finished_returns: list[float] = []

    def collect(self, n_steps: int,
                act: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
                value: Callable[[np.ndarray], np.ndarray], discount: float) -> Batch:
        """Step every environment `n_steps` times with `act` (observations to actions, their
        log-probabilities and the states' values) and `value` (observations to values)."""
        n_envs = len(self.envs)
        shape = (n_steps, n_envs)
        batch = Batch(np.zeros((*shape, self.observation_size), np.float32),
                      np.zeros(shape, np.int64), np.zeros(shape, np.float32),
                      np.zeros(shape, np.float32), np.zeros(shape, np.float32),
                      np.zeros(shape, np.float32), np.zeros(n_envs, np.float32))
        for t in range(n_steps):
            actions, log_probs, values = act(self.observations)
            batch.observations[t] = self.observations
            batch.actions[t], batch.log_probs[t], batch.values[t] = actions, log_probs, values
            cut_off = []
            for i, env in enumerate(self.envs):
                observation, reward, terminated, truncated, _ = env.step(int(actions[i]))
                reward = environments.checked_reward(reward, env)
                self._running_returns[i] += reward
                batch.rewards[t, i] = reward
                if terminated or truncated:
                    batch.dones[t, i] = 1.0
                    self.finished_returns.append(float(self._running_returns[i]))
                    self._running_returns[i] = 0.0
                    if truncated and not terminated:
                        cut_off.append((i, observation))
                    observation, _ = env.reset()
                self.observations[i] = observation
            if cut_off:
                stopped = np.stack([observation for _, observation in cut_off])
                for (i, _), v in zip(cut_off, value(stopped.astype(np.float32)), strict=True):
                    batch.rewards[t, i] += discount * v
        batch.last_values[:] = value(self.observations)
        return batch


@dataclass
class Episodes:
    """Whole episodes, one per environment, flattened: arrays shaped [transitions, ...]."""

    observations: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    returns: np.ndarray  # the discounted return that followed each step


def collect_episodes(rollouts: Rollouts, act, value, discount: float) -> Episodes:
    """Play one whole episode in each of `rollouts`' environments (REINFORCE's Monte Carlo
    returns need complete episodes), from the states they stand in; each is reset after."""
    n_envs = len(rollouts.envs)
    running = np.ones(n_envs, bool)
    steps = [[] for _ in range(n_envs)]  # (observation, action, log_prob, value, reward)
    while running.any():
        active = np.flatnonzero(running)
        actions, log_probs, values = act(rollouts.observations[active])
        for j, i in enumerate(active):
            env = rollouts.envs[i]
            observation, reward, terminated, truncated, _ = env.step(int(actions[j]))
            reward = environments.checked_reward(reward, env)
            steps[i].append((rollouts.observations[i].copy(), actions[j], log_probs[j],
                             values[j], reward))
            if terminated or truncated:
                rollouts.finished_returns.append(float(sum(s[4] for s in steps[i])))
                if truncated and not terminated:  # cut off: the rest is estimated
                    bootstrap = value(observation[None].astype(np.float32))[0]
                    steps[i][-1] = (*steps[i][-1][:4], reward + discount * bootstrap)
                running[i] = False
                observation, _ = env.reset()
            rollouts.observations[i] = observation
    returns = []
    for episode in steps:
        following, episode_returns = 0.0, []
        for step in reversed(episode):
            following = step[4] + discount * following
            episode_returns.append(following)
        returns.extend(reversed(episode_returns))
    flat = [step for episode in steps for step in episode]
    return Episodes(np.stack([s[0] for s in flat]), np.array([s[1] for s in flat], np.int64),
                    np.array([s[2] for s in flat], np.float32),
                    np.array([s[3] for s in flat], np.float32), np.array(returns, np.float32))


def advantages(batch: Batch, discount: float, gae_lambda: float) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Generalised advantage estimates and the value targets (advantage + value), both
    [n_steps, n_envs]."""
    n_steps = len(batch.rewards)
    estimates = np.zeros_like(batch.rewards)
    following = np.zeros_like(batch.last_values)
    for t in range(n_steps - 1, -1, -1):
        next_value = batch.last_values if t == n_steps - 1 else batch.values[t + 1]
        continues = 1.0 - batch.dones[t]
        delta = batch.rewards[t] + discount * next_value * continues - batch.values[t]
        following = delta + discount * gae_lambda * continues * following
        estimates[t] = following
    return estimates, estimates + batch.values
