"""Export: `zoo.export(model, name)` writes `saved_models/<name>/<version>/` for TF Serving.

The package is callable: `zoo.export(...)` is `zoo.export.export(...)`.
"""

from zoo._callable_module import make_callable
from zoo.export.saved_model import export, load_model, versions
from zoo.export.signatures import input_spec, serving_function

__all__ = ["export", "load_model", "versions", "input_spec", "serving_function"]

make_callable(__name__, export)
