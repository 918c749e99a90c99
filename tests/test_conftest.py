"""The suite's own distribution (tests/conftest.py): every test carries its group, and on a
pytest-xdist worker the group is in the id the scheduler reads, so a module's tests, and its
module-scoped fixtures, stay on one worker."""

import os


def test_a_test_is_grouped_with_its_module_and_the_scheduler_sees_the_group(request):
    [marker] = request.node.iter_markers("xdist_group")
    assert marker.args == ("test_conftest",)
    if "PYTEST_XDIST_WORKER" in os.environ and request.config.getvalue("loadgroup"):
        # Set by xdist's collection hook from the marker: missing if the marker came late.
        assert request.node.nodeid.endswith("@test_conftest"), request.node.nodeid
