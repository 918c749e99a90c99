"""Policy-gradient agents: REINFORCE with a baseline, A2C and PPO.

All three learn a stochastic policy pi(a | s) (the registered "policy_network", logits per
action) by ascending the policy gradient E[grad log pi(a | s) A(s, a)], with a learned state
value V(s) (the registered "value_network") as baseline or critic. They differ in how the
advantage A is estimated and how far one batch of experience moves the policy:

- REINFORCE with a baseline: Williams (1992), Machine Learning 8; Sutton and Barto (2018),
  section 13.4. Whole episodes; A = G_t - V(s_t), with G_t the discounted return that
  followed. Unbiased, high variance, one gradient step per batch of episodes.
- A2C: the synchronous form of Mnih et al. (2016), "Asynchronous methods for deep
  reinforcement learning", ICML. `n_envs` environments step together for `n_steps`; A is the
  n-step return bootstrapped from V minus V(s_t); one gradient step per rollout.
- PPO: Schulman, Wolski, Dhariwal, Radford and Klimov (2017), "Proximal policy optimization
  algorithms", arXiv:1707.06347. Advantages by GAE (lambda < 1), then several epochs of
  minibatch steps on the clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps) A), where r is
  the probability ratio of the new policy to the one that acted: many updates per batch of
  experience without stepping too far from it.

The loss of every step is policy loss + value_coefficient * (V - target)^2 - entropy bonus,
minimised by one optimizer over both networks with the gradient's global norm clipped. Per
algorithm defaults (`config_for`) are the RL Zoo's tuned CartPole-v1 settings for
Stable-Baselines3 (Raffin 2020), so the two libraries can be compared step for step.

Seeding: `seed` sets both networks' initial weights, environment i's first reset
(`seed + i`) and one numpy generator that samples the actions, so the same seed gives the same
returns. A checkpoint holds the networks, the optimizer, the generator and the environments
themselves (pickled: an on-policy agent has no replay buffer, but its environments stand
mid-episode), and a resumed run continues exactly as the uninterrupted one.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo import _io, _validate
from zoo.registry import get_model, model_card
from zoo.rl import checkpoints, softmax, tuned
from zoo.rl.checkpoints import Progress
from zoo.rl.evaluation import Episodes, play
from zoo.rl.optimizers import PyTorchAdam, PyTorchRMSprop
from zoo.rl.rollouts import Rollouts, advantages, collect_episodes

ALGORITHMS = ("reinforce", "a2c", "ppo")
CHECKPOINT_FILES = ("config.json", "state.json", "weights.npz", "environments.pkl")
# Stable-Baselines3's optimizer epsilon for A2C (rms_prop_eps) and PPO (ActorCriticPolicy).
SB3_EPSILON = 1e-5


@dataclass(frozen=True)
class PolicyGradientConfig:
    """A policy-gradient agent's settings (see `config_for` for each algorithm's defaults).

    Steps are environment steps, summed over the `n_envs` environments. A2C and PPO collect
    `n_steps` steps from each environment per update; REINFORCE collects one whole episode
    from each. PPO then makes `epochs` passes over the batch in minibatches of
    `minibatch_size`. With `anneal`, the learning rate (and PPO's clip range) fall linearly
    to 0 over the `total_steps` given to `learn`.
    """

    algorithm: str = "ppo"
    n_envs: int = 8
    n_steps: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    anneal: bool = True
    discount: float = 0.98
    gae_lambda: float = 0.8
    epochs: int = 20
    minibatch_size: int = 256
    clip_range: float = 0.2
    value_coefficient: float = 0.5
    entropy_coefficient: float = 0.0
    max_grad_norm: float = 0.5
    normalize_advantages: bool = True
    policy_network: str = "policy_network"
    value_network: str = "value_network"
    network_options: dict = field(default_factory=dict)

    def __post_init__(self):
        _validate.choice("algorithm", self.algorithm, ALGORITHMS)
        _validate.choice("optimizer", self.optimizer, ("adam", "rmsprop"))
        for name in ("n_envs", "n_steps", "epochs", "minibatch_size"):
            _validate.positive_int(name, getattr(self, name))
        for name in ("learning_rate", "max_grad_norm", "clip_range"):
            _validate.positive(name, getattr(self, name))
        for name in ("discount", "gae_lambda"):
            _validate.probability(name, getattr(self, name))
        for name in ("value_coefficient", "entropy_coefficient"):
            _validate.non_negative(name, getattr(self, name))
        for argument, task in (("policy_network", "policy"), ("value_network", "state-value")):
            name = getattr(self, argument)
            if model_card(name).task != task:
                raise ValueError(f"{argument}={name!r} is a {model_card(name).task} model; "
                                 f"it must be a {task} one (zoo.list_models(task={task!r})).")


# The RL Zoo's CartPole-v1 settings for Stable-Baselines3 (rl-baselines3-zoo,
# hyperparams/a2c.yml and ppo.yml) and its library defaults where those say nothing (A2C's
# RMSprop: `make_optimizer` below).
_DEFAULTS = {
    "ppo": dict(n_envs=8, n_steps=32, learning_rate=1e-3, optimizer="adam", anneal=True,
                discount=0.98, gae_lambda=0.8, epochs=20, minibatch_size=256,
                clip_range=0.2, normalize_advantages=True),
    "a2c": dict(n_envs=8, n_steps=5, learning_rate=7e-4, optimizer="rmsprop", anneal=False,
                discount=0.99, gae_lambda=1.0, epochs=1, minibatch_size=40,
                normalize_advantages=False),
    "reinforce": dict(n_envs=8, n_steps=1, learning_rate=1e-3, optimizer="adam",
                      anneal=False, discount=0.99, gae_lambda=1.0, epochs=1,
                      minibatch_size=1, normalize_advantages=True),
}


def config_for(algorithm: str, env: str | None = None, **overrides) -> PolicyGradientConfig:
    """`algorithm`'s default settings (CartPole-v1's), changed by those tuned for `env`
    (`zoo.rl.tuned`) and then by `overrides`."""
    _validate.choice("algorithm", algorithm, ALGORITHMS)
    environment = tuned.settings(algorithm, env) if env else {}
    return PolicyGradientConfig(algorithm=algorithm,
                                **{**_DEFAULTS[algorithm], **environment, **overrides})


def make_optimizer(config: PolicyGradientConfig) -> keras.optimizers.Optimizer:
    """Adam, or RMSprop as Stable-Baselines3's A2C has it (alpha 0.99), in PyTorch's form with
    Stable-Baselines3's epsilon of 1e-5 (`zoo.rl.optimizers` says why the form matters), with
    the gradient's global norm clipped at `max_grad_norm`: started from the same weights and
    fed the same random draws, zoo's A2C stays equal to Stable-Baselines3's to 3e-7 over 500
    updates, and a PPO update agrees as closely (`benchmarks/rl_vs_sb3.py`,
    `lockstep_difference`)."""
    optimizer = PyTorchAdam if config.optimizer == "adam" else PyTorchRMSprop
    return optimizer(config.learning_rate, epsilon=SB3_EPSILON,
                     global_clipnorm=config.max_grad_norm)


def acting_functions(policy, value, observation_size: int):
    """The forward passes that acting calls once per environment step, as concrete functions
    of a float32 observation batch: (policy logits, state values) and the state values alone.

    Concrete functions, not `tf.function` objects, because binding the Python arguments and
    looking up the trace at every call took about a third of each call's time (A2C on
    CartPole-v1, profiled: 0.67 s of 2.94 s in `tf.function` dispatch). Callers pass tensors.
    """
    spec = tf.TensorSpec((None, observation_size), tf.float32)
    forward = tf.function(lambda x: (policy(x, training=False),
                                     tf.squeeze(value(x, training=False), -1)))
    values = tf.function(lambda x: tf.squeeze(value(x, training=False), -1))
    return forward.get_concrete_function(spec), values.get_concrete_function(spec)


def actor_critic_loss(policy, value, config: PolicyGradientConfig, observations, actions,
                      old_log_probs, advantages, targets, clip_range) -> tf.Tensor:
    """One batch's loss: the policy-gradient term (PPO's clipped surrogate, else
    -log pi(a | s) A), plus `value_coefficient` times the value error, minus
    `entropy_coefficient` times the policy's entropy."""
    log_probs = tf.nn.log_softmax(policy(observations, training=True))
    taken = tf.gather(log_probs, actions, axis=1, batch_dims=1)
    if config.algorithm == "ppo":
        ratio = tf.exp(taken - old_log_probs)
        clipped = tf.clip_by_value(ratio, 1.0 - clip_range, 1.0 + clip_range)
        policy_loss = -tf.reduce_mean(tf.minimum(ratio * advantages, clipped * advantages))
    else:
        policy_loss = -tf.reduce_mean(taken * advantages)
    entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1))
    value_loss = tf.reduce_mean(tf.square(targets - tf.squeeze(value(observations,
                                                                     training=True), -1)))
    return (policy_loss + config.value_coefficient * value_loss
            - config.entropy_coefficient * entropy)


