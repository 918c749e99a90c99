"""zoo's DQN, A2C and PPO against Stable-Baselines3's on CartPole-v1, same machine, same run:

    pip install -e ".[peers]"              # torch (CPU) and Stable-Baselines3, the peer
    python benchmarks/rl_vs_sb3.py         # dqn a2c ppo, seeds 0 1 2
    python benchmarks/rl_vs_sb3.py ppo --seeds 0

Both libraries run with the RL Zoo's tuned CartPole-v1 settings for Stable-Baselines3
(rl-baselines3-zoo, hyperparams/dqn.yml, a2c.yml, ppo.yml), which zoo's agents take by
default on CartPole-v1 (`zoo.rl.policy_gradient.config_for`, `zoo.rl.tuned`): the same
algorithm with the same settings, so that the steps compare the implementations' details and
the seconds their speed. Both are judged by the same rule, with the same code
(`zoo.rl.evaluation.play`): every 5,000 environment steps the greedy policy plays 100
episodes (seeded 10,000-10,099), and the run stops once their mean return reaches 475.

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
from zoo.rl.policy_gradient import PolicyGradient  # noqa: E402

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
        """zoo's rule: every 5,000 steps, 100 greedy episodes; stop at a mean of 475."""

        def __init__(self):
            super().__init__()
            self.last, self.solved_at, self.evaluation_seconds = 0, None, 0.0

        def _on_step(self) -> bool:
            if self.num_timesteps - self.last < CHECK_EVERY:
                return True
            self.last, started = self.num_timesteps, time.perf_counter()
            mean = play(ENV, lambda x: model.predict(x, deterministic=True)[0],
                        episodes=EPISODES).mean_return
            self.evaluation_seconds += time.perf_counter() - started
            if mean >= TARGET:
                self.solved_at = self.num_timesteps
                return False
            return True

    check = SolvedCheck()
    started = time.perf_counter()
    model.learn(BUDGETS[agent], callback=check)
    seconds = time.perf_counter() - started
    return {"solved_at_step": check.solved_at, "steps": int(model.num_timesteps),
            "seconds": round(seconds - check.evaluation_seconds, 1)}


def run_zoo(agent: str, seed: int) -> dict:
    learner = DQN(ENV, seed=seed) if agent == "dqn" else PolicyGradient(ENV, agent, seed=seed)
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

        rows.append({"agent": agent, "seeds": args.seeds, "step_budget": BUDGETS[agent],
                     **summarize(runs), "runs": runs, **provenance(command)})
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
