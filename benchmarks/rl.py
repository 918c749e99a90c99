"""Solve an environment with each agent, several seeds each, and record what it took:

    python benchmarks/rl.py                       # every agent on CartPole-v1, seeds 0 1 2
    python benchmarks/rl.py ppo a2c --seeds 0 --no-record
    python benchmarks/rl.py dqn ppo --env LunarLander-v3

"Solved" is gymnasium's threshold for the environment (`reward_threshold`: 475 for
CartPole-v1, -100 for Acrobot-v1, 200 for LunarLander-v3): a mean return at least that high
over 100 episodes of the greedy policy, checked at the end of the first episode (or update)
after every `CHECK_EVERY` steps, on episodes seeded 10,000-10,099. Once solved, or at the step
budget, the policy plays 100 test episodes on other seeds (20,000-20,099): their mean return
is the recorded figure, and the same episodes compare the network's values max_a Q(s, a) with
the discounted returns that followed (van Hasselt et al. 2016's overestimation; for DQN and
double DQN, also averaged over the checks made while learning). Steps and wall time are
medians over the seeds, each seed's kept in the row.

Agents outside CartPole-v1 run with the settings and budgets tuned for the environment
(`zoo.rl.tuned`, the RL Zoo's). Rows land in zoo/results/rl.json: the Q-network's for DQN
(its card's figure, on CartPole-v1) and double DQN, the policy network's for PPO (its card's
figure), A2C, A3C and REINFORCE; other environments' metrics are prefixed with theirs
("acrobot_mean_return").
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo.benchmark import provenance, record  # noqa: E402
from zoo.rl import environments, tuned  # noqa: E402
from zoo.rl.a3c import A3C  # noqa: E402
from zoo.rl.dqn import DQN  # noqa: E402
from zoo.rl.policy_gradient import PolicyGradient  # noqa: E402

DESCRIPTION = ("Reinforcement-learning agents on gymnasium environments: steps and wall time "
               "until the greedy policy's mean return over 100 episodes reaches the "
               "environment's threshold (475 for CartPole-v1), then the mean return of 100 "
               "test episodes on other seeds; medians over seeds.")
TEST_SEED = 20_000
# agent: (how it is made from an environment id and a seed, the network whose row it is, the
# row's metric, its step budget on CartPole-v1). The CartPole budgets are the RL Zoo's for
# Stable-Baselines3 (PPO's learning rate and clip range fall to 0 over it), DQN's tripled (its
# exploration schedule is in steps, so the budget only bounds the run) and REINFORCE's as
# A2C's; other environments take theirs from zoo.rl.tuned.
AGENTS = {
    "dqn": (lambda env, seed: DQN(env, seed=seed), "q_network", "mean_return", 150_000),
    "double_dqn": (lambda env, seed: DQN(env, seed=seed, double=True), "q_network",
                   "double_dqn_mean_return", 150_000),
    "ppo": (lambda env, seed: PolicyGradient(env, "ppo", seed=seed), "policy_network",
            "mean_return", 100_000),
    "a2c": (lambda env, seed: PolicyGradient(env, "a2c", seed=seed), "policy_network",
            "a2c_mean_return", 500_000),
    "reinforce": (lambda env, seed: PolicyGradient(env, "reinforce", seed=seed),
                  "policy_network", "reinforce_mean_return", 500_000),
    # Four threads; asynchronous, so a seed does not fix its returns (zoo.rl.a3c).
    "a3c": (lambda env, seed: A3C(env, workers=4, seed=seed), "policy_network",
            "a3c_mean_return", 500_000),
}
# Steps between checks: a LunarLander check plays 100 episodes of up to 1,000 steps.
CHECK_EVERY = {"CartPole-v1": 5_000, "Acrobot-v1": 5_000, "LunarLander-v3": 20_000}


def step_budget(agent_name: str, env: str) -> int:
    if env == "CartPole-v1":
        return AGENTS[agent_name][3]
    tuned_as = "dqn" if agent_name == "double_dqn" else agent_name
    budget = tuned.budget(tuned_as, env) if tuned_as in tuned.AGENTS else None
    if budget is None:
        raise SystemExit(f"no settings are tuned for {agent_name} on {env} "
                         "(zoo.rl.tuned); give --budget.")
    return budget


def threshold(env: str) -> float:
    return float(environments.make(env).spec.reward_threshold)


def metric(agent_name: str, env: str) -> str:
    base = AGENTS[agent_name][2]
    return base if env == "CartPole-v1" else f"{env.split('-')[0].lower()}_{base}"


def solve(agent_name: str, env: str, seed: int, budget: int, target: float) -> dict:
    agent = AGENTS[agent_name][0](env, seed)
    progress = agent.learn(budget, target_return=target,
                           evaluate_every=CHECK_EVERY.get(env, 5_000))
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


def median_steps_to_solve(runs: list[dict]) -> float | None:
    """The median over every seed, a run that never solved counting as slower than any that
    did (None if that is the median): the median of the solved runs alone would flatter an
    agent that fails on some seeds."""
    steps = sorted(run["solved_at_step"] or float("inf") for run in runs)
    median = statistics.median(steps)
    return None if median == float("inf") else median


def row(agent_name: str, env: str, budget: int, target: float, runs: list[dict],
        command: str) -> dict:
    def median(key):
        return statistics.median(run[key] for run in runs)

    model = AGENTS[agent_name][1]
    solved = [run["solved_at_step"] for run in runs if run["solved_at_step"] is not None]
    values = {}
    if "test_overestimation" in runs[0]:
        values = {"median_test_overestimation": median("test_overestimation"),
                  "median_overestimation_while_learning":
                  median("overestimation_while_learning")}
    return {
        "model": model, "agent": agent_name, "dataset": env, "split": "test",
        "metric": metric(agent_name, env), "value": median("test_mean_return"),
        "seed": [run["seed"] for run in runs], "target_return": target,
        "step_budget": budget,
        "solved_runs": len(solved),
        "median_steps_to_solve": median_steps_to_solve(runs),
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
    parser.add_argument("--env", default="CartPole-v1", help="a gymnasium id (CartPole-v1)")
    parser.add_argument("--budget", type=int, help="environment steps (default: tuned)")
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    unknown = set(args.agents) - set(AGENTS)
    if unknown:
        parser.error(f"unknown agents {sorted(unknown)}; choose from {list(AGENTS)}")
    command = " ".join(["python benchmarks/rl.py", *(argv or sys.argv[1:])])
    target = threshold(args.env)  # also names an unknown id before anything runs
    for agent_name in args.agents or AGENTS:
        budget = args.budget or step_budget(agent_name, args.env)
        runs = []
        for seed in args.seeds:
            runs.append(solve(agent_name, args.env, seed, budget, target))
            print(agent_name, {k: v for k, v in runs[-1].items() if k != "checks"}, flush=True)
        result = row(agent_name, args.env, budget, target, runs, command)
        print({k: v for k, v in result.items() if k != "runs"}, flush=True)
        if not args.no_record:
            record([result], "rl", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
