"""Small pieces every family's factory uses: the validated input and the classifier head."""

import os

from zoo import _validate
from zoo._lazy import keras

CLASSIFIER_ACTIVATIONS = (None, "softmax", "sigmoid", "linear")
POOLINGS = (None, "avg", "max")


def image_input(input_shape, *, min_size=(1, 1), name="image"):
    """A `keras.Input` for (height, width, channels) images no smaller than `min_size`."""
    input_shape = _validate.shape("input_shape", input_shape, rank=3, min_size=(*min_size, 1))
    return keras.Input(shape=input_shape, name=name)


def image_or_features_input(input_shape):
    """An image input for rank-3 shapes, a feature-vector input (named `features`) otherwise:
    the linear models and MLPs take either."""
    input_shape = _validate.shape("input_shape", input_shape)
    if len(input_shape) == 3:
        return image_input(input_shape)
    return keras.Input(shape=input_shape, name="features")


def check_classifier(num_classes, classifier_activation):
    _validate.positive_int("num_classes", num_classes)
    _validate.choice("classifier_activation", classifier_activation, CLASSIFIER_ACTIVATIONS)


def check_activation(activation):
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ValueError(
            f"activation={activation!r} is not a Keras activation (e.g. 'relu', 'tanh')."
        ) from None
    return activation


def load_weights(model, weights):
    """`weights=None` keeps the initialisation; a path loads a `.weights.h5` or `.keras` file
    saved from the same architecture."""
    if weights is None:
        return model
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(
            f"weights={weights!r} must be None or the path of an existing .weights.h5 or "
            ".keras file."
        )
    path = os.fspath(weights)
    if path.endswith(".keras"):
        source = keras.saving.load_model(path, compile=False)
        model.set_weights(source.get_weights())
    else:
        model.load_weights(path)
    return model