class PolicyGradient:
    """A REINFORCE, A2C or PPO agent (`algorithm`) for an environment with vector
    observations and discrete actions. Without `config`, it has `config_for(algorithm, env)`:
    the algorithm's defaults with the settings tuned for `env`; `config_overrides` change it.

    Example:
        agent = PolicyGradient("CartPole-v1", "ppo", seed=0)
        agent.learn(100_000, target_return=475)
        agent.export("saved_models")      # the policy: observation to action probabilities
    """

    def __init__(self, env: str = "CartPole-v1", algorithm: str = "ppo", *,
                 config: PolicyGradientConfig | None = None, seed: int = 0,
                 **config_overrides):
        self.config = (replace(config, **config_overrides) if config
                       else config_for(algorithm, env, **config_overrides))
        self.env_id, self.seed = env, _validate.non_negative_int("seed", seed)
        c = self.config
        self.rollouts = Rollouts(env, c.n_envs, seed, c.algorithm.upper())
        size, self.num_actions = self.rollouts.observation_size, self.rollouts.num_actions
        keras.utils.set_random_seed(seed)  # the initial weights
        options = {"input_shape": (size,), **c.network_options}
        self.policy = get_model(c.policy_network, num_actions=self.num_actions, **options)
        self.value = get_model(c.value_network, **options)
        self.variables = [*self.policy.trainable_variables, *self.value.trainable_variables]
        self.optimizer = make_optimizer(c)
        self.optimizer.build(self.variables)
        self.rng = np.random.default_rng(seed)
        self.progress = Progress()
        self._forward, self._value = acting_functions(self.policy, self.value, size)
        # Not compiled with XLA, unlike DQN's steps: here it made a step of A2C 20% slower and
        # of PPO 15% (CartPole-v1, three seeds, 30,000 steps each).
        self._step = tf.function(self._gradient_step, reduce_retracing=True)

    # -- acting ------------------------------------------------------------------------

    def _sample(self, observations: np.ndarray):
        """Actions drawn from the policy, their log-probabilities, and the states' values."""
        logits, values = self._forward(tf.constant(observations, tf.float32))
        logits, values = logits.numpy(), values.numpy()
        actions, log_probs = softmax.sample(logits, self.rng)
        return actions, log_probs, values

    def _values(self, observations: np.ndarray) -> np.ndarray:
        return self._value(tf.constant(observations, tf.float32)).numpy()

    def act(self, observations) -> np.ndarray:
        """The most probable action for each observation of a batch."""
        logits, _ = self._forward(tf.constant(observations, tf.float32))
        return logits.numpy().argmax(axis=-1)

    # -- learning ----------------------------------------------------------------------

    def _gradient_step(self, observations, actions, old_log_probs, advantages, targets,
                       clip_range):
        with tf.GradientTape() as tape:
            loss = actor_critic_loss(self.policy, self.value, self.config, observations,
                                     actions, old_log_probs, advantages, targets, clip_range)
        self.optimizer.apply(tape.gradient(loss, self.variables), self.variables)
        return loss

    def _experience(self):
        """One batch of experience, flat: observations, actions, log-probabilities,
        advantages and value targets."""
        c = self.config
        if c.algorithm == "reinforce":
            episodes = collect_episodes(self.rollouts, self._sample, self._values, c.discount)
            return (episodes.observations, episodes.actions, episodes.log_probs,
                    episodes.returns - episodes.values, episodes.returns)
        batch = self.rollouts.collect(c.n_steps, self._sample, self._values, c.discount)
        estimates, targets = advantages(batch, c.discount, c.gae_lambda)
        size = batch.observations.shape[-1]
        return (batch.observations.reshape(-1, size), batch.actions.reshape(-1),
                batch.log_probs.reshape(-1), estimates.reshape(-1), targets.reshape(-1))

    def _update(self, total_steps: int) -> None:
        c, progress = self.config, self.progress
        finished_before = len(self.rollouts.finished_returns)
        experience = self._experience()
        progress.steps += len(experience[1])
        for episode_return in self.rollouts.finished_returns[finished_before:]:
            progress.episode_returns.append(episode_return)
            progress.episode_end_steps.append(progress.steps)
        remaining = max(1.0 - progress.steps / total_steps, 0.0) if c.anneal else 1.0
        self.train_on(*experience, remaining=remaining)
        progress.updates += 1

    def train_on(self, observations, actions, log_probs, estimates, targets, *,
                 remaining: float = 1.0) -> None:
        """One update on a flat batch of experience (as `_experience` returns it): one
        gradient step for REINFORCE and A2C, `epochs` passes of minibatches for PPO, at the
        learning rate (and PPO's clip range) times `remaining`, the share of the run left
        when annealing."""
        c = self.config
        self.optimizer.learning_rate.assign(c.learning_rate * remaining)
        clip_range = tf.constant(c.clip_range * remaining, tf.float32)
        size = len(actions)
        minibatch = size if c.algorithm != "ppo" else min(c.minibatch_size, size)
        for _ in range(c.epochs):
            order = self.rng.permutation(size) if c.algorithm == "ppo" else np.arange(size)
            for start in range(0, size - minibatch + 1, minibatch):
                index = order[start:start + minibatch]
                advantage = estimates[index]
                if c.normalize_advantages and len(index) > 1:
                    # The sample standard deviation, as torch.std (Stable-Baselines3).
                    advantage = (advantage - advantage.mean()) / (advantage.std(ddof=1) + 1e-8)
                self._step(tf.constant(observations[index]), tf.constant(actions[index]),
                           tf.constant(log_probs[index]),
                           tf.constant(advantage, tf.float32),
                           tf.constant(targets[index], tf.float32), clip_range)

    def learn(self, total_steps: int, *, target_return: float | None = None,
              evaluate_every: int = 10_000, evaluation_episodes: int = 100,
              checkpoint_dir=None, checkpoint_every: int = 20_000,
              on_update: Callable[[PolicyGradient], None] | None = None) -> Progress:
        """Collect experience and update until `progress.steps` reaches `total_steps` (a total:
        a resumed run stops where the uninterrupted one would).

        Args:
            target_return: stop once the most-probable-action policy's mean return over
                `evaluation_episodes` episodes reaches this (475 solves CartPole-v1), checked
                after the first update past every `evaluate_every` steps; the step is kept in
                `progress.solved_at_step`.
            checkpoint_dir: written there (atomically) after the first update past every
                `checkpoint_every` steps.
            on_update: called with the agent after every update.
        """
        total_steps = _validate.positive_int("total_steps", total_steps)
        progress = self.progress
        last_evaluation = last_checkpoint = progress.steps
        started = time.perf_counter()
        while progress.steps < total_steps and progress.solved_at_step is None:
            self._update(total_steps)
            if on_update:
                on_update(self)
            if target_return is not None and progress.steps - last_evaluation >= evaluate_every:
                last_evaluation, evaluating = progress.steps, time.perf_counter()
                mean_return = self.evaluate(evaluation_episodes).mean_return
                progress.evaluations.append((progress.steps, mean_return))
                if mean_return >= target_return:
                    progress.solved_at_step = progress.steps
                progress.evaluation_seconds += time.perf_counter() - evaluating
            if checkpoint_dir is not None and progress.steps - last_checkpoint >= checkpoint_every:
                last_checkpoint = progress.steps
                progress.seconds += time.perf_counter() - started
                started = time.perf_counter()
                self.save(checkpoint_dir)
        progress.seconds += time.perf_counter() - started
        return progress

    # -- judging and serving -----------------------------------------------------------

    def evaluate(self, episodes: int = 100, *, seed: int = 10_000) -> Episodes:
        """The most-probable-action policy's returns over `episodes` episodes (environments
        seeded `seed`, `seed + 1`, ...)."""
        return play(self.env_id, self.act, episodes=episodes, seed=seed)

    def export(self, root="saved_models", **options) -> Path:
        """The policy network as a SavedModel (`zoo.export`): observations in; `logits`,
        `probabilities` and the most probable `action` out."""
        from zoo.export import export

        return export(self.policy, root=root, **options)

    # -- checkpoints ---------------------------------------------------------------------

    def save(self, directory) -> Path:
        """Write everything a resumed run needs to `directory`, atomically. The environments
        are pickled: restore only checkpoints you wrote."""
        directory = Path(directory)
        with _io.staged_directory(directory, overwrite=True) as staging:
            checkpoints.write(staging, {**asdict(self.config), "env": self.env_id,
                                        "seed": self.seed}, self.progress, self._variables(),
                              rng=self.rng.bit_generator.state)
            with open(staging / "environments.pkl", "wb") as file:
                pickle.dump(self.rollouts, file)
        return directory

    def _variables(self) -> dict[str, list]:
        return {"policy": self.policy.weights, "value": self.value.weights,
                "optimizer": self.optimizer.variables}

    @classmethod
    def restore(cls, directory) -> PolicyGradient:
        """The agent saved in `directory`, ready to `learn` on from where it stopped."""
        directory, config, state = checkpoints.read(directory, CHECKPOINT_FILES,
                                                    "policy-gradient")
        env, seed = config.pop("env"), config.pop("seed")
        agent = cls(env, config=PolicyGradientConfig(**config), seed=seed)
        agent.rng.bit_generator.state = state.pop("rng")
        agent.progress = Progress.from_dict(state)
        _io.load_variables(directory / "weights.npz", agent._variables())
        with open(directory / "environments.pkl", "rb") as file:
            agent.rollouts = pickle.load(file)
        return agent
