"""Small pieces every family's factory uses: the validated input, the classifier head and
weight loading. Image classifiers follow keras.applications' arguments: `input_shape`,
`num_classes` (`classes`), `include_top`, `pooling`, `classifier_activation`, `weights`."""

import os

from zoo import _validate
from zoo._lazy import keras

CLASSIFIER_ACTIVATIONS = (None, "softmax", "sigmoid", "linear")
POOLINGS = (None, "avg", "max")
CHANNELS = (1, 3, 4)  # grey, RGB, RGB + alpha or near-infrared


def fashion_mnist_recipe(size, *, epochs=10, batch_size=128, learning_rate=1e-3,
                         **model_options):
    """The recipe that trains an ImageNet-sized architecture on Fashion-MNIST: images resized
    to `size` x `size`, one grey channel, ten classes (plus any architecture option, e.g. a
    narrower dense top)."""
    from zoo.registry import Recipe

    return Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                  epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                  dataset_options={"image_size": size},
                  model_options={"input_shape": (size, size, 1), "num_classes": 10,
                                 **model_options})


def imagenet_classifier_card(family, input_shape=(224, 224, 3), **card):
    """The `register` arguments every ImageNet-style classifier family shares: a Functional
    model, a 1000-class top at `input_shape` (None: given per variant), trained by its recipe
    on Fashion-MNIST."""
    shape = {} if input_shape is None else {"input_shape": input_shape}
    return dict(family=family, task="image-classification", api="functional", **shape,
                input_name="image", dataset="fashion_mnist", num_classes=1000, **card)


FIXED_SIZE = "it is built for one image size"


def image_input(input_shape, *, min_size=(1, 1), name="image", fixed_size: str | None = FIXED_SIZE):
    """A `keras.Input` for (height, width, channels) images no smaller than `min_size`, with
    1, 3 or 4 channels. With `fixed_size=None` the height and width may be None: a fully
    convolutional model (no top, or a top that pools globally) takes images of any size, as
    keras.applications does with `input_shape=(None, None, 3)`. Otherwise `fixed_size` says
    why this model needs them known, in the error a None gets."""
    if (fixed_size is not None and isinstance(input_shape, (tuple, list))
            and len(input_shape) == 3 and None in tuple(input_shape)[:2]):
        raise ValueError(
            f"input_shape={tuple(input_shape)!r}: this model needs a known height and width "
            f"({fixed_size})."
        )
    input_shape = _validate.shape("input_shape", input_shape, rank=3, min_size=(*min_size, 1),
                                  unknown_axes=() if fixed_size else (0, 1))
    if input_shape[-1] not in CHANNELS:
        raise ValueError(
            f"input_shape={input_shape!r} has {input_shape[-1]} channels; "
            f"allowed: {', '.join(map(str, CHANNELS))}."
        )
    return keras.Input(shape=input_shape, name=name)


def check_image_classifier(num_classes, include_top, pooling, classifier_activation,
                           weights=None, *, imagenet=False):
    """Validate the keras.applications-style arguments before anything is built. `imagenet`
    says whether the family has ImageNet weights at all (which of its members do is the
    family's own check)."""
    _validate.boolean("include_top", include_top)
    _validate.choice("pooling", pooling, POOLINGS)
    if include_top:
        check_classifier(num_classes, classifier_activation)
    check_weights(weights, imagenet=imagenet)


def check_weights(weights, *, imagenet=False):
    """`weights` is None, the path of an existing weight file, or "imagenet" where the family
    has ImageNet weights (keras.applications')."""
    if weights is None or (weights == "imagenet" and imagenet):
        return
    if weights == "imagenet":
        raise ValueError(
            "weights='imagenet' is not available for this model: zoo loads the ImageNet "
            "weights of keras.applications, which has none for it. Use weights=None or the "
            "path of a weight file."
        )
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(
            f"weights={weights!r} must be None or the path of an existing .weights.h5 or "
            ".keras file."
        )


def classifier_head(x, *, include_top, pooling, num_classes, classifier_activation,
                    dropout=0.0):
    """The usual top of a convolutional classifier: global average pooling and a dense
    `predictions` layer; without the top, the feature maps, or them pooled by `pooling`."""
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="top_dropout")(x)
        return keras.layers.Dense(num_classes, activation=classifier_activation,
                                  name="predictions")(x)
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


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
    """`activation` for a Keras layer: a Keras activation's name as it is, one of zoo's
    (`zoo.layers.activations`: "sign") as its function; else a ValueError naming it."""
    from zoo.layers import activations

    try:
        resolved = activations.get(activation)
    except ValueError:
        raise ValueError(
            f"activation={activation!r} is not a Keras activation (e.g. 'relu', 'tanh', "
            f"'leaky_relu', 'gelu') nor one of zoo's {sorted(activations.ZOO_ACTIVATIONS)}."
        ) from None
    return resolved if activation in activations.ZOO_ACTIVATIONS else activation


def check_initializer(initializer):
    """None (the layer's default) or a Keras initialiser's name or instance; else a
    ValueError naming it."""
    if initializer is None:
        return None
    try:
        keras.initializers.get(initializer)
    except ValueError:
        raise ValueError(
            f"kernel_initializer={initializer!r} is not a Keras initialiser (e.g. "
            "'glorot_uniform', 'he_normal', 'lecun_normal', 'zeros')."
        ) from None
    return initializer


def produces_probabilities(model) -> bool:
    """Whether a classifier's output is already a probability distribution (a softmax or
    sigmoid last layer, an ensemble of such models, a vote) rather than logits. Trailing
    linear `Activation` layers change no value (mixed precision's cast of the outputs to
    float32 is one), so the layer before them decides."""
    layers = list(model.layers)
    while len(layers) > 1 and isinstance(layers[-1], keras.layers.Activation) and \
            layers[-1].activation is keras.activations.linear:
        layers.pop()
    layer = layers[-1] if layers else None
    if isinstance(layer, keras.Model):
        return produces_probabilities(layer)
    if type(layer).__name__ == "MajorityVote":
        return True
    if isinstance(layer, keras.layers.Average):
        members = [m for m in model.layers if isinstance(m, keras.Model)]
        return bool(members) and all(produces_probabilities(m) for m in members)
    activation = getattr(layer, "activation", None)
    return activation in (keras.activations.softmax, keras.activations.sigmoid)


def load_weights(model, weights):
    """`weights=None` keeps the initialisation; a path loads a `.weights.h5` or `.keras` file
    saved from the same architecture. A file whose shapes differ (another channel count, other
    classes) raises a ValueError that names the first layer that differs."""
    if weights is None:
        return model
    check_weights(weights)
    path = os.fspath(weights)
    if path.endswith(".keras"):
        from zoo.models.vision._porting import port_weights

        port_weights(keras.saving.load_model(path, compile=False), model)
        return model
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(f"weights={path!r} do not fit {model.name}: {error}") from None
    return model


def recipe_only(hp) -> dict:
    """The search space of an architecture fixed by its paper or its definition (depth and
    widths are the registered variant's, as in ResNet-50 or DenseNet-121, or there are none):
    nothing of the model is searched, only the recipe's learning rate, which `zoo.tune` adds
    to every space."""
    del hp
    return {}


def scaled_widths(widths, factor) -> tuple:
    """Each of `widths` times `factor`, rounded (at least 1): a search space's width multiplier
    applied to a factory's default layer widths, keeping their number and proportions."""
    return tuple(max(1, round(width * factor)) for width in widths)
