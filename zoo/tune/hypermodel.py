"""A registered model's search space as a keras-tuner `HyperModel`.

keras-tuner (O'Malley et al. 2019, https://github.com/keras-team/keras-tuner) asks a
`HyperModel` for two things: `build(hp)`, a compiled model for one draw of hyperparameters,
and `fit(hp, model, ...)`, the figures a trial scores. zoo already knows both: the card's
`search_space` draws the factory's arguments, the recipe compiles, and `zoo.train` fits on
the card's data with the standard callbacks. So a trial is an ordinary zoo run (its own run
directory under the search's), and the only new choice is the learning rate, which every
space shares: log-uniform over a decade either side of the recipe's (Bergstra and Bengio
2012 show why a log scale and random draws beat a grid).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from zoo.registry import ModelCard
from zoo.train.callbacks import NOT_FIGURES
from zoo.train.dataset_fit import build_for_dataset
from zoo.train.fit import compile_with_recipe, train

LEARNING_RATE_DECADES = 1.0  # how far either side of the recipe's learning rate to search


class ZooHyperModel(keras_tuner.HyperModel):
    """The hypermodel of a registered model: its card's `search_space` plus the recipe's
    learning rate, built for `dataset` (default: the card's) and trained with `zoo.train`.

    Args:
        card: the model's card; it must declare a search space (`zoo.registry.search_space`).
        dataset: a dataset name the model trains on (default: its card's).
        objective: the `keras_tuner.Objective` a trial is scored by; `fit` reports every
            figure of the epoch where it was best, as keras-tuner does for a `History`.
        epochs: a trial's epochs when the tuner does not set them (Hyperband does).
        runs_root: where each trial's run directory goes.
        seed, batch_size, dataset_options, model_options: as `zoo.train` takes them; the
            seed is set before each build, so trials differ only in their hyperparameters.
    """

    def __init__(self, card: ModelCard, dataset: str | None = None, *,
                 objective: keras_tuner.Objective, epochs: int, runs_root, seed: int = 0,
                 batch_size: int | None = None,
                 dataset_options: Mapping[str, Any] | None = None,
                 model_options: Mapping[str, Any] | None = None):
        if card.search_space is None:
            raise ValueError(f"{card.name} declares no search space: decorate its factory "
                             "with @zoo.search_space(space) (see zoo.registry.search_space).")
        super().__init__(name=card.name)
        self.card, self.dataset, self.objective = card, dataset, objective
        self.epochs, self.runs_root, self.seed = epochs, Path(runs_root), seed
        self.batch_size = batch_size
        self.dataset_options = dict(dataset_options or {})
        self.model_options = dict(model_options or {})

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        drawn, learning_rate = draw(self.card, hp)
        keras.utils.set_random_seed(self.seed)  # the same initial draw for every trial
        model = build_for_dataset(self.card, self.dataset, self.dataset_options,
                                  {**self.model_options, **drawn})
        return compile_with_recipe(model, self.card, learning_rate=learning_rate)

    def fit(self, hp, model, *args, epochs: int | None = None, initial_epoch: int = 0,
            callbacks=(), verbose="auto", **kwargs) -> dict[str, float]:
        """Train one trial with `zoo.train` and report the figures of its best epoch.
        Hyperband resumes a trial from an earlier round's weights: it asks for `epochs` in
        all, `initial_epoch` of them already run."""
        if args or kwargs:
            given = [*map(repr, args), *kwargs]
            raise keras_tuner.errors.FatalTypeError(
                f"zoo's tuners read {self.card.name}'s data themselves; search() takes only "
                f"epochs, callbacks and verbose (got {given}).")
        epochs = (epochs or self.epochs) - initial_epoch
        result = train(model, self.dataset, epochs=epochs, batch_size=self.batch_size,
                       callbacks=list(callbacks), runs_root=self.runs_root, seed=self.seed,
                       dataset_options=self.dataset_options, tensorboard=False,
                       verbose=verbose)
        return best_epoch_figures(result.history, self.objective, self.card.name)


def draw(card: ModelCard, hp: keras_tuner.HyperParameters) -> tuple[dict[str, Any], float]:
    """One draw of a model's search space: its factory's arguments and the learning rate."""
    recipe_rate = card.recipe.learning_rate
    learning_rate = hp.Float("learning_rate", recipe_rate / 10 ** LEARNING_RATE_DECADES,
                             recipe_rate * 10 ** LEARNING_RATE_DECADES, sampling="log",
                             default=recipe_rate)
    return card.search_space(hp), learning_rate


def configuration(card: ModelCard, hyperparameters: Mapping[str, Any]
                  ) -> tuple[dict[str, Any], float]:
    """The `model_options` and `learning_rate` that `zoo.train` takes to train the
    configuration a search found (`hyperparameters` as a trial lists them)."""
    hp = keras_tuner.HyperParameters()
    for name, value in hyperparameters.items():
        hp.Fixed(name, value)  # a fixed value answers the space's hp.Int, hp.Choice, ...
    return draw(card, hp)


def best_epoch_figures(history: Mapping[str, list[float]], objective: keras_tuner.Objective,
                       model_name: str = "the model") -> dict[str, float]:
    """Every figure of the epoch where `objective` was best (the first such epoch; epochs
    whose value is not finite never count), leaving out speed and learning rate. An
    objective the history does not hold raises a `ValueError` that stops a search."""
    if objective.name not in history:
        logged = sorted(k for k in history if k not in NOT_FIGURES)
        # Fatal: keras-tuner stops the search instead of failing every trial the same way.
        raise keras_tuner.errors.FatalValueError(
            f"objective {objective.name!r} is not a figure {model_name} logs while training; "
            f"it logs {logged}.")
    values = history[objective.name]
    finite = [(v, epoch) for epoch, v in enumerate(values) if math.isfinite(v)]
    if not finite:
        raise ValueError(f"{objective.name} was never finite in this trial: {values}")
    sign = 1 if objective.direction == "min" else -1
    best = min(finite, key=lambda pair: (sign * pair[0], pair[1]))[1]
    return {name: values_[best] for name, values_ in history.items()
            if name not in NOT_FIGURES}
