"""Canvases for detection and segmentation, composed from real Fashion-MNIST items and MNIST
digits pasted at random sizes and places, with exact boxes, instance masks and class maps.

What a canvas is (`CanvasRecipe` holds the numbers; these are its defaults):

- a grey uint8 image of 128x128 black pixels with 0 to 6 objects (the count drawn uniformly,
  so about one canvas in seven is empty);
- each object one real 28x28 image, a Fashion-MNIST item (Xiao, Rasul and Vollgraf, 2017,
  arXiv:1708.07747) or an MNIST digit (LeCun, Bottou, Bengio and Haffner, 1998), either with
  probability 1/2, resized to a side of 14 to 56 pixels (log-uniform, so each octave of
  scale is as common, as anchors per octave expect) by a bilinear filter widened when
  shrinking (`resize`);
- 20 classes: the ten Fashion-MNIST names (labels 0-9) and "digit 0".."digit 9" (labels
  10-19). Both sources together give small, thin and large, solid objects; the digit
  classes are why left-right flips are not label-preserving here (a mirrored 2 is not a 2).

An object's pixels are the pixels of its resized image brighter than `FOREGROUND_THRESHOLD`:
that is what is pasted; the darker ones are transparent. Pasting is opaque and in order, so
a later object occludes an earlier one wherever its own pixels are. Its *instance mask* is
the pixels it still owns on the finished canvas, its *box* the tight box of its pixels as
pasted, "xyxy" in pixel edges (x_min, y_min, x_max, y_max) = (first column, first row, last
column + 1, last row + 1), the COCO convention. Two rules keep every object identifiable and
its box exact: a new object's box has IoU at most 0.3 with every box placed before it, and
it may neither cover more than half of an earlier object's pixels nor all of its pixels in
the first or last row or column of its box. So the tight box of each instance mask *is* the
object's box, and the canvas is nonzero exactly where some object owns the pixel. (A
placement is drawn again when it breaks a rule; after 20 draws the object is left out, which
is rare: a few of the full build's 24,000 objects.)

Sources never leak across splits: the canvases of "train" take their objects from the
sources' training splits and those of "test" from their test splits, each source image at
most once per split (drawn without replacement), so a validation set carved from "train"
shares no source image with the rest of it either. Every object records its
`source_index` in its source's split, and its `size` (the pasted side of the 28x28 square),
so anyone can re-render it. The same recipe and seed give the same canvases.

No TensorFlow here: `zoo.data.tfds_store` writes the examples as a TFDS dataset once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from zoo import _validate

# Fashion-MNIST's background holds faint noise (most nonzero background pixels are 1-4 of
# 255) and a bilinear resize leaves a faint fringe; 16 cuts both while hardly opening holes
# inside items.
FOREGROUND_THRESHOLD = 16
# The catalog name of each source and the label of its class 0.
SOURCES = (("fashion_mnist", 0), ("mnist", 10))
# Each canvas split: its random stream of the seed, and its source split's place in what the
# readers return, ((x_train, y_train), (x_test, y_test)).
SPLIT_NUMBERS = {"train": 0, "test": 1}


def resampling_matrix(source: int, target: int) -> np.ndarray:
    """The [target, source] weights of a bilinear (triangle) filter from `source` pixels to
    `target` pixels, pixel centres aligned at (i + 0.5) * source / target. When shrinking,
    the triangle is widened by source / target, so every source pixel counts (antialiasing,
    as Pillow's BILINEAR and `tf.image.resize(..., antialias=True)` do)."""
    ratio = source / target
    support = max(ratio, 1.0)
    centres = (np.arange(target) + 0.5) * ratio - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(np.arange(source)[None, :] - centres[:, None])
                         / support)
    return weights / weights.sum(axis=1, keepdims=True)


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """A uint8 (height, width) image resized to (size, size) by `resampling_matrix`."""
    rows = resampling_matrix(image.shape[0], size)
    columns = resampling_matrix(image.shape[1], size)
    resized = rows @ image.astype(np.float64) @ columns.T
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def box_iou(box, boxes: np.ndarray) -> np.ndarray:
    """IoU of one "xyxy" box with each of `boxes` [n, 4]: `zoo.detection.boxes.iou` in numpy
    (a test checks they agree), because placing tens of thousands of objects one TensorFlow
    op at a time would take longer than composing the canvases."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    intersection = np.maximum(0, x2 - x1) * np.maximum(0, y2 - y1)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    own = (box[2] - box[0]) * (box[3] - box[1])
    return intersection / (own + areas - intersection)


def tight_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The "xyxy" pixel-edge box of a boolean mask's True pixels; None when there are none."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1


def tfds_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """"xyxy" pixel boxes [n, 4] as TFDS's BBoxFeature keeps them: fractions of the image's
    sides, (ymin, xmin, ymax, xmax)."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return boxes[:, [1, 0, 3, 2]] / np.array([height, width, height, width], np.float32)


