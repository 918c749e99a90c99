"""The small convolutional network of introductory deep-learning lectures: two convolution
and max-pooling stages, a hidden dense layer and a softmax, as a `keras.Sequential` stack.

It is the CNN of LeCun, Bottou, Bengio and Haffner (1998), "Gradient-based learning applied
to document recognition" (local receptive fields, shared weights, subsampling, then fully
connected layers), with today's defaults: 3x3 ReLU convolutions of 32 and 64 filters, 2x2
max-pooling, a 128-unit dense layer with dropout, and a softmax over the classes (the
Keras "simple MNIST convnet" example has the same shape).
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_image_classifier, image_input, load_weights, scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

# Two "valid" 3x3 convolutions (-2 each) and two 2x2 poolings (halving, rounded down):
# 10 -> 8 -> 4 -> 2 -> 1, while 9 -> 7 -> 3 -> 1 leaves nothing for the second pooling.
MIN_SIZE = (10, 10)

LECUN_1998 = Reference("Gradient-based learning applied to document recognition",
                       "LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P.", 1998,
                       "https://doi.org/10.1109/5.726791")


def small_cnn_layers(filters, units, dropout, num_classes, include_top, pooling,
                     classifier_activation):
    """The layers in order: conv1, pool1, conv2, pool2, then the dense top (or pooling)."""
    layers = []
    for index, width in enumerate(filters, start=1):
        layers += [keras.layers.Conv2D(width, 3, activation="relu", name=f"conv{index}"),
                   keras.layers.MaxPooling2D(2, name=f"pool{index}")]
    if include_top:
        layers += [keras.layers.Flatten(name="flatten"),
                   keras.layers.Dense(units, activation="relu", name="fc1")]
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name="fc1_dropout"))
        layers.append(keras.layers.Dense(num_classes, activation=classifier_activation,
                                         name="predictions"))
    elif pooling == "avg":
        layers.append(keras.layers.GlobalAveragePooling2D(name="avg_pool"))
    elif pooling == "max":
        layers.append(keras.layers.GlobalMaxPooling2D(name="max_pool"))
    return layers


def small_cnn_space(hp) -> dict:
    """The convolutions' width (their 32-64 filters scaled), the dense layer's units and
    the dropout after it: the capacity and regularisation knobs of a small convnet
    (Goodfellow, Bengio and Courville, Deep Learning, 2016, section 11.4)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"filters": scaled_widths((32, 64), width),
            "units": hp.Choice("units", [64, 128, 256], default=128),
            "dropout": hp.Float("dropout", 0.0, 0.6, step=0.1, default=0.5)}


@search_space(small_cnn_space)
@register("small_cnn", family="small_cnn", task="image-classification", api="sequential",
          input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist", num_classes=10,
          recipe=Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                        epochs=10, batch_size=128),
          reference=LECUN_1998)
def small_cnn(input_shape=(28, 28, 1), num_classes=10, include_top=True, pooling=None,
              classifier_activation="softmax", weights=None, filters=(32, 64), units=128,
              dropout=0.5, name="small_cnn"):
    """A small CNN: conv, pool, conv, pool, dense, softmax, built as a `keras.Sequential`.

    `filters` are the widths of the two 3x3 convolutions, `units` the width of the hidden
    dense layer, `dropout` the rate after it (0 for none). `weights` is None or a weight file.
    """
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    filters = _validate.widths("filters", filters)
    if len(filters) != 2:
        raise ValueError(f"filters={filters!r} must give the widths of the 2 convolutions.")
    _validate.positive_int("units", units)
    dropout = _validate.fraction("dropout", dropout)
    inputs = image_input(input_shape, min_size=MIN_SIZE)
    layers = small_cnn_layers(filters, units, dropout, num_classes, include_top, pooling,
                              classifier_activation)
    return load_weights(keras.Sequential([inputs, *layers], name=name), weights)
