"""TFDS datasets on this machine: where they live, building zoo's own datasets into them once,
and opening any dataset found there (zoo's own or one TFDS itself knows) for reading.

Nothing here downloads. zoo builds two kinds of dataset: text corpora, from the files of their
data packages (`zoo.data.corpora`), and canvases composed from real images
(`zoo.data.canvas`). Each is described by a recipe (the catalog's `DatasetInfo.corpus`) that
gives its version, its features and its examples, which TFDS's `AdhocBuilder` (the builder
behind `tfds.dataset_builders.TfDataBuilder` and `store_as_tfds_dataset`) writes, fed as
Python values. After that TFDS's own files are the dataset: `tfds.load("reuters_r8",
data_dir=zoo.data.data_dir())` reads them as well as zoo does.

Building is atomic. TFDS writes into a scratch data directory (hidden, inside the dataset's
folder, so on the same file system); only when it has finished is the version folder renamed
into place. A build that fails or is interrupted leaves no version folder (at worst a hidden
scratch folder after a hard kill), so nothing half-built ever loads as complete, and the next
use builds again. Builders of the same dataset take turns under a lock on its folder; the one
that waited finds the dataset built and returns it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from zoo._io import directory_lock, move_into_place
from zoo.data.sources import CorruptDatasetError, DatasetNotFoundError

log = logging.getLogger(__name__)

INFO_FILE = "dataset_info.json"
# A TFDS name zoo will look up: name, optional config and version. No namespace: one such as
# "huggingface:" would make TFDS reach for the network.
_TFDS_NAME = re.compile(r"[a-z][a-z0-9_]*(/[\w.-]+)?(:[\d.*]+)?")


def data_dir() -> Path:
    """The TFDS data directory zoo builds into and reads from: `$ZOO_TFDS_DIR`, else TFDS's
    own `$TFDS_DATA_DIR`, else TFDS's default `~/tensorflow_datasets`. Read on every call, so
    setting the variable takes effect at once."""
    for variable in ("ZOO_TFDS_DIR", "TFDS_DATA_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    return Path("~/tensorflow_datasets").expanduser()


def _corpus_info(name):
    """The catalog entry of a dataset zoo builds (a corpus or canvases), else ValueError."""
    from zoo.data.catalog import dataset_info

    info = dataset_info(name)
    if info.corpus is None:
        what = "a TFDS dataset zoo did not build" if info.source == "tfds" else \
            "read into memory from its own files"
        raise ValueError(f"{name} is {what}; only zoo's corpora and canvases are built "
                         f"({', '.join(_corpus_names())}).")
    return info


def _corpus_names():
    from zoo.data.catalog import DATASETS

    return sorted(n for n, info in DATASETS.items() if info.corpus is not None)


def dataset_dir(name: str) -> Path:
    """Where the built version of zoo's dataset `name` (a corpus or canvases) lives, built or
    not."""
    return data_dir() / name / _corpus_info(name).corpus.version


def is_built(name: str) -> bool:
    return (dataset_dir(name) / INFO_FILE).is_file()


def prepare(name: str) -> Path:
    """Build zoo's dataset `name` (a corpus or canvases) into the TFDS data directory unless it
    is there already, and return its folder. Idempotent and safe to call from several
    processes at once."""
    info = _corpus_info(name)
    final = data_dir() / name / info.corpus.version
    if (final / INFO_FILE).is_file():
        return final
    with directory_lock(final.parent):
        if (final / INFO_FILE).is_file():  # built by another process while this one waited
            return final
        log.info("zoo: building %s into %s", name, final)
        splits = _examples(info)
        scratch = final.parent / f".tmp-build-{uuid.uuid4().hex[:8]}"
        try:
            builder = ZooCorpusBuilder(
                name=name, version=info.corpus.version, data_dir=str(scratch),
                features=_features(info), split_datasets=splits,
                supervised_keys=info.keys if info.task == "text-classification" else None,
                description=f"{info.description} Built by zoo from {info.corpus.origin}.")
            with _quiet_tfds():
                builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
                    try_download_gcs=False,
                    compute_stats=tfds.download.ComputeStatsMode.SKIP))
            move_into_place(scratch / name / info.corpus.version, final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return final


def _examples(info) -> dict:
    """The dataset's examples as TFDS `(key, example)` pairs per split. A corpus' labels are
    checked against the catalog's class names (a different package version could bring
    others); canvases are composed lazily, one at a time, and their labels are zoo's own."""
    splits = info.corpus.examples()
    if info.class_names and info.corpus.features.get("label") == "class":
        for split, examples in splits.items():
            found = {e["label"] for e in examples}
            unknown = found - set(info.class_names)
            if unknown or (split == "train" and found != set(info.class_names)):
                raise CorruptDatasetError(
                    f"{info.name} {split}: the classes in {info.corpus.origin} "
                    f"({sorted(found)}) are not zoo's ({list(info.class_names)}); "
                    f"zoo reads the files of `{info.corpus.pip_command}`.")
    return {split: enumerate(examples) for split, examples in splits.items()}


