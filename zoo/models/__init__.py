"""Model families. Importing this package registers every factory (and imports no
TensorFlow: factories reach Keras through `zoo._lazy`)."""

import importlib

from zoo.models import lenet, linear, mlp

__all__ = ["lenet", "linear", "mlp", "import_keras_classes"]

# Modules that define Keras classes (custom layers, losses, subclassed models). Keras must
# have seen them before it can load a `.keras` file or SavedModel that uses them.
KERAS_CLASS_MODULES = ("zoo.layers", "zoo.objectives", "zoo.models.lenet_subclass")


def import_keras_classes() -> None:
    for module in KERAS_CLASS_MODULES:
        importlib.import_module(module)
