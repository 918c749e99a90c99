"""zoo's DQN, A2C and PPO against Stable-Baselines3's on CartPole-v1, same machine, same run:

    pip install -e ".[peers]"              # torch (CPU) and Stable-Baselines3, the peer
    python benchmarks/rl_vs_sb3.py         # dqn a2c ppo, seeds 0 1 2
    python benchmarks/rl_vs_sb3.py ppo --seeds 0

Stable-Baselines3 runs with the RL Zoo's tuned CartPole-v1 settings (rl-baselines3-zoo,
hyperparams/dqn.yml, a2c.yml, ppo.yml), and each library's agent with what it takes by default
on CartPole-v1. For DQN and PPO zoo's are the RL Zoo's settings (`zoo.rl.policy_gradient.
config_for`, `zoo.rl.tuned`), so their steps compare the implementations' details and their
seconds the speed. zoo's A2C takes a higher learning rate and a GAE lambda below 1, found by
`benchmarks/rl_settings.py` on other seeds than those compared here: its steps compare zoo's
settings with the RL Zoo's. With the runs, `lockstep_difference` checks that A2C and PPO are
the same algorithm: run with the same (the RL Zoo's) settings from the same weights, fed the
same random draws, the two libraries' networks stay equal to float32 rounding (recorded as
lockstep_max_difference after lockstep_updates updates). Both are
judged by the same rule, with the same code (`zoo.rl.evaluation.play`), at the same point of
the loop: once 5,000 environment steps have passed since the last check (after the update
that ends a rollout for A2C and PPO, at the end of an episode for DQN), the greedy policy
plays 100 episodes (seeded 10,000-10,099), and the run stops once their mean return reaches
475.

For each seed the two libraries run back to back, the order alternating from seed to seed, so
that a machine's slow spell weighs on both. Printed and written to
benchmarks/results/rl_vs_sb3.json: per seed, the steps and the wall seconds to solve
(evaluations excluded: both pay the same 100 episodes per check); per agent, the medians with
their 90% intervals and the ratios zoo / Stable-Baselines3 of the medians (below 1: zoo needed
less; see `summarize`).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo._io import write_json  # noqa: E402
from zoo.benchmark import median_interval, provenance  # noqa: E402
from zoo.rl.dqn import DQN  # noqa: E402
from zoo.rl.evaluation import play  # noqa: E402
from zoo.rl.policy_gradient import PolicyGradient, config_for  # noqa: E402

ENV, TARGET, CHECK_EVERY, EPISODES = "CartPole-v1", 475.0, 5_000, 100
RESULTS = Path(__file__).parent / "results" / "rl_vs_sb3.json"
# The RL Zoo's budgets: PPO's learning rate and clip range fall to 0 over its 1e5 steps.
BUDGETS = {"dqn": 150_000, "a2c": 500_000, "ppo": 100_000}
# The RL Zoo explores for 16% of DQN's 5e4 steps; a longer budget must not stretch it.
DQN_EXPLORATION_STEPS = 8_000


def _linear(start):
    return lambda remaining: remaining * start


def sb3_model(agent: str, seed: int):
    """The RL Zoo's CartPole-v1 configuration of `agent` in Stable-Baselines3."""
    from stable_baselines3 import A2C, PPO
    from stable_baselines3 import DQN as SB3DQN
    from stable_baselines3.common.env_util import make_vec_env

    if agent == "dqn":
        return SB3DQN("MlpPolicy", ENV, learning_rate=2.3e-3, batch_size=64,
                      buffer_size=100_000, learning_starts=1000, gamma=0.99,
                      target_update_interval=10, train_freq=256, gradient_steps=128,
                      exploration_fraction=DQN_EXPLORATION_STEPS / BUDGETS["dqn"],
                      exploration_final_eps=0.04,
                      policy_kwargs=dict(net_arch=[256, 256]), seed=seed, device="cpu")
    env = make_vec_env(ENV, n_envs=8, seed=seed)
    if agent == "a2c":
        return A2C("MlpPolicy", env, ent_coef=0.0, seed=seed, device="cpu")
    return PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
               n_epochs=20, ent_coef=0.0, learning_rate=_linear(1e-3),
               clip_range=_linear(0.2), seed=seed, device="cpu")


