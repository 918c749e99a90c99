"""Datasets as tf.data pipelines: `zoo.data.load("fashion_mnist", split="train")`.

Data code never imports models. Everything here reads real data from local caches only.
"""

from zoo.data.catalog import DATASETS, DatasetInfo, dataset_info, list_datasets
from zoo.data.pipeline import SPLITS, arrays, load, preprocess, raw_arrays
from zoo.data.sources import CorruptDatasetError, DatasetNotFoundError

__all__ = [
    "DATASETS", "DatasetInfo", "dataset_info", "list_datasets", "SPLITS", "arrays", "load",
    "preprocess", "raw_arrays", "CorruptDatasetError", "DatasetNotFoundError",
]
