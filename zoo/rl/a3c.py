"""A3C: asynchronous advantage actor-critic, parallel workers sharing one set of weights.

Mnih, Badia, Mirza, Graves, Lillicrap, Harley, Silver and Kavukcuoglu (2016), "Asynchronous
methods for deep reinforcement learning", ICML. Each worker (a thread here) owns an
environment and a local copy of the policy and value networks. In a loop it copies the
shared weights, acts for `n_steps` steps, computes the actor-critic gradient of that
experience on its local copy (n-step returns, as A2C), and applies it to the shared weights
with one shared RMSprop optimizer ("shared statistics", the paper's best variant). Workers
explore different parts of the environment at the same time, which decorrelates the updates
the way a replay buffer does for DQN, without storing experience.

The gradient computations run in TensorFlow, which releases Python's lock, so workers overlap
there; the environments' Python code does not. On a few cores A3C is therefore no faster than
its synchronous form, A2C (`zoo.rl.policy_gradient`), which later work found as good
(Wu et al. 2017, "Scalable trust-region method for deep reinforcement learning using
Kronecker-factored approximation", NeurIPS): it is here because the textbooks teach it.

Seeding: worker w's environment is seeded `seed + w`, its action sampling by its own
generator. With one worker a run repeats exactly; with several, the order in which their
updates reach the shared weights depends on thread scheduling, so returns differ from run to
run; that is inherent to asynchronous training, not a missing seed.

Checkpoints (`learn(checkpoint_dir=...)`, `A3C.restore`) hold what the workers share: both
networks, the optimizer and the progress, written by the worker whose update crosses the
checkpoint step, under the lock. The other workers are then mid-rollout in environments their
own threads are stepping, which no other thread can copy safely; so a resumed run starts every
worker on a fresh episode (seeded apart from the first run's) and, unlike DQN's and the
synchronous agents', is not the uninterrupted run step for step.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo import _io, _validate
from zoo.registry import get_model
from zoo.rl import checkpoints, softmax
from zoo.rl.checkpoints import Progress
from zoo.rl.evaluation import Episodes, play
from zoo.rl.policy_gradient import (
    PolicyGradientConfig,
    acting_functions,
    actor_critic_loss,
    config_for,
    make_optimizer,
)
from zoo.rl.rollouts import Rollouts, advantages


class _Worker:
    """One actor-learner: an environment, local networks, and its own generator."""

    def __init__(self, agent: A3C, index: int):
        c = agent.config
        self.agent = agent
        self.rollouts = Rollouts(agent.env_id, 1, agent.env_seed + index, "A3C")
        self.rng = np.random.default_rng([agent.seed, index])
        self.policy = get_model(c.policy_network, **agent.network_options,
                                num_actions=agent.num_actions)
        self.value = get_model(c.value_network, **agent.network_options)
        self.variables = [*self.policy.trainable_variables, *self.value.trainable_variables]
        self._forward, self._value = acting_functions(self.policy, self.value,
                                                      agent.observation_size)
        self._gradients = tf.function(self._compute_gradients, reduce_retracing=True)

    def _compute_gradients(self, observations, actions, advantages, targets):
        with tf.GradientTape() as tape:
            loss = actor_critic_loss(self.policy, self.value, self.agent.config, observations,
                                     actions, tf.zeros_like(advantages), advantages, targets,
                                     tf.constant(0.0))
        return tape.gradient(loss, self.variables)

    def _sample(self, observations):
        logits, values = self._forward(tf.constant(observations, tf.float32))
        logits, values = logits.numpy(), values.numpy()
        actions, log_probs = softmax.sample(logits, self.rng)
        return actions, log_probs, values

    def _values(self, observations):
        return self._value(tf.constant(observations, tf.float32)).numpy()

    def run(self, total_steps: int, stop: threading.Event, checkpoint):
        agent, c = self.agent, self.agent.config
        try:
            while not stop.is_set():
                with agent.lock:
                    if agent.progress.steps >= total_steps:
                        return
                    for local, shared in zip(self.variables, agent.variables, strict=True):
                        local.assign(shared)
                finished_before = len(self.rollouts.finished_returns)
                batch = self.rollouts.collect(c.n_steps, self._sample, self._values, c.discount)
                estimates, targets = advantages(batch, c.discount, c.gae_lambda)
                gradients = self._gradients(
                    tf.constant(batch.observations[:, 0]), tf.constant(batch.actions[:, 0]),
                    tf.constant(estimates[:, 0]), tf.constant(targets[:, 0]))
                with agent.lock:
                    agent.optimizer.apply(gradients, agent.variables)
                    agent.progress.steps += c.n_steps
                    agent.progress.updates += 1
                    for episode_return in self.rollouts.finished_returns[finished_before:]:
                        agent.progress.episode_returns.append(episode_return)
                        agent.progress.episode_end_steps.append(agent.progress.steps)
                    checkpoint()
        except BaseException as error:  # a worker's failure stops all, and is raised by learn
            agent.errors.append(error)
            stop.set()


class A3C:
    """Asynchronous advantage actor-critic with `workers` threads.

    Example:
        agent = A3C("CartPole-v1", workers=4, seed=0)
        agent.learn(200_000, target_return=475)
    """

    def __init__(self, env: str = "CartPole-v1", *, workers: int = 4, seed: int = 0,
                 config: PolicyGradientConfig | None = None, _env_seed: int | None = None,
                 **config_overrides):
        # A2C's settings, one environment per worker.
        self.config = (replace(config, **config_overrides) if config
                       else config_for("a2c", n_envs=1, **config_overrides))
        self.workers_count = _validate.positive_int("workers", workers)
        self.env_id, self.seed = env, _validate.non_negative_int("seed", seed)
        # A restored agent's workers start from other seeds than the first run's.
        self.env_seed = seed if _env_seed is None else _env_seed
        probe = Rollouts(env, 1, seed, "A3C")
        self.observation_size, self.num_actions = probe.observation_size, probe.num_actions
        self.network_options = {"input_shape": (self.observation_size,),
                                **self.config.network_options}
        keras.utils.set_random_seed(seed)  # the shared networks' initial weights
        self.policy = get_model(self.config.policy_network, num_actions=self.num_actions,
                                **self.network_options)
        self.value = get_model(self.config.value_network, **self.network_options)
        self.variables = [*self.policy.trainable_variables, *self.value.trainable_variables]
        self.optimizer = make_optimizer(self.config)
        self.optimizer.build(self.variables)
        self.lock = threading.Lock()
        self.progress = Progress()
        self.errors: list[BaseException] = []
        self.workers = [_Worker(self, index) for index in range(self.workers_count)]
        self._snapshot = None  # the policy that `learn`'s checks play, built at the first
        spec = tf.TensorSpec((None, self.observation_size), tf.float32)
        self._logits = tf.function(lambda x: self.policy(x, training=False),
                                   input_signature=[spec])

    def act(self, observations) -> np.ndarray:
        """The most probable action for each observation of a batch, by the shared policy."""
        return self._logits(np.asarray(observations, np.float32)).numpy().argmax(axis=-1)

    def learn(self, total_steps: int, *, target_return: float | None = None,
              evaluate_every: int = 10_000, evaluation_episodes: int = 100,
              checkpoint_dir=None, checkpoint_every: int = 20_000) -> Progress:
        """Run the workers until they have taken `total_steps` steps in all (each finishes
        the rollout it is in, so a few more), or until the shared policy's mean return over
        `evaluation_episodes` episodes reaches `target_return`, checked by this thread every
        `evaluate_every` steps. With `checkpoint_dir`, the shared state is written there
        (atomically) by the first update past every `checkpoint_every` steps."""
        total_steps = _validate.positive_int("total_steps", total_steps)
        progress, stop = self.progress, threading.Event()
        last_checkpoint = [progress.steps]

        def checkpoint():  # called by a worker holding the lock
            if checkpoint_dir is not None and \
                    progress.steps - last_checkpoint[0] >= checkpoint_every:
                last_checkpoint[0] = progress.steps
                self._save(checkpoint_dir)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker.run, args=(total_steps, stop, checkpoint),
                                    daemon=True) for worker in self.workers]
        for thread in threads:
            thread.start()
        next_check = progress.steps + evaluate_every
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.05)
            if target_return is not None and progress.steps >= next_check:
                next_check = progress.steps + evaluate_every
                evaluating = time.perf_counter()
                with self.lock:  # a consistent snapshot of the shared weights
                    weights = self.policy.get_weights()
                mean_return = self._evaluate_weights(weights, evaluation_episodes)
                progress.evaluations.append((progress.steps, mean_return))
                progress.evaluation_seconds += time.perf_counter() - evaluating
                if mean_return >= target_return:
                    progress.solved_at_step = progress.steps
                    stop.set()
        for thread in threads:
            thread.join()
        progress.seconds += time.perf_counter() - started
        if self.errors:
            raise self.errors[0]
        return progress

    def _evaluate_weights(self, weights, episodes: int) -> float:
        """The mean return of a copy of the shared policy, which the workers go on
        updating meanwhile."""
        if self._snapshot is None:
            self._snapshot = get_model(self.config.policy_network,
                                       num_actions=self.num_actions, **self.network_options)
        self._snapshot.set_weights(weights)

        def act(observations):
            return self._snapshot(observations, training=False).numpy().argmax(axis=-1)

        return play(self.env_id, act, episodes=episodes).mean_return

    def evaluate(self, episodes: int = 100, *, seed: int = 10_000) -> Episodes:
        """The shared policy's returns (most probable actions) over `episodes` episodes."""
        return play(self.env_id, self.act, episodes=episodes, seed=seed)

    def export(self, root="saved_models", **options) -> Path:
        """The shared policy network as a SavedModel (`zoo.export`)."""
        from zoo.export import export

        return export(self.policy, root=root, **options)

    # -- checkpoints ---------------------------------------------------------------------

    def save(self, directory) -> Path:
        """Write the shared state to `directory`, atomically (not while `learn` runs: it
        checkpoints by itself)."""
        with self.lock:
            return self._save(directory)

    def _save(self, directory) -> Path:
        directory = Path(directory)
        with _io.staged_directory(directory, overwrite=True) as staging:
            checkpoints.write(staging, {**asdict(self.config), "env": self.env_id,
                                        "seed": self.seed, "workers": self.workers_count},
                              self.progress, {"shared": self.variables,
                                              "optimizer": self.optimizer.variables})
        return directory

    @classmethod
    def restore(cls, directory) -> A3C:
        """The agent saved in `directory`; its workers start fresh episodes."""
        directory, config, state = checkpoints.read(
            directory, ("config.json", "state.json", "weights.npz"), "A3C")
        env, seed, workers = config.pop("env"), config.pop("seed"), config.pop("workers")
        agent = cls(env, workers=workers, seed=seed, config=PolicyGradientConfig(**config),
                    _env_seed=seed + 1_000 * (state["updates"] + 1))
        agent.progress = Progress.from_dict(state)
        _io.load_variables(directory / "weights.npz",
                       {"shared": agent.variables, "optimizer": agent.optimizer.variables})
        return agent
