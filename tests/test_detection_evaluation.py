"""Detection metrics: average precision on hand-computed curves, COCO and VOC mAP on a
hand-computed case, where their matching differs, pycocotools on random detections (boxes and
instance masks), and bad input."""

import contextlib
import io

import numpy as np
import pytest

from zoo.detection.evaluation import average_precision, coco_map, voc_map
from zoo.detection.objects import detections_by_size, pooled, size_bin_names, size_bins


def test_average_precision_on_hand_computed_curves():
    # Two objects; a hit then a miss. All-point: 0.5 * 1 + 0.5 * 0.5. 101 points: 1 at recall
    # 0..0.50 (51 points), 0.5 at 0.51..1 (50 points).
    recall, precision = [0.5, 1.0], [1.0, 0.5]
    assert average_precision(recall, precision) == pytest.approx(0.75)
    assert average_precision(recall, precision, interpolation="101_point") == pytest.approx(
        (51 + 25) / 101)
    # A later, higher precision lifts the earlier one (the envelope): hit, miss, hit, hit of 4.
    recall, precision = [0.25, 0.25, 0.5, 0.75], [1, 0.5, 2 / 3, 0.75]
    assert average_precision(recall, precision) == pytest.approx(0.25 + 0.5 * 0.75)
    assert average_precision([], []) == 0.0


# Two images of class 0. Image 0 has objects A [0, 0, 10, 10] and B [20, 20, 30, 30] and the
# detections: A exactly (0.9), A again shifted by 1 (0.8; IoU 81 / 119 = 0.68 with A, a
# duplicate), B with its bottom one pixel low (0.6; IoU 100 / 110 = 0.91). Image 1 has object
# C [0, 0, 10, 10], missed, and a false alarm [50, 50, 60, 60] (0.7).
# In order of score: hit, miss, miss, hit of 3 objects; recall 1/3, 1/3, 1/3, 2/3, precision
# 1, 1/2, 1/3, 1/2. All-point AP: 1/3 * 1 + 1/3 * 1/2 = 0.5. 101-point AP: 1 at recall 0..0.33
# (34 points), 1/2 at 0.34..0.66 (33 points): (34 + 16.5) / 101 = 0.5. At IoU 0.95 detection B
# misses too: 34 / 101. COCO's AP@[.5:.95] averages 0.5 at 0.50..0.90 and 34 / 101 at 0.95.
HAND_PREDICTIONS = [
    {"boxes": [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 31]], "scores": [0.9, 0.8, 0.6],
     "classes": [0, 0, 0]},
    {"boxes": [[50, 50, 60, 60]], "scores": [0.7], "classes": [0]},
]
HAND_TRUTHS = [
    {"boxes": [[0, 0, 10, 10], [20, 20, 30, 30]], "classes": [0, 0]},
    {"boxes": [[0, 0, 10, 10]], "classes": [0]},
]


def test_coco_and_voc_map_on_a_hand_computed_case():
    coco = coco_map(HAND_PREDICTIONS, HAND_TRUTHS)
    assert coco["map_50"] == pytest.approx(0.5)
    assert coco["map_75"] == pytest.approx(0.5)
    assert coco["map"] == pytest.approx((9 * 0.5 + 34 / 101) / 10)
    assert coco["map_per_class"] == {0: pytest.approx(coco["map"])}
    voc = voc_map(HAND_PREDICTIONS, HAND_TRUTHS)
    assert voc == {"map": pytest.approx(0.5), "map_per_class": {0: pytest.approx(0.5)}}
    # At IoU 0.95 VOC misses B as COCO does: hit, miss, miss, miss; recall stays 1/3.
    assert voc_map(HAND_PREDICTIONS, HAND_TRUTHS, iou_threshold=0.95)["map"] == pytest.approx(
        1 / 3)


