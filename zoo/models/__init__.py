"""Model families, one public module each. Importing this package imports every public
module here, which registers its factories; no TensorFlow is imported (factories reach Keras
through `zoo._lazy`). Modules whose names start with "_" hold Keras classes or helpers and are
imported only when a model needs them.
"""

import importlib
import pkgutil

FAMILIES = sorted(
    info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
)
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

# Modules that define Keras classes (custom layers, losses, subclassed models). Keras must
# have seen them before it can load a `.keras` file or SavedModel that uses them. Every module
# of zoo.layers is among them.
KERAS_CLASS_MODULES = ("zoo.objectives", "zoo.hub", "zoo.models._lenet_subclass")


def import_keras_classes() -> None:
    import zoo.layers

    for info in pkgutil.iter_modules(zoo.layers.__path__):
        importlib.import_module(f"zoo.layers.{info.name}")
    for module in KERAS_CLASS_MODULES:
        importlib.import_module(module)
