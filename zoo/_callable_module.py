"""Lets a subpackage double as its main function: `zoo.train(...)` and `zoo.export(...)`.

The design fixes both the layout (`zoo/train/`, `zoo/export/`) and the calls
(`zoo.train(model, dataset)`, `zoo.export(model, name)`). Python binds a subpackage to its
parent's attribute of the same name when it is first imported, so a plain function
`zoo.train` would be replaced by the package the moment anyone imports `zoo.train.fit`. Making
the package module itself callable keeps both spellings true, whatever the import order.
"""

import sys
import types


def make_callable(module_name: str, function) -> None:
    """Calling the module `module_name` calls `function`."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return function(*args, **kwargs)

        __call__.__doc__ = function.__doc__

    sys.modules[module_name].__class__ = CallableModule
