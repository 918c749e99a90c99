"""Atomic writes: a reader (a model server, a test, a later run) never sees half a file or
half a directory; and groups of variables stored as numpy arrays for checkpoints that are
written into such a directory (an agent's, an interrupted training run's)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path


def write_json(path, payload) -> Path:
    """Write `payload` as indented JSON to `path` via a temporary file and `os.replace`."""
    return write_text(path, json.dumps(payload, indent=2, default=_jsonable) + "\n")


def write_text(path, text: str) -> Path:
    """Write `text` to `path` via a temporary file beside it and `os.replace`."""
    with replaced(path) as temporary:
        temporary.write_text(text)
    return Path(path)


@contextlib.contextmanager
def replaced(path):
    """Yield a temporary path beside `path` for the caller to write, then move it onto `path`
    (`os.replace`); on an error nothing is moved and the temporary file is removed. The
    temporary name ends with `path`'s name, so writers that check a suffix (Keras'
    ".weights.h5") accept it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def directory_lock(directory):
    """Hold an exclusive advisory lock on `directory` for the block, so that processes which
    read, merge and rewrite a file in it (two benchmarks recording results) take turns. The
    lock is on the directory itself: nothing is left behind. POSIX only; elsewhere the block
    runs unlocked."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextlib.contextmanager
def staged_directory(final, *, overwrite: bool = False):
    """Yield a hidden temporary directory beside `final`; when the block succeeds it becomes
    `final` in one rename, and whatever happens nothing half-written is left behind. An
    existing `final` raises FileExistsError unless `overwrite`."""
    final = Path(final)
    if final.exists() and not overwrite:
        raise FileExistsError(f"{final} exists; pass another path or version, or overwrite=True.")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.with_name(f".tmp-{final.name}-{uuid.uuid4().hex[:8]}")
    try:
        yield staging
        move_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(staging: Path, final: Path) -> None:
    """Rename the complete directory `staging` to `final`; an existing `final` is first
    renamed aside and deleted only once the new one is in place."""
    if not final.exists():
        os.rename(staging, final)
        return
    retired = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    os.rename(final, retired)
    os.rename(staging, final)
    shutil.rmtree(retired, ignore_errors=True)


def save_variables(path, groups: dict[str, list]) -> None:
    """Each group's variables (or arrays) as `<group>_<index>` arrays of one `.npz` file."""
    import numpy as np

    np.savez(path, **{f"{group}_{i}": np.asarray(variable)
                      for group, variables in groups.items()
                      for i, variable in enumerate(variables)})


def load_variables(path, groups: dict[str, list]) -> None:
    """Assign what `save_variables` wrote to the same groups of variables."""
    import numpy as np

    with np.load(path) as arrays:
        for group, variables in groups.items():
            stored = sum(1 for key in arrays.files if key.rpartition("_")[0] == group)
            if stored != len(variables):
                raise ValueError(f"{path} holds {stored} arrays of {group!r}, not the "
                                 f"{len(variables)} variables they are for.")
            for i, variable in enumerate(variables):
                variable.assign(arrays[f"{group}_{i}"])


def _jsonable(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
