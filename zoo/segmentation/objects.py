"""How a class map names each object, by the object's size: where a segmenter's mean IoU is
lost.

A pixel-wise score mixes two errors: drawing an object's outline and naming it. On the
canvases the outline is nearly free (an object's pixels are the nonzero ones,
`zoo.data.canvas`), so what is left is naming, and naming depends on how many pixels an item
keeps: a Fashion-MNIST shirt pasted 14 pixels wide has lost most of what tells it from a
pullover. Here every test object is named by the majority of its pixels' predicted classes
(its *vote*; a tie goes to the lower class id), and the share of objects named right is
counted per class and per size bin, the bins of `zoo.detection.objects` (the longer side of
the object's box), where the detectors' objects are counted alike. An object's pixels are
its instance mask: those it still owns on the finished canvas.

    scores = object_accuracy_by_size(model, "fashion_digits_canvas")
    scores["named"]["Shirt"]   # the share of shirts named right, one per size bin
"""

from __future__ import annotations

import numpy as np

from zoo.detection.objects import SIZE_EDGES, size_bins, tally


def object_votes(class_map, masks, classes) -> np.ndarray:
    """Each present object's vote: the class id (background 0, class k as k + 1) that most of
    its mask's pixels hold in `class_map` [height, width]; -1 for an object that owns no
    pixel. `masks`: bool [objects, height, width]; `classes`: the objects' class ids, -1 for
    padding (skipped: the result has one vote per present object)."""
    class_map = np.asarray(class_map)
    votes = []
    for mask, label in zip(np.asarray(masks), np.asarray(classes), strict=True):
        if label < 0:
            continue
        pixels = class_map[mask]
        votes.append(int(np.bincount(pixels).argmax()) if pixels.size else -1)
    return np.asarray(votes, np.int64)


def object_accuracy_by_size(model, dataset: str, *, split: str = "test", edges=SIZE_EDGES,
                            batch_size: int = 64, limit: int | None = None) -> dict:
    """For every object of `split`, whether `model`'s class map names it right by its
    pixels' vote (module docstring), per class and size bin as `zoo.detection.objects.tally`
    sums them: the shares under "named"."""
    import zoo

    names = zoo.data.dataset_info(dataset).class_names
    counts = np.zeros((len(names), len(edges) + 1), np.int64)
    named = np.zeros_like(counts)
    for images, targets in zoo.data.load(dataset, split, batch_size=batch_size, shuffle=False,
                                         targets="masks", limit=limit):
        predicted = np.argmax(model.predict_on_batch(images), axis=-1)
        boxes, classes = np.asarray(targets["boxes"]), np.asarray(targets["classes"])
        masks = np.asarray(targets["masks"])
        for image in range(len(predicted)):
            present = classes[image] >= 0
            votes = object_votes(predicted[image], masks[image], classes[image])
            labels, bins = classes[image][present], size_bins(boxes[image][present], edges)
            np.add.at(counts, (labels, bins), 1)
            np.add.at(named, (labels, bins), votes == labels + 1)
    return tally({"named": named}, counts, names, edges)
