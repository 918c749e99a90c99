"""A grid of a policy-gradient agent's settings on CartPole-v1, judged as the peer is judged:

    python benchmarks/rl_settings.py a2c --seeds 0 1 ... 39 \\
        --grid learning_rate=7e-4,1e-3,1.5e-3,2e-3 gae_lambda=1.0,0.95,0.9,0.8

Each combination trains zoo's agent (`zoo.rl.policy_gradient.PolicyGradient` with the
combination as overrides of its defaults) once per seed, by the rule of
`benchmarks/rl_vs_sb3.py`: a check every 5,000 environment steps, 100 greedy episodes, solved
at a mean return of 475, the RL Zoo's step budget. Rows land in
benchmarks/results/rl_settings.json: per combination the steps to solve for every seed, the
solved count, median (with its 90% interval) and mean; `best` names the combination with the
fewest median steps (ties broken by the mean). It is how zoo's A2C defaults were chosen
(`zoo.rl.policy_gradient.config_for`); judge a choice against Stable-Baselines3 on seeds the
search did not see (`benchmarks/rl_vs_sb3.py a2c --seeds ...`).
"""

import argparse
import itertools
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from rl_vs_sb3 import BUDGETS, CHECK_EVERY, ENV, EPISODES, TARGET, run_zoo  # noqa: E402

from zoo._io import write_json  # noqa: E402
from zoo.benchmark import median_interval, provenance  # noqa: E402
from zoo.rl.policy_gradient import config_for  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "rl_settings.json"
AGENTS = ("a2c", "ppo")


def parse_grid(items: list[str]) -> dict[str, list[float]]:
    """["learning_rate=7e-4,1e-3", ...] -> {"learning_rate": [7e-4, 1e-3], ...}."""
    grid = {}
    for item in items:
        name, _, values = item.partition("=")
        if not values:
            raise ValueError(f"--grid takes name=value,value,...; got {item!r}")
        grid[name] = [float(value) for value in values.split(",")]
    return grid


def summarize(runs: list[dict]) -> dict:
    """Steps to solve over the seeds' runs (an unsolved run counts the steps it spent, its
    whole budget, as in rl_vs_sb3)."""
    steps = [run["steps"] for run in runs]
    low, median, high = median_interval(steps)
    return {"solved": sum(run["solved_at_step"] is not None for run in runs),
            "median_steps": median,
            "steps_interval": [low, high], "mean_steps": round(statistics.mean(steps), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agent", choices=AGENTS)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--grid", nargs="+", required=True, help="name=value,value,...")
    args = parser.parse_args(argv)
    grid = parse_grid(args.grid)
    config_for(args.agent, **{name: values[0] for name, values in grid.items()})  # names valid

    rows = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values, strict=True))
        runs = [run_zoo(args.agent, seed, **settings) for seed in args.seeds]
        rows.append({"settings": settings, **summarize(runs),
                     "steps": [run["steps"] for run in runs]})
        print(settings, {k: v for k, v in rows[-1].items() if k not in ("settings", "steps")},
              flush=True)
    best = min(rows, key=lambda row: (row["median_steps"], row["mean_steps"]))
    write_json(RESULTS, {
        "benchmark": "rl_settings", "agent": args.agent, "env": ENV, "target_return": TARGET,
        "check_every": CHECK_EVERY, "evaluation_episodes": EPISODES,
        "step_budget": BUDGETS[args.agent], "seeds": args.seeds,
        "best": best["settings"], "results": rows,
        **provenance(" ".join(["python benchmarks/rl_settings.py", *(argv or sys.argv[1:])])),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
