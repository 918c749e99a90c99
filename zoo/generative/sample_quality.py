"""Generated images measured, never eyeballed: a zoo classifier trained on the real images
(the *judge*) scores the samples of a generator.

- **Classifier-feature FID**: the Frechet distance between Gaussians fitted to the judge's
  penultimate-layer features of real test images and of generated ones (Heusel et al., 2017,
  with the judge in place of Inception-v3). It falls as the samples' features match the real
  ones in mean and covariance, so it punishes both poor images and missing modes. It is not
  comparable with published Inception FIDs: those use another network, other features and
  other data. The distance between two real samples (training and test images) is its floor.
- **Class consistency** (conditional generators): the share of samples the judge assigns to
  the class they were generated for.
- **Class coverage**: the entropy of the judge's class histogram over the samples, over
  log(classes): 1 when every class is drawn equally often, 0 when all samples look like one
  class (mode collapse).

`measure_gan` trains a GAN by its recipe and records all three (`benchmarks/gans.py`, rows in
`zoo/results/gans.json`); the judge is LeNet-5 trained on the GAN's dataset, kept in a cache
so that every generator is judged by the same network.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from zoo.benchmark import provenance

JUDGE = "lenet5"
JUDGE_EPOCHS = 10
SAMPLES = 10_000
DEFAULT_JUDGE_CACHE = Path.home() / ".cache" / "zoo" / "judges"


def frechet_distance(features_a, features_b) -> float:
    """The Frechet distance between Gaussians fitted to two sets of feature rows:
    |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))."""
    a, b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features of shapes {a.shape} and {b.shape}: both must be "
                         "(examples, features) with as many features.")
    if min(len(a), len(b)) <= a.shape[1]:
        raise ValueError(f"{min(len(a), len(b))} examples for {a.shape[1]} features: the "
                         "covariances need more examples than features.")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((S_a S_b)^(1/2)) is the sum of the square roots of S_a S_b's eigenvalues, which are
    # real and non-negative (it is similar to S_a^(1/2) S_b S_a^(1/2)) up to round-off: drop
    # the imaginary dust and the tiny negatives. Unlike scipy's sqrtm this stays exact when
    # a feature never fires (a ReLU unit dead on every image makes the covariances singular).
    eigenvalues = np.clip(np.real(np.linalg.eigvals(cov_a @ cov_b)), 0.0, None)
    trace_root = np.sqrt(eigenvalues).sum()
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b)
                 - 2.0 * trace_root)


def class_coverage(predicted, num_classes: int) -> float:
    """The entropy of the predicted classes' histogram over log(num_classes), in [0, 1]."""
    counts = np.bincount(np.asarray(predicted), minlength=num_classes)[:num_classes]
    shares = counts[counts > 0] / counts.sum()
    entropy = -(shares * np.log(shares)).sum()
    return max(0.0, float(entropy / math.log(num_classes)))  # one class: 0, not -0


class Judge:
    """A trained classifier's predictions and penultimate features for images in [0, 1]."""

    def __init__(self, classifier):
        import keras

        self.classifier = classifier
        self.features = keras.Model(classifier.inputs, classifier.layers[-2].output)
        self.num_classes = int(classifier.output_shape[-1])

    def predict(self, images) -> np.ndarray:
        return np.argmax(self.classifier.predict(images, batch_size=1000, verbose=0), axis=-1)

    def embed(self, images) -> np.ndarray:
        features = self.features.predict(images, batch_size=1000, verbose=0)
        return features.reshape(len(features), -1)


def trained_judge(dataset: str = "mnist", *, seed: int = 0, cache_dir=None,
                  epochs: int = JUDGE_EPOCHS) -> tuple[Judge, dict]:
    """The judge for `dataset` (LeNet-5 trained `epochs` by its recipe), from the cache or
    trained and cached; with a dict describing it (test accuracy, epochs, where cached)."""
    import zoo
    from zoo._io import write_json

    cache = Path(cache_dir or DEFAULT_JUDGE_CACHE) / f"{dataset}-{JUDGE}-{epochs}ep-seed{seed}"
    model_file, about_file = cache / "model.keras", cache / "judge.json"
    if not model_file.is_file() or not about_file.is_file():
        with tempfile.TemporaryDirectory() as scratch:
            result = zoo.train(JUDGE, dataset, epochs=epochs, seed=seed, runs_root=scratch,
                               verbose=0, tensorboard=False)
        accuracy = zoo.evaluate(result.model, dataset)["accuracy"]
        cache.mkdir(parents=True, exist_ok=True)
        temporary = cache / f".tmp-{os.getpid()}-model.keras"  # two runs may race here
        result.model.save(temporary)
        temporary.replace(model_file)
        write_json(about_file, {"model": JUDGE, "dataset": dataset, "epochs": epochs,
                                "seed": seed, "test_accuracy": round(accuracy, 4)})
    about = json.loads(about_file.read_text())
    return Judge(zoo.load_model(model_file)), about


