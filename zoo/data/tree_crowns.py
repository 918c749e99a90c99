"""Real tree crowns seen from the air, for detection: the four annotated RGB images that
DeepForest ships (Weinstein et al., 2019, "Individual tree-crown detection in RGB imagery
using semi-supervised deep learning neural networks", Remote Sensing 11; NEON airborne
orthophotos of Yellowstone, Ordway-Swisher and Soaproot Saddle at 10 cm a pixel), cut into
tiles.

The sources: 951 hand-drawn crown boxes in Pascal VOC XML beside their images, read by path
from the `deepforest` package (installed with --no-deps: zoo never imports it, nor its
PyTorch stack). Their boxes' coordinates are taken as pixel edges, "xyxy", as DeepForest
reads them, and clipped to the image. Every box is one class, "tree" (one image labels its
crowns "Alive" or "Dead"; DeepForest's detector, like this dataset, finds trees).

What zoo stores: tiles of `tile_size` pixels on each image's grid (a last partial row or
column is left out), the image's left columns "train" and its right `test_share` "test"
(at least one column each), so the test tiles are ground the training tiles never cover. A
crown cut by a tile's edge is kept, clipped, when at least `min_visible` of its box lies
inside the tile, and left out otherwise (a sliver of crown is not a tree to find). Boxes
are stored as TFDS's BBoxFeature keeps them. No masks: the sources draw boxes only.

120 train / 50 test tiles of 200x200 by default, 530 and 331 crowns (of the 951: the rest lie
in the strips left over or mostly across a tile's edge), 0 to 19 a tile, about 40 pixels
wide at the median.
"""

from __future__ import annotations

import functools
import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zoo import _validate
from zoo.data.canvas import tfds_boxes
from zoo.data.sources import CorruptDatasetError, locate_package_files, read_image_file

PACKAGE, VERSION = "deepforest", "2.1.0"
ANNOTATIONS = ("deepforest/data/2019_YELL_2_528000_4978000_image_crop2.xml",
               "deepforest/data/2019_YELL_2_541000_4977000_image_crop.xml",
               "deepforest/data/OSBS_029.xml", "deepforest/data/SOAP_061.xml")
CLASS_NAMES = ("tree",)


@dataclass(frozen=True)
class AnnotatedImage:
    name: str
    pixels: np.ndarray  # uint8 [height, width, 3]
    boxes: np.ndarray  # float32 [n, 4] "xyxy" pixel edges


def read_sources() -> list[AnnotatedImage]:
    """The annotated images, each with its boxes clipped to it."""
    images = []
    for annotation in locate_package_files(PACKAGE, VERSION, ANNOTATIONS,
                                           "DeepForest's annotated tree-crown images"):
        try:
            root = ElementTree.parse(annotation).getroot()
            filename = root.findtext("filename")
            boxes = [[float(o.find("bndbox").findtext(edge))
                      for edge in ("xmin", "ymin", "xmax", "ymax")] for o in root.iter("object")]
        except (ElementTree.ParseError, AttributeError, TypeError, ValueError) as error:
            raise CorruptDatasetError(f"{annotation} is not a Pascal VOC annotation with a "
                                      f"filename and numeric boxes: {error}") from None
        pixels = read_image_file(Path(annotation).with_name(filename or ""), "RGB")
        height, width = pixels.shape[:2]
        boxes = np.array(boxes, np.float32).reshape(-1, 4)
        boxes = np.clip(boxes, 0, [width, height, width, height]).astype(np.float32)
        images.append(AnnotatedImage(Path(filename).stem, pixels, boxes))
    return images


