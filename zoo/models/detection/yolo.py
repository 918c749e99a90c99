"""A YOLO-style detector (Redmon, Divvala, Girshick and Farhadi, 2016; multi-scale as YOLOv3,
Redmon and Farhadi, 2018) on the grey detection canvases: `zoo.detection.yolo.YoloDetector`
with the same ResNet-18 feature pyramid and shared heads as `retinanet_resnet18`, so that the
two differ only in what the textbooks set apart: an object is learned only at the cell of its
centre, by the anchors whose prior shapes fit it, an objectness score says whether an anchor
holds an object, and boxes are predicted within the cell.

YOLOv3's darknet-53 backbone and its nine k-means priors (10x13 to 373x326 pixels on COCO's
416-pixel images) are for objects far larger than the canvases' 14 to 56 pixels; here a level
has three priors, its size (16, 32 and 64 at strides 8, 16 and 32) at aspect ratios 1:2, 1:1
and 2:1, and a box may grow to four times its prior. Each object is given to every prior
whose shape IoU with it exceeds 0.213 (YOLOv4's darknet default), not to the best one alone
(YOLOv3's, `multi_anchor_iou=None`): on the tree crowns, 30 epochs reached mAP@0.5 0.087
against 0.059 with the best prior alone (benchmarks/detection.py's tree settings, one seed).
The recipe is RetinaNet's (Adam at 1e-3, gradients clipped at norm 10, 12 epochs) with new
training canvases every epoch (`augment="recompose"`, `zoo.data.recompose`): on the stored
canvases alone YOLO scored COCO mAP 0.4782 on the test canvases, recomposed 0.5534, every
class higher (benchmarks/results/detection_ablations.json holds the run without;
benchmarks/detection.py records what the recipe reaches).
"""

from zoo.registry import Recipe, Reference, register, search_space

REDMON_2018 = Reference("YOLOv3: an incremental improvement", "Redmon, J. and Farhadi, A.",
                        2018, "https://arxiv.org/abs/1804.02767")
CANVAS_DATASET = "fashion_digits_canvas"
CANVAS_CLASSES = 20  # ten Fashion-MNIST items and ten digits

RECIPE = Recipe(loss="objectness_class_and_box", optimizer="adam", learning_rate=1e-3,
                epochs=12, batch_size=32, gradient_clip_norm=10.0, patience=5,
                dataset_options={"augment": "recompose"})


def yolo_space(hp) -> dict:
    """The shared heads' width and depth (as RetinaNet's search space), and the weight of the
    box loss against objectness and class, which YOLO papers tune by hand (YOLOv1's
    lambda_coord = 5). The priors and the ignore threshold define what is learned and stay."""
    return {"width": hp.Choice("width", [64, 128, 256], default=128),
            "head_depth": hp.Int("head_depth", 1, 4, default=2),
            "box_weight": hp.Choice("box_weight", [0.5, 1.0, 2.0, 5.0], default=1.0)}


@search_space(yolo_space)
@register("yolo_resnet18", family="yolo", task="object-detection", api="subclass",
          input_shape=(None, None, 1), input_name="image", dataset=CANVAS_DATASET,
          num_classes=CANVAS_CLASSES, recipe=RECIPE, reference=REDMON_2018)
def yolo(num_classes=CANVAS_CLASSES, channels=1, backbone="resnet18", backbone_options=None,
         strides=(8, 16, 32), anchor_sizes=(16, 32, 64), aspect_ratios=(0.5, 1.0, 2.0),
         feature_pyramid=True, width=128, head_depth=2, prior_probability=0.01,
         multi_anchor_iou=0.213, ignore_iou=0.5, box_weight=1.0, score_threshold=0.05,
         iou_threshold=0.5, max_detections=100, name="yolo_resnet18"):
    """YOLO-style: a ResNet-18 feature pyramid at strides 8, 16 and 32, three priors a level,
    each object learned at its centre's cell by the priors that fit its shape, objectness
    times class scores; images of any size, served after per-class non-maximum suppression.

    `backbone` is any of `zoo.detection.backbones.BACKBONES`; the other arguments are
    `zoo.detection.yolo.YoloDetector`'s.
    """
    from zoo.detection.yolo import YoloDetector

    return YoloDetector(
        num_classes=num_classes, backbone=backbone, channels=channels,
        backbone_options=backbone_options, strides=strides, anchor_sizes=anchor_sizes,
        aspect_ratios=aspect_ratios, feature_pyramid=feature_pyramid, width=width,
        head_depth=head_depth, prior_probability=prior_probability,
        multi_anchor_iou=multi_anchor_iou, ignore_iou=ignore_iou,
        box_weight=box_weight, score_threshold=score_threshold, iou_threshold=iou_threshold,
        max_detections=max_detections, name=name)
