"""How good a trained model is, beyond one number: precision, recall and F1 per class, the
confusion matrix, ROC and precision-recall curves with their areas, calibration, and the
regression errors. scikit-learn computes the figures; zoo feeds it a model's predictions on
one split of its data, exactly as `zoo.evaluate` sees it.

Calibration is Guo et al. (2017), "On calibration of modern neural networks": the expected
calibration error (ECE) bins predictions by confidence and averages |accuracy - confidence|
over the bins, weighted by their size; a reliability diagram plots the two per bin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zoo import data
from zoo.registry import card_of, get_model
from zoo.train.evaluation import evaluation_pipeline
from zoo.train.fit import compile_with_recipe

CALIBRATION_BINS = 15  # Guo et al.'s choice


@dataclass
class ClassificationReport:
    """Figures of a classifier on one split: `per_class` rows (precision, recall, F1,
    support), their macro and support-weighted averages, accuracy, the confusion matrix
    (rows: true class, columns: predicted), the areas under the ROC and precision-recall
    curves (one class against the rest, macro-averaged, for more than two classes), and the
    expected calibration error of the predicted class's probability."""

    accuracy: float
    per_class: list[dict[str, float]]
    macro: dict[str, float]
    weighted: dict[str, float]
    confusion: np.ndarray
    roc_auc: float
    pr_auc: float
    calibration_error: float | None
    labels: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)
    confidence: np.ndarray | None = field(repr=False)


@dataclass
class RegressionReport:
    """Mean absolute and squared errors, their root, and R², the share of the targets'
    variance the predictions explain."""

    mae: float
    mse: float
    rmse: float
    r2: float


def classification_report(model, dataset=None, *, split="test", dataset_options=None,
                          batch_size=256) -> ClassificationReport:
    """The report of a classifier (a `keras.Model` or a registered name, untrained) on one
    split of `dataset` (default: its card's). A one-output model's score is a signed margin
    (class 1 above 0, as zoo's binary classifiers serve it) or a probability (a sigmoid)."""
    from sklearn import metrics

    model, labels, outputs = predictions_on_split(model, dataset, split, dataset_options,
                                                      batch_size)
    if outputs.ndim == 1 or outputs.shape[-1] == 1:  # one score: binary
        scores = outputs.reshape(-1)
        probabilities = scores if _is_probability(model) else None
        predicted = (scores > (0.5 if probabilities is not None else 0.0)).astype(int)
        roc_auc = metrics.roc_auc_score(labels, scores)
        pr_auc = metrics.average_precision_score(labels, scores)
        confidence = None if probabilities is None else np.where(predicted == 1, scores,
                                                                 1 - scores)
    else:
        probabilities = _as_probabilities(model, outputs)
        scores = probabilities
        predicted = probabilities.argmax(-1)
        present = np.unique(labels)
        roc_auc = metrics.roc_auc_score(labels, probabilities[:, present]
                                        / probabilities[:, present].sum(-1, keepdims=True),
                                        multi_class="ovr", labels=present) \
            if len(present) > 2 else metrics.roc_auc_score(labels, probabilities[:, 1])
        onehot = np.eye(probabilities.shape[-1])[labels]
        pr_auc = metrics.average_precision_score(onehot[:, present], probabilities[:, present],
                                                 average="macro")
        confidence = probabilities.max(-1)
    return _report(labels, predicted, roc_auc, pr_auc, confidence, scores)


def majority_baseline(dataset: str, *, split="test", dataset_options=None
                      ) -> ClassificationReport:
    """The report of always answering the most frequent class of `dataset`'s training
    split: on imbalanced data a high accuracy with an F1 of zero for every other class, the
    first thing a classifier must beat (its ranking scores are constant: areas of chance)."""
    from sklearn import metrics

    train_labels = data.arrays(dataset, "train", **(dataset_options or {}))[1]
    labels = data.arrays(dataset, split, **(dataset_options or {}))[1]
    prior = np.bincount(train_labels, minlength=labels.max() + 1) / len(train_labels)
    predicted = np.full(len(labels), prior.argmax())
    scores = np.tile(prior, (len(labels), 1))
    present = np.unique(labels)
    onehot = np.eye(len(prior))[labels][:, present]
    return _report(labels, predicted, roc_auc=0.5,
                   pr_auc=float(metrics.average_precision_score(onehot, scores[:, present])),
                   confidence=scores.max(-1), scores=scores)


def _report(labels, predicted, roc_auc, pr_auc, confidence, scores) -> ClassificationReport:
    from sklearn import metrics

    classes = np.arange(max(int(labels.max()), int(predicted.max())) + 1)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        labels, predicted, labels=classes, zero_division=0)
    per_class = [{"class": int(c), "precision": float(p), "recall": float(r), "f1": float(f),
                  "support": int(s)} for c, p, r, f, s in zip(classes, precision, recall, f1,
                                                              support, strict=True)]
    return ClassificationReport(
        accuracy=float((predicted == labels).mean()), per_class=per_class,
        macro=_average(per_class, None), weighted=_average(per_class, support),
        confusion=metrics.confusion_matrix(labels, predicted, labels=classes),
        roc_auc=float(roc_auc), pr_auc=float(pr_auc),
        calibration_error=None if confidence is None else
        expected_calibration_error(confidence, predicted == labels),
        labels=labels, scores=scores, predicted=predicted, confidence=confidence)


