"""Tuned settings per environment: what an agent changes from its defaults to learn there.

Deep RL's hyperparameters do not carry from one environment to the next. CartPole's PPO
settings (eight environments, 32-step rollouts, a discount of 0.98) suit episodes of at most
500 steps that pay a reward every step; LunarLander's run to 1,000 steps and pay their landing
bonus at the end, which a discount of 0.98 all but hides 100 steps earlier (0.98^100 = 0.13),
hence the RL Zoo's 0.999 there. The settings here are the RL Zoo's tuned ones
for Stable-Baselines3 (Raffin 2020, rl-baselines3-zoo, hyperparams/dqn.yml and ppo.yml),
translated to zoo's names, so that the two libraries are compared like for like
(`benchmarks/rl_vs_sb3.py`). `DQN(env)` and `PolicyGradient(env, algorithm)` look their
environment up here, and explicit overrides win; an environment not listed keeps the agent's
defaults. The policy-gradient agents' defaults are the RL Zoo's CartPole-v1 settings
(`zoo.rl.policy_gradient.config_for`); DQN's are generic (`zoo.rl.dqn.DQNConfig`), so its
CartPole-v1 settings are listed here. One entry is zoo's own: A2C on CartPole-v1 learns in
fewer steps with a higher learning rate and a GAE lambda below 1 than with the RL Zoo's
settings (`benchmarks/rl_settings.py` searched them; `benchmarks/rl_vs_sb3.py` compares them
with Stable-Baselines3's on other seeds). A3C (`zoo.rl.a3c`) keeps the defaults.

The RL Zoo also normalises Acrobot's observations and rewards for PPO (`normalize: true`);
zoo does not, and learns Acrobot without it (`benchmarks/rl.py --env Acrobot-v1`).
"""

from __future__ import annotations

from zoo import _validate

# The RL Zoo's DQN for both: gradient_steps -1 there means one update per environment step
# collected, so four every fourth step; exploration_fraction 0.12 of its 1e5 steps.
_DQN_ACROBOT_AND_LUNARLANDER = dict(
    learning_rate=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=0, discount=0.99,
    target_update_interval=250, train_frequency=4, gradient_steps=4, exploration_steps=12_000,
    final_epsilon=0.1)
# Stable-Baselines3's PPO defaults where the RL Zoo's entries say nothing: a constant
# learning rate of 3e-4, minibatches of 64, clip range 0.2.
_PPO_SB3 = dict(learning_rate=3e-4, anneal=False, minibatch_size=64, clip_range=0.2)

SETTINGS: dict[str, dict[str, dict]] = {
    "a2c": {
        # zoo's own, not the RL Zoo's (7e-4, lambda 1): the best of a grid of learning rates
        # and GAE lambdas (`benchmarks/rl_settings.py`; its record names the best, and
        # tests/test_results.py checks that this entry is it).
        "CartPole-v1": dict(learning_rate=1e-3, gae_lambda=0.9),
    },
    "dqn": {
        # 128 updates every 256 steps; the target network copied every 10 steps, so each
        # burst of updates regresses on the network as it stood when the burst began.
        # exploration_fraction 0.16 of its 5e4 steps.
        "CartPole-v1": dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
                            learning_starts=1_000, discount=0.99, target_update_interval=10,
                            train_frequency=256, gradient_steps=128, exploration_steps=8_000,
                            final_epsilon=0.04),
        "Acrobot-v1": _DQN_ACROBOT_AND_LUNARLANDER,
        "LunarLander-v3": _DQN_ACROBOT_AND_LUNARLANDER,
    },
    "ppo": {
        "Acrobot-v1": dict(_PPO_SB3, n_envs=16, n_steps=256, gae_lambda=0.94, discount=0.99,
                           epochs=4, entropy_coefficient=0.0),
        "LunarLander-v3": dict(_PPO_SB3, n_envs=16, n_steps=1024, gae_lambda=0.98,
                               discount=0.999, epochs=4, entropy_coefficient=0.01),
    },
}
# The RL Zoo's training budgets (n_timesteps), in environment steps.
BUDGETS: dict[str, dict[str, int]] = {
    "dqn": {"Acrobot-v1": 100_000, "LunarLander-v3": 100_000},
    "ppo": {"Acrobot-v1": 1_000_000, "LunarLander-v3": 1_000_000},
}
AGENTS = ("dqn", "ppo", "a2c", "reinforce")


def settings(agent: str, env_id: str) -> dict:
    """The settings `agent` ("dqn", "ppo", "a2c" or "reinforce") changes from its defaults
    for `env_id`; empty where none are tuned."""
    _validate.choice("agent", agent, AGENTS)
    if not isinstance(env_id, str):
        return {}  # not an id at all: making the environment says so
    return dict(SETTINGS.get(agent, {}).get(env_id, {}))


def budget(agent: str, env_id: str) -> int | None:
    """The tuned settings' training budget in environment steps, or None if none is known."""
    _validate.choice("agent", agent, AGENTS)
    return BUDGETS.get(agent, {}).get(env_id)