def test_classes_without_objects_are_skipped_and_classes_never_detected_score_zero():
    predictions = [dict(HAND_PREDICTIONS[0]), dict(HAND_PREDICTIONS[1])]
    # A confident detection of class 7, which no image has: ignored.
    predictions[1] = {"boxes": [[50, 50, 60, 60], [0, 0, 10, 10]], "scores": [0.7, 0.99],
                      "classes": [0, 7]}
    # An object of class 3 that nothing detects: AP 0.
    truths = [HAND_TRUTHS[0], {"boxes": [[0, 0, 10, 10], [70, 70, 80, 80]], "classes": [0, 3]}]
    coco = coco_map(predictions, truths)
    assert coco["map_per_class"] == {0: pytest.approx((9 * 0.5 + 34 / 101) / 10), 3: 0.0}
    assert coco["map_50"] == pytest.approx(0.25)
    assert voc_map(predictions, truths)["map_per_class"] == {0: pytest.approx(0.5), 3: 0.0}


def test_coco_and_voc_match_a_second_detection_differently():
    # Objects A [0, 0, 10, 10] and B [0, 4, 10, 14]. The first detection is A; the second
    # [0, 1.5, 10, 11.5] overlaps A more (85 / 115 = 0.74) than B (75 / 125 = 0.6). VOC looks
    # only at A, already taken: a false positive, AP 0.5. COCO takes B: AP 1.
    predictions = [{"boxes": [[0, 0, 10, 10], [0, 1.5, 10, 11.5]], "scores": [0.9, 0.8],
                    "classes": [1, 1]}]
    truths = [{"boxes": [[0, 0, 10, 10], [0, 4, 10, 14]], "classes": [1, 1]}]
    assert voc_map(predictions, truths)["map"] == pytest.approx(0.5)
    assert coco_map(predictions, truths)["map_50"] == pytest.approx(1.0)


def test_coco_keeps_only_the_best_max_detections_per_image_and_class():
    # 100 false alarms outscore the one true detection.
    alarms = [[200 + 3 * i, 0, 202 + 3 * i, 2] for i in range(100)]
    predictions = [{"boxes": [*alarms, [0, 0, 10, 10]],
                    "scores": [0.9] * 100 + [0.1], "classes": [0] * 101}]
    truths = [{"boxes": [[0, 0, 10, 10]], "classes": [0]}]
    assert coco_map(predictions, truths)["map"] == 0.0
    # With room for it: recall 1 at precision 1/101, read at all 101 recall points.
    assert coco_map(predictions, truths, max_detections=101)["map"] == pytest.approx(1 / 101)


def test_images_without_objects_or_detections():
    empty_prediction = {"boxes": np.zeros((0, 4)), "scores": [], "classes": []}
    empty_truth = {"boxes": [], "classes": []}
    # Nothing to find anywhere: no class to average over.
    nothing = coco_map([empty_prediction, empty_prediction], [empty_truth, empty_truth])
    assert np.isnan(nothing["map"]) and nothing["map_per_class"] == {}
    assert np.isnan(voc_map([empty_prediction], [empty_truth])["map"])
    assert np.isnan(coco_map([], [])["map"])
    # An image with nothing in it and nothing detected changes nothing.
    padded = coco_map([*HAND_PREDICTIONS, empty_prediction], [*HAND_TRUTHS, empty_truth])
    assert padded == coco_map(HAND_PREDICTIONS, HAND_TRUTHS)
    assert voc_map([*HAND_PREDICTIONS, empty_prediction], [*HAND_TRUTHS, empty_truth]) == (
        voc_map(HAND_PREDICTIONS, HAND_TRUTHS))


