"""What every agent's checkpoint shares: its progress, and groups of variables (networks,
optimizer) stored as numpy arrays and assigned back in the same order. Each agent writes its
checkpoint into a staged directory (`zoo._io.staged_directory`), so a reader sees the previous
one or the new one, never half of either."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Progress:
    """What a run has done so far: counters, and each finished episode's return."""

    steps: int = 0  # environment steps, summed over an agent's environments
    updates: int = 0  # gradient steps (DQN) or batches of experience learned from
    episode_returns: list[float] = field(default_factory=list)
    episode_end_steps: list[int] = field(default_factory=list)
    solved_at_step: int | None = None
    seconds: float = 0.0  # in `learn`, evaluations included
    evaluation_seconds: float = 0.0
    # One per periodic evaluation: (step, mean return), and for a Q-network the mean
    # predicted value minus the mean discounted return that followed (its overestimation).
    evaluations: list[tuple] = field(default_factory=list)

    @classmethod
    def from_dict(cls, state: dict) -> Progress:
        return cls(**{**state, "evaluations": [tuple(e) for e in state["evaluations"]]})


def require(directory, names, agent: str) -> Path:
    """`directory` as a Path, or a FileNotFoundError naming the files of `names` it lacks."""
    directory = Path(directory)
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory} is not a {agent} checkpoint: {missing} missing.")
    return directory


def save_variables(path, groups: dict[str, list]) -> None:
    """Each group's variables (or arrays) as `<group>_<index>` arrays of one `.npz` file."""
    np.savez(path, **{f"{group}_{i}": np.asarray(variable)
                      for group, variables in groups.items()
                      for i, variable in enumerate(variables)})


def load_variables(path, groups: dict[str, list]) -> None:
    """Assign what `save_variables` wrote to the same groups of variables."""
    with np.load(path) as arrays:
        for group, variables in groups.items():
            for i, variable in enumerate(variables):
                variable.assign(arrays[f"{group}_{i}"])
