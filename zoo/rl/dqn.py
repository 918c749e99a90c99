"""DQN and double DQN: Q-learning with a neural network, experience replay and a target
network.

- DQN: Mnih et al. (2015), "Human-level control through deep reinforcement learning", Nature
  518. The Q-network is regressed on r + gamma max_a Q_target(s', a) for transitions drawn
  from a replay buffer (`zoo.rl.replay`), with the Huber loss (their error clipping); the
  target network is a copy of the Q-network refreshed every `target_update_interval` steps,
  so that the regression target does not move with every update.
- Double DQN: van Hasselt, Guez and Silver (2016), "Deep reinforcement learning with double
  Q-learning", AAAI. The max in the target both picks and evaluates an action with the same
  noisy estimates, so it is biased upwards; double DQN picks the action with the Q-network and
  evaluates it with the target network: r + gamma Q_target(s', argmax_a Q(s', a)).

The Q-network is a registered model (`zoo.models.rl`, "q_network" by default), built for the
environment's observation size and number of actions; `DQN.export` serves it through
`zoo.export` (observations in; `q_values` and the greedy `action` out).

Seeding: `seed` sets the network's initial weights, the environment's first reset and one
numpy generator for exploration and replay sampling, so the same seed gives the same returns.
A checkpoint (`learn(checkpoint_dir=...)`, `DQN.restore`) holds the networks, the optimizer,
the replay buffer and every generator's state; it is written at the end of an episode, and a
run resumed from it continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo import _io, _validate
from zoo.registry import get_model, model_card
from zoo.rl import checkpoints, environments, tuned
from zoo.rl.checkpoints import Progress
from zoo.rl.evaluation import Episodes, play
from zoo.rl.replay import ReplayBuffer

CHECKPOINT_FILES = ("config.json", "state.json", "weights.npz", "replay.npz")


@dataclass(frozen=True)
class DQNConfig:
    """DQN's settings. The defaults are a generic start for an environment with nothing
    tuned; `DQN(env)` takes the RL Zoo's settings where `zoo.rl.tuned` has them (CartPole-v1,
    Acrobot-v1, LunarLander-v3).

    Steps are environment steps. Training starts after `learning_starts` steps and then runs
    `gradient_steps` updates on `batch_size` replayed transitions every `train_frequency`
    steps. Exploration is epsilon-greedy, with epsilon falling linearly from
    `initial_epsilon` to `final_epsilon` over `exploration_steps`.
    """

    double: bool = False
    learning_rate: float = 1e-3
    batch_size: int = 64
    buffer_size: int = 50_000
    learning_starts: int = 1_000
    discount: float = 0.99
    train_frequency: int = 1
    gradient_steps: int = 1
    target_update_interval: int = 500
    initial_epsilon: float = 1.0
    final_epsilon: float = 0.05
    exploration_steps: int = 10_000
    max_grad_norm: float = 10.0
    network: str = "q_network"
    network_options: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("batch_size", "buffer_size", "train_frequency", "gradient_steps",
                     "target_update_interval", "exploration_steps"):
            _validate.positive_int(name, getattr(self, name))
        _validate.non_negative_int("learning_starts", self.learning_starts)
        _validate.positive("learning_rate", self.learning_rate)
        _validate.positive("max_grad_norm", self.max_grad_norm)
        for name in ("discount", "initial_epsilon", "final_epsilon"):
            _validate.probability(name, getattr(self, name))
        if model_card(self.network).task != "action-values":
            raise ValueError(f"network={self.network!r} is a {model_card(self.network).task} "
                             "model; DQN needs an action-values one (zoo.list_models("
                             "task='action-values')).")


def td_targets(reward, terminated, next_target_values, discount: float, *,
               next_online=None) -> tf.Tensor:
    """The regression targets of a batch of transitions.

    DQN: r + discount max_a Q_target(s', a). Double DQN (`next_online` given, the Q-network's
    values at s'): r + discount Q_target(s', argmax_a Q(s', a)). A terminal s' adds nothing.
    """
    if next_online is None:
        next_value = tf.reduce_max(next_target_values, axis=-1)
    else:
        chosen = tf.argmax(next_online, axis=-1)
        next_value = tf.gather(next_target_values, chosen, axis=1, batch_dims=1)
    return tf.stop_gradient(reward + discount * (1.0 - terminated) * next_value)


class DQN:
    """A DQN (or double DQN, `config.double`) agent for an environment with vector
    observations and discrete actions. Without `config`, it has `DQNConfig`'s defaults changed
    by the settings tuned for `env` (`zoo.rl.tuned`); `config_overrides` change it further.

    Example:
        agent = DQN("CartPole-v1", seed=0)
        agent.learn(60_000, target_return=475)
        agent.evaluate(episodes=100).mean_return
        agent.export("saved_models")
    """

    def __init__(self, env: str = "CartPole-v1", *, config: DQNConfig | None = None,
                 seed: int = 0, **config_overrides):
        self.config = replace(config or DQNConfig(**tuned.settings("dqn", env)),
                              **config_overrides)
        self.env_id, self.seed = env, _validate.non_negative_int("seed", seed)
        self.env = environments.make(env, seed=seed)
        size = environments.vector_size(self.env, "DQN")
        self.num_actions = environments.discrete_size(self.env, "action", "DQN")
        keras.utils.set_random_seed(seed)  # the initial weights
        options = {"input_shape": (size,), "num_actions": self.num_actions,
                   **self.config.network_options}
        self.q_network = get_model(self.config.network, **options)
        self.target_network = get_model(self.config.network, **options)
        self.target_network.set_weights(self.q_network.get_weights())
        self.optimizer = keras.optimizers.Adam(self.config.learning_rate,
                                               global_clipnorm=self.config.max_grad_norm)
        self.optimizer.build(self.q_network.trainable_variables)
        self.replay = ReplayBuffer(self.config.buffer_size, (size,))
        self.rng = np.random.default_rng(seed)
        self.progress = Progress()
        self._observation = None  # mid-episode between `learn` calls
        self._episode_return = 0.0
        self._compile()

    # -- acting ------------------------------------------------------------------------

    def _compile(self):
        size = self.q_network.input_shape[-1]
        self._q_values = tf.function(lambda x: self.q_network(x, training=False),
                                     input_signature=[tf.TensorSpec((None, size), tf.float32)])
        # Acting while learning, one observation at a time, and the updates, one batch size:
        # compiled with XLA, because a step's few small matrix products cost less than
        # TensorFlow's dispatch of each op: with it a step of CartPole-v1 (tuned settings)
        # took 980 us instead of 1,140. Evaluation's batches shrink as episodes end, and XLA
        # would compile every size. (The policy-gradient agents do not gain: zoo.rl.
        # policy_gradient.)
        self._q_values_of_one = tf.function(
            lambda x: self.q_network(x, training=False),
            input_signature=[tf.TensorSpec((1, size), tf.float32)], jit_compile=True)
        self._train_step = tf.function(self._gradient_step, jit_compile=True)
        # In the graph: the RL Zoo's CartPole settings copy every 10 steps, and a copy
        # through numpy (get_weights, set_weights) took five times as long (740 us, 145 here).
        self._copy_to_target = tf.function(
            lambda: [target.assign(online) for target, online in
                     zip(self.target_network.weights, self.q_network.weights, strict=True)])

    def epsilon(self) -> float:
        c = self.config
        done = min(self.progress.steps / c.exploration_steps, 1.0)
        return c.initial_epsilon + done * (c.final_epsilon - c.initial_epsilon)

    def act(self, observations, epsilon: float = 0.0) -> np.ndarray:
        """Greedy actions for a batch of observations (each random with prob. `epsilon`)."""
        observations = np.asarray(observations, np.float32)
        q_values = self._q_values_of_one if len(observations) == 1 else self._q_values
        if epsilon == 0:
            return q_values(observations).numpy().argmax(axis=-1)
        explore = self.rng.random(len(observations)) < epsilon
        random_actions = self.rng.integers(self.num_actions, size=len(observations))
        if explore.all():
            # The network's choice would be discarded: early on, most steps skip the call.
            # The generator draws the same numbers either way, so seeded runs are unchanged.
            return random_actions
        greedy = q_values(observations).numpy().argmax(axis=-1)
        return np.where(explore, random_actions, greedy)

    # -- learning ----------------------------------------------------------------------

    def _gradient_step(self, observation, action, reward, next_observation, terminated):
        c = self.config
        next_online = self.q_network(next_observation, training=False) if c.double else None
        next_target = self.target_network(next_observation, training=False)
        target = td_targets(reward, terminated, next_target, c.discount, next_online=next_online)
        with tf.GradientTape() as tape:
            q = self.q_network(observation, training=True)
            taken = tf.gather(q, action, axis=1, batch_dims=1)
            loss = tf.reduce_mean(keras.losses.huber(target[:, None], taken[:, None]))
        variables = self.q_network.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    def _train(self):
        for _ in range(self.config.gradient_steps):
            batch = self.replay.sample(self.config.batch_size, self.rng)
            self._train_step(*(tf.constant(batch[name]) for name in
                               ("observation", "action", "reward", "next_observation",
                                "terminated")))
            self.progress.updates += 1

    def learn(self, total_steps: int, *, target_return: float | None = None,
              evaluate_every: int = 5_000, evaluation_episodes: int = 100,
              checkpoint_dir=None, checkpoint_every: int = 10_000,
              on_episode: Callable[[DQN], None] | None = None) -> Progress:
        """Act and learn until `progress.steps` reaches `total_steps` (a total: a resumed or
        continued run stops at the same step as one run straight through).

        Args:
            target_return: stop once the greedy policy's mean return over
                `evaluation_episodes` episodes reaches this (475 solves CartPole-v1); it is
                checked at the end of the first episode after every `evaluate_every` steps,
                and the step is kept in `progress.solved_at_step`. Each check also compares
                the network's values with the returns obtained (`progress.evaluations`).
            checkpoint_dir: write a checkpoint there at the end of the first episode after
                every `checkpoint_every` steps (atomically: a reader sees the previous one or
                the new one, never half of either).
            on_episode: called with the agent after every finished episode.
        """
        total_steps = _validate.positive_int("total_steps", total_steps)
        c, progress = self.config, self.progress
        last_evaluation = last_checkpoint = progress.steps
        started = time.perf_counter()
        if self._observation is None:
            self._observation = self._reset()
        while progress.steps < total_steps and progress.solved_at_step is None:
            action = int(self.act(self._observation[None], self.epsilon())[0])
            observation, reward, terminated, truncated, _ = self.env.step(action)
            reward = environments.checked_reward(reward, self.env)
            self.replay.add(self._observation, action, reward, observation, terminated)
            self._episode_return += reward
            progress.steps += 1
            if progress.steps > c.learning_starts and progress.steps % c.train_frequency == 0:
                self._train()
            if progress.steps % c.target_update_interval == 0:
                self._copy_to_target()
            if not (terminated or truncated):
                self._observation = observation
                continue
            progress.episode_returns.append(self._episode_return)
            progress.episode_end_steps.append(progress.steps)
            self._observation, self._episode_return = None, 0.0
            if on_episode:
                on_episode(self)
            if target_return is not None and progress.steps - last_evaluation >= evaluate_every:
                last_evaluation, evaluating = progress.steps, time.perf_counter()
                episodes = self.evaluate(evaluation_episodes, measure_values=True)
                progress.evaluations.append((progress.steps, episodes.mean_return,
                                             episodes.overestimation))
                if episodes.mean_return >= target_return:
                    progress.solved_at_step = progress.steps
                progress.evaluation_seconds += time.perf_counter() - evaluating
            if checkpoint_dir is not None and progress.steps - last_checkpoint >= checkpoint_every:
                last_checkpoint = progress.steps
                progress.seconds += time.perf_counter() - started
                started = time.perf_counter()
                self.save(checkpoint_dir)
            if progress.steps < total_steps and progress.solved_at_step is None:
                self._observation = self._reset()
        progress.seconds += time.perf_counter() - started
        return progress

    def _reset(self) -> np.ndarray:
        # Only the first episode seeds the environment; later resets continue its generator.
        first = not self.progress.episode_returns
        observation, _ = self.env.reset(seed=self.seed if first else None)
        return observation

    # -- judging and serving -----------------------------------------------------------

    def evaluate(self, episodes: int = 100, *, seed: int = 10_000,
                 measure_values: bool = False) -> Episodes:
        """The greedy policy's returns over `episodes` episodes (environments seeded `seed`,
        `seed + 1`, ...); with `measure_values`, also its mean predicted value against the
        discounted return obtained (`Episodes.overestimation`)."""
        def values(batch):
            return self._q_values(batch).numpy().max(axis=-1)

        return play(self.env_id, self.act, episodes=episodes, seed=seed,
                    values=values if measure_values else None, discount=self.config.discount)

    def export(self, root="saved_models", **options) -> Path:
        """The Q-network as a SavedModel (`zoo.export`): observations in, `q_values` and the
        greedy `action` out."""
        from zoo.export import export

        return export(self.q_network, root=root, **options)

    # -- checkpoints ---------------------------------------------------------------------

    def save(self, directory) -> Path:
        """Write everything a resumed run needs to `directory`, atomically."""
        directory = Path(directory)
        with _io.staged_directory(directory, overwrite=True) as staging:
            checkpoints.write(staging, {**asdict(self.config), "env": self.env_id,
                                        "seed": self.seed}, self.progress, self._variables(),
                              episode_return=self._episode_return,
                              rng=self.rng.bit_generator.state,
                              env_rng=self.env.unwrapped.np_random.bit_generator.state)
            np.savez(staging / "replay.npz", **self.replay.state())
        return directory

    def _variables(self) -> dict[str, list]:
        return {"q": self.q_network.weights, "target": self.target_network.weights,
                "optimizer": self.optimizer.variables}

    @classmethod
    def restore(cls, directory) -> DQN:
        """The agent saved in `directory`, ready to `learn` on from where it stopped."""
        directory, config, state = checkpoints.read(directory, CHECKPOINT_FILES, "DQN")
        env, seed = config.pop("env"), config.pop("seed")
        agent = cls(env, config=DQNConfig(**config), seed=seed)
        agent.rng.bit_generator.state = state.pop("rng")
        env_rng = state.pop("env_rng")
        agent._episode_return = state.pop("episode_return")
        agent.progress = Progress.from_dict(state)
        _io.load_variables(directory / "weights.npz", agent._variables())
        with np.load(directory / "replay.npz") as arrays:
            agent.replay = ReplayBuffer.from_state(arrays)
        # The environment continues its generator where the saved run's stood: the next
        # reset draws the same start as the uninterrupted run's.
        agent.env.reset(seed=seed)
        agent.env.unwrapped.np_random.bit_generator.state = env_rng
        agent._observation = None
        return agent