@dataclass(frozen=True)
class TreeCrownRecipe:
    """How zoo tiles DeepForest's images into a TFDS dataset (the counterpart of
    `zoo.data.canvas.CanvasRecipe` for `zoo.data.tfds_store`). See the module docstring.
    `version` is the TFDS dataset version: bump it whenever the tiles change."""

    tile_size: int = 200
    test_share: float = 0.25
    min_visible: float = 0.5
    # The object slots of a padded detection batch (`zoo.data.detection_pipeline`): at least
    # the most crowns any tile holds (19 for 200x200 tiles).
    max_objects: int = 24
    version: str = "1.0.0"
    features: Mapping = field(default_factory=lambda: {
        "image": "image", "objects": {"bbox": "bbox", "label": "class"}})

    def __post_init__(self):
        _validate.positive_int("tile_size", self.tile_size)
        _validate.positive_int("max_objects", self.max_objects)
        _validate.fraction("min_visible", self.min_visible)
        if not 0 < self.test_share < 1:
            raise ValueError(f"test_share={self.test_share!r} must be between 0 and 1.")

    @property
    def split_sizes(self) -> dict[str, int]:
        """Tiles per split, from the sources' sizes (read once)."""
        counts = {"train": 0, "test": 0}
        for source in _sources():
            rows, columns, train_columns = self.grid(source.pixels.shape[:2])
            counts["train"] += rows * train_columns
            counts["test"] += rows * (columns - train_columns)
        return counts

    @property
    def origin(self) -> str:
        """The sources, for people."""
        return (f"PyPI {PACKAGE} {VERSION}: the Pascal VOC boxes and images of "
                "deepforest/data/, tiled by zoo.data.tree_crowns")

    def grid(self, shape) -> tuple[int, int, int]:
        """(rows, columns, train columns) of an image of `shape` (height, width)."""
        rows, columns = shape[0] // self.tile_size, shape[1] // self.tile_size
        if min(rows, columns) < 1 or columns < 2:
            raise ValueError(f"tile_size={self.tile_size} leaves an image of {shape} without "
                             "two columns of tiles (one to train on, one to test on).")
        return rows, columns, min(max(1, math.floor(columns * (1 - self.test_share))),
                                  columns - 1)

    def examples(self) -> dict[str, Iterator[dict]]:
        """Every split's tiles as TFDS examples."""
        return {split: self._split_examples(split) for split in ("train", "test")}

    def _split_examples(self, split) -> Iterator[dict]:
        side = self.tile_size
        for source in _sources():
            rows, columns, train_columns = self.grid(source.pixels.shape[:2])
            chosen = range(train_columns) if split == "train" else range(train_columns,
                                                                          columns)
            for row in range(rows):
                for column in chosen:
                    window = (column * side, row * side, (column + 1) * side,
                              (row + 1) * side)
                    boxes = crowns_in(source.boxes, window, self.min_visible)
                    if len(boxes) > self.max_objects:
                        raise ValueError(
                            f"the tile at row {row}, column {column} of {source.name} holds "
                            f"{len(boxes)} crowns, more than max_objects={self.max_objects}: "
                            "raise max_objects.")
                    pixels = source.pixels[window[1]:window[3], window[0]:window[2]]
                    yield {"image": pixels,
                           "objects": {"bbox": tfds_boxes(boxes, side, side),
                                       "label": np.zeros(len(boxes), np.int64)}}


def crowns_in(boxes: np.ndarray, window, min_visible: float) -> np.ndarray:
    """The "xyxy" `boxes` that keep at least `min_visible` of their area inside `window`
    ("xyxy"), clipped to it and moved to its corner."""
    if not len(boxes):
        return boxes.reshape(0, 4)
    x1, y1, x2, y2 = window
    clipped = np.clip(boxes, [x1, y1, x1, y1], [x2, y2, x2, y2])
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    kept = (area > 0) & (inside >= min_visible * area)
    return (clipped[kept] - [x1, y1, x1, y1]).astype(np.float32)


@functools.cache
def _sources() -> tuple[AnnotatedImage, ...]:
    """`read_sources()`, read once per process (the largest image is 2299x2472)."""
    return tuple(read_sources())
