"""DQN and double DQN (zoo.rl.dqn) on small budgets: the targets each computes, learning
changes the network, seeding, a checkpoint that resumes exactly, the exported policy replayed
by TensorFlow alone, and the errors of environments and settings DQN cannot use. Solving
CartPole is benchmarks/rl.py's run, checked in tests/test_results.py."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from zoo.rl import environments
from zoo.rl.dqn import DQN, DQNConfig, td_targets

# Small and quick: learning starts at once, one update per step, the target network
# refreshes often.
QUICK = dict(learning_starts=100, train_frequency=1, gradient_steps=1,
             target_update_interval=100, exploration_steps=500, final_epsilon=0.05,
             buffer_size=1_000, batch_size=32, network_options={"hidden_units": (32, 32)})


def test_dqn_targets_take_the_max_and_double_dqn_evaluates_the_online_choice():
    reward = tf.constant([1.0, 1.0, 0.5])
    terminated = tf.constant([0.0, 0.0, 1.0])
    next_target = tf.constant([[2.0, 5.0], [3.0, -1.0], [9.0, 9.0]])
    next_online = tf.constant([[4.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    dqn = td_targets(reward, terminated, next_target, 0.5).numpy()
    double = td_targets(reward, terminated, next_target, 0.5, next_online=next_online).numpy()
    np.testing.assert_allclose(dqn, [1 + 0.5 * 5, 1 + 0.5 * 3, 0.5])
    # The online network picks action 0 then 1; the target network values them.
    np.testing.assert_allclose(double, [1 + 0.5 * 2, 1 + 0.5 * -1, 0.5])


@pytest.fixture(scope="module")
def trained():
    agent = DQN("CartPole-v1", seed=0, **QUICK)
    before = agent.q_network.get_weights()
    agent.learn(600)
    return agent, before


def test_learning_updates_the_network_and_counts_its_steps(trained):
    agent, before = trained
    progress = agent.progress
    assert progress.steps == 600
    assert progress.updates == 500  # one per step after the first 100
    assert len(progress.episode_returns) == len(progress.episode_end_steps) > 5
    assert progress.episode_end_steps == sorted(progress.episode_end_steps)
    after = agent.q_network.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))
    # Refreshed at step 600 (a multiple of 100): the target network equals the Q-network.
    for a, b in zip(after, agent.target_network.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert agent.epsilon() == pytest.approx(0.05)


def test_same_seed_same_returns_and_weights():
    def run(seed):
        agent = DQN("CartPole-v1", seed=seed, **QUICK)
        agent.learn(300)
        return agent

    first, again, other = run(3), run(3), run(4)
    assert first.progress.episode_returns == again.progress.episode_returns
    for a, b in zip(first.q_network.get_weights(), again.q_network.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.progress.episode_returns != other.progress.episode_returns


class Interrupted(Exception):
    pass


def test_a_run_that_dies_resumes_from_its_checkpoint_exactly(tmp_path):
    straight = DQN("CartPole-v1", seed=1, double=True, **QUICK)
    straight.learn(700)

    def die_after_400_steps(agent):
        if agent.progress.steps > 400:
            raise Interrupted

    dying = DQN("CartPole-v1", seed=1, double=True, **QUICK)
    with pytest.raises(Interrupted):
        dying.learn(700, checkpoint_dir=tmp_path / "run", checkpoint_every=200,
                    on_episode=die_after_400_steps)
    resumed = DQN.restore(tmp_path / "run")
    assert 200 <= resumed.progress.steps <= 400 and len(resumed.replay) > 0
    assert resumed.config.double
    resumed.learn(700)
    assert resumed.progress.episode_returns == straight.progress.episode_returns
    assert resumed.progress.updates == straight.progress.updates
    for a, b in zip(resumed.q_network.get_weights(), straight.q_network.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_exported_policy_replays_the_agents_episode_in_tensorflow_alone(trained, tmp_path):
    agent, _ = trained
    path = agent.export(root=tmp_path)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    env = environments.make("CartPole-v1")
    observation, _ = env.reset(seed=10_000)
    total, done = 0.0, False
    while not done:
        outputs = serve(observation=tf.constant(observation[None], tf.float32))
        assert outputs["q_values"].shape == (1, 2)
        observation, reward, terminated, truncated, _ = env.step(int(outputs["action"][0]))
        total, done = total + reward, terminated or truncated
    # `evaluate` seeds its first episode 10,000 too.
    assert total == agent.evaluate(episodes=1).returns[0]


def test_values_are_compared_with_the_returns_that_followed(trained):
    agent, _ = trained
    episodes = agent.evaluate(episodes=5, measure_values=True)
    assert episodes.returns.shape == episodes.lengths.shape == (5,)
    assert episodes.overestimation == pytest.approx(
        episodes.mean_value - episodes.mean_discounted_return)
    # An undiscounted CartPole return is its length; the discounted one is below 100.
    np.testing.assert_array_equal(episodes.returns, episodes.lengths)
    assert 0 < episodes.mean_discounted_return < 100


@pytest.mark.parametrize("env_id, message", [
    ("Pendulum-v1", "discrete action space"),
    ("FrozenLake-v1", "flat vectors"),
    ("CartPol-v1", r"not a registered.*CartPole-v1"),
])
def test_environments_dqn_cannot_use_are_named(env_id, message):
    with pytest.raises(ValueError, match=message):
        DQN(env_id)


@pytest.mark.parametrize("option, message", [
    (dict(discount=1.2), "discount=1.2"),
    (dict(batch_size=0), "batch_size=0"),
    (dict(final_epsilon=-0.1), "final_epsilon=-0.1"),
    (dict(network="mlp"), "action-values"),
    (dict(network="q_netwrok"), "q_network"),
])
def test_bad_settings_are_named(option, message):
    with pytest.raises(ValueError, match=message):
        DQNConfig(**option)


class NaNReward(gym.RewardWrapper):
    def reward(self, reward):
        return float("nan")


def test_a_nan_reward_stops_learning_with_a_clear_error():
    agent = DQN("CartPole-v1", seed=0, **QUICK)
    agent.env = NaNReward(agent.env)
    with pytest.raises(ValueError, match=r"reward nan.*finite"):
        agent.learn(10)


def test_restoring_from_a_folder_that_is_no_checkpoint_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="replay.npz"):
        DQN.restore(tmp_path)


def test_fit_refuses_a_q_network_and_names_its_agent():
    import zoo

    with pytest.raises(ValueError, match=r"acting in the environment CartPole-v1.*dqn.DQN"):
        zoo.train("q_network")
    with pytest.raises(ValueError, match=r"policy_network learns.*PolicyGradient"):
        zoo.evaluate("policy_network")
