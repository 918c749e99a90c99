"""`zoo.train`: Keras compile/fit with the card's recipe and the standard callbacks, one run
directory per run (`zoo.evaluate` is zoo.train.evaluation's)."""

from __future__ import annotations

import contextlib
import platform
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import _validate, data, objectives
from zoo._io import write_json
from zoo.data.augment import evaluation_options
from zoo.registry import ModelCard, Recipe, card_of
from zoo.tasks import get_task
from zoo.train.callbacks import standard_callbacks
from zoo.train.dataset_fit import build_for_dataset, shaped_data_options, task_of
from zoo.train.distribute import (
    check_built_in,
    distributed_step_options,
    distribution_strategy,
)
from zoo.train.multiworker import is_chief, is_multiworker
from zoo.train.precision import dtype_policy, float32_outputs
from zoo.train.resume import ResumableBackup, fit_resuming
from zoo.train.rundir import new_run_dir, plot_history
from zoo.train.schedules import steps_per_epoch
from zoo.train.techniques import (
    Techniques,
    build_optimizer,
    soft_label_objectives,
    uses_schedule,
)


@dataclass
class TrainResult:
    """What a run leaves: the trained model (best weights restored), its history per epoch,
    and the run directory with config, history, checkpoints, logs and curves."""

    model: keras.Model
    history: dict[str, list[float]]
    run_dir: Path


def recipe_dataset_options(card: ModelCard | None, dataset: str, overrides=None) -> dict:
    """The card's dataset options apply to its own default dataset; the caller's win."""
    options = dict(card.recipe.dataset_options) if card and dataset == card.dataset else {}
    return {**options, **(overrides or {})}


def monitor_mode(monitor: str, task) -> str:
    """Whether the callbacks should minimise or maximise `monitor`: the loss goes down, the
    task's figure the way the task says; "auto" leaves it to Keras, which reads it from the
    compiled metrics (not from metrics a custom `train_step` tracks itself). No monitor, no
    mode."""
    if monitor is None:
        return None
    name = monitor.removeprefix("val_")
    if name == "loss":
        return "min"
    if task is not None and name == task.primary_metric:
        return "max" if task.higher_is_better else "min"
    return "auto"


def _refuse_interactive(card: ModelCard | None) -> None:
    """A reinforcement-learning network learns from acting, which `fit` cannot do."""
    if card is not None and get_task(card.task).interactive:
        agent = ("zoo.rl.dqn.DQN" if card.task == "action-values"
                 else "zoo.rl.policy_gradient.PolicyGradient or zoo.rl.a3c.A3C")
        raise ValueError(f"{card.name} learns by acting in the environment {card.dataset}, "
                         f"not from a dataset: train it with its agent ({agent}).")


