"""The suite's own distribution (tests/conftest.py): every test carries its group, and on a
pytest-xdist worker the group is in the id the scheduler reads, so a module's tests, and its
module-scoped fixtures, stay on one worker; and each worker's TensorFlow takes its share of
the cores."""

import os

import pytest


def test_a_test_is_grouped_with_its_module_and_the_scheduler_sees_the_group(request):
    [marker] = request.node.iter_markers("xdist_group")
    assert marker.args == ("test_conftest",)
    if "PYTEST_XDIST_WORKER" in os.environ and request.config.getvalue("loadgroup"):
        # Set by xdist's collection hook from the marker: missing if the marker came late.
        assert request.node.nodeid.endswith("@test_conftest"), request.node.nodeid


@pytest.mark.skipif("PYTEST_XDIST_WORKER_COUNT" not in os.environ,
                    reason="only pytest-xdist workers share the cores")
def test_a_worker_gives_tensorflow_its_share_of_the_cores():
    share = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    # At most its share: a smaller TF_NUM_INTRAOP_THREADS set before pytest started is kept.
    assert 1 <= int(os.environ["TF_NUM_INTRAOP_THREADS"]) <= share
