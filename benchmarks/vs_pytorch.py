"""zoo against PyTorch on the same CPU: training-step and inference throughput of the same
networks, same shapes, batch sizes, optimiser and data, measured in one run.

    pip install -e ".[peers]"                      # torch 2.13 (CPU build), not a zoo dependency
    python benchmarks/vs_pytorch.py
    python benchmarks/vs_pytorch.py --models lenet5 mlp --rounds 9

The PyTorch side is each network written layer for layer in plain PyTorch
(`benchmarks/torch_twins.py`, which says why torchvision is not used); the benchmark refuses to
time a pair whose trainable parameter counts differ.

Each side lives in its own process (a worker: this script with `--worker`), so the two
runtimes never share a thread pool or an allocator; the parent asks one worker at a time to
run a round and the other waits idle. The order of the sides rotates from round to round
(zoo first in even rounds), and the parent pauses `--settle` seconds before each timed
request: both runtimes' worker threads spin for a while after their work ends (OpenMP's and
Eigen's idle wait), and without the pause the side that runs second in a round shares the
cores with the spinning of the side before it. Each ratio's row also gives its median over
the rounds each side went first (`<kind>_ratio_by_first_side`), which shows whether the order
still matters.

What is timed is what a user of each runs:
- zoo: the model from `zoo.get_model`, compiled as `zoo.train` compiles it (the card's loss and
  metrics, the optimiser named here), trained by `keras.Model.fit` for `steps` batches of a
  `tf.data` pipeline of cached in-memory batches; inference is `predict_on_batch`.
- PyTorch: a plain loop over the same batches (zero_grad, forward, cross-entropy, backward,
  optimiser step, accuracy, as Keras' metric computes); inference is a forward pass in
  `torch.inference_mode()` with the network in eval mode.
Both sides use the optimiser and learning rate of the zoo recipe (Adam at 1e-3 with Keras'
epsilon of 1e-7, or SGD), the same images and labels (Fashion-MNIST for the 28x28 models,
uniform noise for ResNet-50's 224x224 ImageNet shape) and all the machine's cores.

The figure of merit is zoo/PyTorch images/s within each round, summarised by its median and a
distribution-free 90% interval (`zoo.benchmark.median_interval`). Results land in
benchmarks/results/vs_pytorch.json.
"""

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results" / "vs_pytorch.json"
SIDES = ("zoo", "torch")
KINDS = ("train", "infer")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One network as both sides run it."""
    input_shape: tuple
    batch: int
    optimizer: str  # "adam" or "sgd"
    learning_rate: float
    data: str  # "fashion_mnist" or "noise"
    classes: int
    steps: int  # batches per side and round (about two seconds' work on two cores), a
    # multiple of 32 where steps_per_execution may be tried


SETTINGS = {
    "lenet5": Setting((28, 28, 1), 128, "adam", 1e-3, "fashion_mnist", 10, 160),
    "mlp": Setting((28, 28, 1), 128, "adam", 1e-3, "fashion_mnist", 10, 640),
    "resnet20": Setting((28, 28, 1), 128, "adam", 1e-3, "fashion_mnist", 10, 12),
    "resnet50": Setting((224, 224, 3), 16, "sgd", 1e-3, "noise", 1000, 2),
}
POOL_BATCHES = 8  # distinct batches cycled through, the same on both sides


def batches(setting: Setting):
    """`POOL_BATCHES` batches (NHWC float32 images in [0, 1], int64 labels) as NumPy arrays."""
    import numpy as np

    count = setting.batch * POOL_BATCHES
    if setting.data == "fashion_mnist":
        import keras

        (images, labels), _ = keras.datasets.fashion_mnist.load_data()
        x = images[:count, :, :, None].astype("float32") / 255.0
        y = labels[:count].astype("int64")
    else:
        rng = np.random.default_rng(0)
        x = rng.random((count, *setting.input_shape), dtype=np.float32)
        y = rng.integers(0, setting.classes, count)
    return x, y


# --- the workers ----------------------------------------------------------------------------

def zoo_model(name: str, setting: Setting):
    """The network as `zoo.get_model` builds it for `setting`."""
    import zoo

    return zoo.get_model(name, input_shape=setting.input_shape, num_classes=setting.classes)


class ZooSide:
    def __init__(self, name: str, setting: Setting, compile_options: dict, model=None):
        """`model`: the network to time (default: `zoo_model(name, setting)`), compiled here
        by `name`'s recipe."""
        import tensorflow as tf

        from zoo.data.feeding import prefetched
        from zoo.registry import card_of
        from zoo.train.fit import compile_with_recipe

        self.model = zoo_model(name, setting) if model is None else model
        compile_with_recipe(self.model, card_of(name), optimizer=setting.optimizer,
                            learning_rate=setting.learning_rate, **compile_options)
        self.compiled = {"steps_per_execution": self.model.steps_per_execution,
                         "jit_compile": self.model.jit_compile}
        x, y = batches(setting)
        self.batches = [x[i:i + setting.batch] for i in range(0, len(x), setting.batch)]
        # Fed as zoo's own pipelines end (zoo.data.feeding), autotuning model off.
        self.data = prefetched(tf.data.Dataset.from_tensor_slices((x, y)).batch(setting.batch)
                               .cache().repeat())
        self.parameters = sum(int(w.numpy().size) for w in self.model.trainable_weights)

    def train(self, steps):
        self.model.fit(self.data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)

    def infer(self, steps):
        for step in range(steps):
            self.model.predict_on_batch(self.batches[step % len(self.batches)])


