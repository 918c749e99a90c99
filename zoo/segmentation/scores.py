"""How a segmentation is judged, from the confusion matrix over pixels.

`confusion[t, p]` counts the pixels of true class t predicted as p. From it (Long, Shelhamer
and Darrell 2015, Section 5, "Metrics"; the PASCAL VOC convention):

- pixel accuracy: the share of pixels whose class is right, sum_t confusion[t, t] / total;
- IoU of class c: confusion[c, c] / (pixels of c + pixels predicted c - confusion[c, c]), the
  overlap of the true and predicted regions of c over their union;
- mean IoU: the mean over the classes present in the truth or the prediction (a class in
  neither has no union, and no IoU), background included as in VOC. Keras' `MeanIoU`
  computes the same; a test checks it.

`objects_mean_iou` leaves out class 0, the background: on canvases that are mostly black, it
is the stricter figure.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(truth, predicted, num_classes: int) -> np.ndarray:
    """int64 [num_classes, num_classes]: pixels of true class t (rows) predicted as p. Class
    ids outside [0, num_classes) raise ValueError naming them."""
    truth, predicted = np.asarray(truth).ravel(), np.asarray(predicted).ravel()
    if truth.shape != predicted.shape:
        raise ValueError(f"truth and prediction differ in size: {truth.size} against "
                         f"{predicted.size} pixels.")
    for name, ids in (("truth", truth), ("prediction", predicted)):
        outside = np.unique(ids[(ids < 0) | (ids >= num_classes)])
        if outside.size:
            raise ValueError(f"the {name} has class ids {outside[:5].tolist()} outside "
                             f"[0, {num_classes}).")
    pairs = truth.astype(np.int64) * num_classes + predicted
    return np.bincount(pairs, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def iou_per_class(confusion) -> np.ndarray:
    """Each class' IoU; NaN for a class absent from both truth and prediction."""
    confusion = np.asarray(confusion, np.float64)
    overlap = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - overlap
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, overlap / union, np.nan)


def segmentation_scores(confusion) -> dict:
    """`mean_iou`, `objects_mean_iou` (class 0 left out), `pixel_accuracy` and
    `iou_per_class` from a confusion matrix (see the module docstring)."""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"a confusion matrix is square; got shape {confusion.shape}.")
    total = confusion.sum()
    if total == 0:
        raise ValueError("the confusion matrix counts no pixels.")
    ious = iou_per_class(confusion)
    return {"mean_iou": float(np.nanmean(ious)),
            "objects_mean_iou": float(np.nanmean(ious[1:])) if np.isfinite(ious[1:]).any()
            else float("nan"),
            "pixel_accuracy": float(np.trace(confusion) / total),
            "iou_per_class": ious}
