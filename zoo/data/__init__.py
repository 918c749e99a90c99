"""Datasets as tf.data pipelines: `zoo.data.load("fashion_mnist", split="train")`.

Images and small tables are read into memory from local caches; text corpora that data
packages ship are built once into the TFDS data directory (`data_dir()`, `prepare(name)`), and
any TFDS dataset prepared there loads by name. Time series (`zoo.data.series`) are read from
a data package's files and cut into windows (`load(name, input_length=, horizon=)`). Data
code never imports models, and nothing here downloads.
"""

from zoo.data.catalog import DATASETS, DatasetInfo, dataset_info, list_datasets
from zoo.data.pipeline import SPLITS, arrays, load, preprocess, raw_arrays
from zoo.data.sources import CorruptDatasetError, DatasetNotFoundError


def data_dir():
    """The TFDS data directory: `$ZOO_TFDS_DIR`, else `$TFDS_DATA_DIR`, else
    `~/tensorflow_datasets` (see `zoo.data.tfds_store.data_dir`)."""
    from zoo.data import tfds_store

    return tfds_store.data_dir()


def prepare(name):
    """Build zoo's text corpus `name` into the TFDS data directory unless it is there, and
    return its folder (see `zoo.data.tfds_store.prepare`)."""
    from zoo.data import tfds_store

    return tfds_store.prepare(name)


__all__ = [
    "DATASETS", "DatasetInfo", "dataset_info", "list_datasets", "SPLITS", "arrays", "load",
    "preprocess", "raw_arrays", "CorruptDatasetError", "DatasetNotFoundError", "data_dir",
    "prepare",
]
