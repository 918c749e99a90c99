"""Multilayer perceptrons: fully connected layers trained by back-propagation
(Rumelhart, Hinton and Williams, 1986). A plain stack, so a `keras.Sequential`."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_activation, check_classifier, image_or_features_input
from zoo.registry import Recipe, Reference, register, search_space

BACKPROP = Reference("Learning representations by back-propagating errors",
                     "Rumelhart, D. E., Hinton, G. E. and Williams, R. J.", 1986,
                     "https://doi.org/10.1038/323533a0")


def _hidden_layers(hidden_units, activation, dropout, l2):
    """Dense (+ Dropout) layers for each hidden width."""
    hidden_units = _validate.widths("hidden_units", hidden_units)
    dropout = _validate.fraction("dropout", dropout)
    regularizer = keras.regularizers.L2(_validate.non_negative("l2", l2)) if l2 else None
    check_activation(activation)
    layers = []
    for index, units in enumerate(hidden_units, start=1):
        layers.append(keras.layers.Dense(units, activation=activation,
                                         kernel_regularizer=regularizer, name=f"dense_{index}"))
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
        dropout=0.0, l2=0.0, classifier_activation="softmax", name="mlp"):
    """The classic 784-128-32-10 multilayer perceptron classifier, with configurable widths,
    dropout after each hidden layer and an L2 weight penalty."""
    check_classifier(num_classes, classifier_activation)
    return keras.Sequential(
        [image_or_features_input(input_shape), keras.layers.Flatten(name="flatten"),
         *_hidden_layers(hidden_units, activation, dropout, l2),
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