def run_sb3(agent: str, seed: int) -> dict:
    from stable_baselines3.common.callbacks import BaseCallback

    model = sb3_model(agent, seed)

    class SolvedCheck(BaseCallback):
        """zoo's rule, at the same point of the loop as zoo's agents check it: once 5,000
        steps have passed since the last check, 100 greedy episodes; stop at a mean of 475.
        The on-policy agents check after the update that follows a rollout (here: as the next
        rollout starts), DQN at the end of an episode."""

        def __init__(self):
            super().__init__()
            self.last, self.solved_at, self.evaluation_seconds = 0, None, 0.0

        def _check(self) -> None:
            if self.num_timesteps - self.last < CHECK_EVERY:
                return
            self.last, started = self.num_timesteps, time.perf_counter()
            mean = play(ENV, lambda x: model.predict(x, deterministic=True)[0],
                        episodes=EPISODES).mean_return
            self.evaluation_seconds += time.perf_counter() - started
            if mean >= TARGET:
                self.solved_at = self.num_timesteps

        def _on_rollout_start(self) -> None:
            if agent != "dqn":
                self._check()

        def _on_step(self) -> bool:
            if agent == "dqn" and self.locals["dones"][0]:
                self._check()
            return self.solved_at is None

    check = SolvedCheck()
    started = time.perf_counter()
    model.learn(BUDGETS[agent], callback=check)
    seconds = time.perf_counter() - started
    # An on-policy run stops at the first step after the check that solved it.
    steps = check.solved_at if check.solved_at is not None else int(model.num_timesteps)
    return {"solved_at_step": check.solved_at, "steps": steps,
            "seconds": round(seconds - check.evaluation_seconds, 1)}


# Updates the two libraries run in lockstep: A2C's 500 (20,000 steps) stay equal to float32
# rounding; PPO's clipped objective, 20 epochs an update, amplifies rounding into different
# actions within about ten updates (chaos, not a different algorithm), so it is compared on one.
LOCKSTEP_UPDATES = {"a2c": 500, "ppo": 1}


def lockstep_difference(agent: str, updates: int, seed: int = 0) -> float:
    """The largest difference between a weight of zoo's and of Stable-Baselines3's networks
    after `updates` updates of `agent` ("a2c" or "ppo") run in lockstep: the same initial
    weights (Stable-Baselines3's, copied), the same environment seeds, and every action drawn
    by the same rule (the first whose cumulative probability exceeds a uniform draw) from the
    same stream of uniform draws. Collecting, advantages, time-limit bootstrapping and the
    update are then each library's own: 0 up to float32 rounding when they compute the same
    algorithm."""
    import numpy as np
    import torch
    from stable_baselines3.common.callbacks import BaseCallback

    # zoo's defaults are the RL Zoo's settings; on CartPole-v1 its A2C takes its own
    # (zoo.rl.tuned), so the lockstep names the defaults to run what Stable-Baselines3 runs.
    sb3, zoo = sb3_model(agent, seed), PolicyGradient(ENV, agent, config=config_for(agent),
                                                      seed=seed)
    torch_net = sb3.policy
    pairs = [*zip([*torch_net.mlp_extractor.policy_net[::2], torch_net.action_net],
                  zoo.policy.layers, strict=True),
             *zip([*torch_net.mlp_extractor.value_net[::2], torch_net.value_net],
                  zoo.value.layers, strict=True)]
    for linear, dense in pairs:  # torch's (out, in) weights are Keras's (in, out) kernels
        dense.kernel.assign(linear.weight.detach().numpy().T)
        dense.bias.assign(linear.bias.detach().numpy())
    draws, zoo.rng = np.random.default_rng(seed), np.random.default_rng(seed)

    def sample(distribution, sample_shape=()):  # zoo.rl.softmax.sample's rule
        cumulative = np.cumsum(distribution.probs.detach().numpy(), axis=1)
        chosen = (cumulative < draws.random((len(cumulative), 1))).sum(axis=1)
        return torch.as_tensor(np.minimum(chosen, cumulative.shape[1] - 1))

    class Nothing(BaseCallback):
        def _on_step(self) -> bool:
            return True

    sb3._setup_learn(BUDGETS[agent])
    callback = Nothing()
    callback.init_callback(sb3)
    torch_sample = torch.distributions.Categorical.sample
    torch.distributions.Categorical.sample = sample
    try:
        for _ in range(updates):
            sb3.collect_rollouts(sb3.env, callback, sb3.rollout_buffer,
                                 n_rollout_steps=sb3.n_steps)
            sb3._update_current_progress_remaining(sb3.num_timesteps, sb3._total_timesteps)
            sb3.train()
            zoo._update(BUDGETS[agent])
    finally:
        torch.distributions.Categorical.sample = torch_sample
    return float(max(max(np.abs(dense.kernel.numpy() - linear.weight.detach().numpy().T).max(),
                         np.abs(dense.bias.numpy() - linear.bias.detach().numpy()).max())
                     for linear, dense in pairs))


