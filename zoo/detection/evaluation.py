"""Mean average precision of box detections, as COCO and PASCAL VOC compute it.

- `coco_map`: COCO's detection metric (Lin, Maire, Belongie, Hays, Perona, Ramanan, Dollar
  and Zitnick (2014), "Microsoft COCO: common objects in context", ECCV, arXiv:1405.0312),
  computed as pycocotools' `COCOeval` does for boxes with area range "all" and maxDets=100:
  AP per class interpolated at 101 recall points, averaged over the IoU thresholds
  0.50:0.05:0.95 ("map", COCO's AP@[.5:.95]), at 0.5 alone ("map_50") and 0.75 ("map_75"),
  then over the classes. Crowd annotations and the small/medium/large area ranges are not
  modelled. The test suite checks it against pycocotools. `iou_type="segm"` scores instance
  masks instead of boxes (COCO's mask AP, as Mask R-CNN reports it): the same rules with
  detections and objects overlapping by the IoU of their masks.
- `voc_map`: PASCAL VOC's (Everingham, Van Gool, Williams, Winn and Zisserman (2010), "The
  PASCAL Visual Object Classes (VOC) Challenge", IJCV 88(2)), as its 2010-2012 devkit: AP per
  class by all-point interpolation (the exact area under the interpolated precision-recall
  curve, not VOC2007's 11 points) at one IoU threshold, 0.5 by default. "Difficult" objects
  are not modelled.

The two match detections to objects differently, so their AP at IoU 0.5 can differ: taking
detections in descending order of score, COCO gives a detection the best-overlapping object
not yet taken with IoU >= the threshold; VOC looks only at the best-overlapping object, and
if that one is taken (or its IoU is not above the threshold) the detection is a false
positive.

Both take one entry per image, in the same order:
    predictions[i] = {"boxes": [n, 4] "xyxy" in pixels, "scores": [n], "classes": [n]}
    ground_truths[i] = {"boxes": [m, 4] "xyxy" in pixels, "classes": [m]}
as numpy arrays, lists or eager tensors; for mask AP each entry also has "masks", [n, height,
width] (bool, or probabilities binarised at 0.5) on the image. An image may have no objects
and no detections. A
class is evaluated if it has an object in some image; detections of other classes are
ignored, as COCO ignores classes without annotations.

Pure numpy, in float64 as pycocotools: evaluation runs outside the graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from zoo import _validate

# pycocotools' Params: iouThrs and recThrs, made exactly as there so that thresholds compare
# equal to the same floats.
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
COCO_RECALL_POINTS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1)
_AT_50, _AT_75 = 0, 5  # the positions of IoU 0.5 and 0.75 in COCO_IOU_THRESHOLDS
INTERPOLATIONS = ("all_point", "101_point")
IOU_TYPES = ("bbox", "segm")  # pycocotools' names: boxes, instance masks
MASK_THRESHOLD = 0.5  # Mask R-CNN's binarisation of a predicted mask's probabilities


def average_precision(recall, precision, *, interpolation: str = "all_point") -> float:
    """Area under a precision-recall curve given detection by detection (recall and precision
    after each detection, in descending order of score).

    Both interpolations first replace each precision by the best precision at any equal or
    higher recall, so that the curve never rises.

    - "all_point": the area under that curve, a sum over the points where recall grows
      (PASCAL VOC 2010-2012).
    - "101_point": the mean of its precision at recall 0, 0.01, ..., 1, each read at the first
      detection that reaches that recall, and 0 beyond the last recall reached (COCO).

    No detections give 0.
    """
    _validate.choice("interpolation", interpolation, INTERPOLATIONS)
    recall = np.asarray(recall, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)
    if recall.ndim != 1 or recall.shape != precision.shape:
        raise ValueError(f"recall of shape {recall.shape} and precision of shape "
                         f"{precision.shape} must be two 1-D arrays of the same length.")
    if recall.size == 0:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if interpolation == "101_point":
        first_reaching = np.searchsorted(recall, COCO_RECALL_POINTS, side="left")
        reached = first_reaching < recall.size
        return float(envelope[first_reaching[reached]].sum() / COCO_RECALL_POINTS.size)
    return float(np.sum(np.diff(recall, prepend=0.0) * envelope))


class _Image(NamedTuple):
    boxes: np.ndarray  # [n, 4] predicted
    scores: np.ndarray  # [n]
    classes: np.ndarray  # [n]
    gt_boxes: np.ndarray  # [m, 4]
    gt_classes: np.ndarray  # [m]
    masks: np.ndarray | None = None  # [n, pixels] bool, for mask AP
    gt_masks: np.ndarray | None = None  # [m, pixels]


def _field(entry, key: str, where: str):
    if not isinstance(entry, Mapping) or key not in entry:
        raise ValueError(f"{where} must be a mapping with the key {key!r}; got "
                         f"{type(entry).__name__}"
                         + (f" with keys {sorted(entry)}." if isinstance(entry, Mapping) else "."))
    return np.asarray(entry[key])


def _boxes(value: np.ndarray, where: str) -> np.ndarray:
    value = value.astype(np.float64)
    if value.size == 0:
        return value.reshape(0, 4)
    if value.ndim != 2 or value.shape[1] != 4:
        raise ValueError(f"{where} of shape {value.shape} must be [n, 4] \"xyxy\" boxes.")
    return value


def _per_box(value: np.ndarray, count: int, where: str) -> np.ndarray:
    value = value.reshape(-1) if value.size == 0 else value
    if value.shape != (count,):
        raise ValueError(f"{where} of shape {value.shape} must have one entry per box: "
                         f"({count},).")
    return value


def _masks(value: np.ndarray, count: int, where: str, shape=None) -> np.ndarray:
    """Masks [count, height, width] as [count, pixels] bool (probabilities at 0.5)."""
    if count == 0 and value.size == 0:
        return np.zeros((0, 0), bool)
    if value.ndim != 3 or len(value) != count or (shape is not None and count
                                                  and value.shape[1:] != shape):
        wanted = f"({count}, " + (f"{shape[0]}, {shape[1]})" if shape else "height, width)")
        raise ValueError(f"{where} of shape {value.shape} must be one mask per box: {wanted}.")
    binary = value if value.dtype == bool else value >= MASK_THRESHOLD
    return binary.reshape(count, -1)


def _images(predictions, ground_truths, iou_type: str = "bbox") -> list[_Image]:
    for name, value in (("predictions", predictions), ("ground_truths", ground_truths)):
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise ValueError(f"{name} must be a sequence with one entry per image; got "
                             f"{type(value).__name__}.")
    if len(predictions) != len(ground_truths):
        raise ValueError(f"predictions has {len(predictions)} images and ground_truths has "
                         f"{len(ground_truths)}; they must be the same images, in order.")
    images = []
    for i, (predicted, truth) in enumerate(zip(predictions, ground_truths, strict=True)):
        boxes = _boxes(_field(predicted, "boxes", f"predictions[{i}]"),
                       f"predictions[{i}]['boxes']")
        gt_boxes = _boxes(_field(truth, "boxes", f"ground_truths[{i}]"),
                          f"ground_truths[{i}]['boxes']")
        masks = gt_masks = None
        if iou_type == "segm":
            truth_masks = _field(truth, "masks", f"ground_truths[{i}]")
            shape = truth_masks.shape[1:] if len(gt_boxes) else None
            gt_masks = _masks(truth_masks, len(gt_boxes), f"ground_truths[{i}]['masks']")
            masks = _masks(_field(predicted, "masks", f"predictions[{i}]"), len(boxes),
                           f"predictions[{i}]['masks']", shape)
        images.append(_Image(
            masks=masks, gt_masks=gt_masks,
            boxes=boxes,
            scores=_per_box(_field(predicted, "scores", f"predictions[{i}]"), len(boxes),
                            f"predictions[{i}]['scores']").astype(np.float64),
            classes=_per_box(_field(predicted, "classes", f"predictions[{i}]"), len(boxes),
                             f"predictions[{i}]['classes']"),
            gt_boxes=gt_boxes,
            gt_classes=_per_box(_field(truth, "classes", f"ground_truths[{i}]"),
                                len(gt_boxes), f"ground_truths[{i}]['classes']"),
        ))
    return images


def _pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [n, m] of "xyxy" boxes; 0 where the union is empty. A numpy twin of
    `zoo.detection.boxes.iou`, so that evaluation needs no TensorFlow and runs in float64."""
    corners_low = np.maximum(a[:, None, :2], b[None, :, :2])
    corners_high = np.minimum(a[:, None, 2:], b[None, :, 2:])
    intersection = np.prod(np.clip(corners_high - corners_low, 0, None), axis=-1)

    def area(boxes):
        return np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=-1)

    union = area(a)[:, None] + area(b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def _pairwise_mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [n, m] of masks given as [n, pixels] and [m, pixels] bool; 0 where the union is
    empty (pycocotools' `maskUtils.iou` without crowds)."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    a, b = a.astype(np.float64), b.astype(np.float64)
    intersection = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def _overlaps(image: _Image, mine: np.ndarray, order: np.ndarray, cls) -> np.ndarray:
    """IoU [n, m] of the image's detections `mine` (in `order`) with its objects of `cls`:
    of their masks where the image has them (mask AP), else of their boxes."""
    objects = image.gt_classes == cls
    if image.masks is not None:
        return _pairwise_mask_iou(image.masks[mine][order], image.gt_masks[objects])
    return _pairwise_iou(image.boxes[mine][order], image.gt_boxes[objects])


def _coco_matches(overlaps: np.ndarray, threshold: float) -> np.ndarray:
    """Which detections (rows of `overlaps`, in descending order of score) are true positives:
    each takes the best-overlapping object not yet taken with IoU >= `threshold`, the last
    of equals on a tie (pycocotools' `evaluateImg`)."""
    taken = np.zeros(overlaps.shape[1], dtype=bool)
    true_positive = np.zeros(overlaps.shape[0], dtype=bool)
    for d, row in enumerate(overlaps):
        candidates = np.flatnonzero(~taken & (row >= threshold))
        if candidates.size:
            best = candidates[row[candidates] == row[candidates].max()][-1]
            taken[best] = true_positive[d] = True
    return true_positive


def _voc_matches(overlaps: np.ndarray, threshold: float) -> np.ndarray:
    """As `_coco_matches`, VOC's way: each detection looks only at its best-overlapping object
    and is a true positive if that IoU is above `threshold` and the object not yet taken."""
    taken = np.zeros(overlaps.shape[1], dtype=bool)
    true_positive = np.zeros(overlaps.shape[0], dtype=bool)
    if overlaps.shape[1] == 0:
        return true_positive
    for d, row in enumerate(overlaps):
        best = int(np.argmax(row))
        if row[best] > threshold and not taken[best]:
            taken[best] = true_positive[d] = True
    return true_positive


def _class_curves(images: list[_Image], cls, match, thresholds, max_detections: int | None):
    """For one class: every image's detections matched at each threshold, pooled in
    descending order of score, as (recall, precision) per threshold."""
    scores, true_positives, objects = [], [], 0
    for image in images:
        mine = image.classes == cls
        # Stable sorts, as pycocotools', so that equal scores keep the caller's order.
        order = np.argsort(-image.scores[mine], kind="mergesort")[:max_detections]
        overlaps = _overlaps(image, mine, order, cls)
        scores.append(image.scores[mine][order])
        true_positives.append([match(overlaps, t) for t in thresholds])
        objects += overlaps.shape[1]
    order = np.argsort(-np.concatenate(scores), kind="mergesort")
    curves = []
    for hits in np.concatenate(true_positives, axis=1):
        found = np.cumsum(hits[order])
        curves.append((found / objects, found / np.arange(1, len(order) + 1)))
    return curves


def _gt_classes(images: list[_Image]) -> list:
    """The classes with an object in some image. Images without objects are left out, as
    their empty class arrays may be float and would turn every class into a float."""
    present = [image.gt_classes for image in images if image.gt_classes.size]
    return [c.item() for c in np.unique(np.concatenate(present))] if present else []


def coco_map(predictions: Sequence[Mapping], ground_truths: Sequence[Mapping], *,
             max_detections: int = 100, iou_type: str = "bbox") -> dict:
    """COCO's AP (pycocotools' `COCOeval`, area "all") of boxes or instance masks.

    Args:
        predictions, ground_truths: one mapping per image (module docstring).
        max_detections: the highest-scoring detections kept per image and class
            (pycocotools' maxDets; 100 for COCO's headline AP).
        iou_type: "bbox" (box AP) or "segm" (mask AP: every entry needs "masks").

    Returns:
        {"map": AP@[.5:.95], "map_50": AP@.5, "map_75": AP@.75, "map_per_class": {class:
        AP@[.5:.95]}}, each AP averaged over the classes that have objects; NaN for all three
        if no class has one (pycocotools reports -1).
    """
    max_detections = _validate.positive_int("max_detections", max_detections)
    _validate.choice("iou_type", iou_type, IOU_TYPES)
    images = _images(predictions, ground_truths, iou_type)
    per_class = {}
    for cls in _gt_classes(images):
        curves = _class_curves(images, cls, _coco_matches, COCO_IOU_THRESHOLDS, max_detections)
        per_class[cls] = np.array([average_precision(r, p, interpolation="101_point")
                                   for r, p in curves])
    if not per_class:
        return {"map": float("nan"), "map_50": float("nan"), "map_75": float("nan"),
                "map_per_class": {}}
    table = np.stack(list(per_class.values()))  # [classes, thresholds]
    return {"map": float(table.mean()), "map_50": float(table[:, _AT_50].mean()),
            "map_75": float(table[:, _AT_75].mean()),
            "map_per_class": {cls: float(ap.mean()) for cls, ap in per_class.items()}}


def voc_map(predictions: Sequence[Mapping], ground_truths: Sequence[Mapping], *,
            iou_threshold: float = 0.5) -> dict:
    """PASCAL VOC's AP (2010-2012 devkit: all-point interpolation) at `iou_threshold`.

    Returns:
        {"map": the mean over classes with objects (NaN if none), "map_per_class": {class: AP}}.
    """
    iou_threshold = _validate.fraction("iou_threshold", iou_threshold)
    images = _images(predictions, ground_truths)
    per_class = {}
    for cls in _gt_classes(images):
        ((recall, precision),) = _class_curves(images, cls, _voc_matches, [iou_threshold],
                                               None)
        per_class[cls] = average_precision(recall, precision, interpolation="all_point")
    return {"map": float(np.mean(list(per_class.values()))) if per_class else float("nan"),
            "map_per_class": per_class}