def test_evaluation_refuses_bad_input():
    with pytest.raises(ValueError, match=r"predictions has 2 images and ground_truths has 1"):
        coco_map(HAND_PREDICTIONS, HAND_TRUTHS[:1])
    with pytest.raises(ValueError, match=r"predictions\[0\]\['boxes'\] of shape \(2, 3\)"):
        coco_map([{"boxes": np.zeros((2, 3)), "scores": [1, 1], "classes": [0, 0]}],
                 HAND_TRUTHS[:1])
    with pytest.raises(ValueError, match=r"predictions\[0\]\['scores'\] of shape \(1,\) must"):
        voc_map([{"boxes": np.zeros((2, 4)), "scores": [1], "classes": [0, 0]}],
                HAND_TRUTHS[:1])
    with pytest.raises(ValueError, match=r"ground_truths\[1\] must be a mapping with the key "
                                         r"'classes'; got dict with keys \['boxes'\]"):
        coco_map(HAND_PREDICTIONS, [HAND_TRUTHS[0], {"boxes": []}])
    with pytest.raises(ValueError, match=r"max_detections=0"):
        coco_map(HAND_PREDICTIONS, HAND_TRUTHS, max_detections=0)
    with pytest.raises(ValueError, match=r"interpolation='11_point'"):
        average_precision([1.0], [1.0], interpolation="11_point")
    with pytest.raises(ValueError, match=r"recall of shape \(2,\) and precision of shape"):
        average_precision([0.5, 1.0], [1.0])


def _random_detections(seed, images=40, classes=4):
    """Objects of `classes` classes in random places; detections that find most of them with
    some jitter (so that IoUs spread over COCO's thresholds), sometimes twice or with the
    wrong class, plus false alarms, some of a class that no image has. Some objects overlap
    another of their class. Every fifth image is empty; one has 150 low-scoring detections,
    beyond COCO's maxDets of 100."""
    rng = np.random.default_rng(seed)
    predictions, truths = [], []
    for i in range(images):
        count = 0 if i % 5 == 0 else int(rng.integers(1, 7))
        corner = rng.uniform(0, 300, (count, 2))
        size = rng.uniform(8, 80, (count, 2))
        gt_classes = rng.integers(0, classes, count)
        if count >= 2 and i % 2:
            # Two objects of a class overlapping (IoU 0.57), where COCO's and VOC's matching
            # of a second detection differ.
            corner[1], size[1] = corner[0] + 0.15 * size[0], size[0]
            gt_classes[1] = gt_classes[0]
        gt_boxes = np.concatenate([corner, corner + size], 1)
        found = rng.random(count) < 0.85
        twice = rng.random(count) < 0.2
        jitter = rng.normal(0, 0.08, (count, 4)) * np.concatenate([size, size], 1)
        boxes = [(gt_boxes + jitter)[found], (gt_boxes - 1.5 * jitter)[twice]]
        wrong = rng.random(count) < 0.1
        labels = [np.where(wrong, rng.integers(0, classes, count), gt_classes)[found],
                  gt_classes[twice]]
        alarms = int(rng.integers(0, 4)) if i != 7 else 150
        alarm_corner = rng.uniform(0, 300, (alarms, 2))
        boxes.append(np.concatenate([alarm_corner, alarm_corner + rng.uniform(8, 80, (alarms, 2))],
                                    1))
        labels.append(rng.integers(0, classes + 1, alarms) if i != 7 else np.zeros(alarms, int))
        boxes, labels = np.concatenate(boxes), np.concatenate(labels)
        scores = rng.uniform(0, 1, len(boxes)) * (0.3 if i == 7 else 1.0)
        predictions.append({"boxes": boxes, "scores": scores, "classes": labels})
        truths.append({"boxes": gt_boxes, "classes": gt_classes})
    return predictions, truths


def _ellipse_masks(boxes, side=360):
    """The ellipse inscribed in each "xyxy" box, drawn on a side x side image."""
    rows, cols = np.mgrid[:side, :side] + 0.5
    masks = []
    for x1, y1, x2, y2 in np.asarray(boxes, np.float64).reshape(-1, 4):
        radius_x, radius_y = max((x2 - x1) / 2, 1e-6), max((y2 - y1) / 2, 1e-6)
        masks.append(((cols - (x1 + x2) / 2) / radius_x) ** 2
                     + ((rows - (y1 + y2) / 2) / radius_y) ** 2 <= 1)
    return np.array(masks, bool).reshape(-1, side, side)


def _with_masks(predictions, truths):
    return ([{**p, "masks": _ellipse_masks(p["boxes"])} for p in predictions],
            [{**t, "masks": _ellipse_masks(t["boxes"])} for t in truths])


