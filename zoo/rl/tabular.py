"""Tabular temporal-difference control: Q-learning and SARSA.

Sutton and Barto (2018), "Reinforcement Learning: An Introduction", 2nd edition, chapter 6.
Both keep a table Q[state, action] and act epsilon-greedily on it; they differ in the value
they bootstrap from after the step S, A -> R, S':

- SARSA (Rummery and Niranjan 1994; section 6.4), on-policy: R + gamma Q(S', A'), where A' is
  the action the agent will actually take next, exploration included.
- Q-learning (Watkins 1989; Watkins and Dayan 1992; section 6.5), off-policy:
  R + gamma max_a Q(S', a), the value of acting greedily from S'.

On CliffWalking (Example 6.6) the difference shows: Q-learning learns the optimal path along
the cliff edge and falls in while exploring, SARSA learns the safer path one row up and earns
more per episode while it explores.

Episodes that end by reaching a terminal state bootstrap from nothing; an episode cut off by
the environment's time limit (gymnasium's `truncated`) still bootstraps, because the limit is
not part of the task (Pardo et al. 2018, "Time limits in reinforcement learning", ICML).

Seeding: `seed` seeds the environment's first reset and one numpy generator for the agent's
choices, so the same seed gives the same table and the same returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo import _validate
from zoo.rl import environments

METHODS = ("q_learning", "sarsa")


@dataclass
class TabularAgent:
    """A learned action-value table and the returns it earned while learning."""

    env_id: str
    method: str
    q: np.ndarray  # [states, actions]
    episode_returns: np.ndarray  # [episodes], undiscounted, exploration included

    def act(self, state: int, rng: np.random.Generator | None = None) -> int:
        """The greedy action in `state` (ties broken by `rng`, else the first)."""
        return _greedy(self.q[state], rng)

    def policy(self) -> np.ndarray:
        """The greedy action of every state (ties: the first)."""
        return np.argmax(self.q, axis=1)


def _greedy(values: np.ndarray, rng: np.random.Generator | None) -> int:
    if rng is None:
        return int(np.argmax(values))
    # Random tie-breaking matters at the start, when every entry of the table is 0.
    return int(rng.choice(np.flatnonzero(values == values.max())))


def _epsilon_greedy(values: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    if rng.random() < epsilon:
        return int(rng.integers(len(values)))
    return _greedy(values, rng)


def learn(env, method: str = "q_learning", *, episodes: int = 500, learning_rate: float = 0.1,
          discount: float = 0.99, epsilon: float = 0.1, final_epsilon: float | None = None,
          seed: int = 0, **env_kwargs) -> TabularAgent:
    """Learn a Q table by `method` ("q_learning" or "sarsa") on a discrete environment.

    Args:
        env: a gymnasium id ("CliffWalking-v1") made with `env_kwargs`, or an environment.
        episodes: how many episodes to learn from.
        learning_rate: the step size alpha.
        discount: gamma, in [0, 1].
        epsilon: the exploration rate, constant unless `final_epsilon` is given, in which case
            it falls linearly from `epsilon` to `final_epsilon` over the episodes.
        seed: seeds the environment's first reset and the agent's choices.
    """
    method = _validate.choice("method", method, METHODS)
    episodes = _validate.positive_int("episodes", episodes)
    learning_rate = _validate.positive("learning_rate", learning_rate)
    discount = _validate.probability("discount", discount)
    start = _validate.probability("epsilon", epsilon)
    end = start if final_epsilon is None else _validate.probability("final_epsilon", final_epsilon)
    env = environments.make(env, seed=seed, **env_kwargs) if isinstance(env, str) else env
    agent_name = "Tabular " + method.replace("_", "-")
    q = np.zeros((environments.discrete_size(env, "observation", agent_name),
                  environments.discrete_size(env, "action", agent_name)))
    rng = np.random.default_rng(seed)
    returns = np.empty(episodes)
    for episode in range(episodes):
        eps = start + (end - start) * episode / max(episodes - 1, 1)
        state, _ = env.reset(seed=seed if episode == 0 else None)
        action = _epsilon_greedy(q[state], eps, rng)
        total, done = 0.0, False
        while not done:
            next_state, reward, terminated, truncated, _ = env.step(action)
            reward = environments.checked_reward(reward, env)
            total += reward
            next_action = _epsilon_greedy(q[next_state], eps, rng)
            if terminated:
                target = reward
            elif method == "sarsa":
                target = reward + discount * q[next_state, next_action]
            else:
                target = reward + discount * q[next_state].max()
            q[state, action] += learning_rate * (target - q[state, action])
            state, action, done = next_state, next_action, terminated or truncated
        returns[episode] = total
    return TabularAgent(env.spec.id if env.spec else str(env), method, q, returns)


def q_learning(env, **kwargs) -> TabularAgent:
    """`learn(env, "q_learning", **kwargs)`: off-policy TD control (Watkins 1989)."""
    return learn(env, "q_learning", **kwargs)


def sarsa(env, **kwargs) -> TabularAgent:
    """`learn(env, "sarsa", **kwargs)`: on-policy TD control (Rummery and Niranjan 1994)."""
    return learn(env, "sarsa", **kwargs)


def evaluate(agent: TabularAgent, env=None, *, episodes: int = 100, seed: int = 1,
             **env_kwargs) -> np.ndarray:
    """The undiscounted returns of `agent`'s greedy policy over `episodes` episodes, in the
    environment it learned in unless `env` (an id or an environment) says otherwise."""
    episodes = _validate.positive_int("episodes", episodes)
    env = env if env is not None else agent.env_id
    env = environments.make(env, seed=seed, **env_kwargs) if isinstance(env, str) else env
    rng = np.random.default_rng(seed)
    returns = np.empty(episodes)
    for episode in range(episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(agent.act(state, rng))
            total += float(reward)
            done = terminated or truncated
        returns[episode] = total
    return returns

