"""What every ImageNet-style family shares, tested once over tables of families rather than
copied into each family's module: ResNet, DenseNet, Xception, MobileNet and MobileNetV2, the
classic CNNs (small CNN, AlexNet, ZFNet, VGG, Network in Network), GoogLeNet and Inception v3.

MODELS drives the keras.applications-style arguments: the feature map or its pooling without
the top, odd sizes with 1, 3 or 4 channels, and the errors of bad arguments. TWINS, the models
with a keras.applications twin, drives their parameter counts and the errors of
`weights="imagenet"` (grey input, another class count, the file missing from the Keras cache)
and the loading of a stand-in file. What one family alone has (parity with keras.applications
layer by layer, hand-counted parameters, auxiliary heads, its blocks) stays in that family's
module."""

import re
from typing import NamedTuple

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import images, randomize, save_as_keras_imagenet_file
from zoo.models.vision._porting import port_weights


class Model(NamedTuple):
    name: str
    minimum: tuple        # its smallest (height, width)
    width: int            # the channels of its last feature map
    pooled: tuple         # an input (height, width) and its last feature map's, without top
    odd: tuple | None     # the same at odd sizes; None: tested in the family's module
    foreign: tuple        # another family's (argument, value, what the error lists allowed)
    imagenet: str | None = None    # why weights="imagenet" is refused; None: it is in TWINS
    top: dict = {}                 # options of the top in the odd-size test
    headless_params: int | None = None  # the parameters without the top, where counted


# A family keras.applications has no weights for.
NO_WEIGHTS = r"weights='imagenet' is not available for this model"
DENSE_TOP = {"fc_units": 32}  # a narrow dense top, for speed
RESNET = ("width", 2, "depth.*version")
VGG = ("width", 2, "depth.*fc_units")


def vgg_refusal(name):
    return rf"weights='imagenet' is not available for {name}; .*vgg16, vgg19"


