"""The datasets zoo knows: what each one is, its shape and classes, and which reader loads it."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from zoo.data import sources

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str  # "image-classification" or "regression"
    input_shape: tuple[int, ...]
    reader: Callable
    class_names: tuple[str, ...] = ()
    description: str = ""

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) or None


DATASETS = {
    info.name: info
    for info in (
        DatasetInfo("fashion_mnist", "image-classification", (28, 28, 1), sources.fashion_mnist,
                    FASHION_CLASSES, "Fashion-MNIST, 60,000 train / 10,000 test, 28x28 grey."),
        DatasetInfo("mnist", "image-classification", (28, 28, 1), sources.mnist,
                    DIGIT_CLASSES, "MNIST digits, 60,000 train / 10,000 test, 28x28 grey."),
        DatasetInfo("mnist_5k", "image-classification", (28, 28, 1), sources.mnist_5k,
                    DIGIT_CLASSES, "5,000 real MNIST digits (4,000 train / 1,000 test)."),
        DatasetInfo("digits", "image-classification", (8, 8, 1), sources.digits,
                    DIGIT_CLASSES, "scikit-learn 8x8 digits, 1,797 images (80/20 split)."),
        DatasetInfo("diabetes", "regression", (10,), sources.diabetes, (),
                    "scikit-learn diabetes progression, 442 patients, 10 features (80/20)."),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        close = difflib.get_close_matches(name, DATASETS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(DATASETS))}."
        ) from None


def list_datasets() -> list[str]:
    return sorted(DATASETS)
