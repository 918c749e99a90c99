"""A3C (zoo.rl.a3c): workers sharing one set of weights learn, one worker repeats exactly, a
worker's failure stops the run with its error, and the shared policy exports."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from zoo.rl.a3c import A3C

SMALL = {"network_options": {"hidden_units": (16,)}}


def test_workers_update_the_shared_networks_and_count_every_step():
    agent = A3C("CartPole-v1", workers=2, seed=0, **SMALL)
    before = [w.copy() for w in agent.policy.get_weights() + agent.value.get_weights()]
    progress = agent.learn(400)
    # Each worker finishes the rollout (5 steps) it is in when the total is reached.
    assert 400 <= progress.steps < 400 + 2 * 5 and progress.updates == progress.steps // 5
    assert len(progress.episode_returns) == len(progress.episode_end_steps) > 5
    after = agent.policy.get_weights() + agent.value.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))


def test_one_worker_repeats_exactly():
    def run():
        agent = A3C("CartPole-v1", workers=1, seed=3, **SMALL)
        agent.learn(300)
        return agent.progress.episode_returns, agent.policy.get_weights()

    (returns, weights), (again, weights_again) = run(), run()
    assert returns == again
    for a, b in zip(weights, weights_again, strict=True):
        np.testing.assert_array_equal(a, b)


class NaNReward(gym.RewardWrapper):
    def reward(self, reward):
        return float("nan")


def test_a_failing_worker_stops_the_run_and_its_error_is_raised():
    agent = A3C("CartPole-v1", workers=2, seed=0, **SMALL)
    worker = agent.workers[1]
    worker.rollouts.envs = [NaNReward(worker.rollouts.envs[0])]
    with pytest.raises(ValueError, match=r"reward nan.*finite"):
        agent.learn(10_000)
    assert agent.progress.steps < 10_000


def test_the_shared_policy_exports_and_serves_the_agents_actions(tmp_path):
    agent = A3C("CartPole-v1", workers=1, seed=0, **SMALL)
    serve = tf.saved_model.load(str(agent.export(root=tmp_path))).signatures["serving_default"]
    observations = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    served = serve(observation=tf.constant(observations))["action"].numpy()
    np.testing.assert_array_equal(served, agent.act(observations))


@pytest.mark.parametrize("make, message", [
    (lambda: A3C(workers=0), "workers=0"),
    (lambda: A3C("Pendulum-v1"), "discrete action space"),
    (lambda: A3C(discount=2.0), "discount=2.0"),
])
def test_bad_settings_and_environments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


class Interrupted(Exception):
    pass


def test_a_run_that_dies_resumes_from_the_shared_state_it_saved(tmp_path):
    agent = A3C("CartPole-v1", workers=2, seed=0, **SMALL)
    original = agent.workers[0].run

    def run_then_die(total_steps, stop, checkpoint):
        def checkpoint_then_die():
            checkpoint()
            if agent.progress.steps >= 200:
                raise Interrupted

        original(total_steps, stop, checkpoint_then_die)

    agent.workers[0].run = run_then_die
    with pytest.raises(Interrupted):
        agent.learn(10_000, checkpoint_dir=tmp_path / "run", checkpoint_every=100)
    resumed = A3C.restore(tmp_path / "run")
    assert 100 <= resumed.progress.steps < 200 + 2 * 5
    assert resumed.progress.episode_returns == \
        agent.progress.episode_returns[:len(resumed.progress.episode_returns)]
    shared = resumed.policy.get_weights()
    resumed.learn(resumed.progress.steps + 100)
    assert resumed.progress.steps >= 200
    assert any(not np.array_equal(a, b)
               for a, b in zip(shared, resumed.policy.get_weights(), strict=True))
    with pytest.raises(FileNotFoundError, match="weights.npz"):
        A3C.restore(tmp_path / "nothing")
