"""`zoo.tune`: search a registered model's hyperparameters with keras-tuner, then train the
best configuration with the full recipe, test it once, and export it.

The three tuners are keras-tuner's: random search (Bergstra and Bengio 2012), Hyperband (Li
et al. 2018: many short trials, the best continued with more epochs) and Bayesian
optimisation with a Gaussian process (Snoek et al. 2012). The validation split picks the
configuration; the test split is read once, for the model that is exported.

Distributed tuning is keras-tuner's own: a chief process holds the oracle and workers ask it
for trials, each told by `KERASTUNER_TUNER_ID` ("chief", "tuner0", ...),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`. Every process calls `zoo.tune` with the
same arguments; the workers run the trials and return, and the chief, once they are done,
trains, tests and exports the best.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from zoo import _validate
from zoo.export import export as export_model
from zoo.registry import model_card
from zoo.tasks import get_task
from zoo.train.evaluation import evaluate
from zoo.train.fit import monitor_mode, train
from zoo.tune.hypermodel import ZooHyperModel, configuration

TUNERS = ("random", "hyperband", "bayesian")
HYPERBAND_FACTOR = 3  # Li et al.'s default: a third of each round's trials go on


@dataclass
class TuneResult:
    """What a search leaves. On a worker of a distributed search only `role`, `objective`
    and `project_dir` are set: the chief holds the trials and trains the best."""

    objective: str
    direction: str
    project_dir: Path
    role: str = "single"
    trials: list[dict[str, Any]] = field(default_factory=list)
    best_hyperparameters: dict[str, Any] | None = None
    model_options: dict[str, Any] | None = None
    learning_rate: float | None = None
    model: keras.Model | None = None
    history: dict[str, list[float]] | None = None
    run_dir: Path | None = None
    test_metrics: dict[str, float] | None = None
    export_path: Path | None = None


def tune(name: str, dataset: str | None = None, *, tuner: str = "random",
         max_trials: int | None = None, epochs: int | None = None,
         final_epochs: int | None = None, objective=None, seed: int = 0,
         batch_size: int | None = None, dataset_options: Mapping[str, Any] | None = None,
         model_options: Mapping[str, Any] | None = None, directory="runs/tuning",
         project_name: str | None = None, overwrite: bool = False,
         export_root="saved_models", verbose="auto") -> TuneResult:
    """Search `name`'s hyperparameters, then train, test and export the best.

    Args:
        name: a registered model whose factory declares a search space (every model does).
        dataset: a dataset name (default: the card's).
        tuner: "random", "hyperband" or "bayesian".
        max_trials: configurations tried (default 10); Hyperband's count follows from
            `epochs` instead, so it takes none.
        epochs: each trial's epochs (Hyperband's most for one trial); default: the recipe's.
        final_epochs: the best configuration's training (default: the recipe's epochs).
        objective: the validation figure trials are scored by, a name or a
            `keras_tuner.Objective` (default: the recipe's monitor, e.g. "val_loss").
        directory, project_name: keras-tuner's project folder (default name:
            "<name>-<tuner>"); a search whose folder exists resumes where it stopped unless
            `overwrite`.
        export_root: where the best model is exported (None: not exported).
        seed, batch_size, dataset_options, model_options: as `zoo.train` takes them.
    """
    card = model_card(name)
    task = get_task(card.task)
    if task.interactive:
        raise ValueError(f"{name} learns by acting in {card.dataset}, not from a dataset: "
                         "zoo.tune searches models that zoo.train trains.")
    _validate.choice("tuner", tuner, TUNERS)
    if tuner == "hyperband" and max_trials is not None:
        raise ValueError("max_trials does not apply to tuner='hyperband': its number of trials "
                         f"follows from epochs (with factor {HYPERBAND_FACTOR}).")
    max_trials = _validate.positive_int("max_trials", 10 if max_trials is None else max_trials)
    # None means the recipe's; 0 is refused, not read as "the recipe's".
    epochs = _validate.positive_int("epochs", card.recipe.epochs if epochs is None else epochs)
    final_epochs = _validate.positive_int(
        "final_epochs", card.recipe.epochs if final_epochs is None else final_epochs)
    objective = _objective(objective, card, task)
    role = distributed_role()
    project_name = project_name or f"{name}-{tuner}"
    project_dir = Path(directory) / project_name

    hypermodel = ZooHyperModel(card, dataset, objective=objective, epochs=epochs,
                               runs_root=project_dir / "trial_runs", seed=seed,
                               batch_size=batch_size, dataset_options=dataset_options,
                               model_options=model_options)
    searcher = _make_tuner(tuner, hypermodel, objective, max_trials=max_trials, epochs=epochs,
                           seed=seed, directory=directory, project_name=project_name,
                           # A worker must never delete the folder the chief and the
                           # other workers are writing into.
                           overwrite=overwrite and role != "worker")
    searcher.search(epochs=epochs, verbose=_keras_verbose(verbose))
    result = TuneResult(objective=objective.name, direction=objective.direction,
                        project_dir=project_dir, role=role)
    if role == "worker":
        return result

    result.trials = trial_table(searcher.oracle)
    if not any(trial["score"] is not None for trial in result.trials):
        failed = [t.message for t in searcher.oracle.trials.values() if t.message]
        reason = f": {failed[-1].strip().splitlines()[-1]}" if failed else ""
        raise RuntimeError(f"no trial of {name} completed{reason} (trials in {project_dir})")
    best = searcher.get_best_hyperparameters(1)[0]
    result.best_hyperparameters = _drawn(best.values)
    # The best configuration trains as any user would retrain it: zoo.train with its
    # model_options and learning rate.
    drawn, result.learning_rate = configuration(card, result.best_hyperparameters)
    result.model_options = {**(model_options or {}), **drawn}
    final = train(name, dataset, epochs=final_epochs, batch_size=batch_size,
                  learning_rate=result.learning_rate, model_options=result.model_options,
                  runs_root=project_dir / "best", seed=seed, dataset_options=dataset_options,
                  verbose=verbose)
    result.model, result.history, result.run_dir = final.model, final.history, final.run_dir
    result.test_metrics = evaluate(final.model, dataset, dataset_options=dataset_options)
    if export_root is not None:
        result.export_path = export_model(final.model, name, root=export_root)
    return result


def trial_table(oracle) -> list[dict[str, Any]]:
    """Every trial, best first (those without a score last): id, status, score and the
    hyperparameters it drew."""
    scored = oracle.get_best_trials(len(oracle.trials))  # keras-tuner's own ranking
    trials = scored + [t for t in oracle.trials.values() if t not in scored]
    return [{"trial_id": t.trial_id, "status": t.status,
             "score": None if t.score is None else float(t.score),
             "hyperparameters": _drawn(t.hyperparameters.values)}
            for t in trials]


def _drawn(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters a trial drew, without Hyperband's bookkeeping ("tuner/epochs"...)."""
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