def run_zoo(agent: str, seed: int, **overrides) -> dict:
    """One run of zoo's `agent` by the rule above; `overrides` change its default settings."""
    learner = (DQN(ENV, seed=seed, **overrides) if agent == "dqn"
               else PolicyGradient(ENV, agent, seed=seed, **overrides))
    progress = learner.learn(BUDGETS[agent], target_return=TARGET, evaluate_every=CHECK_EVERY,
                             evaluation_episodes=EPISODES)
    return {"solved_at_step": progress.solved_at_step, "steps": progress.steps,
            "seconds": round(progress.seconds - progress.evaluation_seconds, 1)}


def summarize(runs) -> dict:
    """What the rows say about their runs: per library the solved seeds, and the median steps
    and seconds with a 90% sign-test interval (`zoo.benchmark.median_interval`, from five
    seeds); the ratios zoo / Stable-Baselines3 of those medians, which the goal is read on;
    and the medians of the per-seed ratios. A seed does not pair the two runs (each library
    draws its own numbers from it), so the per-seed ratios spread as the two libraries' luck
    does: they are kept for what they show of that spread."""
    summary = {}
    for library in ("zoo", "sb3"):
        summary[f"{library}_solved"] = sum(run[library]["solved_at_step"] is not None
                                           for run in runs)
        for key in ("steps", "seconds"):
            values = [run[library][key] for run in runs]
            summary[f"{library}_median_{key}"] = statistics.median(values)
            if len(values) >= 5:
                low, _, high = median_interval(values)
                summary[f"{library}_{key}_interval"] = [low, high]
    for key in ("steps", "seconds"):
        summary[f"median_{key}_ratio"] = round(
            summary[f"zoo_median_{key}"] / summary[f"sb3_median_{key}"], 3)
        summary[f"{key}_ratio"] = statistics.median(run[f"{key}_ratio"] for run in runs)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agents", nargs="*", help=f"{', '.join(BUDGETS)} (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    unknown = set(args.agents) - set(BUDGETS)
    if unknown:
        parser.error(f"unknown agents {sorted(unknown)}; choose from {list(BUDGETS)}")
    import stable_baselines3
    import torch

    command = " ".join(["python benchmarks/rl_vs_sb3.py", *(argv or sys.argv[1:])])
    rows = []
    for agent in args.agents or BUDGETS:
        runs = []
        for index, seed in enumerate(args.seeds):
            order = ("zoo", "sb3") if index % 2 == 0 else ("sb3", "zoo")
            run = {"seed": seed, "first": order[0]}
            for library in order:
                run[library] = (run_zoo if library == "zoo" else run_sb3)(agent, seed)
            for key in ("steps", "seconds"):
                run[f"{key}_ratio"] = round(run["zoo"][key] / run["sb3"][key], 3)
            runs.append(run)
            print(agent, run, flush=True)

        same_update = ({"lockstep_updates": LOCKSTEP_UPDATES[agent],
                        "lockstep_max_difference": lockstep_difference(
                            agent, LOCKSTEP_UPDATES[agent])}
                       if agent in LOCKSTEP_UPDATES else {})
        rows.append({"agent": agent, "seeds": args.seeds, "step_budget": BUDGETS[agent],
                     **same_update, **summarize(runs), "runs": runs, **provenance(command)})
        print({k: v for k, v in rows[-1].items() if k != "runs"}, flush=True)
    if not args.no_record:
        previous = json.loads(RESULTS.read_text())["results"] if RESULTS.is_file() else []
        # A row's summary follows from its runs: rows kept from earlier runs get today's.
        kept = [{**row, **summarize(row["runs"])} for row in previous
                if row["agent"] not in {r["agent"] for r in rows}]
        write_json(RESULTS, {
            "benchmark": "rl_vs_sb3", "target_return": TARGET, "check_every": CHECK_EVERY,
            "evaluation_episodes": EPISODES,
            "stable_baselines3_version": stable_baselines3.__version__,
            "torch_version": torch.__version__,
            "results": sorted(kept + rows, key=lambda row: row["agent"]),
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
