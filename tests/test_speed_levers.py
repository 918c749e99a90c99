"""benchmarks/speed_levers.py compares like with like: each lever's two sides are one network
(the same weights and outputs), and the side without the lever really lacks it."""

from pathlib import Path

import numpy as np
import pytest

from zoo.layers.convolution import CoveringConv2D
from zoo.layers.normalization import FusedBatchNormalization
from zoo.layers.residual import ZeroPaddedShortcut

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
LEVER_LAYERS = {"covering_conv": CoveringConv2D, "fused_batch_norm": FusedBatchNormalization,
                "pooled_subsample": ZeroPaddedShortcut}


@pytest.fixture
def speed_levers(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as the script runs: beside vs_pytorch
    import speed_levers

    return speed_levers


@pytest.mark.parametrize("lever", ["covering_conv", "steps_per_execution", "fused_batch_norm",
                                   "pooled_subsample", "pipeline_options"])
def test_a_lever_sides_compute_the_same_function(speed_levers, lever):
    sides = speed_levers.sides(lever)
    with_it, without_it = sides["with"], sides["without"]
    x = with_it.batches[0][:16]
    np.testing.assert_allclose(without_it.model.predict_on_batch(x),
                               with_it.model.predict_on_batch(x), rtol=1e-4, atol=1e-5)
    assert with_it.parameters == without_it.parameters
    layer_class = LEVER_LAYERS.get(lever)
    if layer_class is not None:  # the exact class: the side without may subclass it
        assert any(type(layer) is layer_class for layer in with_it.model.layers)
        assert not any(type(layer) is layer_class for layer in without_it.model.layers)
    elif lever == "pipeline_options":  # the same batches, fed with the model thread or not
        assert with_it.data.options().autotune.enabled is False
        assert without_it.data.options().autotune.enabled is True
        for ours, theirs in zip(with_it.data.take(9), without_it.data.take(9), strict=True):
            np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        assert with_it.compiled == without_it.compiled
    else:
        assert (with_it.compiled["steps_per_execution"],
                without_it.compiled["steps_per_execution"]) == (16, 1)