def compile_with_recipe(model, card: ModelCard | None, *, optimizer=None, learning_rate=None,
                        loss=None, metrics=None, steps_per_execution=None, jit_compile=None,
                        techniques: Techniques | None = None, steps_per_epoch=None,
                        epochs=None, soft_labels: bool = False):
    """Compile `model` with the card's recipe, each part overridable: the optimizer, its
    learning rate and the `techniques` (`zoo.train.techniques`; a schedule needs the run's
    `epochs` and `steps_per_epoch`). `soft_labels` says the training labels are class
    distributions (mixup's), which the cross-entropy and accuracy must take."""
    if card is None and loss is None:
        raise ValueError(
            f"model {model.name!r} is not a registered zoo model, so there is no recipe to "
            "compile it with: pass loss= (and optimizer=, metrics=) or compile it yourself."
        )
    recipe = card.recipe if card else Recipe(loss=loss)  # Recipe's defaults: Adam at 1e-3
    techniques = techniques or Techniques()
    optimizer = build_optimizer(recipe, optimizer, learning_rate, techniques,
                                steps_per_epoch=steps_per_epoch, epochs=epochs)
    task = card.task if card else None
    if steps_per_execution is None:
        steps_per_execution = recipe.steps_per_execution
    _validate.positive_int("steps_per_execution", steps_per_execution)
    jit_compile = recipe.jit_compile if jit_compile is None else jit_compile
    if not (jit_compile is True or jit_compile is False or jit_compile == "auto"):
        raise ValueError(f"jit_compile={jit_compile!r} must be True, False or 'auto'.")
    metrics = objectives.get_metrics(metrics if metrics is not None else recipe.metrics, task,
                                     num_classes=_output_classes(model))
    loss = loss or recipe.loss
    label_smoothing = techniques.with_recipe(recipe).label_smoothing
    if label_smoothing or soft_labels:
        loss, metrics = soft_label_objectives(loss, metrics, label_smoothing, model.name)
    model.compile(optimizer=optimizer, loss=objectives.get_loss(loss), metrics=metrics,
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


def _output_classes(model) -> int | None:
    """The last axis of a Functional or Sequential model's output (a segmenter's classes)."""
    outputs = getattr(model, "outputs", None)
    return outputs[0].shape[-1] if outputs and len(outputs) == 1 else None


def _datasets(dataset, card, *, batch_size, seed, validation_fraction, dataset_options):
    """(train, validation, dataset name) from a dataset name or from pipelines given.
    `dataset_options` include what the model's shape fixes (`shaped_data_options`)."""
    if dataset is None:
        if card is None:
            raise ValueError("dataset= is required for a model that is not in the registry.")
        dataset = card.dataset
    if isinstance(dataset, str):
        options = recipe_dataset_options(card, dataset, dataset_options)
        common = dict(batch_size=batch_size, seed=seed, validation_fraction=validation_fraction)
        return (data.load(dataset, "train", **common, **options),
                data.load(dataset, "validation", **common, **evaluation_options(options)),
                dataset)
    if isinstance(dataset, tf.data.Dataset):
        return dataset, None, "custom"
    if isinstance(dataset, Sequence) and len(dataset) == 2:
        return dataset[0], dataset[1], "custom"
    raise ValueError(
        f"dataset={dataset!r} must be a dataset name, a tf.data.Dataset, or a "
        "(train, validation) pair of them."
    )


def train(model, dataset=None, *, epochs: int | None = None, batch_size: int | None = None,
          optimizer=None, learning_rate: float | None = None, loss=None, metrics=None,
          callbacks: Sequence = (), run_dir=None, runs_root="runs", seed: int = 0,
          validation_fraction: float | None = None,
          dataset_options: Mapping[str, Any] | None = None,
          model_options: Mapping[str, Any] | None = None, early_stopping: bool = True,
          tensorboard: bool = True, deterministic: bool = False,
          steps_per_execution: int | None = None, jit_compile: bool | str | None = None,
          precision: str | None = None, class_weight=None,
          optimizer_options: Mapping[str, Any] | None = None, schedule: str | None = None,
          warmup_epochs: int | None = None, weight_decay: float | None = None,
          gradient_clip_norm: float | None = None, label_smoothing: float | None = None,
          backup_every: int | None = None, strategy=None, verbose="auto") -> TrainResult:
    """Train a model on a dataset with the standard callbacks.

    Args:
        model: a registered name (built with the recipe's `model_options` updated by
            `model_options`; trained on another classification dataset than its card's, with
            that dataset's `num_classes` unless `model_options` says otherwise) or a
            `keras.Model`.
        dataset: a dataset name (default: the card's), a `tf.data.Dataset`, or a
            `(train, validation)` pair of them.
        epochs, batch_size, optimizer, learning_rate, loss, metrics: override the card's recipe.
            A model that is already compiled keeps its compilation unless `loss` is given.
        run_dir: where this run writes (default: a new `runs_root/<name>-<time>`). Pass an
            interrupted run's directory, with the same arguments, to resume it from its last
            backup: it then ends with the weights an uninterrupted run ends with
            (`zoo.train.resume`).
        backup_every: also back the run up every this many training batches within an
            epoch, so that a run killed mid-epoch loses at most that many (default: at
            every epoch's end only).
        strategy: train on several devices: "mirrored" (this machine's GPUs), "tpu",
            "multiworker" (every worker runs the same call, its place in TF_CONFIG, with
            the same `run_dir` on a folder they all see: the chief writes there), a
            `tf.distribute.Strategy`, or "default" / None (one device); see
            `zoo.train.distribute`. `batch_size` is then each replica's: a step trains on
            `batch_size` x replicas examples. A `keras.Model` given must have been built in
            the strategy's scope.
        seed: seeds Python, NumPy, TensorFlow, the validation carve and the shuffle.
        validation_fraction: the share held out for validation (default: the dataset's; see
            `zoo.data.load`).
        dataset_options: more `zoo.data.load` options. A forecaster's window (input_length,
            horizon) follows from the model; a named forecaster trained on another series
            than its card's is built for that series' window, or for the one given here.
        deterministic: also make TensorFlow's kernels deterministic for this run
            (`tf.config.experimental.enable_op_determinism`), so that two runs with the same
            seed end with bit-identical weights on any device; slower on GPUs, and ops that
            have no deterministic kernel raise instead of running.
        steps_per_execution, jit_compile: override the recipe's (see `zoo.registry.Recipe`).
        precision: "mixed_float16" or "mixed_bfloat16" build a named model for mixed
            precision (`zoo.train.precision`: 16-bit compute, float32 variables and outputs,
            loss scaling for float16); default float32. A `keras.Model` given keeps the
            policy it was built with, which must then match.
        class_weight: weigh each training example's loss by its class, against imbalance:
            "balanced" (King and Zeng 2001's n / (classes x count), counted on the training
            split) or a {class: weight} dict; default unweighted.
        optimizer_options, schedule, warmup_epochs, weight_decay, gradient_clip_norm,
            label_smoothing: the training techniques (`zoo.train.techniques`), each the
            recipe's unless given: the named optimizer's own arguments (SGD's `momentum` and
            `nesterov`, ...), a learning-rate schedule over the run ("constant", "step",
            "exponential", "cosine"; `zoo.train.schedules`) after a linear warm-up of
            `warmup_epochs`, decoupled weight decay, clipping each gradient's L2 norm, and
            label smoothing for cross-entropy classifiers. Initialisers, activations,
            dropout, L1/L2 penalties and normalisation are the factory's `model_options`;
            augmentation (mixup included) is `dataset_options={"augment": ...}`.

    Each epoch's history holds `epoch_seconds` and `examples_per_second` beside the losses
    and metrics (`zoo.train.callbacks.Throughput`).
    """
    # None means the recipe's; anything else must be a real choice (epochs=0 or -1 used to
    # train the recipe's epochs or nothing, silently).
    for argument, value in (("epochs", epochs), ("batch_size", batch_size),
                            ("backup_every", backup_every)):
        if value is not None:
            _validate.positive_int(argument, value)
    if learning_rate is not None:
        _validate.positive("learning_rate", learning_rate)
    techniques = Techniques(optimizer_options=optimizer_options or {}, schedule=schedule,
                            warmup_epochs=warmup_epochs, weight_decay=weight_decay,
                            gradient_clip_norm=gradient_clip_norm,
                            label_smoothing=label_smoothing)
    keras.utils.set_random_seed(seed)  # before building: the initial weights follow the seed
    # Variables are made, and the optimizer built, in the strategy's scope: Keras then
    # mirrors them over its replicas and `fit` splits every global batch between them.
    strategy = distribution_strategy(strategy)
    steps_per_execution, jit_compile = distributed_step_options(strategy, steps_per_execution,
                                                                jit_compile)
    with strategy.scope():
        card = card_of(model)
        _refuse_interactive(card)
        model = _model_to_train(model, card, dataset=dataset, dataset_options=dataset_options,
                                model_options=model_options, precision=precision,
                                strategy=strategy)
        recipe = card.recipe if card else None
        epochs = epochs or (recipe.epochs if recipe else 10)
        # `batch_size` is each replica's; zoo's pipelines batch the global batch.
        batch_size = (batch_size or (recipe.batch_size if recipe else 128)) \
            * strategy.num_replicas_in_sync

        task = task_of(card, dataset if isinstance(dataset, str) else None)
        dataset_options = shaped_data_options(model, task, dataset_options)
        train_data, validation_data, dataset_name = _datasets(
            dataset, card, batch_size=batch_size, seed=seed,
            validation_fraction=validation_fraction, dataset_options=dataset_options)
        if task is not None and task.prepare is not None:
            task.prepare(model, train_data)  # e.g. adapt a text vectoriser on its split
        soft_labels = _gives_class_distributions(train_data, task)
        if loss is not None or not model.compiled:
            compile_with_recipe(
                model, card, optimizer=optimizer, learning_rate=learning_rate, loss=loss,
                metrics=metrics, steps_per_execution=steps_per_execution,
                jit_compile=jit_compile, techniques=techniques, epochs=epochs,
                soft_labels=soft_labels,
                steps_per_epoch=_steps_if_scheduled(card, techniques, train_data))
        elif techniques.given:
            raise ValueError(f"{model.name} is compiled already, so {techniques.given} would "
                             "not apply: pass loss= to have zoo compile it again with them.")

    class_weight = class_weights(class_weight, train_data, task)
    run_dir = Path(run_dir) if run_dir else new_run_dir(runs_root, model.name)
    the_run, resume_from = run_dir, run_dir / "backup"
    if is_multiworker(strategy) and not is_chief():
        # Every worker runs the same callbacks; only the chief's files are the run's, and
        # a restarted worker resumes from the chief's backup (a folder all workers see).
        run_dir = Path(tempfile.mkdtemp(prefix=f"{model.name}-worker-"))
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    monitor = _monitor(recipe, validation_data)
    write_json(run_dir / "config.json", {
        "model": model.name, "card": card.to_dict() if card else None,
        "dataset": dataset_name,
        "dataset_options": recipe_dataset_options(card, dataset_name, dataset_options),
        "epochs": epochs, "batch_size": batch_size, "seed": seed,
        "strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
        "deterministic": deterministic,
        "validation_fraction": validation_fraction, "monitor": monitor,
        "optimizer": keras.optimizers.serialize(model.optimizer),
        "steps_per_execution": model.steps_per_execution, "jit_compile": model.jit_compile,
        "precision": model.dtype_policy.name,
        "class_weight": class_weight,
        "versions": _versions(),
    })

    # The batch size of a pipeline the caller gave is theirs, not `batch_size`.
    zoo_batch_size = batch_size if dataset is None or isinstance(dataset, str) else None
    backup = ResumableBackup(run_dir / "backup", every=backup_every, restore_from=resume_from)
    run_callbacks = [*standard_callbacks(run_dir, monitor=monitor,
                                         mode=monitor_mode(monitor, task),
                                         patience=recipe.patience if recipe else 5,
                                         tensorboard=tensorboard,
                                         early_stopping=early_stopping,
                                         batch_size=zoo_batch_size,
                                         scheduled=_chosen(card, techniques).scheduled
                                         or uses_schedule(model.optimizer),
                                         backup=backup),
                     *callbacks]
    progress = backup.restore(model)
    started = time.perf_counter()
    with op_determinism(deterministic):
        history = fit_resuming(
            model, train_data, progress, epochs=epochs, callbacks=run_callbacks,
            validation_data=validation_data, verbose=verbose, class_weight=class_weight)
    backup.delete()  # the run has ended: nothing to resume
    write_json(run_dir / "history.json",
               {"history": history, "wall_seconds": time.perf_counter() - started})
    if history:
        plot_history(history, run_dir / "curves.png")
    if run_dir != the_run:  # another worker's scratch copy: the run is the chief's
        shutil.rmtree(run_dir, ignore_errors=True)
    return TrainResult(model=model, history=history, run_dir=the_run)


def _model_to_train(model, card, *, dataset, dataset_options, model_options, precision,
                    strategy) -> keras.Model:
    """A registered name built for `dataset` (in `precision`, with float32 outputs), or the
    caller's model, checked against `precision` and `strategy`."""
    if isinstance(model, str):
        # No precision given: the policy the caller set, if any, as Keras would build with.
        with dtype_policy(precision) if precision else contextlib.nullcontext():
            model = build_for_dataset(card, dataset, dataset_options, model_options)
            if precision not in (None, "float32"):
                model = float32_outputs(model)
        return model
    if model_options:
        raise ValueError("model_options= only applies when model is given by name.")
    if precision is not None and model.dtype_policy.name != precision:
        raise ValueError(f"precision={precision!r}, but {model.name} was built with "
                         f"{model.dtype_policy.name!r}: pass its name to build it for "
                         f"{precision!r}.")
    check_built_in(model, strategy)
    return model


def _gives_class_distributions(train_data, task) -> bool:
    """Whether a classifier's training labels are class distributions (batches of shape
    (batch, classes) in floats, as mixup makes them) rather than class numbers."""
    if task is None or not task.name.endswith("classification"):
        return False
    spec = train_data.element_spec
    labels = spec[1] if isinstance(spec, tuple) and len(spec) == 2 else None
    return (isinstance(labels, tf.TensorSpec) and labels.dtype.is_floating
            and labels.shape.rank == 2 and (labels.shape[-1] or 0) > 1)


def _chosen(card, techniques: Techniques) -> Techniques:
    """The techniques the run uses: the caller's, else the card's recipe's."""
    return techniques.with_recipe(card.recipe if card else Recipe(loss=None))


def _steps_if_scheduled(card, techniques: Techniques, train_data) -> int | None:
    """Batches per epoch where a learning-rate schedule needs them, else None (counting
    them is free for zoo's pipelines but not for every pipeline a caller gives)."""
    return steps_per_epoch(train_data) if _chosen(card, techniques).needs_steps else None


def class_weights(class_weight, train_data, task) -> dict[int, float] | None:
    """`fit`'s class weights from zoo.train's `class_weight`: None, "balanced" (each class
    weighs n / (classes x its count) in the training split, so all classes weigh the same in
    total), or a {class: weight} dict, checked."""
    if class_weight is None:
        return None
    if task is None or not task.name.endswith("classification"):
        raise ValueError("class_weight= applies to classifiers, not to "
                         f"{task.name if task else 'a model without a task'} models.")
    if isinstance(class_weight, Mapping):
        weights = {int(k): _validate.positive(f"class_weight[{k!r}]", v)
                   for k, v in class_weight.items()}
        return weights
    _validate.choice("class_weight", class_weight, ("balanced",))
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.concatenate([np.asarray(y).reshape(-1) for _, y in train_data]).astype(int)
    present = np.unique(labels)
    weights = compute_class_weight("balanced", classes=present, y=labels)
    return {int(c): float(w) for c, w in zip(present, weights, strict=True)}


@contextlib.contextmanager
def op_determinism(enabled: bool):
    """TensorFlow's deterministic kernels for the block when `enabled`, then the setting as it
    was. TensorFlow exports only the switch on; the switch back and the query are its
    `tensorflow.python.framework.config` functions behind it."""
    from tensorflow.python.framework import config as tf_config

    if not enabled or tf_config.is_op_determinism_enabled():
        yield
        return
    tf_config.enable_op_determinism()
    try:
        yield
    finally:
        tf_config.disable_op_determinism()


def _monitor(recipe, validation_data) -> str | None:
    """The recipe's monitor (None: nothing logged tracks quality); without validation data,
    the training loss stands in for a validation figure."""
    monitor = recipe.monitor if recipe else "val_loss"
    if monitor is None or validation_data is not None:
        return monitor
    return "loss"


def _versions() -> dict[str, str]:
    import zoo

    return {"zoo": zoo.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version()}
