import os

import pytest

# Before any test module imports TensorFlow: keep its C++ start-up logging out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Each pytest-xdist worker gets its share of the cores for TensorFlow's operations: by default
# every worker (and every notebook kernel or subprocess it starts, which inherit this) sizes
# its op thread pool to all the cores, and two workers on two cores then spend time trading
# them (measured on two workers, test_single_shot, test_segmentation, test_seq2seq and
# test_textbook_claims: 481 s as TensorFlow sizes the pools, 449 s with one intra-op thread a
# worker). Only the intra-op pool: the inter-op pool runs independent ops side by side, which
# ops that wait on each other (MirroredStrategy's replicas on one CPU) rely on.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, (os.cpu_count() or 1) // _workers)))

# The suite runs on two pytest-xdist workers (pyproject's addopts: `-n 2 --dist loadgroup`):
# much of it is single-threaded Python (tracing, saving, building graphs), so a second process
# uses the second core. Tests are handed out by group, and a group stays on one worker, so a
# module's shared fixtures (a model trained once, the sweep's built model) are made once.
# A module's tests form one group, except in these modules, whose parametrized tests share
# nothing beyond their parameter: they split by it, so that no worker gets all of them.
SPLIT_BY_PARAMETER = {
    "test_sweep": "swept",  # per model: its module-scoped fixture is parametrized by name
    "test_notebooks": "path",
    "test_readme": "block",
}


# tryfirst: pytest-xdist's worker turns the marker into the "@group" suffix of each test's id in
# its own collection hook, and a hook registered after it (this conftest) would otherwise run
# after it: the markers came too late, every test was its own group, and a module's fixtures
# were built again on each worker that got one of its tests (tests/test_conftest.py).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        params = item.callspec.params if hasattr(item, "callspec") else {}
        parameter = SPLIT_BY_PARAMETER.get(module)
        group = f"{module}[{params[parameter]}]" if parameter in params else module
        item.add_marker(pytest.mark.xdist_group(group))