class _Pool:
    """The images of one source split in a fixed random order, each handed out once; those
    whose index is in `exclude` never."""

    def __init__(self, name, images, labels, first_label, rng, exclude=()):
        self.name, self.images, self.labels, self.first_label = name, images, labels, first_label
        if len(exclude):
            self.order = rng.permutation(np.setdiff1d(np.arange(len(images)), exclude))
        else:  # the stored builds' draw, kept as it was so that they stay the same canvases
            self.order = rng.permutation(len(images))
        self.next = 0

    def take(self, split):
        if self.next == len(self.order):
            raise ValueError(f"the {split} canvases need more than the {len(self.order):,} "
                             f"images of {self.name}'s {split} split, each used once; ask "
                             "for fewer canvases.")
        index = int(self.order[self.next])
        self.next += 1
        return self.images[index], int(self.labels[index]) + self.first_label, index


@dataclass(frozen=True)
class CanvasRecipe:
    """How zoo composes the canvases and builds them into a TFDS dataset (the counterpart of
    `zoo.data.corpora.Corpus` for `zoo.data.tfds_store`). See the module docstring.

    `split_sizes` are the canvases per stored split ("train", from which zoo carves
    "validation", and "test"). `version` is the TFDS dataset version: bump it whenever the
    canvases change.
    """

    canvas_size: int = 128
    max_objects: int = 6
    object_sizes: tuple[int, int] = (14, 56)
    max_iou: float = 0.3
    min_visible: float = 0.5
    split_sizes: Mapping[str, int] = field(
        default_factory=lambda: {"train": 7000, "test": 1000})
    seed: int = 1234
    placement_tries: int = 20
    version: str = "1.0.0"
    # What TFDS stores (`zoo.data.tfds_store` makes the features): the canvas, the owner of
    # each pixel (0 background, i + 1 the i-th object), the class map (0 background, k + 1
    # class k) and the objects, their boxes as TFDS's BBoxFeature keeps them (fractions of
    # the side, ymin, xmin, ymax, xmax).
    features: Mapping = field(default_factory=lambda: {
        "image": "image", "instances": "mask", "segmentation": "mask",
        "objects": {"bbox": "bbox", "label": "class", "source_index": "int32",
                    "size": "int32"}})

    def __post_init__(self):
        _validate.positive_int("canvas_size", self.canvas_size)
        _validate.positive_int("max_objects", self.max_objects)
        if self.max_objects > 254:  # the owner of a pixel is stored in one byte
            raise ValueError(f"max_objects={self.max_objects!r} must be at most 254.")
        sizes = _validate.widths("object_sizes", self.object_sizes)
        if len(sizes) != 2 or not sizes[0] <= sizes[1] <= self.canvas_size:
            raise ValueError(f"object_sizes={self.object_sizes!r} must be the (smallest, "
                             f"largest) side, smallest <= largest <= canvas_size "
                             f"({self.canvas_size}).")
        _validate.fraction("max_iou", self.max_iou)
        _validate.fraction("min_visible", self.min_visible)
        _validate.positive_int("placement_tries", self.placement_tries)
        if set(self.split_sizes) != set(SPLIT_NUMBERS):
            raise ValueError(f"split_sizes={dict(self.split_sizes)!r} must give the canvases "
                             f"of the splits {sorted(SPLIT_NUMBERS)}.")
        for split, count in self.split_sizes.items():
            _validate.positive_int(f"split_sizes[{split!r}]", count)

    @property
    def origin(self) -> str:
        """The sources, for people."""
        return ("real Fashion-MNIST items and MNIST digits (zoo's fashion_mnist and mnist "
                "readers), composed by zoo.data.canvas")

    def examples(self) -> dict[str, Iterator[dict]]:
        """Every split's canvases as TFDS examples, composed lazily (one canvas at a time)."""
        from zoo.data.pipeline import _read  # the readers' arrays, read once per process

        sources = {name: _read(name) for name, _ in SOURCES}
        return {split: self._split_examples(split, sources) for split in SPLIT_NUMBERS}

    def _split_examples(self, split, sources) -> Iterator[dict]:
        rng = np.random.default_rng([self.seed, SPLIT_NUMBERS[split]])
        pools = [_Pool(name, *sources[name][SPLIT_NUMBERS[split]], first_label, rng)
                 for name, first_label in SOURCES]
        side = self.canvas_size
        for _ in range(self.split_sizes[split]):
            image, instances, objects = compose_canvas(self, pools, rng, split)
            boxes = np.array([o["box"] for o in objects], np.float32).reshape(-1, 4)
            labels = np.array([o["label"] for o in objects], np.int64)
            yield {"image": image[..., None], "instances": instances[..., None],
                   "segmentation": class_map(instances, labels)[..., None],
                   "objects": {"bbox": tfds_boxes(boxes, side, side), "label": labels,
                               "source_index": np.array([o["source_index"] for o in objects],
                                                        np.int32),
                               "size": np.array([o["size"] for o in objects], np.int32)}}


