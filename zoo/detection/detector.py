"""What every zoo detector shares, whatever its stages: images of any size with its
`channels` (uint8 pixels scaled to [0, 1]), raw per-anchor outputs of `BOX_DELTAS` box numbers
and `scores_per_anchor` scores, and `fit` on `(images, {"boxes", "classes"})` batches in
keras_cv's padded convention (`zoo.detection.targets`) through the subclass's
`training_losses`, whose dict of losses `fit` logs."""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf
from keras import ops

from zoo import _validate
from zoo.detection import anchors as anchor_ops
from zoo.detection.backbones import BACKBONES, checked_backbone_options
from zoo.generative.trackers import TrackedModel, report
from zoo.models._common import CHANNELS

BOX_DELTAS = 4


class Detector(TrackedModel):
    """A detector's plumbing; subclasses call `_set_backbone`, `_set_levels` and
    `_set_serving` in their constructor, set `anchors_per_cell` and `scores_per_anchor`, and
    define `training_losses(images, targets, training)`, the dict of losses (`"loss"` the
    total) that `train_step` minimises and `fit` logs."""

    def _set_backbone(self, num_classes, backbone, channels, backbone_options) -> None:
        """Validate and keep what every detector's network starts from."""
        self.num_classes = _validate.positive_int("num_classes", num_classes)
        self.backbone = _validate.choice("backbone", backbone, BACKBONES)
        self.channels = _validate.choice("channels", channels, CHANNELS)
        self.backbone_options = checked_backbone_options(backbone_options)

    def _set_levels(self, strides, anchor_sizes, top_down: bool) -> None:
        """Validate and keep the levels predicted from, fine to coarse, and each one's anchor
        size; with a feature pyramid's top-down path (`top_down`) each stride must divide
        the next (the path upsamples by their ratio)."""
        strides = _validate.widths("strides", strides)
        if any(fine >= coarse for fine, coarse in zip(strides, strides[1:], strict=False)):
            raise ValueError(f"strides={strides!r} must increase, fine to coarse.")
        if top_down and any(coarse % fine for fine, coarse in zip(strides, strides[1:],
                                                                 strict=False)):
            raise ValueError(f"strides={strides!r}: with a feature pyramid each stride must "
                             "divide the next (the top-down path upsamples by their ratio).")
        self.strides = strides
        self.anchor_sizes = _validate.positive_numbers("anchor_sizes", anchor_sizes)
        if len(self.anchor_sizes) != len(self.strides):
            raise ValueError(f"anchor_sizes={tuple(anchor_sizes)!r} must give one size per "
                             f"stride; strides={self.strides!r}.")

    def _set_serving(self, score_threshold, iou_threshold, max_detections) -> None:
        """Validate and keep `detect`'s defaults: a box must score above the first; boxes of
        a class overlapping a better one by more than the second are dropped; at most
        `max_detections` an image."""
        if isinstance(score_threshold, bool) or not isinstance(score_threshold, numbers.Real):
            raise ValueError(f"score_threshold={score_threshold!r} must be a number.")
        self.score_threshold = float(score_threshold)
        self.iou_threshold = _validate.fraction("iou_threshold", iou_threshold)
        self.max_detections = _validate.positive_int("max_detections", max_detections)

    def _pixels(self, images):
        """Float images in [0, 1] from float ones (as they are) or uint8 ones (/ 255)."""
        if len(images.shape) != 4 or images.shape[-1] != self.channels:
            raise ValueError(f"images of shape {tuple(images.shape)} do not fit this detector: "
                             f"it takes (batch, height, width, {self.channels}).")
        if keras.backend.standardize_dtype(images.dtype) == "uint8":
            return ops.cast(images, "float32") / 255.0
        return ops.cast(images, "float32")

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "backbone": self.backbone, "channels": self.channels,
                # The file a backbone started from (weights=path) is not needed to rebuild
                # the detector, whose saved weights replace it, and may be gone by then.
                "backbone_options": {name: value for name, value in
                                     self.backbone_options.items() if name != "weights"},
                "score_threshold": self.score_threshold, "iou_threshold": self.iou_threshold,
                "max_detections": self.max_detections}

    def compute_output_shape(self, input_shape):
        height, width = input_shape[1:3]
        count = None
        if height is not None and width is not None:
            cells = anchor_ops.feature_shapes((height, width), self.strides)
            count = sum(rows * cols for rows, cols in cells) * self.anchors_per_cell
        return (input_shape[0], count, BOX_DELTAS + self.scores_per_anchor)

    def train_step(self, data):
        images, targets = self._images_and_targets(data)
        with tf.GradientTape() as tape:
            losses = self.training_losses(images, targets, training=True)
            scaled = self.optimizer.scale_loss(losses["loss"])
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        return report(self.trackers, losses)

    def test_step(self, data):
        images, targets = self._images_and_targets(data)
        return report(self.trackers, self.training_losses(images, targets, training=False))

    @staticmethod
    def _images_and_targets(data):
        images, targets, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if targets is None or sample_weight is not None:
            raise ValueError("a detector trains on (images, {'boxes': ..., 'classes': ...}) "
                             "batches, without sample weights.")
        return images, targets
