"""zoo: a Keras model zoo for TensorFlow 2.

    import zoo
    zoo.list_models("lenet*")
    model = zoo.get_model("lenet5", num_classes=10)
    result = zoo.train("lenet5", "fashion_mnist", epochs=3)
    zoo.export(result.model, "lenet5")
    best = zoo.tune("mlp", tuner="bayesian", max_trials=10)

`import zoo` is light: the registry is read without TensorFlow, and the training, data and
export parts are imported on first use.
"""

from zoo.registry import (
    ModelCard,
    Recipe,
    Reference,
    UnknownModelError,
    get_model,
    list_models,
    model_card,
    register,
    search_space,
)

__version__ = "0.1.0"

_LAZY = {
    # zoo.train, zoo.export and zoo.tune are packages that are also callable (see _callable_module).
    "train": ("zoo.train", None),
    "evaluate": ("zoo.train", "evaluate"),
    "export": ("zoo.export", None),
    "load_model": ("zoo.export", "load_model"),
    "data": ("zoo.data", None),
    "features": ("zoo.feature_maps", "features"),
    "transfer": ("zoo.transfer_learning", "transfer"),
    "fine_tune": ("zoo.transfer_learning", "fine_tune"),
    "visualize": ("zoo.visualize", None),
    "hub": ("zoo.hub", None),
    "tune": ("zoo.tune", None),
}

__all__ = [
    "ModelCard", "Recipe", "Reference", "UnknownModelError", "get_model", "list_models",
    "model_card", "register", "search_space", *_LAZY,
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