def _features(info):
    """TFDS's features for the recipe's `features`, a mapping of names to kinds: "text",
    "int32", "class" (a `ClassLabel` over the dataset's class names), "image" (a grey or
    colour image of the dataset's `input_shape`, PNG), "mask" (a uint8 map of that shape, one
    id per pixel, PNG, which TFDS's viewers colour), "bbox" (TFDS's `BBoxFeature`: fractions
    of the height and width, ymin, xmin, ymax, xmax); a nested mapping is a `Sequence` of
    objects with those features (e.g. a detection set's boxes and labels)."""
    kinds = {"text": tfds.features.Text, "int32": lambda: tfds.features.Scalar(np.int32),
             "class": lambda: tfds.features.ClassLabel(names=info.class_names),
             "image": lambda: tfds.features.Image(shape=info.input_shape),
             "mask": lambda: tfds.features.Image(shape=info.input_shape, use_colormap=True),
             "bbox": tfds.features.BBoxFeature}

    def feature(kind):
        if isinstance(kind, Mapping):
            return tfds.features.Sequence({name: feature(k) for name, k in kind.items()})
        return kinds[kind]()

    return tfds.features.FeaturesDict(
        {name: feature(kind) for name, kind in info.corpus.features.items()})


@contextlib.contextmanager
def _quiet_tfds():
    """TFDS's progress bars off while zoo builds (they name the scratch folder)."""
    from tensorflow_datasets.core.utils import tqdm_utils

    was_on = getattr(tqdm_utils, "_active", True)
    tfds.disable_progress_bar()
    try:
        yield
    finally:
        tfds.display_progress_bar(was_on)


class ZooCorpusBuilder(tfds.dataset_builders.AdhocBuilder, skip_registration=True):
    """TFDS's AdhocBuilder that records supervised keys (so `as_supervised=True` works on
    zoo's labelled sets), keeps the examples in the order given (train is stored pre-shuffled,
    test in source order) and leaves out TFDS's stdout messages, which would name the scratch
    folder."""

    def __init__(self, *, supervised_keys=None, **kwargs):
        self._supervised_keys = supervised_keys
        super().__init__(disable_shuffling=True, **kwargs)

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self, description=self._description, features=self._feature_spec,
            supervised_keys=self._supervised_keys, disable_shuffling=True)

    def _log_download_bytes(self):
        pass

    def _log_download_done(self):
        pass


# --- Reading ----------------------------------------------------------------------------------

def open_builder(name: str):
    """A TFDS builder that reads `name`'s files: zoo's corpus (built first if need be) or a
    dataset found in the data directory. Never one that would download."""
    from zoo.data.catalog import DATASETS

    if name in DATASETS:
        return tfds.builder_from_directory(str(prepare(name)))
    builder = find_builder(name)
    if builder is None:
        raise ValueError(f"no TFDS dataset {name!r} in {data_dir()}.")
    return builder


def find_builder(name: str):
    """The builder of a dataset present in the data directory, None when there is none.
    A dataset TFDS knows but whose files are missing raises DatasetNotFoundError."""
    if not _TFDS_NAME.fullmatch(name):
        return None
    try:
        builder = tfds.builder(name, data_dir=str(data_dir()))
    except (tfds.core.registered.DatasetNotFoundError, ValueError, FileNotFoundError):
        return None
    if not builder.is_prepared():
        raise DatasetNotFoundError(
            f"TFDS knows {name!r}, but its files are not in {data_dir()}, and zoo never "
            f"downloads. Where there is network, run tfds.load({name!r}, "
            f"data_dir={str(data_dir())!r}) once (or copy the prepared folder there); set "
            "ZOO_TFDS_DIR to use another data directory.")
    return builder


def present_datasets() -> list[str]:
    """Names of the prepared TFDS datasets in the data directory ("name" or "name/config"),
    zoo's own included; hidden folders (zoo's scratch) skipped."""
    root = data_dir()
    names = set()
    for info_file in [*root.glob(f"*/*/{INFO_FILE}"), *root.glob(f"*/*/*/{INFO_FILE}")]:
        parts = info_file.relative_to(root).parts[:-2]  # drop the version and the file
        if not any(part.startswith(".") for part in parts) and "downloads" not in parts:
            names.add("/".join(parts))
    return sorted(names)


def split_sizes(builder) -> dict[str, int]:
    return {split: info.num_examples for split, info in builder.info.splits.items()}
