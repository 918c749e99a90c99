"""The 10-armed testbed (Sutton and Barto 2018, chapter 2): the orderings the book's figures
show, seeded runs, and argument checks."""

import numpy as np
import pytest

from zoo.rl import bandits
from zoo.rl.bandits import UCB, EpsilonGreedy, GradientBandit

# Fewer runs than the book's 2,000 keep the suite fast; the gaps below are wide at 500.
RUNS = 500


@pytest.fixture(scope="module")
def curves():
    agents = {"greedy": EpsilonGreedy(0.0), "epsilon_0.1": EpsilonGreedy(0.1),
              "ucb": UCB(2.0), "optimistic": EpsilonGreedy(0.0, initial=5.0, step_size=0.1)}
    return {name: bandits.testbed(agent, runs=RUNS, seed=0) for name, agent in agents.items()}


def test_epsilon_greedy_beats_greedy(curves):
    # Figure 2.2: greedy locks onto a suboptimal arm in most runs (about a third optimal);
    # exploring with epsilon = 0.1 finds the best arm in about 80% of steps by step 1,000.
    greedy, explorer = curves["greedy"].final(), curves["epsilon_0.1"].final()
    assert explorer["average_reward"] > greedy["average_reward"] + 0.2
    assert explorer["optimal_action"] > 0.7 > 0.45 > greedy["optimal_action"]


def test_ucb_and_optimism_beat_epsilon_greedy(curves):
    # Figures 2.3 and 2.4: both explore early and then exploit, ahead of epsilon-greedy.
    explorer = curves["epsilon_0.1"].final(500)["average_reward"]
    assert curves["ucb"].final(500)["average_reward"] > explorer
    assert curves["optimistic"].final(500)["optimal_action"] > \
        curves["epsilon_0.1"].final(500)["optimal_action"]


def test_gradient_bandit_needs_its_baseline():
    # Figure 2.5: with true values around 4, preferences without a baseline all rise together
    # and the best arm is found far less often.
    def run(agent):
        return bandits.testbed(agent, runs=RUNS, mean=4.0, seed=0).final()

    with_baseline, without = run(GradientBandit(0.1)), run(GradientBandit(0.1, baseline=False))
    assert with_baseline["optimal_action"] > 0.7 > 0.6 > without["optimal_action"]


def test_curves_start_at_chance_and_have_one_value_per_step():
    curves = bandits.testbed(EpsilonGreedy(1.0), steps=50, runs=2000, seed=3)
    assert curves.average_reward.shape == curves.optimal_action.shape == (50,)
    # Pure exploration: the optimal arm one time in ten, an average reward near 0.
    assert curves.optimal_action.mean() == pytest.approx(0.1, abs=0.01)
    assert abs(curves.average_reward.mean()) < 0.05


def test_same_seed_same_curves_and_another_seed_differs():
    first = bandits.testbed(UCB(), steps=100, runs=50, seed=7)
    again = bandits.testbed(UCB(), steps=100, runs=50, seed=7)
    other = bandits.testbed(UCB(), steps=100, runs=50, seed=8)
    np.testing.assert_array_equal(first.average_reward, again.average_reward)
    assert not np.array_equal(first.average_reward, other.average_reward)


@pytest.mark.parametrize("make, message", [
    (lambda: EpsilonGreedy(1.5), "epsilon=1.5"),
    (lambda: EpsilonGreedy(0.1, step_size=0), "step_size=0"),
    (lambda: UCB(c=-1), "c=-1"),
    (lambda: GradientBandit(step_size=-0.1), "step_size=-0.1"),
    (lambda: bandits.testbed(UCB(), arms=1), "arms=1"),
    (lambda: bandits.testbed(UCB(), steps=0), "steps=0"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()
