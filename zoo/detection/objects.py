"""Which objects a detector finds and which it names right, by the object's size: where its
mAP is lost.

COCO's AP mixes finding an object (a box over it) with naming it (the box's class). Here
every ground-truth object asks two questions of the detections on its image: is it *found*,
some detection of any class overlapping its box at IoU 0.5 or more, and is it *named*, the
highest-scoring of those detections having its class. Both are counted per class and per size
bin, the size being the longer side of the object's box: on the canvases
(`zoo.data.canvas`) items are pasted 14 to 56 pixels wide, and a Fashion-MNIST shirt shrunk
to 14 pixels has lost most of what tells it from a pullover. `zoo.segmentation.objects`
counts the same bins for class maps.

    scores = detections_by_size(predictions, truths, class_names)
    scores["named"]["Shirt"]   # the share of shirts named right, one per size bin
"""

from __future__ import annotations

import itertools

import numpy as np

# Box sides in pixels splitting the canvases' objects (pasted 14 to 56 pixels wide) into
# four bins: COCO splits by area at 32^2 and 96^2, too coarse for 128-pixel canvases.
SIZE_EDGES = (20, 28, 40)
MATCH_IOU = 0.5


def size_bin_names(edges=SIZE_EDGES) -> list[str]:
    """The bins' names: "<20", "20-28", "28-40", ">=40" for the default edges."""
    inner = [f"{low}-{high}" for low, high in itertools.pairwise(edges)]
    return [f"<{edges[0]}", *inner, f">={edges[-1]}"]


def size_bins(boxes, edges=SIZE_EDGES) -> np.ndarray:
    """The bin of each "xyxy" box by its longer side: 0 below edges[0], ..., len(edges) at
    or above edges[-1]."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.searchsorted(edges, np.max(boxes[:, 2:] - boxes[:, :2], axis=1), side="right")


def tally(hits: dict, counts: np.ndarray, names, edges=SIZE_EDGES) -> dict:
    """A by-size summary: {"bins", "edges", "objects", and for each question in `hits`
    (question: an array of hits shaped like `counts`, [classes, bins]) the shares of
    objects}, each keyed by "all" and each class name, a list over the bins (None for an
    empty bin)."""
    keys = ["all", *names]

    def by_key(table):
        return dict(zip(keys, [table.sum(0), *table], strict=True))

    totals = by_key(counts)
    summary = {"bins": size_bin_names(edges), "edges": list(edges),
               "objects": {key: row.tolist() for key, row in totals.items()}}
    for question, table in hits.items():
        summary[question] = {key: [round(float(h) / float(t), 4) if t else None
                                   for h, t in zip(row, totals[key], strict=True)]
                             for key, row in by_key(table).items()}
    return summary


def pooled(summary: dict, question: str, keys) -> list:
    """The share of the objects of the classes `keys` that `summary` (`tally`'s) counts
    right for `question` ("found", "named"), per size bin: the bins of "all" mix the classes
    in other proportions at every size, so a group of classes is pooled by its own counts."""
    shares = []
    for index in range(len(summary["bins"])):
        total = sum(summary["objects"][key][index] for key in keys)
        hits = sum(summary["objects"][key][index] * (summary[question][key][index] or 0)
                   for key in keys)
        shares.append(round(hits / total, 4) if total else None)
    return shares


def detections_by_size(predictions, ground_truths, names, edges=SIZE_EDGES) -> dict:
    """For every ground-truth object, whether it is found and whether it is named (module
    docstring), as `tally` sums them: shares under "found" and "named". `predictions` and
    `ground_truths`: one dict per image in `zoo.detection.evaluation`'s form; `names`: the
    class names, in class order."""
    from zoo.detection.boxes import iou

    counts = np.zeros((len(names), len(edges) + 1), np.int64)
    found, named = np.zeros_like(counts), np.zeros_like(counts)
    for predicted, truth in zip(predictions, ground_truths, strict=True):
        labels = np.asarray(truth["classes"], np.int64)
        if not len(labels):
            continue
        bins = size_bins(truth["boxes"], edges)
        np.add.at(counts, (labels, bins), 1)
        boxes = np.asarray(predicted["boxes"], np.float32).reshape(-1, 4)
        if not len(boxes):
            continue
        overlaps = np.asarray(iou(np.asarray(truth["boxes"], np.float32), boxes))
        scores = np.where(overlaps >= MATCH_IOU, np.asarray(predicted["scores"])[None], -np.inf)
        hit = np.isfinite(scores).any(axis=1)
        best_class = np.asarray(predicted["classes"], np.int64)[scores.argmax(axis=1)]
        np.add.at(found, (labels, bins), hit)
        np.add.at(named, (labels, bins), hit & (best_class == labels))
    return tally({"found": found, "named": named}, counts, names, edges)
