"""One directory per training run: config, history, checkpoints, logs and a plot."""

from __future__ import annotations

import time
from pathlib import Path

from zoo.train.callbacks import NOT_FIGURES


def new_run_dir(root, name: str) -> Path:
    """`root/<name>-<UTC timestamp>`, made unique if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = Path(root) / f"{name}-{stamp}"
    path, suffix = base, 1
    while path.exists():
        suffix += 1
        path = Path(f"{base}-{suffix}")
    return path


def plot_history(history: dict, path: Path) -> None:
    """Loss and each metric against epoch, training and validation side by side, as a PNG."""
    # A bare Figure, not pyplot: drawing a file must not switch the process's backend (that
    # would stop a notebook's inline plots after the first `zoo.train`).
    from matplotlib.figure import Figure

    # Learning curves only: the learning rate and the speed (Throughput's logs) are not.
    names = [k for k in history
             if not k.startswith("val_") and k not in NOT_FIGURES]
    figure = Figure(figsize=(4.5 * len(names), 3.5))
    axes = figure.subplots(1, len(names), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        epochs = range(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], label="train")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
