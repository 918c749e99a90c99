"""Shared by several test modules: models built the way their recipes train them, the tools
of the keras.applications parity tests, a callback that kills its own process, and the
detectors' recorded recomposition ablations."""

import contextlib
import json
import os
import signal
from pathlib import Path

import keras
import numpy as np

import zoo
from zoo.models.vision._porting import port_weights, weighted_layers


def images(shape, batch=2, seed=0):
    """A batch of random images in [0, 1)."""
    return np.random.default_rng(seed).random((batch, *shape), dtype=np.float32)


def build(name):
    """A registered model as its recipe trains it: large ImageNet-sized networks are swept at
    the small input size and class count of their recipe."""
    return zoo.get_model(name, **zoo.model_card(name).recipe.model_options)


def input_shape_of(name):
    options = zoo.model_card(name).recipe.model_options
    return tuple(options.get("input_shape", zoo.model_card(name).input_shape))


def num_classes_of(name):
    card = zoo.model_card(name)
    return card.recipe.model_options.get("num_classes", card.num_classes)


def randomize(model, seed=0):
    """Random values for every weight keras initialises to a constant (biases, batch-norm
    scales, offsets and moving statistics), so that a weight ported to the wrong place shows."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):  # with or without scale
            layer.set_weights([
                rng.uniform(0.5, 1.5, w.shape) if w.name in ("gamma", "moving_variance")
                else rng.normal(0, 0.1, w.shape) for w in layer.weights])
        elif layer.weights:
            layer.set_weights([w if w.ndim > 1 else rng.normal(0, 0.1, w.shape)
                               for w in layer.get_weights()])


def built_alike(keras_layer, zoo_layer, input_shape, seed=1):
    """Keras' layer and zoo's twin of it, built for `input_shape` on the same random weights
    (in [0.5, 1.5): positive scales and variances for batch normalisation)."""
    for layer in (keras_layer, zoo_layer):
        layer.build(input_shape)
    rng = np.random.default_rng(seed)
    weights = [rng.random(tuple(w.shape), dtype=np.float32) + 0.5 for w in keras_layer.weights]
    keras_layer.set_weights(weights)
    zoo_layer.set_weights(weights)
    return keras_layer, zoo_layer


def save_as_keras_imagenet_file(application, path, **options):
    """A random keras.applications model saved as keras' legacy .h5 weight files are (the
    format of the real ImageNet files), to stand in for them offline."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    source = application(weights=None, **options)
    randomize(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, source)
    return source


def assert_same_activations(source, model, x, atol=1e-4):
    """The outputs of every layer that `source` and `model` name alike agree on `x`, the last
    included. Checking inside the network matters: a padding off by one pixel changes a
    feature map by 10% and the pooled logits of a deep network by only about 1e-4."""
    theirs = {layer.name for layer in source.layers}
    names = [layer.name for layer in model.layers[1:] if layer.name in theirs]
    assert model.layers[-1].name in names

    def probe(network):
        return keras.Model(network.input, [network.get_layer(n).output for n in names])

    for name, expected, actual in zip(names, probe(source)(x), probe(model)(x), strict=True):
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=atol, err_msg=name)


def assert_random_keras_weights_port(application, name, shape, **options):
    """keras.applications' `application` and the registered model `name`, both built at `shape`
    with a 10-class linear top (and `options`): random values in every weight of keras' model
    port into zoo's, whose weighted layers keras names alike and in the same order, and every
    layer the two name alike then computes the same."""
    head = {"input_shape": shape, "classifier_activation": None, **options}
    source = application(weights=None, classes=10, **head)
    randomize(source)
    model = zoo.get_model(name, num_classes=10, **head)
    assert [layer.name for layer in weighted_layers(model)] == [
        layer.name for layer in weighted_layers(source)]
    port_weights(source, model)
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32)
    assert np.abs(source(x).numpy()).max() > 0.1, "outputs large enough to compare"
    assert_same_activations(source, model, x)


class KillAt(keras.callbacks.Callback):
    """Kill this process with SIGKILL (nothing runs after it: no finally, no atexit) after
    its `batches`-th training batch, as a power cut or an out-of-memory killer would."""

    def __init__(self, batches):
        super().__init__()
        self.batches, self.seen = batches, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batches:
            os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def prepared_apart(name: str, directory):
    """`zoo.data.prepare(name)` built into the TFDS data directory `directory` (a test
    module's own), which `zoo.data` reads while the context lasts; yields the built path."""
    import pytest

    import zoo.data

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_TFDS_DIR", str(directory))
        yield zoo.data.prepare(name)


def recorded_ablation(name: str, augment: str | None, metric: str = "coco_map",
                      variant: str | None = None):
    """`name`'s card row for `metric` (its recipe's run) and the row of
    `benchmarks/detection.py NAME --augment AUGMENT` (None: `--augment none`) in
    benchmarks/results/detection_ablations.json, of `variant` (what else it changed of the
    recipe, `zoo.benchmark.recipe_departures`; None: nothing), after checking that the card's
    row ran the recipe's augmentation and an ablation without a variant another, and that
    both ran the recipe's 12 epochs and scored the whole test split (1,000 canvases, 3,030
    objects)."""
    card = zoo.model_card(name)
    recipe_augment = card.recipe.dataset_options.get("augment")
    assert variant is not None or augment != recipe_augment
    recorded = card.measured[metric]
    assert recorded.get("augment") == recipe_augment
    path = Path(__file__).parents[1] / "benchmarks" / "results" / "detection_ablations.json"
    rows = {(r["model"], r["metric"], r["augment"], r.get("variant")): r
            for r in json.loads(path.read_text())["results"]}
    row = rows[name, metric, augment, variant]
    for measured in (recorded, row):
        assert (measured["test_examples"], measured["objects"], measured["epochs_run"]) == \
            (1000, 3030, 12)
    return recorded, row
