"""The training techniques of the textbooks as options of `zoo.train` and of the recipes:
which optimizer with which settings, the learning-rate schedule and its warm-up, gradient
clipping, decoupled weight decay and label smoothing.

Each option has the recipe's value as its default (`zoo.registry.Recipe`), and the caller's
wins. Keras does the work wherever Keras has the technique: its optimizers (SGD with
`momentum` and `nesterov`, AdaGrad, RMSprop, Adam, AdamW, ...) take `clipnorm` and
`weight_decay` themselves (decoupled from the gradient, Loshchilov and Hutter, 2019,
"Decoupled weight decay regularization", arXiv:1711.05101); the schedules are
`zoo.train.schedules`; label smoothing and mixup's soft labels are
`zoo.objectives.SmoothedCrossentropy`.

The options of the models themselves (initialisers, activations, dropout, L1 and L2
penalties, batch and layer normalisation) are arguments of their factories, given through
`model_options`; augmentation is the dataset option `augment` (`zoo.data.augment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras

from zoo import _validate
from zoo.objectives import LabelAccuracy, SmoothedCrossentropy
from zoo.train.schedules import SCHEDULES, learning_rate_schedule

# Recipe losses that label smoothing and soft labels can stand in for, and whether the
# model's outputs are logits.
_CROSSENTROPIES = {"sparse_categorical_crossentropy": False,
                   "sparse_categorical_crossentropy_from_logits": True,
                   "categorical_crossentropy": False}


@dataclass(frozen=True)
class Techniques:
    """What `zoo.train` compiles with beyond the loss: each field None takes the recipe's."""

    optimizer_options: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    warmup_epochs: int | None = None
    weight_decay: float | None = None
    gradient_clip_norm: float | None = None
    label_smoothing: float | None = None

    def __post_init__(self):
        if not isinstance(self.optimizer_options, Mapping):
            raise ValueError(f"optimizer_options={self.optimizer_options!r} must be a dict of "
                             "the optimizer's arguments, e.g. {'momentum': 0.9}.")
        if self.schedule is not None:
            _validate.choice("schedule", self.schedule, SCHEDULES)
        if self.warmup_epochs is not None:
            _validate.non_negative_int("warmup_epochs", self.warmup_epochs, zero_means="none")
        if self.weight_decay is not None:
            _validate.non_negative("weight_decay", self.weight_decay)
        if self.gradient_clip_norm is not None:
            _validate.positive("gradient_clip_norm", self.gradient_clip_norm)
        if self.label_smoothing is not None:
            _validate.fraction("label_smoothing", self.label_smoothing)

    @property
    def given(self) -> list[str]:
        """The options the caller set (those that only matter when zoo compiles)."""
        return [name for name in ("optimizer_options", "schedule", "warmup_epochs",
                                  "weight_decay", "gradient_clip_norm", "label_smoothing")
                if getattr(self, name) not in (None, {})]

    def with_recipe(self, recipe) -> Techniques:
        """Every option decided: the caller's where given, else the recipe's."""
        def pick(name):
            mine = getattr(self, name)
            return mine if mine is not None else getattr(recipe, name)

        return Techniques(
            optimizer_options={**recipe.optimizer_options, **self.optimizer_options},
            schedule=pick("schedule"), warmup_epochs=pick("warmup_epochs"),
            weight_decay=pick("weight_decay"), gradient_clip_norm=pick("gradient_clip_norm"),
            label_smoothing=pick("label_smoothing"))

    @property
    def scheduled(self) -> bool:
        """Whether a schedule sets the learning rate ("constant" included)."""
        return self.schedule is not None or bool(self.warmup_epochs)

    @property
    def needs_steps(self) -> bool:
        """Whether the learning rate changes during the run, which needs its length."""
        return self.schedule not in (None, "constant") or bool(self.warmup_epochs)


def build_optimizer(recipe, optimizer=None, learning_rate=None,
                    techniques: Techniques | None = None, *, steps_per_epoch: int | None = None,
                    epochs: int | None = None):
    """The optimizer of the recipe with the caller's techniques: a `keras.optimizers`
    instance passes through; a name is built with the recipe's options, the learning rate
    (scheduled over `epochs` x `steps_per_epoch` steps where a schedule is named), gradient
    clipping and weight decay."""
    techniques = techniques or Techniques()
    optimizer = optimizer or recipe.optimizer
    if not isinstance(optimizer, str):
        settings = [name for name in techniques.given if name != "label_smoothing"]
        if settings:
            raise ValueError(f"{settings} configure an optimizer zoo builds by name; "
                             f"{type(optimizer).__name__} was given built: set them on it.")
        return optimizer
    chosen = techniques.with_recipe(recipe)
    learning_rate = learning_rate or recipe.learning_rate
    if chosen.needs_steps:
        if not steps_per_epoch or not epochs:
            raise ValueError(f"schedule={chosen.schedule!r} needs the run's epochs and batches "
                             "per epoch: zoo.train knows them, compile_with_recipe alone "
                             "does not.")
        learning_rate = learning_rate_schedule(chosen.schedule or "constant", learning_rate,
                                               epochs * steps_per_epoch,
                                               chosen.warmup_epochs * steps_per_epoch)
    config = {**chosen.optimizer_options, "learning_rate": learning_rate}
    if chosen.gradient_clip_norm:
        config["clipnorm"] = chosen.gradient_clip_norm
    if chosen.weight_decay:
        config["weight_decay"] = chosen.weight_decay
    return named_optimizer(optimizer, config)


def named_optimizer(name: str, config: dict):
    """Keras' optimizer of that name built with `config`, or a ValueError that lists the
    names Keras knows (Keras' own says only that it cannot interpret the identifier) or
    names the arguments it does not take."""
    try:
        kind = type(keras.optimizers.get(name))
    except ValueError:
        # MultiOptimizer and LossScaleOptimizer wrap other optimizers: not choices by name.
        known = sorted(n.lower() for n, c in vars(keras.optimizers).items()
                       if isinstance(c, type) and issubclass(c, keras.optimizers.Optimizer)
                       and n not in ("Optimizer", "MultiOptimizer", "LossScaleOptimizer"))
        raise ValueError(f"optimizer={name!r} is not a Keras optimizer; choose one of {known} "
                         "or pass a keras.optimizers.Optimizer.") from None
    try:
        return keras.optimizers.get({"class_name": kind.__name__, "config": config})
    except (TypeError, ValueError) as error:
        raise ValueError(f"optimizer={name!r} does not take these options "
                         f"{sorted(config)}: {error}") from None


def uses_schedule(optimizer) -> bool:
    """Whether the optimizer's learning rate is a schedule (which no callback may set)."""
    return optimizer is not None and isinstance(optimizer.get_config().get("learning_rate"),
                                                dict)


def soft_label_objectives(loss_name, metrics, label_smoothing: float, model_name: str):
    """The loss and metrics of a cross-entropy classifier trained with label smoothing or on
    soft labels (mixup): `SmoothedCrossentropy` in place of the recipe's cross-entropy and
    `LabelAccuracy` for its accuracy, both taking integer and soft labels alike."""
    if loss_name not in _CROSSENTROPIES:
        raise ValueError(f"label smoothing and mixup train cross-entropy classifiers; "
                         f"{model_name}'s loss is {loss_name!r}.")
    loss = SmoothedCrossentropy(label_smoothing, from_logits=_CROSSENTROPIES[loss_name])
    return loss, [LabelAccuracy() if metric == "accuracy" else metric for metric in metrics]
