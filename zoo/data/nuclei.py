"""Real cell nuclei for detection and segmentation: the fluorescence microscopy image and its
hand-drawn instance masks that StarDist ships (Schmidt, Weigert, Broaddus and Myers, 2018,
"Cell detection with star-convex polygons", MICCAI; a crop of the DSB 2018 nuclei data,
Caicedo et al. 2019, Nature Methods 16), cut into tiles.

The source is one 512x512 uint16 image (`stardist/data/images/img2d.tif`) and its 512x512
label image (`mask2d.tif`: 0 background, one number per nucleus, 125 nuclei), read by path from the
`stardist` package (installed with --no-deps: zoo never imports it). What zoo stores:

- the image scaled to uint8 between its 1st and 99.8th percentiles, as StarDist's own
  examples normalise it (`csbdeep.utils.normalize(img, 1, 99.8)`), clipped;
- tiles of `tile_size` pixels on a grid; the tiles of the first `train_columns` grid columns
  are "train", the rest "test", so the test tiles are a region the training tiles never
  touch (nuclei cut by the boundary between the two have a part in each);
- per tile, the same features as the canvases (`zoo.data.canvas`): the owner of each pixel
  (0 background, i + 1 the i-th nucleus of the tile, in label order), the class map (0
  background, 1 nucleus), and each nucleus' tight "xyxy" box with its class 0 ("nucleus").
  A nucleus cut by a tile's edge is the part inside the tile: its box and mask are that
  part's, exactly.

Many small, touching objects of one class in a real image (nuclei 3 to 38 pixels wide, 25
at the median; a fifth of the pixels), where the canvases hold a few separated items of 20
classes. 48 train / 16 test tiles of 64x64 by default, 1 to 7 nuclei (or parts) each. No
TensorFlow here: `zoo.data.tfds_store` writes the examples as a TFDS dataset once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from zoo import _validate
from zoo.data.canvas import tfds_boxes, tight_box
from zoo.data.sources import CorruptDatasetError, locate_package_files, read_image_file

PACKAGE, VERSION = "stardist", "0.9.2"
IMAGE_FILE, MASK_FILE = "stardist/data/images/img2d.tif", "stardist/data/images/mask2d.tif"
CLASS_NAMES = ("nucleus",)
# StarDist's normalisation: the 1st and 99.8th percentiles of the image map to 0 and 1.
PERCENTILES = (1.0, 99.8)


def read_source() -> tuple[np.ndarray, np.ndarray]:
    """The image and its label image as arrays, (height, width) each: uint16 intensities and
    nucleus numbers (0 background)."""
    image_path, mask_path = locate_package_files(
        PACKAGE, VERSION, (IMAGE_FILE, MASK_FILE), "the StarDist nuclei image and masks")
    image = read_image_file(image_path, kind="TIFF image")
    labels = read_image_file(mask_path, kind="TIFF image")
    if image.ndim != 2 or image.shape != labels.shape:
        raise CorruptDatasetError(
            f"{image_path} and {mask_path} must be two 2-D images of one size; they are "
            f"{image.shape} and {labels.shape}.")
    return image, labels


def to_uint8(image: np.ndarray) -> np.ndarray:
    """`image` scaled so its `PERCENTILES` become 0 and 255, clipped, as uint8."""
    low, high = np.percentile(image, PERCENTILES)
    scaled = (image.astype(np.float64) - low) / max(high - low, 1e-12)
    return np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class NucleiRecipe:
    """How zoo tiles the nuclei image into a TFDS dataset (the counterpart of
    `zoo.data.canvas.CanvasRecipe` for `zoo.data.tfds_store`). See the module docstring.
    `version` is the TFDS dataset version: bump it whenever the tiles change."""

    tile_size: int = 64
    train_columns: int = 6
    # The object slots of a padded detection batch (`zoo.data.detection_pipeline`): at least
    # the most nuclei (or parts) any tile holds, 7 for 64x64 tiles.
    max_objects: int = 16
    version: str = "1.0.0"
    features: Mapping = field(default_factory=lambda: {
        "image": "image", "instances": "mask", "segmentation": "mask",
        "objects": {"bbox": "bbox", "label": "class"}})
    source_size: int = 512  # the side of StarDist's image, which the grid must divide

    def __post_init__(self):
        _validate.positive_int("tile_size", self.tile_size)
        _validate.positive_int("max_objects", self.max_objects)
        if self.source_size % self.tile_size:
            raise ValueError(f"tile_size={self.tile_size!r} must divide the image's side "
                             f"({self.source_size}).")
        columns = self.source_size // self.tile_size
        if not 0 < _validate.positive_int("train_columns", self.train_columns) < columns:
            raise ValueError(f"train_columns={self.train_columns!r} must leave at least one "
                             f"of the {columns} grid columns for the test tiles.")

    @property
    def split_sizes(self) -> dict[str, int]:
        rows = self.source_size // self.tile_size
        return {"train": rows * self.train_columns,
                "test": rows * (rows - self.train_columns)}

    @property
    def origin(self) -> str:
        """The source, for people."""
        return (f"PyPI {PACKAGE} {VERSION}: {IMAGE_FILE} and {MASK_FILE}, tiled by "
                "zoo.data.nuclei")

    def examples(self) -> dict[str, Iterator[dict]]:
        """Every split's tiles as TFDS examples."""
        image, labels = read_source()
        if image.shape != (self.source_size, self.source_size):
            raise CorruptDatasetError(
                f"the StarDist image is {image.shape}; zoo tiles the "
                f"{self.source_size}x{self.source_size} image of {PACKAGE} {VERSION}.")
        image = to_uint8(image)
        return {split: self._split_examples(split, image, labels) for split in ("train", "test")}

    def _split_examples(self, split, image, labels) -> Iterator[dict]:
        side, grid = self.tile_size, self.source_size // self.tile_size
        columns = range(self.train_columns) if split == "train" else range(
            self.train_columns, grid)
        for row in range(grid):
            for column in columns:
                window = (slice(row * side, (row + 1) * side),
                          slice(column * side, (column + 1) * side))
                example = tile_example(image[window], labels[window])
                if len(example["objects"]["label"]) > self.max_objects:
                    raise ValueError(
                        f"the tile at row {row}, column {column} holds "
                        f"{len(example['objects']['label'])} nuclei, more than "
                        f"max_objects={self.max_objects}: raise max_objects.")
                yield example


def tile_example(image: np.ndarray, labels: np.ndarray) -> dict:
    """One tile as a TFDS example: the nuclei of `labels` (numbers, 0 background) renumbered
    1..n in label order as the owners, their class map and their tight boxes."""
    numbers = np.unique(labels[labels > 0])
    if len(numbers) > 254:  # the owner of a pixel is stored in one byte
        raise ValueError(f"a tile holds {len(numbers)} nuclei; at most 254 fit a uint8 mask: "
                         "choose a smaller tile_size.")
    owners = np.zeros(labels.shape, np.uint8)
    boxes = []
    for owner, number in enumerate(numbers, start=1):
        pixels = labels == number
        owners[pixels] = owner
        boxes.append(tight_box(pixels))
    return {"image": image[..., None], "instances": owners[..., None],
            "segmentation": (owners > 0).astype(np.uint8)[..., None],
            "objects": {"bbox": tfds_boxes(boxes, *labels.shape),
                        "label": np.zeros(len(numbers), np.int64)}}
