"""A two-stage detector in the style of Faster R-CNN: Ren, He, Girshick and Sun (2015), "Faster
R-CNN: towards real-time object detection with region proposal networks", NeurIPS,
arXiv:1506.01497, on a feature pyramid (Lin et al. 2017, "Feature pyramid networks for object
detection", Section 4) with Mask R-CNN's RoIAlign (He et al. 2017).

- **Stage one, the region proposal network (RPN).** The same backbone and pyramid as
  `zoo.detection.single_shot`; a small shared head predicts, for each anchor of each level,
  an objectness logit and four box deltas. Anchors are matched to objects at IoU 0.7
  (positive) and 0.3 (negative), every object claiming its best anchor (Section 3.1.2).
  `zoo.detection.proposals.region_proposals` turns its outputs into each image's proposals.
- **Stage two, the box head.** Each proposal's features are read by RoIAlign
  (`zoo.detection.roi_align`, 7x7) from the pyramid level its size belongs to (FPN's Eq. 1,
  with the smallest anchor's size as the canonical one unless `canonical_size` says
  otherwise), flattened through two
  fully-connected layers, and classified over the classes and a background class by softmax,
  with box deltas for every class (Fast R-CNN, Girshick 2015). In training it learns from
  the regions `zoo.detection.proposals.sample_regions` draws, the objects among them.
- **Losses.** The RPN's binary cross-entropy, positives and negatives each averaged and
  added, in expectation what the paper's 1:1 draw of 256 anchors gives, without its
  sampling noise; smooth L1 of the positive anchors' deltas. The head's softmax
  cross-entropy over its regions, and smooth L1 of the foreground regions' deltas for their
  class (torchvision's weights 10, 10, 5, 5), summed over the regions' number. The
  proposals are constants to the second stage (the "approximate joint training" of
  Section 3.2).

Calling the model gives stage one's raw outputs, [batch, anchors, 4 + 1] (box deltas, then
objectness, in `anchors.anchor_boxes`' order); `detect` runs both stages and serves the
Object Detection API's names, as the one-stage detectors do (`serving_outputs`).
`zoo.detection.mask_rcnn` adds a third branch, a mask for each detection.
`region_classifier` adds R-CNN's second look (`zoo.detection.second_look`): a classifier of
each region's own pixels names the objects the box head finds, trained beside the detector
on the ground-truth objects' crops (`name_loss`).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from zoo import _validate
from zoo.detection import anchors as anchor_ops
from zoo.detection import second_look
from zoo.detection.backbones import backbone_features
from zoo.detection.boxes import area, clip
from zoo.detection.detector import BOX_DELTAS, Detector
from zoo.detection.heads import prediction_head
from zoo.detection.losses import smooth_l1
from zoo.detection.nms import batched_nms
from zoo.detection.proposals import region_proposals, sample_regions
from zoo.detection.pyramid import feature_pyramid
from zoo.detection.roi_align import roi_align
from zoo.detection.targets import assign, padded_ground_truth
from zoo.generative.trackers import mean_trackers

TWO_STAGE_FAMILY = "faster_rcnn"
OBJECTNESS = 1
HEAD_WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # torchvision's box coder for the second stage
SMOOTH_L1_BETA = 1 / 9  # torchvision's, for both stages


@keras.saving.register_keras_serializable(package="zoo")
class FasterRCNN(Detector):
    """A Faster R-CNN-style two-stage detector (see the module docstring).

    Args:
        num_classes: object classes, 0 .. num_classes - 1 (the head adds a background).
        backbone, channels, backbone_options, strides, width: as `SingleShotDetector`'s.
        anchor_sizes: each level's anchor size (one per stride); `aspect_ratios` (width /
            height) give the anchors of a cell (FPN: one size a level, three ratios).
        rpn_positive_iou, rpn_negative_iou: stage one's matching thresholds (0.7, 0.3).
        pre_nms, proposal_iou: the proposals kept before suppression and its IoU (0.7).
        train_proposals, test_proposals: the proposals kept an image after suppression.
        regions_per_image, positive_fraction: the regions the head learns from an image,
            and the most of them that are foreground.
        pool_size: RoIAlign's output (7 in the papers); `head_width` the fully-connected
            layers' (1,024 in FPN).
        canonical_size: the region size the finest level pools (FPN's Eq. 1, where 224 is
            read from its k0 = 4): a region of sqrt(area) in [c 2^k, c 2^(k+1)) reads level
            k, the coarsest beyond it. Default: the smallest anchor's size, so a region the
            size of a level's anchors (up to twice) reads that level; twice that reads every
            region up to four times the smallest anchor from the finest level.
        score_threshold, iou_threshold, max_detections: `detect`'s, per class.
        region_classifier: None, or a registered image classifier (e.g. "resnet20") that
            names each region from its pixels (`zoo.detection.second_look`): crops of
            `crop_size` pixels a side with `crop_context` of the box's side around it,
            learned from the ground-truth boxes moved by `crop_jitter` of their size.
    """

    LOSSES = ("loss", "rpn_object_loss", "rpn_box_loss", "class_loss", "box_loss")
    SECOND_LOOK_LOSS = "name_loss"

    def __init__(self, num_classes=20, backbone="resnet18", channels=1, backbone_options=None,
                 strides=(8, 16, 32), anchor_sizes=(16, 32, 64), aspect_ratios=(0.5, 1.0, 2.0),
                 width=128, rpn_positive_iou=0.7, rpn_negative_iou=0.3, pre_nms=1000,
                 proposal_iou=0.7, train_proposals=300, test_proposals=100,
                 regions_per_image=64, positive_fraction=0.25, pool_size=7, head_width=256,
                 score_threshold=0.05, iou_threshold=0.5, max_detections=100,
                 canonical_size=None, region_classifier=None, crop_size=32, crop_context=0.1,
                 crop_jitter=0.05, **kwargs):
        super().__init__(**kwargs)
        self._set_backbone(num_classes, backbone, channels, backbone_options)
        self._set_levels(strides, anchor_sizes, top_down=True)
        self.canonical_size = (self.anchor_sizes[0] if canonical_size is None
                               else _validate.positive("canonical_size", canonical_size))
        self.aspect_ratios = _validate.positive_numbers("aspect_ratios", aspect_ratios)
        self.width = _validate.positive_int("width", width)
        self.rpn_positive_iou = _validate.fraction("rpn_positive_iou", rpn_positive_iou,
                                                   inclusive_zero=False)
        self.rpn_negative_iou = _validate.fraction("rpn_negative_iou", rpn_negative_iou)
        if self.rpn_negative_iou > self.rpn_positive_iou:
            raise ValueError(f"rpn_negative_iou={rpn_negative_iou!r} must not exceed "
                             f"rpn_positive_iou={rpn_positive_iou!r}.")
        self.pre_nms = _validate.positive_int("pre_nms", pre_nms)
        self.proposal_iou = _validate.fraction("proposal_iou", proposal_iou)
        self.train_proposals = _validate.positive_int("train_proposals", train_proposals)
        self.test_proposals = _validate.positive_int("test_proposals", test_proposals)
        self.regions_per_image = _validate.positive_int("regions_per_image", regions_per_image)
        self.positive_fraction = _validate.fraction("positive_fraction", positive_fraction)
        self.pool_size = _validate.positive_int("pool_size", pool_size)
        self.head_width = _validate.positive_int("head_width", head_width)
        self._set_serving(score_threshold, iou_threshold, max_detections)
        self.crop_size, self.crop_context, self.crop_jitter = second_look.checked_options(
            crop_size, crop_context, crop_jitter)
        self.network = self._network()
        self.box_head = self._box_head()
        self.region_classifier_name = region_classifier
        self.region_classifier = None  # the second look's classifier, when one is named
        if region_classifier is not None:
            self.region_classifier = second_look.region_classifier(
                region_classifier, self.crop_size, self.channels, self.num_classes)
            self.crop_seeds = keras.random.SeedGenerator(0)
        self.trackers = mean_trackers(*self.LOSSES, *(
            [self.SECOND_LOOK_LOSS] if region_classifier is not None else []))
        self.built = True  # both parts are Functional, built when made

    @property
    def anchors_per_cell(self) -> int:
        return len(self.aspect_ratios)

    def _network(self) -> keras.Model:
        """Images to the RPN's outputs [batch, anchors, 5] and the pyramid's maps."""
        extractor = backbone_features(self.backbone, self.strides, self.channels,
                                      self.backbone_options)
        maps = [extractor.output[f"stride_{stride}"] for stride in self.strides]
        levels = feature_pyramid(maps, self.strides, self.width)
        k = self.anchors_per_cell
        objectness = prediction_head(self.width, 1, k * OBJECTNESS, name="rpn_objectness")
        deltas = prediction_head(self.width, 1, k * BOX_DELTAS, name="rpn_deltas")
        rpn = keras.layers.Concatenate(name="rpn_outputs")([
            keras.layers.Concatenate(axis=1, name="rpn_deltas_all")([
                keras.layers.Reshape((-1, BOX_DELTAS), name=f"rpn_deltas_stride_{s}")(
                    deltas(x)) for x, s in zip(levels, self.strides, strict=True)]),
            keras.layers.Concatenate(axis=1, name="rpn_objectness_all")([
                keras.layers.Reshape((-1, OBJECTNESS), name=f"rpn_objectness_stride_{s}")(
                    objectness(x)) for x, s in zip(levels, self.strides, strict=True)])])
        return keras.Model(extractor.inputs, [rpn, *levels], name="network")

    def _box_head(self) -> keras.Model:
        """Pooled regions [R, pool, pool, width] to [R, (num_classes + 1) + 4 num_classes]:
        background and class logits, then each class's box deltas."""
        pooled = keras.Input((self.pool_size, self.pool_size, self.width), name="regions")
        x = keras.layers.Flatten(name="flatten")(pooled)
        x = keras.layers.Dense(self.head_width, activation="relu", name="fc6")(x)
        x = keras.layers.Dense(self.head_width, activation="relu", name="fc7")(x)
        logits = keras.layers.Dense(self.num_classes + 1, name="class_logits",
                                    kernel_initializer=keras.initializers.RandomNormal(
                                        stddev=0.01))(x)
        deltas = keras.layers.Dense(BOX_DELTAS * self.num_classes, name="box_deltas",
                                    kernel_initializer=keras.initializers.RandomNormal(
                                        stddev=0.001))(x)
        return keras.Model(pooled, keras.layers.Concatenate(name="head_outputs")(
            [logits, deltas]), name="box_head")

    # --- stage one ---------------------------------------------------------------------------

    def call(self, images, training=False):
        """Stage one's raw outputs [batch, anchors, 4 + 1]: box deltas, then objectness."""
        return self.network(self._pixels(images), training=training)[0]

    @property
    def scores_per_anchor(self) -> int:
        """Stage one's scores an anchor: objectness alone."""
        return OBJECTNESS

    def anchors_for(self, image_size) -> tf.Tensor:
        return anchor_ops.anchor_boxes(image_size, strides=self.strides,
                                       sizes=self.anchor_sizes, scales=(1.0,),
                                       aspect_ratios=self.aspect_ratios)

    def propose(self, images, count=None):
        """Stage one alone: each image's proposals (`proposals.Proposals`), the best `count`
        (the model's `test_proposals` by default)."""
        rpn = self(images, training=False)
        return self._proposals(rpn, tf.shape(images)[1:3],
                               self.test_proposals if count is None else count)

    def _proposals(self, rpn, image_size, count):
        deltas, objectness = rpn[..., :BOX_DELTAS], rpn[..., BOX_DELTAS]
        return region_proposals(tf.stop_gradient(deltas), tf.stop_gradient(objectness),
                                self.anchors_for(image_size), image_size,
                                pre_nms=self.pre_nms, post_nms=count,
                                iou_threshold=self.proposal_iou)

    # --- stage two ---------------------------------------------------------------------------

    def _pool(self, levels, boxes, images, size):
        """RoIAlign (`size` x `size`) of `boxes` [N, 4], box n from image `images[n]`, each
        from the level its size belongs to: [N, size, size, width]. FPN's Eq. 1,
        k = k0 + floor(log2(sqrt(wh) / 224)), with `canonical_size` in 224's place."""
        side = tf.sqrt(tf.maximum(area(boxes), 1e-6))
        level = tf.clip_by_value(
            tf.cast(tf.floor(tf.math.log(side / self.canonical_size) / math.log(2.0)),
                    tf.int32), 0, len(self.strides) - 1)
        # Each level pools only its own regions; dynamic_stitch puts them back in order.
        positions, pooled = [], []
        for index, (features, stride) in enumerate(zip(levels, self.strides, strict=True)):
            here = tf.cast(tf.where(level == index)[:, 0], tf.int32)
            positions.append(here)
            pooled.append(roi_align(features, tf.gather(boxes, here), tf.gather(images, here),
                                    (size, size), stride=stride))
        return tf.dynamic_stitch(positions, pooled)

    def _pool_batch(self, levels, boxes, size):
        """`_pool` of every image's regions `boxes` [B, R, 4]: [B * R, size, size, width]."""
        batch, regions = tf.shape(boxes)[0], tf.shape(boxes)[1]
        return self._pool(levels, tf.reshape(boxes, [-1, 4]),
                          tf.repeat(tf.range(batch), regions), size)

    def _head(self, levels, boxes, training):
        """Head outputs for regions `boxes` [B, R, 4]: (logits [B, R, C + 1], deltas
        [B, R, C, 4])."""
        outputs = self.box_head(self._pool_batch(levels, boxes, self.pool_size),
                                training=training)
        shape = tf.shape(boxes)
        logits = tf.reshape(outputs[:, :self.num_classes + 1],
                            [shape[0], shape[1], self.num_classes + 1])
        deltas = tf.reshape(outputs[:, self.num_classes + 1:],
                            [shape[0], shape[1], self.num_classes, BOX_DELTAS])
        return logits, deltas

    def detect(self, images, score_threshold=None, iou_threshold=None, max_detections=None):
        """Both stages, then per-class non-maximum suppression: `detection_boxes` [batch,
        max_detections, 4] ("xyxy" pixels, clipped), `detection_scores` (the box head's
        softmax probabilities; with a second look, its object probability times the region
        classifier's), `detection_classes` (int32, 0-based) and `num_detections` [batch]."""
        return self._detections(images, score_threshold, iou_threshold, max_detections)[0]

    def _detections(self, images, score_threshold=None, iou_threshold=None,
                    max_detections=None):
        """(`detect`'s dict, stage one's raw outputs, the pyramid's maps)."""
        image_size = tf.shape(images)[1:3]
        pixels = self._pixels(images)
        rpn, *levels = self.network(pixels, training=False)
        proposals = self._proposals(rpn, image_size, self.test_proposals)
        logits, deltas = self._head(levels, proposals.boxes, training=False)
        valid = tf.sequence_mask(proposals.count, tf.shape(proposals.boxes)[1])
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32)) * tf.cast(
            valid, tf.float32)[..., None]
        boxes = clip(anchor_ops.decode(tf.cast(deltas, tf.float32),
                                       proposals.boxes[:, :, None, :], weights=HEAD_WEIGHTS),
                     image_size)
        score_threshold = self.score_threshold if score_threshold is None else score_threshold
        if self.region_classifier is None:
            scores = probabilities[..., 1:]
        else:
            # Each region is cut out at the box of the class the head rates most likely.
            best = tf.gather(boxes, tf.argmax(probabilities[..., 1:], -1, output_type=tf.int32),
                             axis=2, batch_dims=2)
            scores = second_look.second_look_scores(
                self.region_classifier, pixels, best, probabilities, side=self.crop_size,
                context=self.crop_context, score_threshold=score_threshold)
        most = self.max_detections if max_detections is None else max_detections
        found = batched_nms(
            boxes, scores, self.iou_threshold if iou_threshold is None else iou_threshold,
            max_output_per_class=most, max_output=most, score_threshold=score_threshold)
        return found, rpn, levels

    def serving_outputs(self, images) -> dict:
        """What an exported detector serves (`zoo.detection.signatures`): the detections
        and stage one's raw outputs as `anchor_outputs`."""
        found, rpn, _ = self._detections(images)
        return {**found, "anchor_outputs": rpn}

    # --- training ----------------------------------------------------------------------------

    def detection_losses(self, images, targets, training=False) -> dict:
        """`{"loss", "rpn_object_loss", "rpn_box_loss", "class_loss", "box_loss"}` for
        `images` against padded `targets` (the module docstring's losses)."""
        return self._two_stage_losses(images, targets, training)[0]

    def _two_stage_losses(self, images, targets, training):
        """(`detection_losses`' dict, the pyramid's maps, the sampled regions)."""
        gt_boxes, gt_classes = padded_ground_truth(targets, self.num_classes)
        image_size = tf.shape(images)[1:3]
        pixels = self._pixels(images)
        rpn, *levels = self.network(pixels, training=training)
        rpn = tf.cast(rpn, tf.float32)
        anchors = self.anchors_for(image_size)
        matched = assign(anchors, gt_boxes, gt_classes, positive=self.rpn_positive_iou,
                         negative=self.rpn_negative_iou)
        positive = tf.cast(matched.label == anchor_ops.POSITIVE, tf.float32)
        negative = tf.cast(matched.label == anchor_ops.NEGATIVE, tf.float32)
        positives = tf.maximum(tf.reduce_sum(positive), 1.0)
        entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=positive,
                                                          logits=rpn[..., BOX_DELTAS])
        rpn_object_loss = (tf.reduce_sum(entropy * positive) / positives
                           + tf.reduce_sum(entropy * negative)
                           / tf.maximum(tf.reduce_sum(negative), 1.0))
        wanted = anchor_ops.encode(tf.where(positive[..., None] > 0, matched.boxes, anchors),
                                   anchors)
        rpn_box_loss = tf.reduce_sum(tf.reduce_sum(smooth_l1(
            wanted, rpn[..., :BOX_DELTAS], beta=SMOOTH_L1_BETA, reduction="none"), -1)
            * positive) / positives

        proposals = self._proposals(rpn, image_size, self.train_proposals)
        regions = sample_regions(proposals, gt_boxes, gt_classes,
                                 regions_per_image=self.regions_per_image,
                                 positive_fraction=self.positive_fraction)
        logits, deltas = self._head(levels, regions.boxes, training)
        logits, deltas = tf.cast(logits, tf.float32), tf.cast(deltas, tf.float32)
        valid = tf.cast(regions.valid, tf.float32)
        count = tf.maximum(tf.reduce_sum(valid), 1.0)
        class_loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=regions.classes + 1, logits=logits) * valid) / count
        foreground = tf.cast(regions.classes >= 0, tf.float32) * valid
        own = tf.gather(deltas, tf.maximum(regions.classes, 0), axis=2, batch_dims=2)
        # Padding regions are zero boxes: encode them against a unit box, masked out.
        safe = tf.where(valid[..., None] > 0, regions.boxes, tf.constant([0., 0., 1., 1.]))
        wanted = anchor_ops.encode(tf.where(valid[..., None] > 0, regions.targets, safe),
                                   safe, weights=HEAD_WEIGHTS)
        box_loss = tf.reduce_sum(tf.reduce_sum(smooth_l1(
            wanted, own, beta=SMOOTH_L1_BETA, reduction="none"), -1) * foreground) / count
        losses = {"loss": rpn_object_loss + rpn_box_loss + class_loss + box_loss,
                  "rpn_object_loss": rpn_object_loss, "rpn_box_loss": rpn_box_loss,
                  "class_loss": class_loss, "box_loss": box_loss}
        if self.region_classifier is not None:
            name_loss = second_look.naming_loss(
                self.region_classifier, pixels, gt_boxes, gt_classes, side=self.crop_size,
                context=self.crop_context, jitter=self.crop_jitter, seed=self.crop_seeds,
                training=training)
            losses = {**losses, "loss": losses["loss"] + name_loss,
                      self.SECOND_LOOK_LOSS: name_loss}
        return losses, levels, regions

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Both stages' loss for images `x` and targets `y` (the second stage needs the
        pyramid's maps, so the network runs again; `y_pred` is not used)."""
        return self.detection_losses(x, y, training=training)["loss"]

    def training_losses(self, images, targets, training: bool) -> dict:
        return self.detection_losses(images, targets, training=training)

    def get_config(self):
        return {**super().get_config(), "strides": self.strides,
                "anchor_sizes": self.anchor_sizes, "aspect_ratios": self.aspect_ratios,
                "width": self.width, "rpn_positive_iou": self.rpn_positive_iou,
                "rpn_negative_iou": self.rpn_negative_iou, "pre_nms": self.pre_nms,
                "proposal_iou": self.proposal_iou, "train_proposals": self.train_proposals,
                "test_proposals": self.test_proposals,
                "regions_per_image": self.regions_per_image,
                "positive_fraction": self.positive_fraction, "pool_size": self.pool_size,
                "head_width": self.head_width, "canonical_size": self.canonical_size,
                "region_classifier": self.region_classifier_name,
                "crop_size": self.crop_size, "crop_context": self.crop_context,
                "crop_jitter": self.crop_jitter}