class TorchSide:
    def __init__(self, name: str, setting: Setting, compile_options: dict):
        import torch
        from torch_twins import BUILDERS

        torch.manual_seed(0)
        self.torch = torch
        self.model = BUILDERS[name](setting.classes, setting.input_shape)
        parameters = self.model.parameters()
        self.optimizer = (torch.optim.Adam(parameters, setting.learning_rate, eps=1e-7)
                          if setting.optimizer == "adam"
                          else torch.optim.SGD(parameters, setting.learning_rate))
        self.loss = torch.nn.CrossEntropyLoss()
        x, y = batches(setting)
        x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
        y = torch.from_numpy(y)
        self.batches = [(x[i:i + setting.batch], y[i:i + setting.batch])
                        for i in range(0, len(x), setting.batch)]
        self.parameters = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self.compiled = {}

    def train(self, steps):
        self.model.train()
        for step in range(steps):
            x, y = self.batches[step % len(self.batches)]
            self.optimizer.zero_grad()
            logits = self.model(x)
            loss = self.loss(logits, y)
            loss.backward()
            self.optimizer.step()
            (logits.argmax(1) == y).float().mean().item()  # the accuracy Keras' fit reports

    def infer(self, steps):
        self.model.eval()
        with self.torch.inference_mode():
            for step in range(steps):
                self.model(self.batches[step % len(self.batches)][0])


def worker(side: str, name: str, compile_options: dict) -> int:
    """Build one side, warm it up, then answer "train" / "infer" lines with images/s."""
    setting = SETTINGS[name]
    runner = (ZooSide if side == "zoo" else TorchSide)(name, setting, compile_options)
    runner.train(2)  # warm-up: tracing, allocator, thread pools
    runner.infer(2)
    print(json.dumps({"parameters": runner.parameters, "compiled": runner.compiled}),
          flush=True)
    for line in sys.stdin:
        kind = line.strip()
        if kind not in KINDS:
            break
        started = time.perf_counter()
        getattr(runner, kind)(setting.steps)
        seconds = time.perf_counter() - started
        print(json.dumps({"images_per_second": setting.batch * setting.steps / seconds}),
              flush=True)
    return 0


# --- the parent -----------------------------------------------------------------------------

class Worker:
    def __init__(self, side, name, options: list[str]):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", side, "--models", name, *options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent)

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.process.args[2:]} ended without an answer "
                               f"(exit status {self.process.wait()})")
        return json.loads(line)

    def ask(self, kind) -> float:
        self.process.stdin.write(kind + "\n")
        self.process.stdin.flush()
        return self.read()["images_per_second"]

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()


