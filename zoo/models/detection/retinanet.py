"""RetinaNet (Lin, Goyal, Girshick, He and Dollar, 2017, "Focal loss for dense object
detection") on the grey detection canvases: a `zoo.detection.single_shot.SingleShotDetector`
with a ResNet-18 backbone (He et al. 2016; the paper's backbones are ResNet-50 and -101),
a feature pyramid at strides 8, 16 and 32, shared class and box heads, the focal loss and
smooth L1 box regression.

The canvases (`zoo.data.canvas`) are 128x128 grey images of 0 to 6 objects,
Fashion-MNIST items and MNIST digits 14 to 56 pixels on a side, in 20 classes. Their objects
are smaller than COCO's, so the anchors are too: base sizes 16, 32 and 64 (twice each stride,
where RetinaNet's are four times), with RetinaNet's three scales an octave apart in thirds and
three aspect ratios, covering 16 to 100 pixels. The pyramid and heads are 128 wide with two
hidden convolutions (256 and four in Lin et al.), for a two-core CPU. The recipe: Adam, gradients
clipped at norm 10 against the focal loss's spikes in the first steps, 12 epochs (about 40
minutes on two cores); benchmarks/detection.py records what it reaches on the test
canvases. Unlike the other detectors' recipes it does not recompose the canvases every epoch:
recomposed, its classification loss diverged in the eleventh epoch and the run scored below
this recipe's (benchmarks/results/detection_ablations.json).
"""

from zoo.registry import Recipe, Reference, register, search_space

LIN_2017 = Reference("Focal loss for dense object detection",
                     "Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P.", 2017,
                     "https://arxiv.org/abs/1708.02002")
# The canvases' catalog name (zoo.data.canvas).
CANVAS_DATASET = "fashion_digits_canvas"
CANVAS_CLASSES = 20  # ten Fashion-MNIST items and ten digits

RECIPE = Recipe(loss="focal_and_box", optimizer="adam", learning_rate=1e-3, epochs=12,
                batch_size=32, gradient_clip_norm=10.0, patience=5)


def retinanet_space(hp) -> dict:
    """The width and depth of the pyramid's shared class and box heads, which the module
    narrows from the paper's 256 and four for a CPU (Lin et al., 2017, section 4). The
    anchors, matching thresholds and decoding define the task's targets and outputs, and the
    focal loss's alpha and gamma would change the loss that compares trials, so they stay."""
    return {"width": hp.Choice("width", [64, 128, 256], default=128),
            "head_depth": hp.Int("head_depth", 1, 4, default=2)}


@search_space(retinanet_space)
@register("retinanet_resnet18", family="retinanet", task="object-detection", api="subclass",
          input_shape=(None, None, 1), input_name="image", dataset=CANVAS_DATASET,
          num_classes=CANVAS_CLASSES, recipe=RECIPE, reference=LIN_2017)
def retinanet(num_classes=CANVAS_CLASSES, channels=1, backbone="resnet18",
              backbone_options=None, strides=(8, 16, 32), anchor_sizes=(16, 32, 64),
              anchor_scales=(1.0, 2 ** (1 / 3), 2 ** (2 / 3)), aspect_ratios=(0.5, 1.0, 2.0),
              feature_pyramid=True, width=128, head_depth=2, prior_probability=0.01,
              positive_iou=0.5, negative_iou=0.4, focal_alpha=0.25, focal_gamma=2.0,
              box_loss="smooth_l1", smooth_l1_beta=0.11, score_threshold=0.05,
              iou_threshold=0.5, max_detections=100, name="retinanet_resnet18"):
    """RetinaNet: a ResNet-18 feature pyramid at strides 8, 16 and 32 with shared class and
    box heads, trained with the focal loss; images of any size, served after per-class
    non-maximum suppression.

    `backbone` is any of `zoo.detection.backbones.BACKBONES` (`backbone_options` go to its
    factory); the other arguments are `zoo.detection.single_shot.SingleShotDetector`'s.
    """
    from zoo.detection.single_shot import SingleShotDetector

    return SingleShotDetector(
        num_classes=num_classes, backbone=backbone, channels=channels,
        backbone_options=backbone_options, strides=strides, anchor_sizes=anchor_sizes,
        anchor_scales=anchor_scales, aspect_ratios=aspect_ratios,
        feature_pyramid=feature_pyramid, width=width, head_depth=head_depth,
        prior_probability=prior_probability, positive_iou=positive_iou,
        negative_iou=negative_iou, focal_alpha=focal_alpha, focal_gamma=focal_gamma,
        box_loss=box_loss, smooth_l1_beta=smooth_l1_beta, score_threshold=score_threshold,
        iou_threshold=iou_threshold, max_detections=max_detections, name=name)
