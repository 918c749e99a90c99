"""Atomic file writes: a reader (a model server, a test, a later run) never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json(path, payload) -> Path:
    """Write `payload` as indented JSON to `path` via a temporary file and `os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    os.replace(temporary, path)
    return path


def _jsonable(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