def _pycocotools_map(predictions, truths, iou_type="bbox"):
    """pycocotools' AP@[.5:.95], AP@.5 and AP@.75 (maxDets 100, area "all") of the same
    detections, its datasets built in memory. COCO boxes are [x, y, width, height]; ids start
    at 1, as pycocotools takes a gt id of 0 for "unmatched"."""
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box):
        return [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]

    def region(entry, index):
        if iou_type == "bbox":
            return {"bbox": xywh(entry["boxes"][index])}
        rle = mask_utils.encode(np.asfortranarray(entry["masks"][index].astype(np.uint8)))
        return {"segmentation": rle}

    annotations, results, categories = [], [], set()
    for image_id, (predicted, truth) in enumerate(zip(predictions, truths, strict=True), 1):
        for index, (box, cls) in enumerate(zip(truth["boxes"], truth["classes"], strict=True)):
            categories.add(int(cls))
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": int(cls), "bbox": xywh(box),
                                "area": xywh(box)[2] * xywh(box)[3], "iscrowd": 0,
                                **region(truth, index)})
        for index, (score, cls) in enumerate(zip(predicted["scores"], predicted["classes"],
                                                 strict=True)):
            categories.add(int(cls))
            results.append({"image_id": image_id, "category_id": int(cls),
                            "score": float(score), **region(predicted, index)})
    with contextlib.redirect_stdout(io.StringIO()):
        ground_truth = COCO()
        ground_truth.dataset = {
            "info": {}, "images": [{"id": i, "height": 360, "width": 360}
                                   for i in range(1, len(truths) + 1)],
            "annotations": annotations, "categories": [{"id": c} for c in sorted(categories)]}
        ground_truth.createIndex()
        evaluation = COCOeval(ground_truth, ground_truth.loadRes(results), iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation.stats[:3]


@pytest.mark.parametrize("seed", [0, 1])
def test_coco_map_equals_pycocotools_on_random_detections(seed):
    predictions, truths = _random_detections(seed)
    ours = coco_map(predictions, truths)
    reference = _pycocotools_map(predictions, truths)
    # Not a degenerate case: some, not all, of the objects found at each threshold.
    assert 0.1 < reference[2] < reference[0] < reference[1] < 0.95
    # They agree to rounding (about 1e-16 measured); 1e-6 is far below what a wrong rule
    # costs here (measured on seed 0): without the cut at 100 detections "map" moves by 2e-4,
    # with all-point interpolation by 3e-4, and with VOC's matching "map_50" by 9e-4.
    assert ours["map"] == pytest.approx(reference[0], abs=1e-6)
    assert ours["map_50"] == pytest.approx(reference[1], abs=1e-6)
    assert ours["map_75"] == pytest.approx(reference[2], abs=1e-6)
    uncut = coco_map(predictions, truths, max_detections=1000)["map"]
    assert abs(uncut - reference[0]) > 1e-4
    # VOC's all-point AP at 0.5 is close to COCO's, not equal: another interpolation and
    # another rule for second detections.
    assert voc_map(predictions, truths)["map"] == pytest.approx(ours["map_50"], abs=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_mask_map_equals_pycocotools_segm_on_random_masks(seed):
    # The objects and detections are the ellipses in the random boxes (on 360x360 images),
    # so the masks overlap less than their boxes and the two APs differ.
    predictions, truths = _with_masks(*_random_detections(seed))
    ours = coco_map(predictions, truths, iou_type="segm")
    reference = _pycocotools_map(predictions, truths, "segm")
    assert 0.1 < reference[0] < reference[1] < 0.95 and 0.1 < reference[2] < 0.95
    assert ours["map"] == pytest.approx(reference[0], abs=1e-6)
    assert ours["map_50"] == pytest.approx(reference[1], abs=1e-6)
    assert ours["map_75"] == pytest.approx(reference[2], abs=1e-6)
    assert abs(ours["map"] - coco_map(predictions, truths)["map"]) > 1e-3


def test_mask_map_scores_the_masks_not_the_boxes():
    truth = {"boxes": np.array([[10, 10, 50, 50]]), "classes": [0]}
    truth["masks"] = _ellipse_masks(truth["boxes"])
    exact_box = {"boxes": truth["boxes"], "scores": [0.9], "classes": [0]}
    half = truth["masks"].copy()
    half[:, :, 30:] = False  # the left half of the object: mask IoU about 0.5
    found = coco_map([{**exact_box, "masks": half}], [truth], iou_type="segm")
    assert coco_map([exact_box], [truth])["map"] == 1.0
    assert found["map_50"] == 1.0 and found["map_75"] == 0.0
    # Probabilities are binarised at 0.5, as Mask R-CNN does.
    soft = np.where(truth["masks"], 0.6, 0.4)
    assert coco_map([{**exact_box, "masks": soft}], [truth], iou_type="segm")["map"] == 1.0
    # An image without objects or detections may give its masks as empty lists.
    empty = {"boxes": [], "scores": [], "classes": [], "masks": []}
    assert coco_map([{**exact_box, "masks": half}, empty], [truth, {**empty}],
                    iou_type="segm") == found


def test_mask_map_refuses_missing_or_misshapen_masks():
    truth = {"boxes": np.array([[10, 10, 50, 50]]), "classes": [0],
             "masks": np.zeros((1, 60, 60), bool)}
    detection = {"boxes": truth["boxes"], "scores": [0.9], "classes": [0]}
    with pytest.raises(ValueError, match=r"predictions\[0\] must be a mapping with the key "
                                         r"'masks'"):
        coco_map([detection], [truth], iou_type="segm")
    with pytest.raises(ValueError, match=r"predictions\[0\]\['masks'\] of shape \(1, 60, 59\) "
                                         r"must be one mask per box: \(1, 60, 60\)"):
        coco_map([{**detection, "masks": np.zeros((1, 60, 59))}], [truth], iou_type="segm")
    with pytest.raises(ValueError, match=r"iou_type='mask' is not allowed"):
        coco_map([detection], [truth], iou_type="mask")


# --- found and named, by size (zoo.detection.objects) ---------------------------------------

def test_size_bins_are_named_by_their_edges_and_count_a_boxes_longer_side():
    assert size_bin_names() == ["<20", "20-28", "28-40", ">=40"]
    assert size_bin_names((10,)) == ["<10", ">=10"]
    boxes = [[0, 0, 19, 5], [0, 0, 5, 20], [3, 3, 30, 10], [0, 0, 40, 40]]
    np.testing.assert_array_equal(size_bins(boxes), [0, 1, 1, 3])


def test_an_object_is_found_by_any_class_and_named_by_the_best_scored_box_over_it():
    names = ["cat", "dog"]
    truths = [{"boxes": np.array([[0, 0, 10, 10],      # cat, small: named by its 0.9 box
                                  [50, 50, 80, 80],    # dog, 28-40: found as a cat only
                                  [0, 50, 45, 95]]),   # dog, >=40: missed (IoU < 0.5)
               "classes": np.array([0, 1, 1])},
              {"boxes": np.zeros((0, 4)), "classes": np.zeros(0, np.int64)}]
    predictions = [{"boxes": np.array([[0, 0, 10, 10], [1, 0, 10, 10], [50, 50, 80, 81],
                                       [0, 50, 20, 95]]),
                    "scores": np.array([0.9, 0.5, 0.7, 0.99]),
                    "classes": np.array([0, 1, 0, 1])},
                   {"boxes": np.array([[5, 5, 9, 9]]), "scores": np.array([0.3]),
                    "classes": np.array([0])}]
    scores = detections_by_size(predictions, truths, names)
    assert scores["objects"] == {"all": [1, 0, 1, 1], "cat": [1, 0, 0, 0], "dog": [0, 0, 1, 1]}
    assert scores["found"]["all"] == [1.0, None, 1.0, 0.0]
    assert scores["named"]["all"] == [1.0, None, 0.0, 0.0]
    assert scores["named"]["dog"] == [None, None, 0.0, 0.0]
    assert pooled(scores, "named", ["cat", "dog"]) == scores["named"]["all"]
    assert pooled(scores, "found", ["dog"]) == [None, None, 1.0, 0.0]
