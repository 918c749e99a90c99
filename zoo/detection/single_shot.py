"""A one-stage ("single-shot") detector in the style of RetinaNet (Lin, Goyal, Girshick, He and
Dollar (2017), "Focal loss for dense object detection", ICCV, arXiv:1708.02002) and SSD (Liu,
Anguelov, Erhan, Szegedy, Reed, Fu and Berg (2016), "SSD: single shot multibox detector", ECCV,
arXiv:1512.02325): no region proposals and no second stage; every anchor of every level is
classified and regressed at once.

- A zoo backbone (a registered classifier built headless for any image size) gives maps at a
  few strides (`zoo.features`);
- an optional feature pyramid (`zoo.detection.pyramid`, Lin et al. 2017, "Feature pyramid
  networks") brings them to one width, or 1x1 laterals alone do (SSD's separate levels);
- shared class and box heads (`zoo.detection.heads`) predict at every cell, for each of its
  anchors (`zoo.detection.anchors`), one logit per class and four box deltas.

Calling the model gives those raw outputs, [batch, anchors, 4 + num_classes]: the box deltas
(dx, dy, dw, dh) then the class logits, anchor by anchor in `anchors.anchor_boxes`' order,
which is what training needs. `detect` decodes them on the anchors of the image size at hand,
scores each class by its sigmoid and keeps the best boxes after per-class non-maximum
suppression, under the TensorFlow Object Detection API's names (`nms.batched_nms`):
`detection_boxes` ("xyxy" in pixels, clipped to the image), `detection_scores`,
`detection_classes` (int32, 0-based) and `num_detections`.

`fit` runs `train_step` on `(images, {"boxes", "classes"})` batches in keras_cv's padded
convention (`zoo.detection.targets`): each image's anchors are matched to its objects and the
loss is RetinaNet's focal loss plus a box loss over positive anchors, normalised by their
number (`losses.single_shot_losses`). It logs `loss`, `class_loss` and `box_loss`.

Images are float in [0, 1], as `zoo.data` gives them, or uint8 in [0, 255] (scaled here), of any
height and width. Anchors are computed in the graph from `tf.shape(images)`, so one model, and
one exported signature, serves every size.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from zoo import _validate
from zoo.detection import anchors as anchor_ops
from zoo.detection.backbones import backbone_features
from zoo.detection.boxes import clip
from zoo.detection.detector import BOX_DELTAS, Detector
from zoo.detection.heads import PRIOR_PROBABILITY, prediction_head, prior_bias
from zoo.detection.losses import BOX_LOSSES, single_shot_losses
from zoo.detection.nms import batched_nms
from zoo.detection.pyramid import feature_pyramid
from zoo.detection.targets import assign, padded_ground_truth
from zoo.generative.trackers import mean_trackers


@keras.saving.register_keras_serializable(package="zoo")
class SingleShotDetector(Detector):
    """A RetinaNet/SSD-style detector (see the module docstring).

    Args:
        num_classes: object classes, 0 .. num_classes - 1 (no background class: a sigmoid
            per class, as RetinaNet).
        backbone: a registered name from `zoo.detection.backbones.BACKBONES`, built with
            `include_top=False` for images of any size with `channels`; `backbone_options`
            go to its factory (e.g. `{"alpha": 0.35}` for a narrow MobileNetV2).
        strides: the backbone levels predicted from, fine to coarse.
        anchor_sizes: each level's base anchor size in pixels, one per stride;
            `anchor_scales` and `aspect_ratios` (width / height) as `anchors.anchor_boxes`.
        feature_pyramid: the FPN's top-down path (True) or 1x1 laterals alone (False).
        width: the channels of the pyramid and of the heads' hidden layers (256 in Lin et al.).
        head_depth: the heads' hidden 3x3 convolutions (4 in Lin et al.).
        prior_probability: every class's score at initialisation (`heads.prior_bias`).
        positive_iou, negative_iou: the matching thresholds (`anchors.match`).
        focal_alpha, focal_gamma: the focal loss's (`losses.sigmoid_focal_loss`).
        box_loss: "smooth_l1" of the encoded deltas (with `smooth_l1_beta`) or "giou".
        score_threshold, iou_threshold, max_detections: `detect`'s defaults (a box must
            score above the first; boxes of a class overlapping a better one by more than
            the second are dropped; at most `max_detections` per image).
    """

    def __init__(self, num_classes=20, backbone="resnet18", channels=1, backbone_options=None,
                 strides=(8, 16, 32), anchor_sizes=(32, 64, 128),
                 anchor_scales=anchor_ops.RETINANET_SCALES,
                 aspect_ratios=anchor_ops.RETINANET_ASPECT_RATIOS, feature_pyramid=True,
                 width=256, head_depth=4, prior_probability=PRIOR_PROBABILITY,
                 positive_iou=0.5, negative_iou=0.4, focal_alpha=0.25, focal_gamma=2.0,
                 box_loss="smooth_l1", smooth_l1_beta=0.11, score_threshold=0.05,
                 iou_threshold=0.5, max_detections=100, **kwargs):
        super().__init__(**kwargs)
        self._set_backbone(num_classes, backbone, channels, backbone_options)
        _validate.boolean("feature_pyramid", feature_pyramid)
        self.feature_pyramid = feature_pyramid
        self._set_levels(strides, anchor_sizes, top_down=feature_pyramid)
        self.anchor_scales = _validate.positive_numbers("anchor_scales", anchor_scales)
        self.aspect_ratios = _validate.positive_numbers("aspect_ratios", aspect_ratios)
        self.width = _validate.positive_int("width", width)
        self.head_depth = _validate.positive_int("head_depth", head_depth)
        self.prior_probability = _validate.fraction("prior_probability", prior_probability,
                                                    inclusive_zero=False)
        self.positive_iou = _validate.fraction("positive_iou", positive_iou,
                                               inclusive_zero=False)
        self.negative_iou = _validate.fraction("negative_iou", negative_iou)
        if self.negative_iou > self.positive_iou:
            raise ValueError(f"negative_iou={negative_iou!r} must not exceed "
                             f"positive_iou={positive_iou!r}.")
        self.focal_alpha = None if focal_alpha is None \
            else _validate.fraction("focal_alpha", focal_alpha)
        self.focal_gamma = _validate.non_negative("focal_gamma", focal_gamma)
        self.box_loss = _validate.choice("box_loss", box_loss, BOX_LOSSES)
        self.smooth_l1_beta = _validate.non_negative("smooth_l1_beta", smooth_l1_beta)
        self._set_serving(score_threshold, iou_threshold, max_detections)
        self.network = self._network()
        self.trackers = mean_trackers("loss", "class_loss", "box_loss")
        self.built = True  # the network is Functional, built when made

    @property
    def anchors_per_cell(self) -> int:
        return len(self.anchor_scales) * len(self.aspect_ratios)

    @property
    def scores_per_anchor(self) -> int:
        """The logits each anchor predicts beside its box deltas: one per class (a
        YOLO-style detector adds an objectness logit before them)."""
        return self.num_classes

    def initial_score_bias(self):
        """The class head's last bias: every class's logit at `prior_probability`
        (`heads.prior_bias`)."""
        return prior_bias(self.prior_probability)

    def _network(self) -> keras.Model:
        """Images to [batch, anchors, 4 + num_classes], one Functional model."""
        extractor = backbone_features(self.backbone, self.strides, self.channels,
                                      self.backbone_options)
        maps = [extractor.output[f"stride_{stride}"] for stride in self.strides]
        levels = feature_pyramid(maps, self.strides, self.width, top_down=self.feature_pyramid)
        k = self.anchors_per_cell
        scores = self.scores_per_anchor
        class_head = prediction_head(self.width, self.head_depth, k * scores,
                                     bias=self.initial_score_bias(), name="class_head")
        box_head = prediction_head(self.width, self.head_depth, k * BOX_DELTAS, name="box_head")
        # [batch, H, W, k * n] reshapes to [batch, H * W * k, n] in the anchors' own order.
        deltas = keras.layers.Concatenate(axis=1, name="box_deltas")([
            keras.layers.Reshape((-1, BOX_DELTAS), name=f"box_deltas_stride_{s}")(box_head(x))
            for x, s in zip(levels, self.strides, strict=True)])
        logits = keras.layers.Concatenate(axis=1, name="class_logits")([
            keras.layers.Reshape((-1, scores), name=f"class_logits_stride_{s}")(
                class_head(x)) for x, s in zip(levels, self.strides, strict=True)])
        outputs = keras.layers.Concatenate(name="anchor_outputs")([deltas, logits])
        return keras.Model(extractor.inputs, outputs, name="network")

    # --- outputs -----------------------------------------------------------------------------

    def call(self, images, training=False):
        """Raw per-anchor outputs [batch, anchors, 4 + num_classes]: box deltas, then class
        logits."""
        return self.network(self._pixels(images), training=training)

    @staticmethod
    def split_outputs(outputs):
        """(box deltas [..., 4], class logits [..., num_classes]) of raw outputs."""
        return outputs[..., :BOX_DELTAS], outputs[..., BOX_DELTAS:]

    def anchors_for(self, image_size) -> tf.Tensor:
        """The "xyxy" anchors [A, 4] of images of `image_size` (height, width): two ints, or
        `tf.shape(images)[1:3]` in the graph."""
        return anchor_ops.anchor_boxes(image_size, strides=self.strides,
                                       sizes=self.anchor_sizes, scales=self.anchor_scales,
                                       aspect_ratios=self.aspect_ratios)

    def _anchors_of(self, image_size, outputs) -> tf.Tensor:
        anchors = self.anchors_for(image_size)
        # A backbone whose grid is not the anchors' would pair outputs with the wrong anchors.
        check = tf.debugging.assert_equal(
            tf.shape(anchors)[0], tf.shape(outputs)[1],
            message="the detector's outputs and its anchors differ in number")
        with tf.control_dependencies([check]):
            return tf.identity(anchors)

    def detect(self, images, score_threshold=None, iou_threshold=None, max_detections=None):
        """Detections in `images` after per-class non-maximum suppression (`detections`)."""
        return self.detections(self(images, training=False), tf.shape(images)[1:3],
                               score_threshold, iou_threshold, max_detections)

    def serving_outputs(self, images) -> dict:
        """What an exported detector serves (`zoo.detection.signatures`): the detections and
        the raw outputs they were decoded from, as `anchor_outputs`."""
        outputs = self(images, training=False)
        return {**self.detections(outputs, tf.shape(images)[1:3]), "anchor_outputs": outputs}

    def detections(self, outputs, image_size, score_threshold=None, iou_threshold=None,
                   max_detections=None) -> dict:
        """Raw `outputs` of images of `image_size` decoded on their anchors, scored by the
        sigmoid of each class and reduced by per-class non-maximum suppression:
        `detection_boxes` [batch, max_detections, 4] ("xyxy" pixels, clipped to the image),
        `detection_scores`, `detection_classes` (int32, 0-based) and `num_detections` [batch]
        (int32), zero past each image's count. The thresholds default to the model's."""
        deltas, logits = self.split_outputs(outputs)
        boxes = clip(anchor_ops.decode(deltas, self._anchors_of(image_size, outputs)),
                     image_size)
        most = self.max_detections if max_detections is None else max_detections
        return batched_nms(
            boxes, tf.sigmoid(logits),
            self.iou_threshold if iou_threshold is None else iou_threshold,
            max_output_per_class=most, max_output=most,
            score_threshold=self.score_threshold if score_threshold is None
            else score_threshold)

    # --- training ----------------------------------------------------------------------------

    def detection_losses(self, images, targets, outputs) -> dict:
        """`{"loss", "class_loss", "box_loss"}` of raw `outputs` for `images` against padded
        `targets` (`zoo.detection.targets`)."""
        boxes, classes = padded_ground_truth(targets, self.num_classes)
        anchors = self._anchors_of(tf.shape(images)[1:3], outputs)
        assigned = assign(anchors, boxes, classes, positive=self.positive_iou,
                          negative=self.negative_iou)
        deltas, logits = self.split_outputs(ops.cast(outputs, "float32"))
        class_loss, box_loss = single_shot_losses(
            deltas, logits, anchors, assigned, alpha=self.focal_alpha, gamma=self.focal_gamma,
            box_loss=self.box_loss, beta=self.smooth_l1_beta)
        return {"loss": class_loss + box_loss, "class_loss": class_loss, "box_loss": box_loss}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The detection loss of outputs `y_pred` for images `x` and targets `y`."""
        return self.detection_losses(x, y, y_pred)["loss"]

    def training_losses(self, images, targets, training: bool) -> dict:
        return self.detection_losses(images, targets, self(images, training=training))

    def get_config(self):
        return {**super().get_config(), "strides": self.strides,
                "anchor_sizes": self.anchor_sizes, "anchor_scales": self.anchor_scales,
                "aspect_ratios": self.aspect_ratios, "feature_pyramid": self.feature_pyramid,
                "width": self.width, "head_depth": self.head_depth,
                "prior_probability": self.prior_probability,
                "positive_iou": self.positive_iou, "negative_iou": self.negative_iou,
                "focal_alpha": self.focal_alpha, "focal_gamma": self.focal_gamma,
                "box_loss": self.box_loss, "smooth_l1_beta": self.smooth_l1_beta}
