"""Export to the TF Serving layout `saved_models/<name>/<version>/`, atomically.

A version is written into a hidden temporary directory beside its final place and renamed
into place only when complete, so a model server polling the folder never sees half a
version, and a failed export leaves nothing behind. Each version holds the SavedModel with a
named `serving_default` signature (and the task's other signatures, e.g. a language model's
`generate`), the Keras `.keras` file, and the model card.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo._io import staged_directory, write_json
from zoo.export.signatures import extra_endpoints, served_inputs, serving_function
from zoo.registry import card_of
from zoo.tasks import get_task

DEFAULT_ROOT = "saved_models"
KERAS_FILE = "model.keras"
CARD_FILE = "zoo_card.json"


def versions(model_dir) -> list[int]:
    """The integer versions present under `model_dir`, ascending (TF Serving's rule:
    only directories named by integers are versions)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def export(model, name: str | None = None, version: int | None = None, *,
           root=DEFAULT_ROOT, task: str | None = None, input_name: str | None = None,
           labels=None, overwrite: bool = False, warmup=None) -> Path:
    """Write `model` as `root/<name>/<version>/` and return that path.

    Args:
        model: a built `keras.Model`.
        name: the served model's name (default: the model's name).
        version: a positive integer; default the next free one (1 for a new model).
        task: picks the signature's outputs (see `zoo.export.signatures`); default the
            registry card's task for zoo models.
        input_name: the signature's input name; default the Keras input's name.
        labels: class names a text classifier's `label` output returns (default: its card's
            dataset's classes when their number matches the model's outputs, else "0", ...).
        overwrite: replace an existing version (still atomically) instead of failing.
        warmup: a batch for `serving_default` (an array, or input name to array) that TF
            Serving replays, one example per request, before the version takes traffic
            (`assets.extra/tf_serving_warmup_requests`, see `zoo.export.tf_serving`); checked
            against the written signature first, since a warm-up that fails stops TF Serving
            from loading the version.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    name = name or model.name
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"name={name!r} must be a plain folder name.")
    card = card_of(model)
    task = task or (card.task if card else None)
    model_dir = Path(root) / name
    if version is None:
        version = (versions(model_dir) or [0])[-1] + 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version={version!r} must be a positive integer (TF Serving layout).")
    final = model_dir / str(version)
    specs = served_inputs(model, task, input_name, card)
    labels = labels if labels is not None else _card_labels(card, model)
    with staged_directory(final, overwrite=overwrite) as staging:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", serving_function(model, task, labels),
                             input_signature=specs)
        for endpoint, (function, signature) in extra_endpoints(model, task).items():
            archive.add_endpoint(endpoint, function, input_signature=signature)
        archive.write_out(str(staging), verbose=False)
        if warmup is not None:
            _write_warmup(staging, name, specs, warmup)
        model.save(staging / KERAS_FILE)
        write_json(staging / CARD_FILE, {
            "name": name, "version": version, "task": task, "input": specs[0].name,
            "input_shape": list(specs[0].shape),
            "inputs": {spec.name: list(spec.shape) for spec in specs},
            "labels": list(labels or []),
            "card": card.to_dict() if card else None,
        })
    return final


def _write_warmup(staging: Path, name: str, specs, warmup) -> None:
    from zoo.export.tf_serving import write_warmup_requests

    inputs = dict(warmup) if isinstance(warmup, dict) else {specs[0].name: warmup}
    expected = sorted(spec.name for spec in specs)
    if sorted(inputs) != expected:
        raise ValueError(f"warmup names the inputs {sorted(inputs)}; serving_default takes "
                         f"{expected}.")
    signature = tf.saved_model.load(str(staging)).signatures["serving_default"]
    try:
        signature(**{spec.name: tf.constant(np.asarray(inputs[spec.name])[:1], spec.dtype)
                     for spec in specs})
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as error:
        raise ValueError(f"warmup does not fit serving_default: {error}") from error
    write_warmup_requests(staging, name, inputs)


def _card_labels(card, model):
    """The class names of the card's dataset, when the model has that many outputs."""
    if card is None or get_task(card.task).interactive:  # an environment has no classes
        return None
    from zoo.data import dataset_info

    names = dataset_info(card.dataset).class_names
    outputs = model.output_shape[-1] if hasattr(model, "output_shape") else None
    return list(names) if names and len(names) == outputs else None


def load_model(path, compile: bool = True, safe_mode: bool = True) -> keras.Model:
    """Load a zoo model from a `.keras` file or an exported version directory, with zoo's
    custom layers, losses and subclassed models registered. Models that embed a
    `zoo.hub.HubLayer` need `safe_mode=False` (they name a SavedModel to load, as Keras'
    TFSMLayer does)."""
    from zoo.models import import_keras_classes

    import_keras_classes()
    path = Path(path)
    if path.is_dir():
        path = path / KERAS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no .keras model at {path}")
    from zoo.train.precision import restore_model_policy

    try:
        model = keras.saving.load_model(path, compile=compile, safe_mode=safe_mode)
    except (ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} could not be loaded as a .keras model: {error}") from error
    return restore_model_policy(model)