MODELS = [
    # Odd sizes: every stride rounds up (45 -> 23 -> 12 -> 6 -> 3 -> 2), and the shortcut and
    # residual branches must round alike.
    Model("resnet18", (32, 32), 512, ((64, 64), (2, 2)), ((45, 61), (2, 2)), RESNET,
          imagenet=r"not available for resnet18; .*resnet50, resnet101"),
    Model("resnet50", (32, 32), 2048, ((64, 64), (2, 2)), ((45, 61), (2, 2)), RESNET),
    Model("resnet50_v2", (32, 32), 2048, ((64, 64), (2, 2)), ((45, 61), (2, 2)), RESNET),
    # 45 x 61 -> 23 x 31 (conv1) -> 12 x 16 (pool1) -> 6 x 8 -> 3 x 4 -> 1 x 2
    Model("densenet121", (32, 32), 1024, ((64, 64), (2, 2)), ((45, 61), (1, 2)),
          ("growth_rate", 12, "depth")),
    # 75 x 90 -> 37 x 44 -> 35 x 42, then four "same" halvings: 18 x 21, 9 x 11, 5 x 6, 3 x 3
    Model("xception", (71, 71), 2048, ((71, 71), (3, 3)), ((75, 90), (3, 3)),
          ("depth", 41, "input_shape")),
    # Five halvings of 45 x 61. MobileNetV2 rounds up ("same" padding): 23 x 31, 12 x 16,
    # 6 x 8, 3 x 4, 2 x 2. MobileNet's stem does too (23 x 31), but its strided blocks pad only
    # the bottom and right, which rounds odd sizes down: 11 x 15, 5 x 7, 2 x 3, 1 x 1.
    Model("mobilenet", (32, 32), 1024, ((64, 64), (2, 2)), ((45, 61), (1, 1)),
          ("version", 2, "alpha")),
    Model("mobilenet_v2", (32, 32), 1280, ((64, 64), (2, 2)), ((45, 61), (2, 2)),
          ("depth_multiplier", 2, "alpha")),
    # (33 - 2) // 2 = 15, (15 - 2) // 2 = 6
    Model("small_cnn", (10, 10), 64, ((64, 64), (14, 14)), ((33, 21), (6, 3)),
          ("depth", 3, "filters.*units"), imagenet=NO_WEIGHTS),
    # conv1 24, 16; pools 12, 8 -> 6, 4 -> 3, 2
    Model("alexnet", (35, 35), 256, ((64, 64), (1, 1)), ((99, 70), (3, 2)),
          ("depth", 8, "lrn.*batch_norm"), imagenet=NO_WEIGHTS, top=DENSE_TOP),
    # conv1 48, 33; 24, 16; conv2 10, 6; 5, 3; 2, 1
    Model("zfnet", (47, 47), 256, ((64, 64), (1, 1)), ((99, 70), (2, 1)),
          ("depth", 8, "lrn.*batch_norm"), imagenet=NO_WEIGHTS, top=DENSE_TOP),
    # VGG: five halvings, rounded down (70 -> 2, 45 -> 1; 33 -> 1, 64 -> 2).
    Model("vgg11", (32, 32), 512, ((64, 64), (2, 2)), ((70, 45), (2, 1)), VGG,
          imagenet=vgg_refusal("vgg11"), top=DENSE_TOP),
    Model("vgg16", (32, 32), 512, ((64, 64), (2, 2)), ((70, 45), (2, 1)), VGG, top=DENSE_TOP),
    Model("vgg13_bn", (32, 32), 512, ((64, 64), (2, 2)), ((33, 64), (1, 2)), VGG,
          imagenet=vgg_refusal("vgg13_bn"), top=DENSE_TOP),
    Model("vgg16_bn", (32, 32), 512, ((64, 64), (2, 2)), ((33, 64), (1, 2)), VGG,
          imagenet=vgg_refusal("vgg16_bn"), top=DENSE_TOP),
    # 31 -> 15 -> 7, 18 -> 9 -> 4 (ceil mode)
    Model("nin", (4, 4), 192, ((64, 64), (16, 16)), ((31, 18), (7, 4)),
          ("fc_units", 10, "dropout"), imagenet=NO_WEIGHTS),
    # GoogLeNet's sizes and channels, with and without its auxiliary heads: test_inception.
    # Its top is the 1024 -> 1000 classifier: 1,025,000 of its 6,998,552 parameters.
    Model("googlenet", (32, 32), 1024, ((224, 224), (7, 7)), None,
          ("depth", 22, "aux_logits"), imagenet=NO_WEIGHTS,
          headless_params=6_998_552 - 1024 * 1000 - 1000),
    # 75 (the minimum) -> 37 -> 35 -> 17 -> 15 -> 7 -> 3 (mixed3) -> 1 (mixed8);
    # 120 -> 59 -> 57 -> 28 -> 26 -> 12 -> 5 -> 2
    Model("inception_v3", (75, 75), 2048, ((75, 75), (1, 1)), ((75, 120), (1, 2)),
          ("aux_logits", True, "input_shape"),
          headless_params=23_851_784 - 2048 * 1000 - 1000),
]


def models(column):
    """The rows of MODELS that have `column`, as parameters named after the model."""
    return [pytest.param(row, id=row.name) for row in MODELS
            if getattr(row, column) is not None]


class Twin(NamedTuple):
    name: str
    application: str    # the keras.applications class with the same layers
    files: tuple        # keras' ImageNet weight files: with the top, without
    top: tuple          # the input (height, width) of the file with the top
    headless: tuple     # a small input (height, width) for the file without the top
    params: int | None = None  # the parameter count with the 1000-class top, where pinned
    grey_top: str = r"must have 3 channels"  # the error for a grey input with the top


def keras_files(stem):
    return (f"{stem}_weights_tf_dim_ordering_tf_kernels.h5",
            f"{stem}_weights_tf_dim_ordering_tf_kernels_notop.h5")


