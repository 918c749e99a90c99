"""A Faster R-CNN-style two-stage detector (Ren, He, Girshick and Sun, 2015) on the grey
detection canvases: `zoo.detection.two_stage.FasterRCNN` on the same ResNet-18 feature pyramid
as `retinanet_resnet18` and `yolo_resnet18`, with a region proposal network, RoIAlign (He et
al. 2017) and a two-layer box head.

The paper's VGG-16 or ResNet-101, its 1,024-wide head and 512 anchors a level's worth of
sizes are for PASCAL and COCO images; on 128x128 canvases of 14- to 56-pixel objects the
anchors are the one-stage detectors' sizes (16, 32 and 64 at strides 8, 16 and 32, three
ratios each, as FPN), the head is 256 wide, and an image gives the head 64 regions (the paper:
128 at 25% foreground). RoIAlign reads every region up to 64 pixels from the stride-8 map
(`canonical_size=32`, twice FPN's choice of the smallest anchor): with 16, regions of 32
pixels and more were read from stride 16, two to four cells across, and the largest clothes
were named worse than the middle sizes; with 32 the test COCO mAP rose from 0.6762 to 0.6909
(benchmarks/results/detection_ablations.json, variant "canonical_size=16"). The recipe is the
one-stage detectors' (Adam at 1e-3, gradients clipped at norm 10, 12 epochs) with new training
canvases every epoch (`augment="recompose"`, `zoo.data.recompose`): on the stored canvases
alone it scored COCO mAP 0.6523 on the test canvases, recomposed 0.6762, 17 of the 20
classes higher (both reading regions as before; benchmarks/detection.py records what the
recipe reaches).
"""

from zoo.registry import Recipe, Reference, register, search_space

GIRSHICK_2014 = Reference("Rich feature hierarchies for accurate object detection and semantic "
                          "segmentation", "Girshick, R., Donahue, J., Darrell, T. and Malik, J.",
                          2014, "https://arxiv.org/abs/1311.2524")
REN_2015 = Reference("Faster R-CNN: towards real-time object detection with region proposal "
                     "networks", "Ren, S., He, K., Girshick, R. and Sun, J.", 2015,
                     "https://arxiv.org/abs/1506.01497")
CANVAS_DATASET = "fashion_digits_canvas"
CANVAS_CLASSES = 20  # ten Fashion-MNIST items and ten digits

RECIPE = Recipe(loss="proposal_and_region", optimizer="adam", learning_rate=1e-3, epochs=12,
                batch_size=32, gradient_clip_norm=10.0, patience=5,
                dataset_options={"augment": "recompose"})


def faster_rcnn_space(hp) -> dict:
    """The pyramid's width, the box head's, and the regions an image gives the head. The
    anchors and the matching thresholds define the proposals, and stay."""
    return {"width": hp.Choice("width", [64, 128, 256], default=128),
            "head_width": hp.Choice("head_width", [128, 256, 512], default=256),
            "regions_per_image": hp.Choice("regions_per_image", [32, 64, 128], default=64)}


CARD = dict(family="faster_rcnn", task="object-detection", api="subclass",
            input_shape=(None, None, 1), input_name="image", dataset=CANVAS_DATASET,
            num_classes=CANVAS_CLASSES, recipe=RECIPE)


@search_space(faster_rcnn_space)
@register("faster_rcnn_resnet18", reference=REN_2015, **CARD)
@register("faster_rcnn_second_look_resnet18", reference=GIRSHICK_2014,
          defaults={"region_classifier": "resnet20",
                    "name": "faster_rcnn_second_look_resnet18"}, **CARD)
def faster_rcnn(num_classes=CANVAS_CLASSES, channels=1, backbone="resnet18",
                backbone_options=None, strides=(8, 16, 32), anchor_sizes=(16, 32, 64),
                aspect_ratios=(0.5, 1.0, 2.0), width=128, rpn_positive_iou=0.7,
                rpn_negative_iou=0.3, pre_nms=1000, proposal_iou=0.7, train_proposals=300,
                test_proposals=100, regions_per_image=64, positive_fraction=0.25,
                pool_size=7, head_width=256, score_threshold=0.05, iou_threshold=0.5,
                max_detections=100, canonical_size=32, region_classifier=None, crop_size=32,
                crop_context=0.1, crop_jitter=0.05, name="faster_rcnn_resnet18"):
    """Faster R-CNN: a ResNet-18 feature pyramid, a region proposal network, RoIAlign and a
    two-layer box head that classifies each proposal and refines its box; images of any
    size, served after per-class non-maximum suppression. With a `region_classifier`
    (`faster_rcnn_second_look_resnet18`: ResNet-20), R-CNN's second look names each
    detected object from its own pixels, a 32x32 crop (Girshick et al. 2014).

    `backbone` is any of `zoo.detection.backbones.BACKBONES`; the other arguments are
    `zoo.detection.two_stage.FasterRCNN`'s.
    """
    from zoo.detection.two_stage import FasterRCNN

    return FasterRCNN(
        num_classes=num_classes, backbone=backbone, channels=channels,
        backbone_options=backbone_options, strides=strides, anchor_sizes=anchor_sizes,
        aspect_ratios=aspect_ratios, width=width, rpn_positive_iou=rpn_positive_iou,
        rpn_negative_iou=rpn_negative_iou, pre_nms=pre_nms, proposal_iou=proposal_iou,
        train_proposals=train_proposals, test_proposals=test_proposals,
        regions_per_image=regions_per_image, positive_fraction=positive_fraction,
        pool_size=pool_size, head_width=head_width, score_threshold=score_threshold,
        iou_threshold=iou_threshold, max_detections=max_detections,
        canonical_size=canonical_size, region_classifier=region_classifier,
        crop_size=crop_size, crop_context=crop_context, crop_jitter=crop_jitter, name=name)
