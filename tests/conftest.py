import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import zoo  # noqa: E402
from tests.helpers import input_shape_of, num_classes_of  # noqa: E402


@pytest.fixture
def batch_for():
    """A small random batch matching a registered model's input (images in [0, 1])."""

    def make(name, batch_size=4, seed=0):
        card = zoo.model_card(name)
        rng = np.random.default_rng(seed)
        x = rng.random((batch_size, *input_shape_of(name)), dtype=np.float32)
        if card.task == "regression":
            y = rng.normal(150, 50, (batch_size, 1)).astype(np.float32)
        elif card.task == "binary-classification":
            y = rng.integers(0, 2, batch_size).astype(np.float32)
        else:
            y = rng.integers(0, num_classes_of(name), batch_size)
        return x, y

    return make