def measure(name, rounds, options, settle=0.0) -> dict:
    """Images/s per (side, kind), one value per round, and how the zoo side was compiled;
    `settle` seconds of quiet before each timed request."""
    workers = {side: Worker(side, name, options) for side in SIDES}
    try:
        ready = {side: w.read() for side, w in workers.items()}
        counts = {side: answer["parameters"] for side, answer in ready.items()}
        if len(set(counts.values())) != 1:
            raise RuntimeError(f"{name}: the two sides differ in trainable parameters {counts}; "
                               "they would not compute the same network")
        samples = {(side, kind): [] for side in SIDES for kind in KINDS}
        for round_ in range(rounds):
            order = SIDES if round_ % 2 == 0 else SIDES[::-1]
            for kind in KINDS:
                for side in order:
                    time.sleep(settle)
                    samples[side, kind].append(workers[side].ask(kind))
        return {"parameters": counts["zoo"], "samples": samples,
                "compiled": ready["zoo"]["compiled"]}
    finally:
        for w in workers.values():
            w.close()


def summarise(name, measured) -> dict:
    from zoo.benchmark import ratio_summary

    samples = measured["samples"]
    setting = SETTINGS[name]
    row = {"model": name, "parameters": measured["parameters"],
           "input_shape": list(setting.input_shape), "batch": setting.batch,
           "optimizer": setting.optimizer, "data": setting.data, **measured["compiled"]}
    for (side, kind), values in samples.items():
        row[f"{side}_{kind}"] = round(statistics.median(values), 1)
    for kind in KINDS:
        per_round = [ours / theirs for ours, theirs
                     in zip(samples["zoo", kind], samples["torch", kind], strict=True)]
        row.update(ratio_summary(f"{kind}_ratio", per_round))
        # measure() runs zoo first in even rounds.
        row[f"{kind}_ratio_by_first_side"] = {
            side: round(statistics.median(per_round[first::2]), 3)
            for first, side in enumerate(SIDES) if per_round[first::2]}
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--rounds", type=int, default=7,
                        help="rounds (at least 5 for a 90%% interval)")
    parser.add_argument("--steps-per-execution", type=int,
                        help="zoo side: batches per compiled call (default: the recipe's)")
    parser.add_argument("--jit-compile", choices=("auto", "true", "false"),
                        help="zoo side: XLA (default: the recipe's)")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds of quiet before each timed request (default 1)")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        compile_options = {}
        if args.steps_per_execution is not None:
            compile_options["steps_per_execution"] = args.steps_per_execution
        if args.jit_compile is not None:
            compile_options["jit_compile"] = {"true": True, "false": False}.get(
                args.jit_compile, args.jit_compile)
        return worker(args.worker, args.models[0], compile_options)
    # The zoo side's options go to the workers as they were given.
    options = [f"--{flag}={value}" for flag, value in (
        ("steps-per-execution", args.steps_per_execution), ("jit-compile", args.jit_compile))
        if value is not None]

    from zoo._io import write_json
    from zoo.benchmark import provenance

    rows = []
    print(f"{'model':<10} {'zoo train':>10} {'torch':>8} {'ratio [90%]':>22}   "
          f"{'zoo infer':>10} {'torch':>8} {'ratio [90%]':>22}")
    for name in args.models:
        row = summarise(name, measure(name, args.rounds, options, args.settle))
        rows.append(row)
        cells = []
        for kind in KINDS:
            low, high = row[f"{kind}_ratio_interval"]
            cells += [f"{row[f'zoo_{kind}']:>10.1f} {row[f'torch_{kind}']:>8.1f} "
                      f"{row[f'{kind}_ratio']:>8.3f} [{low:.3f}, {high:.3f}]"]
        print(f"{name:<10} {cells[0]}   {cells[1]}", flush=True)

    command = " ".join(["python benchmarks/vs_pytorch.py", *(argv or sys.argv[1:])])
    import torch

    write_json(RESULTS, {
        "benchmark": "vs_pytorch",
        "description": "zoo / PyTorch throughput (images/s) of the same networks on the same "
                       "CPU, medians over rounds; ratios are taken within each round, with "
                       "their median and a distribution-free 90% interval for it. Goal: 1.0 or "
                       "more in training for every model.",
        "rounds": args.rounds, "settle_seconds": args.settle, "cpu_count": os.cpu_count(),
        "torch_version": torch.__version__,
        "results": rows, **provenance(command),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
