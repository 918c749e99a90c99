"""Solve CartPole-v1 with each agent, several seeds each, and record what it took:

    python benchmarks/rl.py                       # every agent, seeds 0 1 2
    python benchmarks/rl.py ppo a2c --seeds 0 --no-record

"Solved" is gymnasium's threshold for CartPole-v1: a mean return of at least 475 over 100
episodes of the greedy policy, checked at the end of the first episode after every 5,000
steps (on episodes seeded 10,000-10,099). Once solved, or at the step budget, the policy plays
100 test episodes on other seeds (20,000-20,099): their mean return is the recorded figure,
and the same episodes compare the network's values max_a Q(s, a) with the discounted returns
that followed (van Hasselt et al. 2016's overestimation; for DQN and double DQN, also averaged
over the checks made while learning). Steps and wall time are medians over the seeds, each
seed's kept in the row. Rows land in zoo/results/rl.json: the Q-network's for DQN (its card's
figure) and double DQN, the policy network's for PPO (its card's figure), A2C, A3C and
REINFORCE.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo.benchmark import provenance, record  # noqa: E402
from zoo.rl.a3c import A3C  # noqa: E402
from zoo.rl.dqn import DQN  # noqa: E402
from zoo.rl.policy_gradient import PolicyGradient  # noqa: E402

DESCRIPTION = ("Reinforcement-learning agents on gymnasium environments: steps and wall time "
               "until the greedy policy's mean return over 100 episodes reaches the "
               "environment's threshold (475 for CartPole-v1), then the mean return of 100 "
               "test episodes on other seeds; medians over seeds.")
ENV, TARGET, TEST_SEED = "CartPole-v1", 475.0, 20_000
# agent: (how it is made from a seed, the network whose row it is, the row's metric, its
# step budget). The budgets are the RL Zoo's for Stable-Baselines3 on CartPole-v1 (PPO's
# learning rate and clip range fall to 0 over it), DQN's tripled (its exploration schedule is
# in steps, so the budget only bounds the run) and REINFORCE's as A2C's.
AGENTS = {
    "dqn": (lambda seed: DQN(ENV, seed=seed), "q_network", "mean_return", 150_000),
    "double_dqn": (lambda seed: DQN(ENV, seed=seed, double=True), "q_network",
                   "double_dqn_mean_return", 150_000),
    "ppo": (lambda seed: PolicyGradient(ENV, "ppo", seed=seed), "policy_network",
            "mean_return", 100_000),
    "a2c": (lambda seed: PolicyGradient(ENV, "a2c", seed=seed), "policy_network",
            "a2c_mean_return", 500_000),
    "reinforce": (lambda seed: PolicyGradient(ENV, "reinforce", seed=seed), "policy_network",
                  "reinforce_mean_return", 500_000),
    # Four threads; asynchronous, so a seed does not fix its returns (zoo.rl.a3c).
    "a3c": (lambda seed: A3C(ENV, workers=4, seed=seed), "policy_network", "a3c_mean_return",
            500_000),
}
CHECK_EVERY = 5_000


def solve(agent_name: str, seed: int) -> dict:
    make, _, _, budget = AGENTS[agent_name]
    agent = make(seed)
    progress = agent.learn(budget, target_return=TARGET, evaluate_every=CHECK_EVERY)
    started = time.perf_counter()
    is_dqn = isinstance(agent, DQN)
    test = agent.evaluate(100, seed=TEST_SEED, **({"measure_values": True} if is_dqn else {}))
    run = {"seed": seed, "solved_at_step": progress.solved_at_step, "steps": progress.steps,
           "episodes": len(progress.episode_returns), "seconds": round(progress.seconds, 1),
           "evaluation_seconds": round(progress.evaluation_seconds, 1),
           "test_mean_return": round(test.mean_return, 2),
           "test_seconds": round(time.perf_counter() - started, 1),
           "checks": [[int(e[0]), round(float(e[1]), 1)] for e in progress.evaluations]}
    if is_dqn:
        run.update(test_mean_value=round(test.mean_value, 2),
                   test_mean_discounted_return=round(test.mean_discounted_return, 2),
                   test_overestimation=round(test.overestimation, 2),
                   overestimation_while_learning=round(
                       float(np.mean([e[2] for e in progress.evaluations])), 2))
    return run


def row(agent_name: str, runs: list[dict], command: str) -> dict:
    def median(key):
        return statistics.median(run[key] for run in runs)

    _, model, metric, budget = AGENTS[agent_name]
    solved = [run["solved_at_step"] for run in runs if run["solved_at_step"] is not None]
    values = {}
    if "test_overestimation" in runs[0]:
        values = {"median_test_overestimation": median("test_overestimation"),
                  "median_overestimation_while_learning":
                  median("overestimation_while_learning")}
    return {
        "model": model, "agent": agent_name, "dataset": ENV, "split": "test",
        "metric": metric, "value": median("test_mean_return"),
        "seed": [run["seed"] for run in runs], "target_return": TARGET, "step_budget": budget,
        "solved_runs": len(solved),
        "median_steps_to_solve": statistics.median(solved) if solved else None,
        "median_wall_seconds_to_solve": median("seconds"), **values,
        "epochs_run": median("episodes"), "train_examples": median("steps"),
        "test_examples": 100,
        "wall_seconds": round(sum(run["seconds"] + run["test_seconds"] for run in runs), 1),
        "runs": runs, **provenance(command),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agents", nargs="*", help=f"{', '.join(AGENTS)} (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    unknown = set(args.agents) - set(AGENTS)
    if unknown:
        parser.error(f"unknown agents {sorted(unknown)}; choose from {list(AGENTS)}")
    command = " ".join(["python benchmarks/rl.py", *(argv or sys.argv[1:])])
    for agent_name in args.agents or AGENTS:
        runs = []
        for seed in args.seeds:
            runs.append(solve(agent_name, seed))
            print(agent_name, {k: v for k, v in runs[-1].items() if k != "checks"}, flush=True)
        result = row(agent_name, runs, command)
        print({k: v for k, v in result.items() if k != "runs"}, flush=True)
        if not args.no_record:
            record([result], "rl", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
