"""Multi-armed bandits: the 10-armed testbed and four ways to act on it.

Sutton and Barto (2018), "Reinforcement Learning: An Introduction", 2nd edition, chapter 2.
Each of `runs` independent bandit problems has `arms` actions whose true values q*(a) are
drawn from N(mean, 1); pulling arm a pays a reward drawn from N(q*(a), 1). An agent sees only
its rewards. Averaged over the runs, step by step, two curves tell agents apart: the average
reward and the share of steps on which the optimal arm was pulled (their Figures 2.2 to 2.5).

Agents (all vectorised over the runs, so 2,000 runs of 1,000 steps take about a second):

- `EpsilonGreedy(epsilon)`: the greedy arm, or with probability epsilon a uniformly random
  one; value estimates by sample averages (or a constant step size). `epsilon=0` is the greedy
  agent, and `initial` > 0 gives optimistic initial values (section 2.6).
- `UCB(c)`: upper-confidence-bound action selection, argmax Q(a) + c sqrt(ln t / N(a)), every
  arm tried once first (section 2.7; Auer, Cesa-Bianchi and Fischer 2002).
- `GradientBandit(step_size, baseline)`: soft-max preferences learned by stochastic gradient
  ascent on the expected reward, with the average reward as baseline (section 2.8).

Ties between equally valued arms are broken at random, as the book does. Everything random
is drawn from one `numpy.random.Generator` seeded by `seed`: the same seed gives the same
curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo import _validate
from zoo.rl import softmax


def _argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row-wise argmax, choosing uniformly among the maxima of each row."""
    is_max = values == values.max(axis=1, keepdims=True)
    return np.argmax(is_max * rng.random(values.shape), axis=1)


class EpsilonGreedy:
    """Epsilon-greedy action selection on incremental value estimates (sections 2.2-2.6).

    Args:
        epsilon: the probability of exploring with a uniformly random arm; 0 is greedy.
        initial: the initial value estimate of every arm (5.0: optimistic, section 2.6).
        step_size: a constant step size for the estimates (tracks a changing bandit), or None
            for sample averages 1/N(a).
    """

    def __init__(self, epsilon: float = 0.1, *, initial: float = 0.0,
                 step_size: float | None = None):
        self.epsilon = _validate.probability("epsilon", epsilon)
        self.initial = float(initial)
        self.step_size = None if step_size is None else _validate.positive("step_size",
                                                                           step_size)

    def __repr__(self) -> str:
        step = "" if self.step_size is None else f", step_size={self.step_size}"
        return f"EpsilonGreedy(epsilon={self.epsilon}, initial={self.initial}{step})"

    def reset(self, runs: int, arms: int) -> None:
        self.estimates = np.full((runs, arms), self.initial)
        self.counts = np.zeros((runs, arms))

    def act(self, step: int, rng: np.random.Generator) -> np.ndarray:
        runs, arms = self.estimates.shape
        actions = _argmax_random_ties(self.estimates, rng)
        explore = rng.random(runs) < self.epsilon
        return np.where(explore, rng.integers(arms, size=runs), actions)

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        rows = np.arange(len(actions))
        self.counts[rows, actions] += 1
        step = (1.0 / self.counts[rows, actions] if self.step_size is None
                else self.step_size)
        self.estimates[rows, actions] += step * (rewards - self.estimates[rows, actions])


class UCB(EpsilonGreedy):
    """Upper-confidence-bound selection: argmax Q(a) + c sqrt(ln t / N(a)), where an arm never
    pulled counts as maximising (section 2.7)."""

    def __init__(self, c: float = 2.0):
        super().__init__(epsilon=0.0)
        self.c = _validate.positive("c", c)

    def __repr__(self) -> str:
        return f"UCB(c={self.c})"

    def act(self, step: int, rng: np.random.Generator) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # N(a) = 0: masked below
            bonus = self.c * np.sqrt(np.log(step + 1) / self.counts)
        upper = np.where(self.counts == 0, np.inf, self.estimates + bonus)
        return _argmax_random_ties(upper, rng)


class GradientBandit:
    """Soft-max preferences H(a) moved by H += alpha (R - baseline) (1[a = A] - pi(a)), the
    stochastic-gradient form of ascending E[R] (section 2.8, equation 2.12).

    Args:
        step_size: alpha.
        baseline: subtract the running average reward (True, as the book recommends) or 0.
    """

    def __init__(self, step_size: float = 0.1, *, baseline: bool = True):
        self.step_size = _validate.positive("step_size", step_size)
        self.baseline = bool(baseline)

    def __repr__(self) -> str:
        return f"GradientBandit(step_size={self.step_size}, baseline={self.baseline})"

    def reset(self, runs: int, arms: int) -> None:
        self.preferences = np.zeros((runs, arms))
        self.average_reward = np.zeros(runs)
        self.steps = 0

    def policy(self) -> np.ndarray:
        return np.exp(softmax.log_softmax(self.preferences))

    def act(self, step: int, rng: np.random.Generator) -> np.ndarray:
        return softmax.sample(self.preferences, rng)[0]

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        self.steps += 1
        if self.baseline:
            # The baseline includes the current reward (the book's R-bar_t after step t).
            self.average_reward += (rewards - self.average_reward) / self.steps
        baseline = self.average_reward if self.baseline else 0.0
        chosen = np.zeros_like(self.preferences)
        chosen[np.arange(len(actions)), actions] = 1.0
        advantage = (rewards - baseline)[:, None]
        self.preferences += self.step_size * advantage * (chosen - self.policy())


@dataclass(frozen=True)
class BanditCurves:
    """What a testbed run measured, step by step, averaged over its runs."""

    agent: str
    average_reward: np.ndarray  # [steps]
    optimal_action: np.ndarray  # [steps], the share of runs that pulled an optimal arm

    def final(self, last: int = 100) -> dict[str, float]:
        """The mean of both curves over the `last` steps."""
        return {"average_reward": float(self.average_reward[-last:].mean()),
                "optimal_action": float(self.optimal_action[-last:].mean())}


def testbed(agent, *, steps: int = 1000, runs: int = 2000, arms: int = 10,
            mean: float = 0.0, seed: int = 0) -> BanditCurves:
    """Run `agent` on `runs` fresh `arms`-armed bandits for `steps` steps each.

    Args:
        agent: an `EpsilonGreedy`, `UCB` or `GradientBandit` (reset here, so one agent object
            can run several testbeds).
        mean: the mean of the true arm values (the book uses 4 for the gradient bandit, where
            the baseline then matters).
        seed: seeds the arm values, the rewards and the agent's choices alike.
    """
    steps = _validate.positive_int("steps", steps)
    runs = _validate.positive_int("runs", runs)
    arms = _validate.positive_int("arms", arms)
    if arms < 2:
        raise ValueError(f"arms={arms!r} must be at least 2: with one arm there is no choice.")
    rng = np.random.default_rng(seed)
    true_values = rng.normal(mean, 1.0, size=(runs, arms))
    best = true_values.max(axis=1)
    rows = np.arange(runs)
    agent.reset(runs, arms)
    average_reward = np.empty(steps)
    optimal_action = np.empty(steps)
    for step in range(steps):
        actions = agent.act(step, rng)
        rewards = rng.normal(true_values[rows, actions], 1.0)
        agent.update(actions, rewards)
        average_reward[step] = rewards.mean()
        optimal_action[step] = (true_values[rows, actions] == best).mean()
    return BanditCurves(repr(agent), average_reward, optimal_action)
