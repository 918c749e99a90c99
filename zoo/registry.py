"""The model registry: `@register` records a `ModelCard` for a factory; `list_models`,
`get_model` and `model_card` read it.

The pattern is timm's `_registry.py` (a decorator and wildcard listing) with torchvision's
idea that the figures on a card are data checked by a test, never typed by hand: measured
accuracy is read from `zoo/results/accuracy.json`, which `benchmarks/accuracy.py` writes.

Reading the registry imports the model modules but not TensorFlow (they use `zoo._lazy`), so
`zoo list` stays fast.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import importlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from zoo.tasks import TASKS

APIS = ("sequential", "functional", "subclass")

# Keras' applications call it `classes`; zoo calls it `num_classes` and accepts both.
_ARGUMENT_ALIASES = {"classes": "num_classes"}


class UnknownModelError(ValueError):
    """Raised for a model name that is not registered; the message names close matches."""


@dataclass(frozen=True)
class Reference:
    """Where an architecture comes from."""

    title: str
    authors: str
    year: int
    url: str = ""

    def __str__(self) -> str:
        return f"{self.authors} ({self.year}). {self.title}." + (f" {self.url}" if self.url else "")


@dataclass(frozen=True)
class Recipe:
    """How a model is trained by default: `zoo.train` compiles and fits with this unless the
    caller says otherwise. `dataset_options` go to `zoo.data.load` (e.g. a class pair for a
    binary classifier, or `image_size`/`channels`); `model_options` build the model for that
    data (e.g. an ImageNet-sized architecture at 32x32 with 10 classes).
    `gradient_clip_norm` clips each gradient to that L2 norm (Pascanu et al. 2013, for
    recurrent networks); `optimizer_options` go to the optimizer beside the learning rate
    (Adam's `beta_1` of 0.5 for GANs). `schedule`, `warmup_epochs`, `weight_decay` and
    `label_smoothing` are the techniques of `zoo.train.techniques` (no schedule: a constant
    learning rate that ReduceLROnPlateau halves when the monitor stalls). `monitor` is the
    validation figure that picks the best epoch, stops early and lowers the learning rate
    (unless a schedule sets it); None says that no figure logged during
    training tracks quality (a GAN's losses do not), so the recipe's epochs all run and the
    last epoch with finite losses is kept.

    `steps_per_execution` and `jit_compile` go to `keras.Model.compile`: how many batches one
    call of the compiled training function runs (fewer trips from Python per batch, most of
    a small network's step on a CPU), and whether that function is compiled with XLA
    ("auto" is Keras' choice: XLA on accelerators, not on CPUs). A recipe sets them where
    `benchmarks/vs_pytorch.py` measured a gain."""

    loss: str
    metrics: tuple[str, ...] = ()
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    epochs: int = 10
    batch_size: int = 128
    dataset_options: Mapping[str, Any] = field(default_factory=dict)
    model_options: Mapping[str, Any] = field(default_factory=dict)
    monitor: str | None = "val_loss"
    patience: int = 5
    gradient_clip_norm: float | None = None
    optimizer_options: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    warmup_epochs: int = 0
    weight_decay: float | None = None
    label_smoothing: float = 0.0
    steps_per_execution: int = 1
    jit_compile: bool | str = "auto"


@dataclass(frozen=True)
class ModelCard:
    """What the registry knows about a model without building it."""

    name: str
    family: str
    task: str
    api: str
    input_shape: tuple[int, ...]
    input_name: str
    dataset: str
    recipe: Recipe
    reference: Reference
    factory: Callable[..., Any] = field(repr=False, compare=False)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    num_classes: int | None = None
    summary: str = ""

    @property
    def search_space(self) -> Callable[[Any], dict[str, Any]] | None:
        """The keras-tuner search space of this model's factory (`@search_space`), or None
        where the factory declares none."""
        return _SEARCH_SPACES.get(self.factory)

    @property
    def measured(self) -> dict[str, dict[str, Any]]:
        """Measured figures for this model, `{metric: row}`, from the recorded results of
        every benchmark (`zoo/results/*.json`)."""
        return {row["metric"]: row for row in recorded_results() if row["model"] == self.name}

    def arguments(self) -> list[str]:
        """The overrides `get_model` accepts for this model."""
        params = list(inspect.signature(self.factory).parameters)
        return params + [alias for alias, target in _ARGUMENT_ALIASES.items() if target in params]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "task": self.task,
            "api": self.api,
            "input_shape": list(self.input_shape),
            "input_name": self.input_name,
            "num_classes": self.num_classes,
            "dataset": self.dataset,
            "recipe": {**self.recipe.__dict__, "metrics": list(self.recipe.metrics),
                       "dataset_options": dict(self.recipe.dataset_options),
                       "optimizer_options": dict(self.recipe.optimizer_options),
                       "model_options": dict(self.recipe.model_options)},
            "reference": self.reference.__dict__,
            "defaults": dict(self.defaults),
            "summary": self.summary,
            "measured": {m: row["value"] for m, row in self.measured.items()},
        }


_REGISTRY: dict[str, ModelCard] = {}
_SEARCH_SPACES: dict[Callable[..., Any], Callable[[Any], dict[str, Any]]] = {}
_MODEL_MODULES = ("zoo.models",)


def register(
    name: str,
    *,
    family: str,
    task: str,
    api: str,
    input_shape: tuple[int, ...],
    dataset: str,
    recipe: Recipe,
    reference: Reference,
    input_name: str = "inputs",
    num_classes: int | None = None,
    defaults: Mapping[str, Any] | None = None,
):
    """Record a factory under `name`. Stack several `@register` on one factory to register
    variants (e.g. depths) that differ only in `defaults`."""
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not one of {tuple(TASKS)} (see zoo.tasks)")
    if api not in APIS:
        raise ValueError(f"api={api!r} is not one of {APIS}")

    def decorator(factory):
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        unknown = set(defaults or {}) - set(inspect.signature(factory).parameters)
        if unknown:
            raise ValueError(f"defaults for {name!r} name unknown arguments {sorted(unknown)}")
        doc = inspect.getdoc(factory) or ""
        _REGISTRY[name] = ModelCard(
            name=name, family=family, task=task, api=api, input_shape=tuple(input_shape),
            input_name=input_name, dataset=dataset, recipe=recipe, reference=reference,
            factory=factory, defaults=MappingProxyType(dict(defaults or {})),
            num_classes=num_classes, summary=doc.split("\n\n")[0].replace("\n", " "),
        )
        return factory

    return decorator


def search_space(space: Callable[[Any], dict[str, Any]]):
    """Declare a factory's keras-tuner search space: `space(hp)` draws hyperparameters from a
    `keras_tuner.HyperParameters` (`hp.Int`, `hp.Choice`, ...) and returns them as overrides
    of the factory's arguments. Every variant registered on the factory shares it, and
    `zoo.tune` adds the recipe's learning rate to it. A model module passes `hp` through and
    never imports keras-tuner itself.

        @search_space(mlp_space)
        @register("mlp", ...)
        def mlp(...): ...
    """
    if not callable(space):
        raise TypeError(f"search_space takes a function of hp, not {space!r}")

    def decorator(factory):
        if factory in _SEARCH_SPACES:
            raise ValueError(f"{factory.__name__} declares two search spaces")
        _SEARCH_SPACES[factory] = space
        return factory

    return decorator


@functools.cache
def _load_model_modules() -> None:
    for module in _MODEL_MODULES:
        importlib.import_module(module)


def list_models(pattern: str = "*", task: str | None = None,
                family: str | None = None) -> list[str]:
    """Registered model names matching a shell-style `pattern` (`"lenet*"`), sorted."""
    _load_model_modules()
    return sorted(
        name for name, card in _REGISTRY.items()
        if fnmatch.fnmatch(name, pattern)
        and (task is None or card.task == task)
        and (family is None or card.family == family)
    )


def model_card(name: str) -> ModelCard:
    """The card of a registered model; an unknown name raises `UnknownModelError`."""
    _load_model_modules()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=5, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"unknown model {name!r}.{hint} `zoo.list_models()` lists all {len(_REGISTRY)}."
        ) from None


def card_of(model) -> ModelCard | None:
    """The card of a registered name (unknown names raise), or of a model a zoo factory built
    (found by the model's name; None for any other model)."""
    if isinstance(model, str):
        return model_card(model)
    _load_model_modules()
    return _REGISTRY.get(getattr(model, "name", None))


def get_model(name: str, /, **overrides):
    """Build the registered model `name`, with `overrides` for its factory's arguments."""
    card = model_card(name)
    return card.factory(**resolve_arguments(card, overrides))


def resolve_arguments(card: ModelCard, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The card's defaults updated by `overrides`, with aliases mapped and unknown names
    rejected before anything is built."""
    accepted = inspect.signature(card.factory).parameters
    arguments = dict(card.defaults)
    for key, value in overrides.items():
        target = _ARGUMENT_ALIASES.get(key, key)
        if target not in accepted:
            raise ValueError(
                f"{card.name} has no argument {key!r} (got {key}={value!r}); "
                f"allowed: {', '.join(card.arguments())}."
            )
        arguments[target] = value
    return arguments


@functools.cache
def recorded_results() -> tuple[dict[str, Any], ...]:
    """Every row of every results file the benchmarks wrote into `zoo/results/`."""
    folder = resources.files("zoo") / "results"
    rows = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            rows += json.loads(path.read_text())["results"]
    return tuple(rows)
