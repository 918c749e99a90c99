"""Agents take the settings tuned for their environment (zoo.rl.tuned), and LunarLander runs."""

import pytest

from zoo.rl import tuned
from zoo.rl.dqn import DQN, DQNConfig
from zoo.rl.policy_gradient import PolicyGradient, config_for


def test_ppo_takes_lunarlanders_settings_and_overrides_win():
    config = config_for("ppo", "LunarLander-v3")
    assert (config.n_envs, config.n_steps, config.epochs) == (16, 1024, 4)
    assert (config.discount, config.gae_lambda, config.entropy_coefficient) == (0.999, 0.98,
                                                                                0.01)
    assert not config.anneal and config.learning_rate == 3e-4
    assert config_for("ppo", "LunarLander-v3", n_envs=2).n_envs == 2
    # An environment with nothing tuned keeps the algorithm's (CartPole-v1's) defaults.
    assert config_for("ppo", "MountainCar-v0") == config_for("ppo")


def test_dqn_learns_lunarlander_with_its_tuned_settings_and_restores_them(tmp_path):
    agent = DQN("LunarLander-v3", seed=0, learning_starts=64)
    assert agent.config == DQNConfig(**{**tuned.settings("dqn", "LunarLander-v3"),
                                        "learning_starts": 64})
    assert agent.q_network.input_shape == (None, 8) and agent.num_actions == 4
    progress = agent.learn(300)
    assert progress.steps == 300 and progress.updates == 4 * ((300 - 64) // 4)
    assert DQN.restore(agent.save(tmp_path / "agent")).config == agent.config


def test_policy_gradient_steps_16_lunarlanders_together():
    agent = PolicyGradient("LunarLander-v3", "ppo", seed=0, n_steps=8)
    assert agent.rollouts.num_actions == 4 and agent.config.n_envs == 16
    assert agent.learn(16 * 8).steps == 128


def test_unknown_agents_are_named():
    with pytest.raises(ValueError, match="agent='sac'"):
        tuned.settings("sac", "CartPole-v1")
    assert tuned.budget("ppo", "LunarLander-v3") == 1_000_000
    assert tuned.budget("a2c", "LunarLander-v3") is None
