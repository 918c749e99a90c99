"""A Mask R-CNN-style instance segmenter (He, Gkioxari, Dollar and Girshick, 2017) on the grey
detection canvases: `zoo.detection.mask_rcnn.MaskRCNN`, `faster_rcnn_resnet18`'s two-stage
detector with a mask head that paints each detected object's pixels.

The canvases' objects are Fashion-MNIST items and MNIST digits, whose masks are their own
inked pixels (`zoo.data.load("fashion_digits_canvas", targets="masks")`). The paper's mask
head (four 3x3 convolutions of 256 channels on 14x14 regions) is sized for COCO's 80 classes
of natural objects; on 2 CPU cores it would cost several times the backbone (a region's four
convolutions alone are 0.9 G multiply-adds, and a batch of 32 canvases trains up to 512
regions). Here two convolutions of 64 channels (26 M multiply-adds a region) paint the 20
classes' 28x28 masks. The recipe is Faster R-CNN's: Adam at 1e-3, gradients clipped at norm
10, 12 epochs, new training canvases every epoch (`augment="recompose"`: the stored canvases
alone gave mask AP 0.5669 against 0.5937 recomposed, benchmarks/results/
detection_ablations.json); benchmarks/detection.py records the box and mask APs it reaches on
the test canvases. Unlike `faster_rcnn_resnet18` (`canonical_size=32`, measured better there),
its regions are pooled by the smallest anchor's size (`canonical_size` 16): its run with 32
(`--model-option canonical_size=32`) scored lower, mask AP 0.5835 against 0.5937 and box
COCO mAP 0.6441 against 0.692 (benchmarks/results/detection_ablations.json, variant
"canonical_size=32"; one seed, its validation loss rising over the last two epochs).
"""

from zoo.models.detection.faster_rcnn import CANVAS_CLASSES, CANVAS_DATASET, faster_rcnn_space
from zoo.registry import Recipe, Reference, register, search_space

HE_2017 = Reference("Mask R-CNN", "He, K., Gkioxari, G., Dollar, P. and Girshick, R.", 2017,
                    "https://arxiv.org/abs/1703.06870")

RECIPE = Recipe(loss="proposal_region_and_mask", optimizer="adam", learning_rate=1e-3,
                epochs=12, batch_size=32, gradient_clip_norm=10.0, patience=5,
                dataset_options={"augment": "recompose"})


def mask_rcnn_space(hp) -> dict:
    """Faster R-CNN's widths and regions, and the mask head's depth and width."""
    return {**faster_rcnn_space(hp),
            "mask_convs": hp.Choice("mask_convs", [1, 2, 4], default=2),
            "mask_width": hp.Choice("mask_width", [32, 64, 128], default=64)}


@search_space(mask_rcnn_space)
@register("mask_rcnn_resnet18", family="mask_rcnn", task="instance-segmentation",
          api="subclass", input_shape=(None, None, 1), input_name="image",
          dataset=CANVAS_DATASET, num_classes=CANVAS_CLASSES, recipe=RECIPE, reference=HE_2017)
def mask_rcnn(num_classes=CANVAS_CLASSES, channels=1, backbone="resnet18",
              backbone_options=None, strides=(8, 16, 32), anchor_sizes=(16, 32, 64),
              aspect_ratios=(0.5, 1.0, 2.0), width=128, rpn_positive_iou=0.7,
              rpn_negative_iou=0.3, pre_nms=1000, proposal_iou=0.7, train_proposals=300,
              test_proposals=100, regions_per_image=64, positive_fraction=0.25, pool_size=7,
              head_width=256, mask_pool_size=14, mask_convs=2, mask_width=64,
              score_threshold=0.05, iou_threshold=0.5, max_detections=100,
              canonical_size=None, name="mask_rcnn_resnet18"):
    """Mask R-CNN: `faster_rcnn_resnet18`'s detector (ResNet-18 feature pyramid, region
    proposals, RoIAlign, box head) and a mask head that gives each detection a 28x28 mask of
    its class; images of any size, served with `detection_masks` beside the boxes.

    `backbone` is any of `zoo.detection.backbones.BACKBONES`; the other arguments are
    `zoo.detection.mask_rcnn.MaskRCNN`'s.
    """
    from zoo.detection.mask_rcnn import MaskRCNN

    return MaskRCNN(
        num_classes=num_classes, backbone=backbone, channels=channels,
        backbone_options=backbone_options, strides=strides, anchor_sizes=anchor_sizes,
        aspect_ratios=aspect_ratios, width=width, rpn_positive_iou=rpn_positive_iou,
        rpn_negative_iou=rpn_negative_iou, pre_nms=pre_nms, proposal_iou=proposal_iou,
        train_proposals=train_proposals, test_proposals=test_proposals,
        regions_per_image=regions_per_image, positive_fraction=positive_fraction,
        pool_size=pool_size, head_width=head_width, mask_pool_size=mask_pool_size,
        mask_convs=mask_convs, mask_width=mask_width, score_threshold=score_threshold,
        iou_threshold=iou_threshold, max_detections=max_detections,
        canonical_size=canonical_size, name=name)
