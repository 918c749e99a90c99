"""Lazy module proxies, so that `import zoo` and `zoo list` never import TensorFlow.

Model modules write `from zoo._lazy import keras` and use `keras.layers.Dense(...)` inside
their factories exactly as with a plain `import keras`; the real import happens on the first
attribute access, i.e. when a model is built, not when the registry is read.
"""

from __future__ import annotations

import importlib
import types


class LazyModule(types.ModuleType):
    """A module that imports itself on first attribute access."""

    def __init__(self, name: str):
        super().__init__(name)
        self._module: types.ModuleType | None = None

    def _load(self) -> types.ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self.__name__)
        return self._module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __dir__(self):
        return dir(self._load())


keras = LazyModule("keras")
tf = LazyModule("tensorflow")