def sample_quality(generator, judge: Judge, real_images, *, count: int = SAMPLES,
                   seed: int = 0) -> dict:
    """Classifier-feature FID of `count` samples against `real_images`, class coverage, and
    for a conditional generator class consistency (samples cycle through the classes)."""
    images, labels = _samples(generator, count, seed)
    predicted = judge.predict(images)
    figures = {"classifier_fid": frechet_distance(judge.embed(real_images),
                                                  judge.embed(images)),
               "class_coverage": class_coverage(predicted, judge.num_classes)}
    if labels is not None:
        figures["class_consistency"] = float(np.mean(predicted == labels))
    return figures


def judged_samples(generator, dataset: str, real_images, *, count: int = SAMPLES,
                   seed: int = 0, judge_cache=None) -> dict:
    """`sample_quality` of any generator with a `sample(count, seed=, labels=)` method (a
    GAN, a VAE) by the dataset's cached judge, rounded for a results row, with the number of
    samples and the judge named."""
    judge, about = trained_judge(dataset, seed=seed, cache_dir=judge_cache)
    figures = sample_quality(generator, judge, real_images, count=count, seed=seed)
    return {"classifier_fid": round(figures.pop("classifier_fid"), 3),
            **{key: round(value, 4) for key, value in figures.items()},
            "generated_samples": count,
            "judge": f"{about['model']} trained {about['epochs']} epochs on {dataset} (test "
                     f"accuracy {about['test_accuracy']}); its "
                     f"{judge.features.output.shape[-1]}-unit penultimate layer gives the "
                     "features",
            "judge_accuracy": about["test_accuracy"]}


def _samples(generator, count, seed, batch: int = 1000):
    """(images, labels or None): `count` samples drawn in batches with seeds from `seed`."""
    from zoo.generative.conditioning import cycled_labels

    conditional = getattr(generator, "conditional", False)
    labels = cycled_labels(count, generator.num_classes) if conditional else None
    images = []
    for index, start in enumerate(range(0, count, batch)):
        size = min(batch, count - start)
        part = generator.sample(size, seed=seed * 100_003 + index,
                                labels=None if labels is None else labels[start:start + size])
        images.append(np.asarray(part))
    return np.concatenate(images), labels


def measure_gan(name: str = "dcgan", *, epochs: int | None = None, seed: int = 0,
                samples: int = SAMPLES, runs_root=None, judge_cache=None,
                command: str | None = None) -> dict:
    """Train the GAN `name` by its recipe and return its results row: the classifier-feature
    FID of `samples` generated images against the test split (the value), with class
    coverage, class consistency when conditional, the floor (training against test images),
    the judge's test accuracy and the discriminator's accuracy in the last epoch."""
    import zoo
    from zoo.generative.measure import _train_count, images_and_labels

    card = zoo.model_card(name)
    if card.task != "generation":
        raise ValueError(f"{name} is not a GAN (its task is {card.task!r}); this measures "
                         "generation models.")
    judge, _ = trained_judge(card.dataset, seed=seed, cache_dir=judge_cache)  # before training
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    test, _ = images_and_labels(card.dataset, "test")
    train, _ = images_and_labels(card.dataset, "train")
    floor = frechet_distance(judge.embed(train[:len(test)]), judge.embed(test))
    figures = judged_samples(result.model, card.dataset, test, count=samples, seed=seed,
                             judge_cache=judge_cache)
    history = result.history
    return {
        "model": name, "dataset": card.dataset, "split": "test", "metric": "classifier_fid",
        "value": figures.pop("classifier_fid"), **figures, "real_fid_floor": round(floor, 3),
        "final_d_accuracy": round(history["d_accuracy"][-1], 4),
        "final_val_d_accuracy": round(history["val_d_accuracy"][-1], 4),
        "d_accuracy_by_epoch": [round(v, 4) for v in history["d_accuracy"]],
        "seed": seed, "epochs_run": len(history["loss"]),
        "epochs_max": epochs or card.recipe.epochs,
        "train_examples": _train_count(card.dataset, seed), "test_examples": len(test),
        "wall_seconds": wall, "evaluation_seconds": round(time.perf_counter() - started, 1),
        **provenance(command),
    }