def regression_report(model, dataset=None, *, split="test", dataset_options=None,
                      batch_size=256) -> RegressionReport:
    """MAE, MSE, RMSE and R² of a regressor on one split of `dataset`."""
    from sklearn import metrics

    _, targets, predictions = predictions_on_split(model, dataset, split, dataset_options,
                                                   batch_size)
    predictions = predictions.reshape(targets.shape)
    mse = float(metrics.mean_squared_error(targets, predictions))
    return RegressionReport(mae=float(metrics.mean_absolute_error(targets, predictions)),
                            mse=mse, rmse=float(np.sqrt(mse)),
                            r2=float(metrics.r2_score(targets, predictions)))


def expected_calibration_error(confidence, correct, bins: int = CALIBRATION_BINS) -> float:
    """Guo et al.'s ECE: |accuracy - mean confidence| per equal-width confidence bin,
    weighted by the share of predictions in the bin."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    which = _confidence_bins(confidence, bins)
    error = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def plot_report(report: ClassificationReport, path=None, class_names=None):
    """Three panels as a matplotlib Figure (saved as a PNG when `path` is given): the
    confusion matrix with each true class's row as shares, the ROC curve (one per class
    against the rest for more than two), and the reliability diagram (accuracy against
    confidence per bin; a margin classifier has none)."""
    from matplotlib.figure import Figure  # no pyplot: drawing must not change the backend
    from sklearn.metrics import roc_curve

    figure = Figure(figsize=(14, 4.2), layout="constrained")
    matrix_axis, roc_axis, reliability_axis = figure.subplots(1, 3)
    shares = report.confusion / np.maximum(report.confusion.sum(axis=1, keepdims=True), 1)
    matrix_axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    names = list(class_names) if class_names is not None else \
        [str(row["class"]) for row in report.per_class]
    matrix_axis.set(xticks=range(len(names)), yticks=range(len(names)), xlabel="predicted",
                    ylabel="true", title=f"confusion (accuracy {report.accuracy:.3f})")
    matrix_axis.set_xticklabels(names, rotation=90)
    matrix_axis.set_yticklabels(names)

    scores = report.scores
    if scores.ndim == 1:
        curves = {names[-1]: roc_curve(report.labels, scores)[:2]}
    else:
        curves = {names[c]: roc_curve(report.labels == c, scores[:, c])[:2]
                  for c in np.unique(report.labels)}
    for name, (false_positive, true_positive) in curves.items():
        roc_axis.plot(false_positive, true_positive, lw=1, label=name)
    roc_axis.plot([0, 1], [0, 1], "k:", lw=1)
    roc_axis.set(xlabel="false positive rate", ylabel="true positive rate",
                 title=f"ROC (area {report.roc_auc:.3f})")
    if len(curves) <= 10:
        roc_axis.legend(fontsize=7)

    if report.confidence is None:
        reliability_axis.text(0.5, 0.5, "signed margins:\nno probabilities to calibrate",
                              ha="center", va="center")
    else:
        edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
        which = _confidence_bins(report.confidence, CALIBRATION_BINS)
        correct = report.predicted == report.labels
        accuracy = [correct[which == b].mean() if (which == b).any() else 0.0
                    for b in range(CALIBRATION_BINS)]
        reliability_axis.bar(edges[:-1], accuracy, width=1 / CALIBRATION_BINS, align="edge",
                             edgecolor="k", label="accuracy")
        reliability_axis.plot([0, 1], [0, 1], "r--", lw=1, label="perfect calibration")
        reliability_axis.legend(fontsize=7)
    reliability_axis.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy",
                         title="reliability" + ("" if report.calibration_error is None else
                                                f" (ECE {report.calibration_error:.3f})"))
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure


def _confidence_bins(confidence, bins: int) -> np.ndarray:
    """The equal-width confidence bin (0 .. bins - 1) of each prediction, (lo, hi] each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)


def predictions_on_split(model, dataset, split, dataset_options, batch_size):
    """(model, labels, outputs) of a model (or a registered name, built) on one split of
    `dataset` (default: its card's), seen as `zoo.evaluate` sees it."""
    card = card_of(model)
    if isinstance(model, str):
        model = get_model(model, **card.recipe.model_options)
    dataset = dataset or (card.dataset if card else None)
    if dataset is None:
        raise ValueError("dataset= is required for a model that is not in the registry.")
    if not model.compiled and card is not None:
        compile_with_recipe(model, card)
    pipeline = evaluation_pipeline(model, card, dataset, split, batch_size, dataset_options)
    labels, outputs = [], []
    for inputs, targets in pipeline:
        outputs.append(np.asarray(model.predict_on_batch(inputs)))
        labels.append(np.asarray(targets))
    return model, np.concatenate(labels), np.concatenate(outputs)


def _is_probability(model) -> bool:
    from zoo.models._common import produces_probabilities

    return produces_probabilities(model)


def _as_probabilities(model, outputs):
    if _is_probability(model):
        return outputs
    shifted = np.exp(outputs - outputs.max(-1, keepdims=True))  # softmax of logits
    return shifted / shifted.sum(-1, keepdims=True)


def _average(per_class, weights) -> dict[str, float]:
    return {k: float(np.average([row[k] for row in per_class], weights=weights))
            for k in ("precision", "recall", "f1")}
