"""Losses and metrics named in training recipes, resolved to Keras objects.

Recipes name objectives by string so that cards stay plain data; the few that Keras does not
have under that name are defined here and registered serializable, so a compiled model saved
to `.keras` loads again.
"""

import math

import keras
from keras import ops


def _plus_minus_one(y_true, dtype):
    """Binary labels {0, 1} (as zoo's datasets give them) mapped to {-1, +1}; labels that
    are already -1/+1 pass through unchanged."""
    y_true = ops.cast(y_true, dtype)
    return ops.where(y_true > 0, 1.0, -1.0)


@keras.saving.register_keras_serializable(package="zoo")
class PerceptronLoss(keras.losses.Loss):
    """Rosenblatt's perceptron criterion max(0, -y * s) with y in {-1, +1}."""

    def __init__(self, name="perceptron", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        y = ops.reshape(_plus_minus_one(y_true, y_pred.dtype), ops.shape(y_pred))
        return ops.mean(ops.relu(-y * y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="zoo")
class BitsPerToken(keras.metrics.Mean):
    """The mean cross-entropy of integer targets under logits, in bits (nats / ln 2): a
    character language model's bits per character."""

    def __init__(self, name="bits_per_char", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        nats = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        return super().update_state(nats / math.log(2.0), sample_weight=sample_weight)


def _scored(y_true):
    """The target bits that count: -1 marks a step with nothing to output (the algorithmic
    tasks of `zoo.data.algorithmic`)."""
    return ops.cast(ops.greater_equal(y_true, 0.0), "float32")


@keras.saving.register_keras_serializable(package="zoo")
class MaskedBinaryCrossentropy(keras.losses.Loss):
    """Binary cross-entropy of logits against target bits, averaged over the bits that count
    (targets of -1 are left out); 0 for a batch with none."""

    def __init__(self, name="masked_binary_crossentropy", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        scored = ops.cast(_scored(y_true), y_pred.dtype)
        bits = ops.maximum(y_true, 0.0)
        # log(1 + exp(-|x|)) + max(x, 0) - x * y: the stable form of sigmoid cross-entropy.
        losses = ops.softplus(-ops.abs(y_pred)) + ops.relu(y_pred) - y_pred * bits
        total = ops.sum(losses * scored, axis=list(range(1, len(y_pred.shape))))
        counted = ops.sum(scored, axis=list(range(1, len(y_pred.shape))))
        return total / ops.maximum(counted, 1.0)


@keras.saving.register_keras_serializable(package="zoo")
class BitErrorRate(keras.metrics.Metric):
    """The share of target bits (those not -1) that the logits' signs get wrong."""

    def __init__(self, name="bit_error_rate", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.wrong = self.add_variable(shape=(), initializer="zeros", name="wrong")
        self.counted = self.add_variable(shape=(), initializer="zeros", name="counted")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "float32")
        scored = _scored(y_true)
        predicted = ops.cast(ops.greater(y_pred, 0.0), "float32")
        wrong = ops.cast(ops.not_equal(predicted, y_true), "float32") * scored
        self.wrong.assign_add(ops.sum(wrong))
        self.counted.assign_add(ops.sum(scored))

    def result(self):
        return self.wrong / ops.maximum(self.counted, 1.0)

    def reset_state(self):
        self.wrong.assign(0.0)
        self.counted.assign(0.0)


def _label_distribution(y_true, y_pred):
    """Targets as distributions over the classes of `y_pred`: integer labels (shape
    (batch,) or (batch, 1)) one-hot, soft labels (shape (batch, classes), as mixup gives
    them) as they are."""
    classes = y_pred.shape[-1]
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == classes and classes > 1:
        return ops.cast(y_true, y_pred.dtype)
    labels = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
    return ops.one_hot(labels, classes, dtype=y_pred.dtype)


@keras.saving.register_keras_serializable(package="zoo")
class SmoothedCrossentropy(keras.losses.Loss):
    """Categorical cross-entropy of integer or soft labels, with label smoothing: the target
    keeps 1 - e of its mass and spreads e evenly over all classes (Szegedy et al., 2016,
    "Rethinking the Inception architecture", arXiv:1512.00567, section 7). Integer labels
    for validation and soft ones (mixup's) for training go through the same loss."""

    def __init__(self, label_smoothing=0.0, from_logits=False, name="crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.label_smoothing = float(label_smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        return keras.losses.categorical_crossentropy(
            _label_distribution(y_true, y_pred), y_pred, from_logits=self.from_logits,
            label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing,
                "from_logits": self.from_logits}


def _label_accuracy(y_true, y_pred):
    """1 where the most probable class is the label (a soft label's largest share)."""
    truth = ops.argmax(_label_distribution(y_true, y_pred), axis=-1)
    return ops.cast(ops.equal(truth, ops.argmax(y_pred, axis=-1)), "float32")


@keras.saving.register_keras_serializable(package="zoo")
class LabelAccuracy(keras.metrics.MeanMetricWrapper):
    """Accuracy against integer or soft labels: the share of examples whose most probable
    class is the label, or the largest share of a soft label."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_label_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


# Recipes naming these train on an objective the model computes itself (its `compute_loss`
# and `train_step`), so nothing is compiled as the loss: a VAE's negative ELBO needs its
# latent distribution, an RBM's contrastive divergence its Gibbs samples, a GAN's two losses
# (and pix2pix's, with its L1 term) its two networks, CycleGAN's its four, f-AnoGAN's
# encoder's its frozen GAN, a one-stage detector's focal and box losses its anchors matched to
# each image's objects (YOLO's objectness, class and box losses the anchors responsible for
# each object; Faster R-CNN's its proposals and the regions drawn from them; Mask R-CNN's
# also each region's object's mask).
MODEL_OWN_LOSSES = ("negative_elbo", "contrastive_divergence", "adversarial", "pix2pix",
                    "cycle_consistency", "izi_f", "focal_and_box", "objectness_class_and_box",
                    "proposal_and_region", "proposal_region_and_mask")


def get_loss(name_or_loss):
    """A Keras loss from a recipe's name (None for a model's own objective); Keras objects
    pass through."""
    if name_or_loss in MODEL_OWN_LOSSES:
        return None
    if name_or_loss == "perceptron":
        return PerceptronLoss()
    if name_or_loss == "masked_binary_crossentropy":
        return MaskedBinaryCrossentropy()
    if name_or_loss == "sparse_categorical_crossentropy_from_logits":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    try:
        return keras.losses.get(name_or_loss)
    except ValueError:
        raise ValueError(
            f"loss={name_or_loss!r} is not a Keras loss nor one of zoo's ('perceptron', "
            "'masked_binary_crossentropy', 'sparse_categorical_crossentropy_from_logits'); use "
            "a Keras name such as 'mse', 'binary_crossentropy' or "
            "'sparse_categorical_crossentropy', or pass a keras.losses.Loss.") from None


def get_metrics(names, task, num_classes: int | None = None):
    """Keras metrics for a recipe. `accuracy` of a binary classifier thresholds its signed
    score at 0 (perceptron and SVM output scores, not probabilities). A segmenter's
    `mean_iou` needs `num_classes`, the classes of its per-pixel logits; its
    `pixel_accuracy` is the share of pixels whose most probable class is right."""
    metrics = []
    for name in names:
        if name == "mean_iou":
            if not num_classes:
                raise ValueError("the metric 'mean_iou' needs num_classes, the classes of "
                                 "the model's per-pixel outputs.")
            metrics.append(keras.metrics.MeanIoU(num_classes, sparse_y_pred=False,
                                                 name="mean_iou"))
        elif name == "pixel_accuracy":
            metrics.append(keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"))
        elif name == "accuracy" and task == "binary-classification":
            metrics.append(keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy"))
        elif name == "rmse":
            metrics.append(keras.metrics.RootMeanSquaredError(name="rmse"))
        elif name == "nats_per_char":
            metrics.append(keras.metrics.SparseCategoricalCrossentropy(from_logits=True,
                                                                       name="nats_per_char"))
        elif name == "bits_per_char":
            metrics.append(BitsPerToken())
        elif name == "token_accuracy":
            metrics.append(keras.metrics.SparseCategoricalAccuracy(name="token_accuracy"))
        elif name == "bit_error_rate":
            metrics.append(BitErrorRate())
        else:
            metrics.append(name)
    return metrics
