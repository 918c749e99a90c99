"""The environments agents learn in: gymnasium's, made by id, seeded, and checked against
what an agent can handle.

Gymnasium (Towers et al. 2024, "Gymnasium: a standard interface for reinforcement learning
environments", arXiv:2407.17032) is the maintained successor of OpenAI Gym; its classic-control
(CartPole, Acrobot) and toy-text (FrozenLake, CliffWalking, Taxi) environments run offline.

Seeding follows gymnasium's rule: the first `reset(seed=...)` seeds the environment's random
generator, later resets continue it; the action space has a generator of its own, seeded
here too so that `env.action_space.sample()` repeats.
"""

from __future__ import annotations

import difflib
import math

import gymnasium as gym
from gymnasium import error as gym_error
from gymnasium import spaces


def make(env_id: str, *, seed: int | None = None, **kwargs) -> gym.Env:
    """`gymnasium.make(env_id, **kwargs)`, with its action space seeded by `seed`.

    The environment itself is seeded by the first `reset(seed=seed)`, which the agents do.
    An id gymnasium does not know raises a ValueError naming it and the closest registered
    ids; an environment whose optional dependency is missing (LunarLander needs Box2D) names
    the dependency.
    """
    if not isinstance(env_id, str):
        raise ValueError(f"env_id={env_id!r} must be a gymnasium environment id such as "
                         "'CartPole-v1'.")
    try:
        env = gym.make(env_id, **kwargs)
    except gym_error.DeprecatedEnv as e:
        raise ValueError(f"env_id={env_id!r}: {e}") from None
    except gym_error.UnregisteredEnv as e:
        close = difflib.get_close_matches(env_id, list(gym.registry), n=3, cutoff=0.6)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(f"env_id={env_id!r} is not a registered gymnasium environment "
                         f"({e}).{hint}") from None
    except gym_error.DependencyNotInstalled as e:
        raise ValueError(f"env_id={env_id!r} needs a package that is not installed: {e}") \
            from None
    if seed is not None:
        env.action_space.seed(seed)
    return env


def discrete_size(env: gym.Env, which: str, agent: str) -> int:
    """The number of states or actions (`which` is "observation" or "action") of an
    environment whose space is `Discrete`, or a ValueError saying that `agent` needs one."""
    space = env.observation_space if which == "observation" else env.action_space
    if not isinstance(space, spaces.Discrete):
        raise ValueError(f"{agent} needs a discrete {which} space (a table row per state, a "
                         f"column per action); {env.spec.id if env.spec else env} has "
                         f"{space}.")
    return int(space.n)


def vector_size(env: gym.Env, agent: str) -> int:
    """The length of a flat `Box` observation (CartPole's 4 numbers), or a ValueError saying
    that `agent` needs one."""
    space = env.observation_space
    if not isinstance(space, spaces.Box) or len(space.shape) != 1:
        raise ValueError(f"{agent} needs observations that are flat vectors (a Box of rank 1); "
                         f"{env.spec.id if env.spec else env} has {space}.")
    return int(space.shape[0])


def checked_reward(reward, env: gym.Env) -> float:
    """`reward` as a float, or a ValueError if it is NaN or infinite: a learning rule fed one
    turns every value it touches into NaN, silently."""
    reward = float(reward)
    if not math.isfinite(reward):
        raise ValueError(f"{env.spec.id if env.spec else env} returned the reward {reward}; "
                         "rewards must be finite numbers.")
    return reward
