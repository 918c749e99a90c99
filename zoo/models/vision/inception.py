"""The Inception family: GoogLeNet (Inception v1) and Inception v3.

GoogLeNet (Szegedy et al. 2015, "Going deeper with convolutions") stacks nine Inception
modules with the paper's filter counts (table 1, inception 3a to 5b). It has no
keras.applications counterpart; it is built as the paper describes it, with these choices:

- Convolutions have biases and ReLU and no batch normalisation (the paper predates it).
- The two local response normalisation layers of the stem are omitted: Simonyan and
  Zisserman (2015, VGG) found LRN did not improve ILSVRC accuracy, Inception's successors
  replaced it with batch normalisation, and Keras has no LRN layer.
- Pooling uses "same" padding, which gives the paper's grid sizes (112, 56, 28, 14, 7 at
  224x224) and, for any input, ceil(size / stride).
- The final 7x7 average pooling is global average pooling, so any input size works.

With `aux_logits=True` the model also has the paper's two auxiliary classifiers (on the
outputs of inception 4a and 4d) and returns `[predictions, aux1, aux2]`. Train it as the paper
did, with the auxiliary losses weighted by 0.3::

    model = googlenet(aux_logits=True)
    loss = "sparse_categorical_crossentropy"
    model.compile("adam", loss={"predictions": loss, "aux1": loss, "aux2": loss},
                  loss_weights={"predictions": 1.0, "aux1": 0.3, "aux2": 0.3})
    model.fit(images, {"predictions": labels, "aux1": labels, "aux2": labels})

The paper discards the auxiliary heads at inference: use `model.predict(images)[0]`, or
`keras.Model(model.input, model.outputs[0])` for a single-output model with the same weights.

Inception v3 (Szegedy et al. 2016, "Rethinking the inception architecture for computer
vision") is keras.applications.InceptionV3 layer for layer: the same layers in the same
order, the same parameter count (23,851,784 with the 1000-class top), mixed0 ... mixed10
named as keras names them, and its ImageNet weights with `weights="imagenet"`. keras'
version has no auxiliary classifier, and neither has this one.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_image_classifier,
    classifier_head,
    fashion_mnist_recipe,
    image_input,
    imagenet_classifier_card,
    load_weights,
    recipe_only,
)
from zoo.models.vision._porting import check_imagenet_weights, load_imagenet_weights
from zoo.registry import Reference, register, search_space

# GoogLeNet's five stride-2 stages reduce the grid 32-fold: at 32x32 the last stage sees 1x1.
GOOGLENET_MIN_SIZE = (32, 32)
# The auxiliary heads pool 5x5 (valid, stride 3) the 16-fold reduced grid of inception
# 4a/4d, which is ceil(size / 16): it reaches 5 from a 65x65 input.
GOOGLENET_AUX_MIN_SIZE = (65, 65)
# keras.applications.InceptionV3's minimum: the valid-padded stem and grid reductions.
INCEPTION_V3_MIN_SIZE = (75, 75)

# Table 1 of Szegedy et al. 2015: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}

SZEGEDY_2015 = Reference(
    "Going deeper with convolutions",
    "Szegedy, C., Liu, W., Jia, Y., Sermanet, P., Reed, S., Anguelov, D., Erhan, D., "
    "Vanhoucke, V. and Rabinovich, A.", 2015, "https://arxiv.org/abs/1409.4842")
SZEGEDY_2016 = Reference(
    "Rethinking the inception architecture for computer vision",
    "Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J. and Wojna, Z.", 2016,
    "https://arxiv.org/abs/1512.00567")


def _fashion_mnist_recipe(size, epochs, batch_size):
    return fashion_mnist_recipe(size, epochs=epochs, batch_size=batch_size)


CARD = imagenet_classifier_card("inception", input_shape=None)


def _auxiliary_classifier(x, *, num_classes, classifier_activation, prefix, name):
    """GoogLeNet's auxiliary classifier (Szegedy et al. 2015, section 5): 5x5 average pooling
    with stride 3, a 128-filter 1x1 convolution, a 1024-unit dense layer, 70% dropout and a
    classifier. It adds gradient signal to the middle of the network during training."""
    x = keras.layers.AveragePooling2D(5, strides=3, name=f"{prefix}_ave_pool")(x)
    x = keras.layers.Conv2D(128, 1, activation="relu", name=f"{prefix}_conv")(x)
    x = keras.layers.Flatten(name=f"{prefix}_flatten")(x)
    x = keras.layers.Dense(1024, activation="relu", name=f"{prefix}_fc")(x)
    x = keras.layers.Dropout(0.7, name=f"{prefix}_drop_fc")(x)
    return keras.layers.Dense(num_classes, activation=classifier_activation, name=name)(x)


@search_space(recipe_only)
@register("googlenet", input_shape=(224, 224, 3), reference=SZEGEDY_2015,
          recipe=_fashion_mnist_recipe(32, epochs=10, batch_size=128), **CARD)
def googlenet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
              classifier_activation="softmax", weights=None, aux_logits=False,
              name="googlenet"):
    """GoogLeNet (Inception v1): a 7x7 stem, nine Inception modules and global pooling.

    `aux_logits=True` adds the two auxiliary classifiers and makes the model return
    `[predictions, aux1, aux2]` (needs `include_top=True` and at least a 65x65 input).
    `weights` is None or the path of a file saved from the same architecture: there are no
    published Keras ImageNet weights for GoogLeNet.
    """
    from zoo.layers.inception import inception_v1_module, relu_conv

    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    _validate.boolean("aux_logits", aux_logits)
    if aux_logits and not include_top:
        raise ValueError(
            "aux_logits=True adds classifiers, which needs include_top=True; "
            "got include_top=False.")
    inputs = image_input(
        input_shape, min_size=GOOGLENET_AUX_MIN_SIZE if aux_logits else GOOGLENET_MIN_SIZE,
        fixed_size="aux_logits=True flattens 4x4 maps into dense layers" if aux_logits else None)
    head = dict(num_classes=num_classes, classifier_activation=classifier_activation)

    x = relu_conv(inputs, 64, 7, strides=2, name="conv1_7x7_s2")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
    x = relu_conv(x, 64, 1, name="conv2_3x3_reduce")
    x = relu_conv(x, 192, 3, name="conv2_3x3")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    aux_outputs = []
    for module, filters in GOOGLENET_MODULES.items():
        if module in ("4a", "5a"):
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same",
                                          name=f"pool{module[0]}_3x3_s2")(x)
        x = inception_v1_module(x, *filters, name=f"inception_{module}")
        if aux_logits and module in ("4a", "4d"):
            index = len(aux_outputs) + 1
            aux_outputs.append(_auxiliary_classifier(
                x, **head, prefix=f"loss{index}", name=f"aux{index}"))
    # The paper's top: 7x7 average pooling, 40% dropout, a linear layer and softmax.
    x = classifier_head(x, include_top=include_top, pooling=pooling, dropout=0.4, **head)
    model = keras.Model(inputs, [x, *aux_outputs] if aux_logits else x, name=name)
    return load_weights(model, weights)


@search_space(recipe_only)
@register("inception_v3", input_shape=(299, 299, 3), reference=SZEGEDY_2016,
          recipe=_fashion_mnist_recipe(75, epochs=10, batch_size=64), **CARD)
def inception_v3(input_shape=(299, 299, 3), num_classes=1000, include_top=True, pooling=None,
                 classifier_activation="softmax", weights=None, name="inception_v3"):
    """Inception v3: a convolutional stem and eleven factorised Inception blocks
    (mixed0 ... mixed10), as keras.applications.InceptionV3.

    `weights="imagenet"` loads keras.applications' ImageNet weights from the Keras cache
    (3 channels; a 1000-class top when `include_top=True`); keras' preprocessing is
    `keras.applications.inception_v3.preprocess_input` (pixels scaled to [-1, 1]).
    """
    from zoo.layers.inception import (
        conv2d_bn,
        inception_v3_a,
        inception_v3_b,
        inception_v3_c,
        inception_v3_reduction_a,
        inception_v3_reduction_b,
    )

    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    inputs = image_input(input_shape, min_size=INCEPTION_V3_MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        imagenet_file = check_imagenet_weights(
            "inception_v3_weights_tf_dim_ordering_tf_kernels.h5" if include_top
            else "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            include_top=include_top, input_shape=inputs.shape[1:], num_classes=num_classes)

    # The stem, named as in the TF-slim model the ImageNet weights come from.
    x = conv2d_bn(inputs, 32, 3, strides=2, padding="valid", name="conv2d_1a_3x3")
    x = conv2d_bn(x, 32, 3, padding="valid", name="conv2d_2a_3x3")
    x = conv2d_bn(x, 64, 3, name="conv2d_2b_3x3")
    x = keras.layers.MaxPooling2D(3, strides=2, name="max_pool_3a_3x3")(x)
    x = conv2d_bn(x, 80, 1, padding="valid", name="conv2d_3b_1x1")
    x = conv2d_bn(x, 192, 3, padding="valid", name="conv2d_4a_3x3")
    x = keras.layers.MaxPooling2D(3, strides=2, name="max_pool_5a_3x3")(x)

    x = inception_v3_a(x, 32, name="mixed0")  # 35 x 35 x 256 at 299x299
    x = inception_v3_a(x, 64, name="mixed1")  # 35 x 35 x 288
    x = inception_v3_a(x, 64, name="mixed2")
    x = inception_v3_reduction_a(x, name="mixed3")  # 17 x 17 x 768
    for index, filters_7x7 in enumerate((128, 160, 160, 192)):
        x = inception_v3_b(x, filters_7x7, name=f"mixed{4 + index}")
    x = inception_v3_reduction_b(x, name="mixed8")  # 8 x 8 x 1280
    x = inception_v3_c(x, name="mixed9", split_name="mixed9_0")  # 8 x 8 x 2048
    x = inception_v3_c(x, name="mixed10", split_name="mixed9_1")

    x = classifier_head(x, include_top=include_top, pooling=pooling, num_classes=num_classes,
                        classifier_activation=classifier_activation)
    model = keras.Model(inputs, x, name=name)
    if weights == "imagenet":
        return load_imagenet_weights(model, keras.applications.InceptionV3, imagenet_file,
                                     include_top=include_top)
    return load_weights(model, weights)
