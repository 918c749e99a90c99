"""ResNet v1 and v2: parity with keras.applications, the hand-counted ResNet-18/34, the depth
and version arguments, the blocks and the errors users hit. What ResNet shares with the other
ImageNet-style families (pooling, odd sizes and channels, the common argument errors, ImageNet
weight files) is in test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_random_keras_weights_port
from zoo.layers import residual
from zoo.models.vision import resnet as resnet_module

KERAS_TWINS = [("resnet50", "ResNet50"), ("resnet101", "ResNet101"), ("resnet152", "ResNet152"),
               ("resnet50_v2", "ResNet50V2"), ("resnet101_v2", "ResNet101V2"),
               ("resnet152_v2", "ResNet152V2")]


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_random_keras_weights_port_and_give_keras_outputs(name, application):
    shape = (64, 64, 3)  # 2x2 after the stem and stacks: padding and strides matter
    assert_random_keras_weights_port(getattr(keras.applications, application), name, shape)


def test_layer_names_are_keras_applications_names():
    source = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3))
    model = zoo.get_model("resnet50_v2", input_shape=(32, 32, 3))
    ours = {layer.name for layer in model.layers} - {"image"}
    theirs = {layer.name for layer in source.layers[1:]}
    # keras leaves the subsampling shortcuts unnamed (max_pooling2d_N); zoo names them.
    assert sorted(ours - theirs) == ["conv2_block3_0_pool", "conv3_block4_0_pool",
                                     "conv4_block6_0_pool"]
    assert all(name.startswith("max_pooling2d") for name in theirs - ours)


# The count by hand. Convolutions have no bias; a batch normalization over c channels has 2c
# trainable weights (scale, offset) and 2c moving statistics, which torchvision does not count
# as parameters but Keras' count_params() does. A block's first conv takes c_in channels.
#                                                               ResNet-18       ResNet-34
#   stem   7*7*3*64 + 2*64                         =  9,536         9,536           9,536
#   conv2  block 2*(3*3*64*64) + 2*2*64            = 73,984     x2 147,968      x3 221,952
#   conv3  first 3*3*64*128 + 3*3*128*128 + 64*128 + 3*2*128 = 230,144
#          other 2*(3*3*128*128) + 2*2*128         = 295,424  +1x  525,568   +3x 1,116,416
#   conv4  first 3*3*128*256 + 3*3*256*256 + 128*256 + 3*2*256 = 919,040
#          other 2*(3*3*256*256) + 2*2*256         = 1,180,672 +1x 2,099,712 +5x 6,822,400
#   conv5  first 3*3*256*512 + 3*3*512*512 + 256*512 + 3*2*512 = 3,673,088
#          other 2*(3*3*512*512) + 2*2*512         = 4,720,640 +1x 8,393,728 +2x 13,114,368
#   top    512*1000 + 1000                         =               513,000         513,000
#   trainable (torchvision's resnet18 / resnet34)               11,689,512      21,797,672
#   BN channels 64 + blocks*2*c + the projections' c: ResNet-18 64 + 256 + 640 + 1,280 +
#   2,560 = 4,800; ResNet-34 64 + 384 + 1,152 + 3,328 + 3,584 = 8,512; moving statistics
#   twice that                                                        9,600          17,024
@pytest.mark.parametrize(("name", "trainable", "moving_statistics"), [
    ("resnet18", 11_689_512, 9_600),
    ("resnet34", 21_797_672, 17_024),
])
def test_resnet18_and_34_have_torchvision_parameter_counts(name, trainable, moving_statistics):
    model = zoo.get_model(name)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    assert model.count_params() == trainable + moving_statistics


def test_depth_and_version_overrides_name_the_model_after_its_registry_entry():
    assert zoo.get_model("resnet50", depth=101, input_shape=(32, 32, 3)).name == "resnet101"
    assert zoo.get_model("resnet50", version=2, input_shape=(32, 32, 3)).name == "resnet50_v2"
    assert resnet_module.resnet(depth=18, input_shape=(32, 32, 3), name="mine").name == "mine"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"depth": 20}, r"depth=20 is not allowed for version=1; choose one of \[18, 34, 50"),
    ({"depth": 18, "version": 2}, r"depth=18 is not allowed for version=2.*\[50, 101, 152\]"),
    ({"version": 3}, r"version=3 is not allowed; choose one of \[1, 2\]"),
    ({"depth": 34, "weights": "imagenet"},
     r"weights='imagenet' is not available for resnet34; .*resnet50, resnet101"),
])
def test_bad_arguments_raise_value_errors_that_name_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("resnet50", **overrides)


def test_blocks_use_identity_shortcuts_unless_the_shape_changes():
    inputs = keras.Input((8, 8, 64))
    same = keras.Model(inputs, residual.basic_block(inputs, 64, name="same"))
    wider = keras.Model(inputs, residual.basic_block(inputs, 128, name="wider"))
    strided = keras.Model(inputs, residual.preact_bottleneck_block(inputs, 16, stride=2,
                                                                    name="strided"))
    assert not any("_0_" in layer.name for layer in same.layers)
    assert "wider_0_conv" in [layer.name for layer in wider.layers]
    # 64 = 4 * 16 channels already: a strided pre-activation block only subsamples its input.
    assert [layer.name for layer in strided.layers if "_0_" in layer.name] == ["strided_0_pool"]
    assert wider.output_shape == (None, 8, 8, 128)
    assert strided.output_shape == (None, 4, 4, 64)


def test_a_pre_activation_stack_needs_two_blocks():
    with pytest.raises(ValueError, match="blocks=1 must be at least 2"):
        residual.preact_residual_stack(keras.Input((8, 8, 64)), 16, 1, name="short")
