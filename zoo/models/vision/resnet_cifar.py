"""The CIFAR residual networks ResNet-20/32/44/56/110 of He, Zhang, Ren and Sun (2016), "Deep
residual learning for image recognition", Section 4.2 and Table 6.

For small images the paper drops the ImageNet stem (7x7/2 convolution and max-pooling, which
would reduce a 28x28 image to 7x7 before the first block): one 3x3 convolution of 16 filters,
then three stacks of n basic blocks at 16, 32 and 64 filters on feature maps of the input's
size, a half and a quarter of it, global average pooling and a dense classifier; 6n + 2
weighted layers. Shortcuts are identities everywhere; where a stack halves the resolution and
doubles the width the identity is subsampled and zero-padded (the paper's option A), so all
the parameters are in the convolutions: 0.27M, 0.46M, 0.66M, 0.85M and 1.7M, as in Table 6.

On Fashion-MNIST the network runs on the 28x28 images as they are (28, 14, 7), where the
ImageNet-stem ResNet-18 needs them enlarged to 32x32 and sees 8x8 maps in its first stack.
The recipe trains with the paper's augmentation (`augment="crop_flip"`: pad, random crop,
left-right flip); Adam and halving the learning rate on plateaus replace the paper's SGD
schedule of 64k iterations, which is beyond a 2-core CPU.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_image_classifier,
    classifier_head,
    image_input,
    load_weights,
    recipe_only,
)
from zoo.models.vision.resnet import HE_2016
from zoo.registry import Recipe, register, search_space

FILTERS = (16, 32, 64)
# n of the paper's 6n + 2 layers: three stacks of n blocks, two 3x3 convolutions each.
BLOCKS = {20: 3, 32: 5, 44: 7, 56: 9, 110: 18}
# Two halvings (rounded up by the padded strided convolutions): 8 -> 4 -> 2 keeps a 2x2 map.
MIN_SIZE = (8, 8)

RECIPE = Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=30,
                batch_size=128, learning_rate=1e-3, dataset_options={"augment": "crop_flip"},
                model_options={"input_shape": (28, 28, 1), "num_classes": 10}, patience=6)
CARD = dict(family="resnet", task="image-classification", api="functional",
            input_shape=(32, 32, 3), input_name="image", dataset="fashion_mnist",
            num_classes=10, recipe=RECIPE, reference=HE_2016)


@search_space(recipe_only)
@register("resnet20", defaults={"depth": 20}, **CARD)
@register("resnet32", defaults={"depth": 32}, **CARD)
@register("resnet44", defaults={"depth": 44}, **CARD)
@register("resnet56", defaults={"depth": 56}, **CARD)
@register("resnet110", defaults={"depth": 110}, **CARD)
def resnet_cifar(input_shape=(32, 32, 3), num_classes=10, include_top=True, pooling=None,
                 classifier_activation="softmax", weights=None, depth=20, residual=True,
                 name=None):
    """A CIFAR ResNet of `depth` = 6n + 2 layers (20, 32, 44, 56 or 110): a 3x3 convolution,
    three stacks of n basic blocks at 16, 32 and 64 filters with zero-padded identity
    shortcuts, global average pooling and the classifier. `residual=False` drops every
    shortcut: the paper's plain network of the same depth (Section 4.2, Fig. 6, where the
    plain 56-layer network trains worse than the plain 20-layer one and ResNet-56 does not).
    `name` defaults to `resnet{depth}` (`plain{depth}`). `weights` is None or a weight file.
    """
    from zoo.layers.residual import (
        BN_EPSILON,
        FusedBatchNormalization,
        basic_block,
        residual_stack,
    )

    _validate.choice("depth", depth, BLOCKS)
    _validate.choice("residual", residual, (True, False))
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    x = keras.layers.Conv2D(FILTERS[0], 3, padding="same", use_bias=False,
                            name="conv1_conv")(inputs)
    x = FusedBatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    for index, (filters, stride) in enumerate(zip(FILTERS, (1, 2, 2), strict=True), start=2):
        x = residual_stack(x, basic_block, filters, BLOCKS[depth], stride=stride,
                           name=f"conv{index}", shortcut="zero_pad" if residual else "none")
    outputs = classifier_head(x, include_top=include_top, pooling=pooling,
                              num_classes=num_classes,
                              classifier_activation=classifier_activation)
    model = keras.Model(inputs, outputs,
                        name=name or f"{'resnet' if residual else 'plain'}{depth}")
    return load_weights(model, weights)