def distributed_role() -> str:
    """"chief" or "worker" in a keras-tuner distributed search (its environment variables
    are set), else "single"; half-set variables get keras-tuner's own error."""
    from keras_tuner.src.distribute import utils

    if not utils.has_chief_oracle():
        return "single"
    return "chief" if utils.is_chief_oracle() else "worker"


def _objective(objective, card, task) -> keras_tuner.Objective:
    """The objective given (a name gets its direction from the task, the loss, or
    keras-tuner's table of known metrics), else the recipe's monitor."""
    if isinstance(objective, keras_tuner.Objective):
        return objective
    if objective is None:
        objective = card.recipe.monitor
        if objective is None:
            raise ValueError(
                f"{card.name}'s recipe logs no figure that tracks its quality (its losses "
                "pull against each other), so there is nothing to score trials by: pass "
                "objective=keras_tuner.Objective(name, direction) with a figure it logs.")
    if not isinstance(objective, str):
        raise ValueError(f"objective={objective!r} must be a metric name or a "
                         "keras_tuner.Objective.")
    direction = monitor_mode(objective, task)
    if direction == "auto":
        from keras_tuner.src.engine.metrics_tracking import infer_metric_direction

        direction = infer_metric_direction(objective)
    if direction is None:
        raise ValueError(f"the direction of objective {objective!r} is unknown: pass "
                         f"keras_tuner.Objective({objective!r}, 'min' or 'max').")
    return keras_tuner.Objective(objective, direction)


def _make_tuner(kind, hypermodel, objective, *, max_trials, epochs, seed, directory,
                project_name, overwrite):
    # keras-tuner's oracle reads a seed of 0 as "none" and draws one at random
    # (`seed or random.randint(1, 10000)`), so zoo's default seed would give different
    # trials on every call; shifting by one keeps every seed >= 0 its own, reproducible draw.
    common = dict(objective=objective, seed=seed + 1, directory=str(directory),
                  project_name=project_name, overwrite=overwrite)
    if kind == "hyperband":
        return keras_tuner.Hyperband(hypermodel, max_epochs=epochs, factor=HYPERBAND_FACTOR,
                                     **common)
    if kind == "bayesian":
        return keras_tuner.BayesianOptimization(hypermodel, max_trials=max_trials, **common)
    return keras_tuner.RandomSearch(hypermodel, max_trials=max_trials, **common)


def _keras_verbose(verbose) -> int:
    """keras-tuner's search takes 0, 1 or 2; "auto" is Keras' progress bar."""
    return 1 if verbose == "auto" else int(verbose)