def class_map(instances: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The uint8 class map of an owner map (0 background, i + 1 the i-th object): 0 stays
    background, object i's pixels become labels[i] + 1."""
    return np.concatenate([[0], np.asarray(labels, np.int64) + 1])[instances].astype(np.uint8)


def compose_canvas(recipe: CanvasRecipe, pools, rng, split="train"):
    """One canvas: `(image, instances, objects)`, the uint8 canvas, the owner of each pixel
    (0 background, i + 1 for objects[i]) and a list of objects, each a dict of `box` ("xyxy"
    pixel edges), `label`, `source_index` and `size`. `pools` are the sources to draw from
    (`_Pool`s), each object from either with probability 1/2."""
    side = recipe.canvas_size
    image = np.zeros((side, side), np.uint8)
    owner = np.zeros((side, side), np.uint8)
    objects = []
    low, high = recipe.object_sizes
    for _ in range(int(rng.integers(0, recipe.max_objects + 1))):
        source, label, index = pools[int(rng.integers(len(pools)))].take(split)
        size = int(round(math.exp(rng.uniform(math.log(low), math.log(high)))))
        patch = resize(source, size)
        pixels = patch > FOREGROUND_THRESHOLD
        extent = tight_box(pixels)
        if extent is None:  # nothing left of a faint source at this size
            continue
        placed = _place(recipe, owner, objects, pixels, extent, rng)
        if placed is None:
            continue
        top, left, box = placed
        canvas_part, patch_part = _window(top, left, size, side)
        image[canvas_part][pixels[patch_part]] = patch[patch_part][pixels[patch_part]]
        owner[canvas_part][pixels[patch_part]] = len(objects) + 1
        objects.append({"box": box, "label": label, "source_index": index, "size": size,
                        "pixels": int(pixels.sum())})
    return image, owner, objects


def _window(top, left, size, side):
    """The slices of the canvas and of a `size`-pixel patch at (top, left) that overlap: a
    patch may hang over the canvas' edge by its empty margin, never by its pixels."""
    rows = slice(max(top, 0), min(top + size, side))
    columns = slice(max(left, 0), min(left + size, side))
    patch = (slice(rows.start - top, rows.stop - top),
             slice(columns.start - left, columns.stop - left))
    return (rows, columns), patch


def _place(recipe, owner, objects, pixels, extent, rng):
    """A random (top, left, box) for a patch whose pixels lie wholly on the canvas and that
    keeps every earlier object identifiable (module docstring); None after
    `placement_tries` failures."""
    side, size = recipe.canvas_size, len(pixels)
    x1, y1, x2, y2 = extent
    boxes = np.array([o["box"] for o in objects], np.int64).reshape(-1, 4)
    for _ in range(recipe.placement_tries):
        top = int(rng.integers(-y1, side - y2 + 1))
        left = int(rng.integers(-x1, side - x2 + 1))
        box = (left + x1, top + y1, left + x2, top + y2)
        if len(boxes) and box_iou(box, boxes).max() > recipe.max_iou:
            continue
        after = owner.copy()
        canvas_part, patch_part = _window(top, left, size, side)
        after[canvas_part][pixels[patch_part]] = len(objects) + 1
        if all(_still_identifiable(after, number + 1, earlier, recipe.min_visible)
               for number, earlier in enumerate(objects)):
            return top, left, box
    return None


def _still_identifiable(after, number, placed, min_visible) -> bool:
    """Whether object `number` (`placed`, its record) keeps at least `min_visible` of the
    pixels it was pasted with, and a pixel on every edge of its box, once the owner map
    becomes `after`."""
    x1, y1, x2, y2 = placed["box"]
    owned = after[y1:y2, x1:x2] == number
    return (owned.sum() >= min_visible * placed["pixels"]
            and tight_box(owned) == (0, 0, x2 - x1, y2 - y1))
