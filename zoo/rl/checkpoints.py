"""What every agent's checkpoint shares: its progress, and groups of variables (networks,
optimizer) stored as numpy arrays and assigned back in the same order. Each agent writes its
checkpoint into a staged directory (`zoo._io.staged_directory`), so a reader sees the previous
one or the new one, never half of either."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zoo import _io


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


def write(staging: Path, config: dict, progress: Progress, variables: dict[str, list],
          **state) -> None:
    """The parts every agent's checkpoint has: `config.json` (how to build the agent again),
    `state.json` (its progress and the agent's own `state`, e.g. generator states) and
    `weights.npz` (its `variables`, by group)."""
    _io.write_json(staging / "config.json", config)
    _io.write_json(staging / "state.json", {**asdict(progress), **state})
    _io.save_variables(staging / "weights.npz", variables)


def read(directory, names, agent: str) -> tuple[Path, dict, dict]:
    """The checkpoint directory (with every file of `names`, else a FileNotFoundError), its
    config and its state, as `write` left them."""
    directory = require(directory, names, agent)
    return (directory, json.loads((directory / "config.json").read_text()),
            json.loads((directory / "state.json").read_text()))
