"""Tabular Q-learning and SARSA (Sutton and Barto 2018, chapter 6) on gymnasium's toy-text
environments: the book's CliffWalking contrast, FrozenLake and Taxi near their optimum,
seeding, and the errors of environments a table cannot hold."""

import gymnasium as gym
import numpy as np
import pytest

from zoo.rl import environments, tabular


@pytest.fixture(scope="module")
def cliff():
    # Example 6.6's settings: alpha 0.5, undiscounted, epsilon 0.1 throughout.
    options = dict(episodes=500, learning_rate=0.5, discount=1.0, epsilon=0.1, seed=0)
    return {method: tabular.learn("CliffWalking-v1", method, **options)
            for method in tabular.METHODS}


def test_q_learning_finds_the_optimal_path_along_the_cliff(cliff):
    # 13 steps at -1 each: the shortest path, right along the edge.
    assert tabular.evaluate(cliff["q_learning"], episodes=1).tolist() == [-13.0]


def test_sarsa_takes_the_safer_path_and_earns_more_while_exploring(cliff):
    safe = tabular.evaluate(cliff["sarsa"], episodes=1)[0]
    assert -25 < safe < -13  # a longer path, away from the edge
    # Exploring next to the cliff costs Q-learning -100 now and then; SARSA learned to
    # stay away from it, so its online returns are higher (Figure 6.4).
    online = {m: agent.episode_returns[-200:].mean() for m, agent in cliff.items()}
    assert online["sarsa"] > online["q_learning"] + 10


def test_q_learning_on_slippery_frozen_lake_nears_the_optimum():
    # The optimal policy of the slippery 4x4 lake reaches the goal about 74% of the time
    # within its 100-step limit; a random one about 1.5%.
    agent = tabular.q_learning("FrozenLake-v1", episodes=20_000, learning_rate=0.1,
                               discount=0.99, epsilon=1.0, final_epsilon=0.01, seed=0)
    assert tabular.evaluate(agent, episodes=1000).mean() > 0.68


def test_q_learning_solves_taxi():
    # Taxi-v4's optimal policy averages about 7.9 (+20 for the drop-off, -1 per step).
    agent = tabular.q_learning("Taxi-v4", episodes=3000, learning_rate=0.5, seed=0)
    returns = tabular.evaluate(agent, episodes=100)
    assert returns.mean() > 7.0 and returns.min() > 0


def test_same_seed_same_table_and_returns():
    def run(seed):
        return tabular.sarsa("FrozenLake-v1", episodes=300, epsilon=0.3, seed=seed)

    first, again, other = run(4), run(4), run(5)
    np.testing.assert_array_equal(first.q, again.q)
    np.testing.assert_array_equal(first.episode_returns, again.episode_returns)
    assert not np.array_equal(first.q, other.q)


def test_policy_is_the_greedy_action_of_each_state(cliff):
    agent = cliff["q_learning"]
    assert agent.q.shape == (48, 4)
    np.testing.assert_array_equal(agent.policy(), np.argmax(agent.q, axis=1))


def test_a_continuous_environment_is_refused_by_name():
    with pytest.raises(ValueError, match=r"discrete observation space.*CartPole-v1"):
        tabular.q_learning("CartPole-v1", episodes=1)


def test_unknown_and_outdated_environment_ids_are_named():
    with pytest.raises(ValueError, match=r"CliffWalk-v1.*CliffWalking-v1"):
        environments.make("CliffWalk-v1")
    with pytest.raises(ValueError, match=r"Taxi-v3.*Taxi-v4"):
        environments.make("Taxi-v3")


@pytest.mark.parametrize("option, message", [
    (dict(method="td"), "method='td'"),
    (dict(episodes=0), "episodes=0"),
    (dict(discount=1.5), "discount=1.5"),
    (dict(epsilon=-0.1), "epsilon=-0.1"),
    (dict(learning_rate=0), "learning_rate=0"),
])
def test_bad_arguments_are_named(option, message):
    with pytest.raises(ValueError, match=message):
        tabular.learn("FrozenLake-v1", **option)


class NaNReward(gym.RewardWrapper):
    """Breaks the reward, as a buggy environment would."""

    def reward(self, reward):
        return float("nan")


def test_a_nan_reward_stops_learning_with_a_clear_error():
    env = NaNReward(environments.make("FrozenLake-v1"))
    with pytest.raises(ValueError, match=r"reward nan.*finite"):
        tabular.q_learning(env, episodes=1)