MOBILENET_V2 = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
TWINS = [
    Twin("resnet50", "ResNet50", keras_files("resnet50"), (224, 224), (32, 32),
         params=25_636_712),
    Twin("resnet101", "ResNet101", keras_files("resnet101"), (224, 224), (32, 32)),
    Twin("resnet152", "ResNet152", keras_files("resnet152"), (224, 224), (32, 32)),
    Twin("resnet50_v2", "ResNet50V2", keras_files("resnet50v2"), (224, 224), (32, 32),
         params=25_613_800),
    Twin("resnet101_v2", "ResNet101V2", keras_files("resnet101v2"), (224, 224), (32, 32)),
    Twin("resnet152_v2", "ResNet152V2", keras_files("resnet152v2"), (224, 224), (32, 32)),
    Twin("densenet121", "DenseNet121", keras_files("densenet121"), (224, 224), (32, 32),
         params=8_062_504),
    Twin("densenet169", "DenseNet169", keras_files("densenet169"), (224, 224), (32, 32)),
    Twin("densenet201", "DenseNet201", keras_files("densenet201"), (224, 224), (32, 32)),
    Twin("xception", "Xception", keras_files("xception"), (299, 299), (71, 71),
         params=22_910_480),
    # MobileNet's files are per width and input size (test_mobilenet): these are alpha 1.0's.
    Twin("mobilenet", "MobileNet", ("mobilenet_1_0_224_tf.h5", "mobilenet_1_0_128_tf_no_top.h5"),
         (224, 224), (128, 128), params=4_253_864),
    Twin("mobilenet_v2", "MobileNetV2", (f"{MOBILENET_V2}1.0_224.h5",
                                         f"{MOBILENET_V2}1.0_96_no_top.h5"),
         (224, 224), (96, 96), params=3_538_984),
    # VGG's flattened top fixes the input at 224x224x3 before the channels are looked at.
    Twin("vgg16", "VGG16", keras_files("vgg16"), (224, 224), (32, 32), params=138_357_544,
         grey_top=r"needs input_shape=\(224, 224, 3\)"),
    Twin("vgg19", "VGG19", keras_files("vgg19"), (224, 224), (32, 32), params=143_667_240,
         grey_top=r"needs input_shape=\(224, 224, 3\)"),
    Twin("inception_v3", "InceptionV3", keras_files("inception_v3"), (299, 299), (75, 75),
         params=23_851_784),
]
APPLICATIONS = {twin.name: twin.application for twin in TWINS}
TOPS = [pytest.param(True, id="top"), pytest.param(False, id="notop")]


def twins():
    return [pytest.param(twin, id=twin.name) for twin in TWINS]


def imagenet_input(twin, include_top, channels=3):
    return (*(twin.top if include_top else twin.headless), channels)


