"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), built three ways.

The same layers, in the same order and with the same names, are assembled as a
`keras.Sequential`, as a Functional model and as a subclassed `keras.Model`
(`zoo.models.vision._lenet_subclass.LeNet5`), chosen with `api=`. All three have the same parameter
count and, given the same weights, the same outputs: the API is a matter of style here, and
the tutorial shows them side by side.

Deviations from the paper, as in most modern re-implementations: C1 uses "same" padding so a
28x28 image works (the paper padded digits to 32x32), subsampling is max-pooling, the
activation is ReLU (`activation="tanh"` and `pool="avg"` give the original's flavour), and
the output is a softmax instead of Euclidean RBF units.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_activation,
    check_image_classifier,
    image_input,
    load_weights,
)
from zoo.registry import Recipe, Reference, register, search_space

MIN_SIZE = (28, 28)  # C1 same, S2 /2, C3 valid -4, S4 /2, C5 needs 5x5: 28 is the least.
APIS = ("sequential", "functional", "subclass")


def lenet5_layers(num_classes=10, include_top=True, pooling=None,
                  classifier_activation="softmax", activation="relu", pool="max"):
    """The LeNet-5 layers in order: C1, S2, C3, S4, C5, then F6 and the output (or pooling).

    C5 is a `CoveringConv2D`: at 28x28 its 5x5 kernels cover S4's 5x5 maps, "a full
    connection" in the paper's words, and it runs as the matrix product that is.
    """
    # Imported here, as the image families import their layers: reading the registry stays light.
    from zoo.layers.convolution import CoveringConv2D

    pool_layer = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}[pool]
    layers = [
        keras.layers.Conv2D(6, 5, padding="same", activation=activation, name="c1"),
        pool_layer(2, name="s2"),
        keras.layers.Conv2D(16, 5, activation=activation, name="c3"),
        pool_layer(2, name="s4"),
        CoveringConv2D(120, 5, activation=activation, name="c5"),
    ]
    if include_top:
        layers += [
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(84, activation=activation, name="f6"),
            keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions"),
        ]
    elif pooling == "avg":
        layers.append(keras.layers.GlobalAveragePooling2D(name="avg_pool"))
    elif pooling == "max":
        layers.append(keras.layers.GlobalMaxPooling2D(name="max_pool"))
    return layers


LECUN_1998 = Reference("Gradient-based learning applied to document recognition",
                       "LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P.", 1998,
                       "https://doi.org/10.1109/5.726791")
# 16 batches a call of the training function: more images per second than one a call
# (benchmarks/speed_levers.py, lever steps_per_execution); XLA halves LeNet-5's speed on
# this CPU, so it stays off.
RECIPE = Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=15,
                steps_per_execution=16)
CARD = dict(family="lenet", task="image-classification", input_shape=(28, 28, 1),
            input_name="image", dataset="fashion_mnist", num_classes=10, recipe=RECIPE,
            reference=LECUN_1998)


def lenet5_space(hp) -> dict:
    """The activation and the subsampling: today's ReLU and max-pooling, or the original's
    squashing function and averaging (LeCun et al., 1998, section II.B). The widths are the
    paper's, and `api` tells the three registered builds apart."""
    return {"activation": hp.Choice("activation", ["relu", "tanh"]),
            "pool": hp.Choice("pool", ["max", "avg"])}


# One factory, three registered names: the sweep then covers every API. `lenet5` is the
# Sequential build; `lenet5(api=...)` reaches the others too.
@search_space(lenet5_space)
@register("lenet5", api="sequential", **CARD)
@register("lenet5_functional", api="functional",
          defaults={"api": "functional", "name": "lenet5_functional"}, **CARD)
@register("lenet5_subclass", api="subclass",
          defaults={"api": "subclass", "name": "lenet5_subclass"}, **CARD)
def lenet5(input_shape=(28, 28, 1), num_classes=10, include_top=True, pooling=None,
           classifier_activation="softmax", weights=None, activation="relu", pool="max",
           api="sequential", name="lenet5"):
    """LeNet-5: two convolution/subsampling stages, a 120-map convolution and two dense layers.

    `api` picks how the same layers are assembled: "sequential", "functional" or "subclass".
    """
    _validate.choice("api", api, APIS)
    _validate.choice("pool", pool, ("max", "avg"))
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    check_activation(activation)
    inputs = image_input(input_shape, min_size=MIN_SIZE)
    options = dict(num_classes=num_classes, include_top=include_top, pooling=pooling,
                   classifier_activation=classifier_activation, activation=activation,
                   pool=pool)
    if api == "sequential":
        model = keras.Sequential([inputs, *lenet5_layers(**options)], name=name)
    elif api == "functional":
        x = inputs
        for layer in lenet5_layers(**options):
            x = layer(x)
        model = keras.Model(inputs, x, name=name)
    else:
        from zoo.models.vision._lenet_subclass import LeNet5

        model = LeNet5(**options, name=name)
        model.build((None, *inputs.shape[1:]))
    return load_weights(model, weights)
