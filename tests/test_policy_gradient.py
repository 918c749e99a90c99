"""REINFORCE, A2C and PPO (zoo.rl.policy_gradient) on small budgets: the advantages they
weigh actions by, learning changes both networks, seeding, a checkpoint that resumes
exactly, the exported policy in TensorFlow alone, and the errors of what they cannot use.
Solving CartPole is benchmarks/rl.py's run, checked in tests/test_results.py."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.rl import environments
from zoo.rl.policy_gradient import ALGORITHMS, PolicyGradient, config_for, make_optimizer
from zoo.rl.rollouts import Batch, Rollouts, advantages

SMALL = {"network_options": {"hidden_units": (16,)}}


def _batch(rewards, values, dones, last_values):
    rewards = np.array(rewards, np.float32)[:, None]
    shape = rewards.shape
    return Batch(np.zeros((*shape, 1), np.float32), np.zeros(shape, np.int64),
                 np.zeros(shape, np.float32), np.array(values, np.float32)[:, None], rewards,
                 np.array(dones, np.float32)[:, None], np.array([last_values], np.float32))


def test_advantages_bootstrap_until_an_episode_ends():
    # Three steps; the episode ends with the second. gamma 0.5, lambda 1: n-step returns.
    batch = _batch(rewards=[1, 2, 4], values=[0.5, 1, 3], dones=[0, 1, 0], last_values=8)
    estimates, targets = advantages(batch, discount=0.5, gae_lambda=1.0)
    np.testing.assert_allclose(targets[:, 0], [1 + 0.5 * 2, 2, 4 + 0.5 * 8])
    np.testing.assert_allclose(estimates[:, 0], targets[:, 0] - [0.5, 1, 3])


def test_gae_with_lambda_0_is_the_one_step_td_error():
    batch = _batch(rewards=[1, 2], values=[0.5, 1], dones=[0, 0], last_values=3)
    estimates, _ = advantages(batch, discount=0.9, gae_lambda=0.0)
    np.testing.assert_allclose(estimates[:, 0], [1 + 0.9 * 1 - 0.5, 2 + 0.9 * 3 - 1])


def test_a_cut_off_episode_adds_the_value_of_where_it_stopped():
    rollouts = Rollouts("CartPole-v1", 1, seed=0, agent="test")
    rollouts.envs = [environments.make("CartPole-v1", max_episode_steps=3)]
    rollouts.envs[0].reset(seed=0)

    def act(observations):
        n = len(observations)
        return np.zeros(n, np.int64), np.zeros(n, np.float32), np.zeros(n, np.float32)

    batch = rollouts.collect(3, act, value=lambda x: np.full(len(x), 10.0), discount=0.5)
    # Cut off after 3 steps (still upright): reward 1 plus 0.5 * V = 5 at the cut.
    np.testing.assert_allclose(batch.rewards[:, 0], [1, 1, 1 + 0.5 * 10])
    np.testing.assert_array_equal(batch.dones[:, 0], [0, 0, 1])
    assert rollouts.finished_returns == [3.0]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_updates_both_networks_and_counts_its_steps(algorithm):
    agent = PolicyGradient("CartPole-v1", algorithm, seed=0, n_envs=2, **SMALL)
    before = [w.copy() for w in agent.policy.get_weights() + agent.value.get_weights()]
    progress = agent.learn(200)
    assert progress.steps >= 200 and progress.updates >= 1
    assert len(progress.episode_returns) == len(progress.episode_end_steps)
    after = agent.policy.get_weights() + agent.value.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))


def test_same_seed_same_returns():
    def run(seed):
        agent = PolicyGradient("CartPole-v1", "a2c", seed=seed, n_envs=2, **SMALL)
        agent.learn(400)
        return agent.progress.episode_returns

    assert run(5) == run(5)
    assert run(5) != run(6)


class Interrupted(Exception):
    pass


def test_a_run_that_dies_resumes_from_its_checkpoint_exactly(tmp_path):
    options = dict(seed=2, n_envs=2, n_steps=16, minibatch_size=16, epochs=2, **SMALL)
    straight = PolicyGradient("CartPole-v1", "ppo", **options)
    straight.learn(320)

    def die_after_200_steps(agent):
        if agent.progress.steps > 200:
            raise Interrupted

    dying = PolicyGradient("CartPole-v1", "ppo", **options)
    with pytest.raises(Interrupted):
        dying.learn(320, checkpoint_dir=tmp_path / "run", checkpoint_every=64,
                    on_update=die_after_200_steps)
    resumed = PolicyGradient.restore(tmp_path / "run")
    assert 64 <= resumed.progress.steps <= 200
    resumed.learn(320)
    assert resumed.progress.episode_returns == straight.progress.episode_returns
    for a, b in zip(resumed.policy.get_weights(), straight.policy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_exported_policy_serves_probabilities_and_replays_the_agents_episode(tmp_path):
    agent = PolicyGradient("CartPole-v1", "reinforce", seed=0, n_envs=2, **SMALL)
    agent.learn(100)
    serve = tf.saved_model.load(str(agent.export(root=tmp_path))).signatures["serving_default"]
    env = environments.make("CartPole-v1")
    observation, _ = env.reset(seed=10_000)
    total, done = 0.0, False
    while not done:
        outputs = serve(observation=tf.constant(observation[None], tf.float32))
        np.testing.assert_allclose(outputs["probabilities"].numpy().sum(), 1.0, rtol=1e-6)
        observation, reward, terminated, truncated, _ = env.step(int(outputs["action"][0]))
        total, done = total + reward, terminated or truncated
    assert total == agent.evaluate(episodes=1).returns[0]


def test_a_new_policy_finds_every_action_equally_likely():
    # The logits' small initial gain (0.01): no action is favoured before any experience.
    import zoo

    policy = zoo.get_model("policy_network", input_shape=(8,), num_actions=4)
    observations = np.random.default_rng(0).normal(size=(256, 8)).astype(np.float32)
    probabilities = tf.nn.softmax(policy(observations)).numpy()
    np.testing.assert_allclose(probabilities, 0.25, atol=0.01)
    with pytest.raises(ValueError, match="output_gain=0"):
        zoo.get_model("value_network", output_gain=0)


def test_a2c_steps_as_pytorchs_rmsprop_with_sb3s_epsilon():
    # Stable-Baselines3's A2C: lr * g / (sqrt(v) + 1e-5) with v = 0.01 g^2 at the first step;
    # Keras's RMSprop puts epsilon under the root and steps otherwise.
    optimizer = make_optimizer(config_for("a2c"))
    variable = tf.Variable([0.0, 0.0, 0.0])
    gradient = np.array([1e-6, 1e-5, 0.3], np.float32)  # a norm under the clipping's 0.5
    optimizer.apply([tf.constant(gradient)], [variable])
    expected = 7e-4 * gradient / (np.sqrt(0.01 * gradient ** 2) + 1e-5)
    np.testing.assert_allclose(-variable.numpy(), expected, rtol=1e-5)


def test_ppo_steps_as_pytorchs_adam_with_sb3s_epsilon():
    optimizer = make_optimizer(config_for("ppo"))
    variable = tf.Variable([0.0, 0.0])
    m = v = np.zeros(2)
    expected = np.zeros(2)
    for step, gradient in enumerate(([1e-6, 0.4], [3e-6, -0.2], [-2e-6, 0.1]), start=1):
        gradient = np.array(gradient)
        optimizer.apply([tf.constant(gradient, tf.float32)], [variable])
        m, v = 0.9 * m + 0.1 * gradient, 0.999 * v + 0.001 * gradient ** 2
        m_hat, v_hat = m / (1 - 0.9 ** step), v / (1 - 0.999 ** step)
        expected -= 1e-3 * m_hat / (np.sqrt(v_hat) + 1e-5)  # torch.optim.Adam's update
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["PyTorchAdam", "PyTorchRMSprop"])
def test_pytorch_form_optimizers_round_trip_their_config(name):
    import keras

    from zoo.rl import optimizers

    optimizer = getattr(optimizers, name)(2e-3, epsilon=1e-5, global_clipnorm=0.5)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(again) is type(optimizer)
    assert again.epsilon == 1e-5 and again.global_clipnorm == 0.5
    assert float(again.learning_rate) == pytest.approx(2e-3)


def test_defaults_follow_each_algorithm():
    assert config_for("ppo").epochs == 20 and config_for("ppo").gae_lambda == 0.8
    assert config_for("a2c").optimizer == "rmsprop" and config_for("a2c").n_steps == 5
    assert config_for("reinforce", n_envs=4).n_envs == 4


def test_a2c_on_cartpole_takes_zoos_settings_and_overrides_still_win():
    # The RL Zoo's A2C settings are the defaults; on CartPole-v1 zoo's own (zoo.rl.tuned).
    assert (config_for("a2c").learning_rate, config_for("a2c").gae_lambda) == (7e-4, 1.0)
    cartpole = config_for("a2c", "CartPole-v1")
    assert (cartpole.learning_rate, cartpole.gae_lambda) == (1e-3, 0.9)
    assert config_for("a2c", "CartPole-v1", gae_lambda=1.0).gae_lambda == 1.0
    assert config_for("a2c", "Acrobot-v1").learning_rate == 7e-4  # not tuned there


@pytest.mark.parametrize("make, message", [
    (lambda: config_for("dqn"), "algorithm='dqn'"),
    (lambda: config_for("ppo", gae_lambda=1.5), "gae_lambda=1.5"),
    (lambda: config_for("ppo", clip_range=0), "clip_range=0"),
    (lambda: config_for("ppo", policy_network="value_network"), "must be a policy one"),
    (lambda: PolicyGradient("Pendulum-v1"), "discrete action space"),
    (lambda: PolicyGradient("Taxi-v4"), "flat vectors"),
])
def test_bad_settings_and_environments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_restoring_from_a_folder_that_is_no_checkpoint_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="environments.pkl"):
        PolicyGradient.restore(tmp_path)
