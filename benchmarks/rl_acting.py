"""How long one acting call of a policy-gradient agent takes: the networks' forward pass
through a `tf.function` (how the agents acted before) against the concrete functions of
`zoo.rl.policy_gradient.acting_functions` (how they act now).

    python benchmarks/rl_acting.py                     # A2C's networks, 8 CartPole envs
    python benchmarks/rl_acting.py --algorithm ppo --rounds 9

Both sides run the very same policy and value networks of a freshly built agent on the same
observation batch and return NumPy arrays, as `PolicyGradient._sample` needs them; the
`tf.function` side is called with the NumPy batch and an input signature, as the agents did,
the concrete side with a `tf.constant`. Each round times `--calls` calls of one side, then of
the other, the order alternating from round to round; printed and written to
benchmarks/results/rl_acting.json: each side's median microseconds per call with its 90%
interval (`zoo.benchmark.median_interval`) and the ratio concrete / tf.function of the
medians (below 1: the concrete functions are faster), and the median of the rounds' ratios.
The agent makes one such call per environment step (for all its environments at once). Run
it on an idle machine: beside a busy process the rounds spread by a factor of two.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo.benchmark import median_interval, provenance, record  # noqa: E402
from zoo.rl.policy_gradient import PolicyGradient  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "rl_acting.json"
DESCRIPTION = ("One acting call of a policy-gradient agent's networks (CartPole-v1, one batch of "
               "its environments' observations): microseconds through a tf.function against "
               "the concrete functions of zoo.rl.policy_gradient.acting_functions; value is "
               "the ratio concrete / tf.function of the medians.")


def acting_sides(agent: PolicyGradient, observations: np.ndarray) -> dict:
    """`{side: call}`, each call one forward pass of `agent`'s networks to NumPy arrays."""
    spec = tf.TensorSpec((None, observations.shape[-1]), tf.float32)
    traced = tf.function(lambda x: (agent.policy(x, training=False),
                                    tf.squeeze(agent.value(x, training=False), -1)),
                         input_signature=[spec])

    def through_tf_function():
        return [t.numpy() for t in traced(observations)]

    def through_concrete_functions():
        return [t.numpy() for t in agent._forward(tf.constant(observations, tf.float32))]

    return {"tf_function": through_tf_function, "concrete": through_concrete_functions}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algorithm", default="a2c", choices=("a2c", "ppo", "reinforce"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    agent = PolicyGradient("CartPole-v1", args.algorithm, seed=0)
    observations = np.random.default_rng(0).normal(
        0, 1, (agent.config.n_envs, agent.rollouts.observation_size)).astype(np.float32)
    sides = acting_sides(agent, observations)
    outputs = {name: call() for name, call in sides.items()}  # traces; the answers agree
    for got, expected in zip(outputs["concrete"], outputs["tf_function"], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    timings = {name: [] for name in sides}
    for round_index in range(args.rounds):
        order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
        for name in order:
            started = time.perf_counter()
            for _ in range(args.calls):
                sides[name]()
            timings[name].append((time.perf_counter() - started) / args.calls * 1e6)
    row = {"model": args.algorithm, "metric": "acting_call_ratio",
           "batch": int(observations.shape[0]),
           "rounds": args.rounds, "calls_per_round": args.calls}
    for name, values in timings.items():
        low, median, high = median_interval(values)
        row[f"{name}_us"] = round(median, 1)
        row[f"{name}_us_interval"] = [round(low, 1), round(high, 1)]
        row[f"{name}_us_rounds"] = [round(v, 1) for v in values]
    row["value"] = round(row["concrete_us"] / row["tf_function_us"], 3)
    # Each round times the two sides back to back: their ratio shrugs off a slow spell.
    row["median_round_ratio"] = round(statistics.median(
        c / t for c, t in zip(timings["concrete"], timings["tf_function"], strict=True)), 3)
    command = " ".join(["python benchmarks/rl_acting.py", *(argv or sys.argv[1:])])
    row.update(provenance(command))
    print(f"{args.algorithm}, batch {row['batch']}: tf.function {row['tf_function_us']} us "
          f"{tuple(row['tf_function_us_interval'])}, concrete {row['concrete_us']} us "
          f"{tuple(row['concrete_us_interval'])}, ratio {row['value']} (per round "
          f"{row['median_round_ratio']})")
    if not args.no_record:
        record([row], "rl_acting", DESCRIPTION, path=RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
