"""K-fold cross-validation: how much a model's score moves with the data it happens to see.

The training split is cut into `folds` parts; each part is held out once while the model is
trained from scratch on the rest (Stone 1974). Classes keep their proportions in every part
(stratified, as Kohavi 1995 recommends for accuracy estimates), and iterated K-fold repeats
the whole with new cuts, so the spread reflects the partition as well as the initial weights.
The test split is never read: this is for choices, which the test split must not make.

Each fold is an ordinary `zoo.train` run on in-memory pipelines; a tenth of its training
part is carved off (stratified too) as the validation data that picks the best epoch, so the
held-out part judges a model that never saw it, not even to stop early.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from zoo import _validate, data
from zoo.data.feeding import prefetched
from zoo.registry import model_card
from zoo.tasks import get_task
from zoo.train.fit import recipe_dataset_options, train


@dataclass
class CrossValidation:
    """Held-out metrics of every fold, with their mean and (sample) standard deviation."""

    model: str
    folds: list[dict[str, float]] = field(default_factory=list)

    @property
    def mean(self) -> dict[str, float]:
        return {k: statistics.fmean(f[k] for f in self.folds) for k in self._metrics}

    @property
    def std(self) -> dict[str, float]:
        return {k: statistics.stdev(f[k] for f in self.folds) for k in self._metrics}

    @property
    def _metrics(self) -> list[str]:
        return [k for k in self.folds[0] if k not in ("fold", "repeat", "examples")]

    def __str__(self) -> str:
        return f"{self.model}, {len(self.folds)} folds: " + ", ".join(
            f"{k} {self.mean[k]:.4f} ± {self.std[k]:.4f}" for k in self._metrics)


def cross_validate(name: str, dataset: str | None = None, *, folds: int = 5, repeats: int = 1,
                   seed: int = 0, limit: int | None = None, epochs: int | None = None,
                   batch_size: int | None = None,
                   dataset_options: Mapping[str, Any] | None = None,
                   model_options: Mapping[str, Any] | None = None, runs_root="runs",
                   verbose=0) -> CrossValidation:
    """Stratified K-fold cross-validation of the registered model `name` on the training split
    of `dataset` (default: its card's), `repeats` times with fresh cuts; classifiers keep
    their class proportions in every fold, other tasks are cut at random.

    Args:
        folds, repeats: K and how many times K-fold runs (iterated K-fold when above 1).
        limit: use the first `limit` training examples (a quick estimate).
        epochs, batch_size, model_options: as `zoo.train` takes them.
    """
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold, train_test_split

    _validate.positive_int("repeats", repeats)
    if _validate.positive_int("folds", folds) < 2:
        raise ValueError(f"folds={folds} must be at least 2: one part trains, one judges.")
    card = model_card(name)
    if get_task(card.task).interactive:
        raise ValueError(f"{name} learns by acting in {card.dataset}, not from a dataset.")
    dataset = dataset or card.dataset
    options = recipe_dataset_options(card, dataset, dataset_options)
    x, y = data.arrays(dataset, "train", validation_fraction=0, limit=limit, **options)
    stratified = card.task.endswith("classification")
    splitter = (RepeatedStratifiedKFold if stratified else RepeatedKFold)(
        n_splits=folds, n_repeats=repeats, random_state=seed)
    batch_size = batch_size or card.recipe.batch_size

    result = CrossValidation(model=name)
    for index, (training, held_out) in enumerate(splitter.split(x, y)):
        fitting, validation = train_test_split(
            training, test_size=0.1, random_state=seed + index,
            stratify=y[training] if stratified else None)
        run = train(name, (_pipeline(x, y, fitting, batch_size, seed + index),
                           _pipeline(x, y, validation, batch_size)),
                    epochs=epochs, seed=seed + index, model_options=model_options,
                    runs_root=runs_root, tensorboard=False, verbose=verbose)
        metrics = run.model.evaluate(_pipeline(x, y, held_out, batch_size), verbose=0,
                                     return_dict=True)
        result.folds.append({"repeat": index // folds, "fold": index % folds,
                             "examples": len(held_out),
                             **{k: float(v) for k, v in metrics.items()}})
    return result


def _pipeline(x, y, indices, batch_size, shuffle_seed=None) -> tf.data.Dataset:
    """The examples at `indices` as a batched pipeline, shuffled when given a seed."""
    dataset = tf.data.Dataset.from_tensor_slices((x[np.sort(indices)], y[np.sort(indices)]))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(indices), seed=shuffle_seed,
                                  reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size))
