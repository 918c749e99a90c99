"""Multilayer perceptrons: fully connected layers trained by back-propagation
(Rumelhart, Hinton and Williams, 1986). A plain stack, so a `keras.Sequential`."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_activation,
    check_classifier,
    check_initializer,
    image_or_features_input,
)
from zoo.registry import Recipe, Reference, register, search_space

BACKPROP = Reference("Learning representations by back-propagating errors",
                     "Rumelhart, D. E., Hinton, G. E. and Williams, R. J.", 1986,
                     "https://doi.org/10.1038/323533a0")


NORMALIZATIONS = {"batch": "BatchNormalization", "layer": "LayerNormalization"}


def _hidden_layers(hidden_units, activation, dropout, l2, l1=0.0, kernel_initializer=None,
                   normalization=None):
    """Dense (+ normalisation, activation) (+ Dropout) layers for each hidden width.

    `normalization` ("batch", Ioffe and Szegedy 2015, arXiv:1502.03167; "layer", Ba, Kiros
    and Hinton 2016, arXiv:1607.06450) goes between each Dense layer and its activation, as
    Ioffe and Szegedy place it; the Dense layer then has no bias, which batch normalisation's
    shift replaces."""
    hidden_units = _validate.widths("hidden_units", hidden_units)
    dropout = _validate.fraction("dropout", dropout)
    l1 = _validate.non_negative("l1", l1)
    l2 = _validate.non_negative("l2", l2)
    regularizer = keras.regularizers.L1L2(l1=l1, l2=l2) if l1 or l2 else None
    activation = check_activation(activation)
    initializer = check_initializer(kernel_initializer)
    if normalization is not None:
        _validate.choice("normalization", normalization, NORMALIZATIONS)
    layers = []
    for index, units in enumerate(hidden_units, start=1):
        dense = dict(kernel_regularizer=regularizer, name=f"dense_{index}")
        if initializer is not None:
            dense["kernel_initializer"] = initializer
        if normalization is None:
            layers.append(keras.layers.Dense(units, activation=activation, **dense))
        else:
            norm = getattr(keras.layers, NORMALIZATIONS[normalization])
            layers += [keras.layers.Dense(units, use_bias=normalization != "batch", **dense),
                       norm(name=f"{normalization}_norm_{index}"),
                       keras.layers.Activation(activation, name=f"activation_{index}")]
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
    return layers


def mlp_space(hp) -> dict:
    """Depth, width, dropout and an L2 penalty: the capacity and regularisation knobs that
    Goodfellow, Bengio and Courville tune first (Deep Learning, 2016, section 11.4)."""
    layers = hp.Int("layers", 1, 3)
    units = hp.Choice("units", [64, 128, 256, 512])
    return {"hidden_units": (units,) * layers,
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
            "l2": hp.Choice("l2", [0.0, 1e-5, 1e-4])}


@search_space(mlp_space)
@register(
    "mlp", family="mlp", task="image-classification", api="sequential",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist", num_classes=10,
    # A step of this network is a few small matrix products: most of it was Keras' trip from
    # Python per batch. 32 batches per call, compiled by XLA, train 1.4x PyTorch's speed
    # where one per call ran at 0.48x (benchmarks/vs_pytorch.py; the README has the table).
    recipe=Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=15,
                  steps_per_execution=32, jit_compile=True),
    reference=BACKPROP,
)
def mlp(input_shape=(28, 28, 1), num_classes=10, hidden_units=(128, 32), activation="relu",
        dropout=0.0, l2=0.0, l1=0.0, kernel_initializer=None, normalization=None,
        classifier_activation="softmax", name="mlp"):
    """The classic 784-128-32-10 multilayer perceptron classifier, with the textbooks' knobs:
    widths, the hidden activation (any Keras one, or zoo's straight-through "sign"), the
    hidden layers' initialiser (default Keras' Glorot uniform; "zeros", "he_normal",
    "lecun_normal", ...), "batch" or "layer" normalisation before each activation, dropout
    after it, and L1 and L2 weight penalties."""
    check_classifier(num_classes, classifier_activation)
    return keras.Sequential(
        [image_or_features_input(input_shape), keras.layers.Flatten(name="flatten"),
         *_hidden_layers(hidden_units, activation, dropout, l2, l1, kernel_initializer,
                         normalization),
         keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")],
        name=name,
    )


@search_space(mlp_space)
@register(
    "mlp_regressor", family="mlp", task="regression", api="sequential",
    input_shape=(10,), input_name="features", dataset="diabetes",
    recipe=Recipe(loss="mse", metrics=("mae", "rmse"), learning_rate=1e-2, epochs=300,
                  batch_size=32, patience=30),
    reference=BACKPROP,
)
def mlp_regressor(input_shape=(10,), num_outputs=1, hidden_units=(64, 32), activation="relu",
                  dropout=0.0, l2=0.0, name="mlp_regressor"):
    """A multilayer perceptron with a linear output for real-valued targets."""
    _validate.positive_int("num_outputs", num_outputs)
    return keras.Sequential(
        [image_or_features_input(input_shape), keras.layers.Flatten(name="flatten"),
         *_hidden_layers(hidden_units, activation, dropout, l2),
         keras.layers.Dense(num_outputs, name="prediction")],
        name=name,
    )