@pytest.fixture(autouse=True)
def keras_cache(tmp_path, monkeypatch):
    """An empty Keras cache, whatever this machine's holds."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path / "models"


# --- keras.applications-style arguments --------------------------------------------------


@pytest.mark.parametrize("model", models("pooled"))
@pytest.mark.parametrize("pooling", [None, "avg", "max"])
def test_without_top_the_output_is_the_feature_map_or_it_pooled(model, pooling):
    size, features = model.pooled
    shape = (*size, 3)
    network = zoo.get_model(model.name, input_shape=shape, include_top=False, pooling=pooling)
    assert network.output_shape == ((None, *features, model.width) if pooling is None
                                    else (None, model.width))
    assert not [layer for layer in network.layers if layer.name in ("fc1", "predictions")]
    if model.headless_params is not None:
        assert network.count_params() == model.headless_params
    if pooling == "max":
        maps = zoo.get_model(model.name, input_shape=shape, include_top=False)
        port_weights(network, maps)
        x = images(shape)
        np.testing.assert_allclose(network(x).numpy(), maps(x).numpy().max(axis=(1, 2)),
                                   rtol=1e-6)


@pytest.mark.parametrize("model", models("odd"))
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_any_size_above_the_minimum_and_1_3_or_4_channels(model, channels):
    size, features = model.odd
    shape = (*size, channels)
    network = zoo.get_model(model.name, input_shape=shape, num_classes=7, **model.top)
    y = network(images(shape)).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    backbone = zoo.get_model(model.name, input_shape=shape, include_top=False)
    assert backbone.output_shape == (None, *features, model.width)


# Bad values every family refuses alike, and the start of the error that names them.
BAD_VALUES = [
    ("pooling", "mean", "is not allowed"),
    ("include_top", "yes", "must be True or False"),
    ("include_top", "no", "must be True or False"),
    ("include_top", 1, "must be True or False"),
    ("num_classes", 0, "must be a positive integer"),
    ("num_classes", -3, "must be a positive integer"),
    ("classifier_activation", "relu", "is not allowed"),
    ("classifier_activation", "tanh", "is not allowed"),
    ("weights", "missing.weights.h5", "must be None or the path"),
]


def argument_errors():
    """(name, overrides, message) for each model: the bad values, an input one pixel under its
    minimum, 2 channels, another family's argument and, where keras has no ImageNet weights
    for it, weights="imagenet". The input is the minimum unless the case sets it."""
    for model in MODELS:
        height, width = model.minimum
        argument, value, allowed = model.foreign
        cases = [(f"{key}={bad}", {key: bad}, re.escape(f"{key}={bad!r} {what}"))
                 for key, bad, what in BAD_VALUES]
        cases += [
            ("too_small", {"input_shape": (height - 1, width, 3)},
             re.escape(f"input_shape={(height - 1, width, 3)} is smaller than the minimum "
                       f"{(height, width, 1)}")),
            ("2_channels", {"input_shape": (height, width, 2)},
             re.escape(f"input_shape={(height, width, 2)} has 2 channels; allowed: 1, 3, 4")),
            (argument, {argument: value},
             re.escape(f"{model.name} has no argument '{argument}'") + f".*allowed:.*{allowed}"),
        ]
        if model.imagenet is not None:
            cases.append(("imagenet", {"weights": "imagenet"}, model.imagenet))
        for case, overrides, message in cases:
            yield pytest.param(model.name, {"input_shape": (height, width, 3), **overrides},
                               message, id=f"{model.name}-{case}")


@pytest.mark.parametrize(("name", "overrides", "message"), argument_errors())
def test_bad_arguments_raise_value_errors_that_name_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


# Loading another network's file warns of the parts it skipped before it raises.
@pytest.mark.filterwarnings("ignore:Skipping nested container")
@pytest.mark.parametrize(("name", "options", "other"), [
    ("resnet18", {"input_shape": (32, 32, 1), "num_classes": 10}, None),
    ("googlenet", {"input_shape": (32, 32, 1), "num_classes": 10}, None),
    ("zfnet", {"input_shape": (64, 64, 1), "num_classes": 10, "fc_units": 32}, "alexnet"),
])
def test_a_weight_file_from_the_same_architecture_loads(name, options, other, tmp_path):
    source = zoo.get_model(name, **options)
    randomize(source)
    path = tmp_path / f"{name}.weights.h5"
    source.save_weights(path)
    model = zoo.get_model(name, weights=str(path), **options)
    x = images(options["input_shape"])
    np.testing.assert_array_equal(model(x).numpy(), source(x).numpy())
    if other is not None:  # and another network's file does not load
        with pytest.raises(ValueError, match=f"do not fit {other}"):
            zoo.get_model(other, weights=str(path), **options)


# --- keras.applications' twins and their ImageNet weights --------------------------------


@pytest.mark.parametrize("twin", twins())
def test_parameter_count_equals_keras_applications(twin):
    expected = getattr(keras.applications, twin.application)(weights=None).count_params()
    assert zoo.get_model(twin.name).count_params() == expected
    if twin.params is not None:
        assert expected == twin.params


@pytest.mark.parametrize("twin", twins())
@pytest.mark.parametrize("include_top", TOPS)
def test_imagenet_weights_need_rgb_input(twin, include_top):
    with pytest.raises(ValueError, match=twin.grey_top if include_top else "must have 3 channels"):
        zoo.get_model(twin.name, weights="imagenet", include_top=include_top,
                      input_shape=imagenet_input(twin, include_top, channels=1))


@pytest.mark.parametrize("twin", twins())
def test_imagenet_weights_with_the_top_need_1000_classes(twin):
    with pytest.raises(ValueError, match=r"num_classes=10 must be 1000"):
        zoo.get_model(twin.name, weights="imagenet", num_classes=10,
                      input_shape=imagenet_input(twin, include_top=True))


@pytest.mark.parametrize("twin", twins())
@pytest.mark.parametrize("include_top", TOPS)
def test_imagenet_weights_missing_from_the_keras_cache_name_keras_file_and_path(
        twin, include_top, keras_cache):
    filename = twin.files[0 if include_top else 1]
    message = f"weights='imagenet' needs {filename} in the Keras cache ({keras_cache / filename})"
    with pytest.raises(ValueError, match=re.escape(message)):
        zoo.get_model(twin.name, weights="imagenet", include_top=include_top,
                      input_shape=imagenet_input(twin, include_top))


def cached(name, filename, atol=1e-5, **options):
    return pytest.param(name, filename, options, atol, id=name)


@pytest.mark.parametrize(("name", "filename", "options", "atol"), [
    cached("resnet50", keras_files("resnet50")[1], include_top=False, input_shape=(40, 48, 3)),
    cached("resnet50_v2", keras_files("resnet50v2")[0], include_top=True,
           input_shape=(224, 224, 3)),
    cached("densenet121", keras_files("densenet121")[1], include_top=False,
           input_shape=(40, 48, 3)),
    cached("xception", keras_files("xception")[1], include_top=False, input_shape=(71, 80, 3)),
    cached("mobilenet", "mobilenet_5_0_128_tf.h5", alpha=0.5, include_top=True,
           input_shape=(128, 128, 3)),
    cached("mobilenet_v2", f"{MOBILENET_V2}0.35_96_no_top.h5", alpha=0.35, include_top=False,
           input_shape=(96, 96, 3)),
    cached("vgg16", keras_files("vgg16")[1], include_top=False, input_shape=(48, 40, 3)),
    # The deepest network, pooled: a looser tolerance.
    cached("inception_v3", keras_files("inception_v3")[1], atol=1e-4, include_top=False,
           input_shape=(75, 75, 3), pooling="avg"),
])
def test_imagenet_weights_from_the_keras_cache_give_keras_outputs(name, filename, options, atol,
                                                                  keras_cache):
    application = getattr(keras.applications, APPLICATIONS[name])
    source = save_as_keras_imagenet_file(application, keras_cache / filename, **options)
    model = zoo.get_model(name, weights="imagenet", **options)
    x = images(options["input_shape"], seed=2)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=atol)


# --- any image size: input_shape=(None, None, c) -------------------------------------------

# The families whose layers allow it (a top that pools globally, or no top). The rest keep a
# clear error: a flattened top, or Caffe-style pooling that pads by the map's known size.
ANY_SIZE = ("resnet18", "resnet50", "resnet50_v2", "densenet121", "xception", "mobilenet",
            "mobilenet_v2", "vgg11", "vgg16", "vgg13_bn", "vgg16_bn", "googlenet",
            "inception_v3")
FIXED_SIZE = {"small_cnn": "it is built for one image size",
              "alexnet": "Caffe-style pooling", "zfnet": "Caffe-style pooling",
              "nin": "Caffe-style pooling"}
FLATTENED_TOP = ("vgg11", "vgg16", "vgg13_bn", "vgg16_bn")


def test_every_family_says_whether_it_takes_any_size():
    assert set(ANY_SIZE) | set(FIXED_SIZE) == {row.name for row in MODELS}


@pytest.mark.parametrize("model", [pytest.param(row, id=row.name) for row in MODELS
                                   if row.name in ANY_SIZE])
def test_any_size_backbones_compute_what_the_fixed_size_ones_do(model):
    """Built with an unknown height and width, a backbone runs on several sizes, and at each
    it is the same function as the backbone built for that size (the same weights)."""
    backbone = zoo.get_model(model.name, input_shape=(None, None, 3), include_top=False)
    assert backbone.input_shape == (None, None, None, 3)
    for size, features in [model.pooled, *([model.odd] if model.odd else [])]:
        fixed = zoo.get_model(model.name, input_shape=(*size, 3), include_top=False)
        port_weights(fixed, backbone)
        x = images((*size, 3))
        maps = backbone(x).numpy()
        assert maps.shape == (2, *features, model.width)
        np.testing.assert_allclose(maps, fixed(x).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in ANY_SIZE if n not in FLATTENED_TOP])
def test_a_globally_pooled_top_takes_any_size_too(name):
    classifier = zoo.get_model(name, input_shape=(None, None, 1), num_classes=7)
    for size in ((96, 96), (80, 112)):
        assert classifier(images((*size, 1))).shape == (2, 7)


@pytest.mark.parametrize("name", [*FIXED_SIZE, *FLATTENED_TOP])
def test_a_model_built_for_one_size_refuses_an_unknown_size_and_says_why(name):
    reason = FIXED_SIZE.get(name, "include_top=True flattens")
    with pytest.raises(ValueError, match=re.escape(
            "input_shape=(None, None, 3): this model needs a known height and width (")
            + f".*{reason}"):
        zoo.get_model(name, input_shape=(None, None, 3))


@pytest.mark.parametrize(("shape", "message"), [
    ((None, None, 2), r"has 2 channels"),
    ((None, None, None), r"must be a tuple of positive integers \(or None for an image"),
    ((None, 16, 3), r"is smaller than the minimum \(32, 32, 1\)"),
    ((None, None), r"must have 3 dimensions"),
])
def test_an_unknown_size_still_checks_the_rest_of_the_shape(shape, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("resnet18", input_shape=shape, include_top=False)


@pytest.mark.parametrize(("name", "options", "size"), [
    ("resnet50", {}, (64, 96)),
    # keras pads MobileNetV2's strided blocks for an even size when the size is unknown, so
    # the two agree at even sizes (zoo's "same" padding also matches its own odd sizes).
    ("mobilenet_v2", {"alpha": 0.35}, (96, 128)),
])
def test_any_size_backbones_match_keras_applications_at_any_size(name, options, size):
    application = getattr(keras.applications, APPLICATIONS[name])
    source = application(weights=None, include_top=False, input_shape=(None, None, 3),
                         **options)
    model = zoo.get_model(name, input_shape=(None, None, 3), include_top=False, **options)
    randomize(source)
    port_weights(source, model)
    x = images((*size, 3), seed=3)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-4)


def test_imagenet_weights_load_into_an_any_size_backbone(keras_cache):
    filename = keras_files("resnet50")[1]
    source = save_as_keras_imagenet_file(keras.applications.ResNet50, keras_cache / filename,
                                         include_top=False, input_shape=(None, None, 3))
    model = zoo.get_model("resnet50", weights="imagenet", include_top=False,
                          input_shape=(None, None, 3))
    x = images((48, 72, 3), seed=4)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-5)


def test_an_any_size_classifier_serves_images_of_any_size(tmp_path):
    import tensorflow as tf

    model = zoo.get_model("resnet18", input_shape=(None, None, 3), num_classes=5)
    serve = tf.saved_model.load(str(zoo.export(model, root=tmp_path))).signatures[
        "serving_default"]
    for size in ((40, 40), (64, 48)):
        x = images((*size, 3))
        served = serve(image=tf.constant(x))["probabilities"].numpy()
        np.testing.assert_allclose(served, model(x).numpy(), rtol=1e-5, atol=1e-6)
