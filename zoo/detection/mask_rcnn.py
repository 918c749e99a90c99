"""Instance segmentation in the style of Mask R-CNN: He, Gkioxari, Dollar and Girshick (2017),
"Mask R-CNN", ICCV, arXiv:1703.06870: `zoo.detection.two_stage.FasterRCNN` with a third
branch that predicts a mask for each detected object.

- **The mask head** (Section 3, Figure 4, right: FPN's head). Each foreground region's
  features are read by RoIAlign at 14x14 from the level its size belongs to (as the box
  head's 7x7), through `mask_convs` 3x3 convolutions with ReLU, a 2x2 transposed
  convolution of stride 2, and a 1x1 convolution to one 28x28 mask logit map per class. The
  paper stacks four convolutions of 256 channels for COCO's 80 classes; the defaults here
  are lighter (`zoo.models.detection.mask_rcnn` says what and why).
- **Its loss** ("L_mask", Section 3): the average binary cross-entropy per pixel of the mask
  of the region's ground-truth class only (a sigmoid per class, so the classes do not
  compete: the box head has already named the class), over the foreground regions
  `zoo.detection.proposals.sample_regions` draws for the box head. The target is the
  region's object's mask read inside the region's box (`zoo.detection.masks`).
- **At test time** (Section 3.1, "Inference"): the mask branch runs on the detections
  after non-maximum suppression, and each detection keeps the mask of its predicted class:
  `detection_masks`, [batch, max_detections, 28, 28] probabilities in the frame of the
  detection's box, as the TF Object Detection API serves them. `zoo.detection.masks.
  paste_masks` puts them on the image; the paper binarises them at 0.5.

Training needs each object's mask: `(images, {"boxes", "classes", "masks"})` batches, which
`zoo.data.load(dataset, targets="masks")` gives (the `instance-segmentation` task asks for
them itself).
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
import tensorflow as tf

from zoo import _validate
from zoo.detection.masks import region_mask_targets
from zoo.detection.two_stage import FasterRCNN

MASK_FAMILY = "mask_rcnn"


@keras.saving.register_keras_serializable(package="zoo")
class MaskRCNN(FasterRCNN):
    """A Mask R-CNN-style detector (see the module docstring).

    Args:
        mask_pool_size: RoIAlign's output for the mask head (14 in the paper); the masks
            are twice its side (28).
        mask_convs, mask_width: the mask head's 3x3 convolutions and their channels (the
            paper: 4 and 256).
        The rest: `FasterRCNN`'s.
    """

    LOSSES = (*FasterRCNN.LOSSES, "mask_loss")

    def __init__(self, *args, mask_pool_size=14, mask_convs=2, mask_width=64, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_pool_size = _validate.positive_int("mask_pool_size", mask_pool_size)
        self.mask_convs = _validate.non_negative_int("mask_convs", mask_convs)
        self.mask_width = _validate.positive_int("mask_width", mask_width)
        self.mask_head = self._mask_head()

    @property
    def mask_size(self) -> int:
        """The side of each predicted mask: the pooled side, upsampled twice."""
        return 2 * self.mask_pool_size

    def _mask_head(self) -> keras.Model:
        """Pooled regions [R, 14, 14, width] to mask logits [R, 28, 28, num_classes]."""
        side = self.mask_pool_size
        pooled = keras.Input((side, side, self.width), name="regions")
        x = pooled
        for index in range(self.mask_convs):
            x = keras.layers.Conv2D(self.mask_width, 3, padding="same", activation="relu",
                                    kernel_initializer="he_normal",
                                    name=f"mask_conv{index + 1}")(x)
        x = keras.layers.Conv2DTranspose(self.mask_width, 2, strides=2, activation="relu",
                                         kernel_initializer="he_normal",
                                         name="mask_upsample")(x)
        logits = keras.layers.Conv2D(self.num_classes, 1, name="mask_logits")(x)
        return keras.Model(pooled, logits, name="mask_head")

    def _masks(self, levels, boxes, images, classes, training):
        """Mask logits [N, 28, 28] of regions `boxes` [N, 4] of images `images` [N], each
        the map of its class `classes` [N]."""
        # A spare region, dropped at the end, keeps the batch from being empty (no object in
        # a training batch, nothing detected): TensorFlow's CPU convolution fails on a batch
        # of none.
        boxes = tf.concat([tf.cast(boxes, tf.float32), [[0.0, 0.0, 1.0, 1.0]]], 0)
        images = tf.concat([tf.cast(images, tf.int32), [0]], 0)
        classes = tf.concat([tf.cast(classes, tf.int32), [0]], 0)
        logits = self.mask_head(self._pool(levels, boxes, images, self.mask_pool_size),
                                training=training)
        return tf.gather(tf.cast(logits, tf.float32), classes, axis=-1, batch_dims=1)[:-1]

    # --- inference ---------------------------------------------------------------------------

    def detect(self, images, score_threshold=None, iou_threshold=None, max_detections=None):
        """`FasterRCNN.detect`'s outputs and `detection_masks` [batch, max_detections, 28, 28]:
        each detection's mask for its class, probabilities in its box's frame (zeros for the
        padding past `num_detections`)."""
        found, _, levels = self._detections(images, score_threshold, iou_threshold,
                                            max_detections)
        return {**found, "detection_masks": self._detection_masks(found, levels)}

    def _detection_masks(self, found, levels):
        boxes = found["detection_boxes"]
        real = tf.cast(tf.where(tf.sequence_mask(found["num_detections"],
                                                  tf.shape(boxes)[1])), tf.int32)
        images = real[:, 0]
        logits = self._masks(levels, tf.gather_nd(boxes, real), images,
                             tf.gather_nd(found["detection_classes"], real), training=False)
        shape = tf.concat([tf.shape(boxes)[:2], [self.mask_size, self.mask_size]], 0)
        return tf.scatter_nd(real, tf.sigmoid(logits), shape)

    def serving_outputs(self, images) -> dict:
        """What an exported Mask R-CNN serves: `detect`'s outputs with `detection_masks`,
        and stage one's raw outputs as `anchor_outputs`."""
        found, rpn, levels = self._detections(images)
        return {**found, "detection_masks": self._detection_masks(found, levels),
                "anchor_outputs": rpn}

    # --- training ----------------------------------------------------------------------------

    def detection_losses(self, images, targets, training=False) -> dict:
        """`FasterRCNN.detection_losses`' dict with `mask_loss` (the module docstring's),
        added to the total; `targets` must hold the objects' "masks" [B, M, H, W]."""
        if not isinstance(targets, Mapping) or "masks" not in targets:
            got = sorted(targets) if isinstance(targets, Mapping) else type(targets).__name__
            raise ValueError(
                f"a Mask R-CNN trains on targets with 'masks' [batch, objects, height, width] "
                f"beside 'boxes' and 'classes' (zoo.data.load(dataset, targets='masks')); "
                f"got {got}.")
        masks = tf.convert_to_tensor(targets["masks"])
        slots, pixels = tf.convert_to_tensor(targets["classes"]).shape[1:2], images.shape[1:3]
        if (masks.shape.rank != 4 or not masks.shape[1:2].is_compatible_with(slots)
                or not masks.shape[2:].is_compatible_with(pixels)):
            raise ValueError(f"targets['masks'] of shape {tuple(masks.shape)} must be [batch, "
                             f"objects, height, width], one mask per object slot of "
                             f"targets['classes'] ({slots[0]}) the size of the images "
                             f"{tuple(pixels)}.")
        losses, levels, regions = self._two_stage_losses(images, targets, training)
        foreground = tf.where((regions.classes >= 0) & regions.valid)  # [N, 2]: image, region
        images_of = tf.cast(foreground[:, 0], tf.int32)
        boxes = tf.gather_nd(regions.boxes, foreground)
        wanted = region_mask_targets(masks, tf.gather_nd(regions.objects, foreground), boxes,
                                     images_of, self.mask_size)
        logits = self._masks(levels, boxes, images_of, tf.gather_nd(regions.classes, foreground),
                             training)
        entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=wanted, logits=logits)
        regions_count = tf.cast(tf.shape(foreground)[0], tf.float32)
        mask_loss = tf.reduce_sum(tf.reduce_mean(entropy, axis=[1, 2])) / tf.maximum(
            regions_count, 1.0)
        return {**losses, "loss": losses["loss"] + mask_loss, "mask_loss": mask_loss}

    def get_config(self):
        return {**super().get_config(), "mask_pool_size": self.mask_pool_size,
                "mask_convs": self.mask_convs, "mask_width": self.mask_width}
