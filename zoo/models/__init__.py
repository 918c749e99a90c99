"""Model families, grouped by domain: `basics/` (perceptron, linear and logistic regression,
MLP, ensembles), `vision/` (the image classifiers), `text/` (text classifiers, language
models, seq2seq), `sequence/` (forecasters, memory networks), `generative/` (autoencoders),
`detection/` (RetinaNet, YOLO, Faster R-CNN, Mask R-CNN), and the domains that follow. Each
domain holds one public module per family.

Importing this package imports every public module of every domain, which registers its
factories; no TensorFlow is imported (factories reach Keras through `zoo._lazy`). Modules
whose names start with "_" hold Keras classes or helpers and are imported only when a model
needs them.
"""

import importlib
import pkgutil

DOMAINS = tuple(
    info.name for info in pkgutil.iter_modules(__path__)
    if info.ispkg and not info.name.startswith("_")
)


def _public_modules(package: str, path) -> list[str]:
    return sorted(f"{package}.{info.name}" for info in pkgutil.iter_modules(path)
                  if not info.name.startswith("_"))


FAMILIES: list[str] = []
for _domain in DOMAINS:
    _package = importlib.import_module(f"{__name__}.{_domain}")
    for _module in _public_modules(_package.__name__, _package.__path__):
        importlib.import_module(_module)
        FAMILIES.append(_module.rsplit(".", 1)[1])
FAMILIES.sort()

# Modules that define Keras classes (custom layers, losses, subclassed models). Keras must
# have seen them before it can load a `.keras` file or SavedModel that uses them. Every module
# of zoo.layers is among them.
# (tests/test_export.py checks that every module registering one is here.)
KERAS_CLASS_MODULES = ("zoo.objectives", "zoo.hub", "zoo.models.vision._lenet_subclass",
                       "zoo.text.word2vec", "zoo.text.pretraining", "zoo.text.language_model",
                       "zoo.text.seq2seq", "zoo.generative.vae", "zoo.generative.rbm",
                       "zoo.generative.gan", "zoo.generative.dbn",
                       "zoo.generative.pix2pix", "zoo.generative.cyclegan",
                       "zoo.generative.anogan", "zoo.detection.pyramid",
                       "zoo.detection.single_shot", "zoo.detection.yolo",
                       "zoo.detection.two_stage", "zoo.detection.mask_rcnn",
                       "zoo.segmentation.layers",
                       "zoo.train.schedules", "zoo.train.calibration", "zoo.rl.optimizers")


def import_keras_classes() -> None:
    import zoo.layers

    for info in pkgutil.iter_modules(zoo.layers.__path__):
        importlib.import_module(f"zoo.layers.{info.name}")
    for module in KERAS_CLASS_MODULES:
        importlib.import_module(module)
