"""The YOLO-style detector (zoo.detection.yolo): responsible anchors chosen by prior shape at
the cell of each object's centre; objectness and classes starting where the module says;
boxes decoded within a cell of the anchor; the objectness loss leaving out good boxes that are
not responsible; finite losses for degenerate boxes; clear errors. Training, export,
serving and batches without objects are shared with RetinaNet's tests
(tests/test_single_shot.py)."""

import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.detection import boxes as box_ops
from zoo.detection.targets import padded_ground_truth
from zoo.detection.yolo import YoloDetector

TINY = dict(num_classes=3, backbone="resnet18", width=16, head_depth=1,
            anchor_sizes=(16, 32, 64))
SIZE = (64, 96)
# Three priors a level, at strides 8, 16 and 32: 8x12, 4x6 and 2x3 cells.
LEVEL_FIRST_ANCHOR = (0, 8 * 12 * 3, 8 * 12 * 3 + 4 * 6 * 3)


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return YoloDetector(**TINY)


def _targets(boxes, classes):
    return {"boxes": np.asarray(boxes, np.float32), "classes": np.asarray(classes, np.int32)}


@pytest.mark.parametrize("size", [SIZE, (100, 77)])  # 100 x 77: no stride divides it
def test_raw_outputs_are_box_objectness_and_classes_for_each_anchor(tiny, size):
    outputs = tiny(np.zeros((2, *size, 1), np.float32))
    cells = sum(math.ceil(size[0] / s) * math.ceil(size[1] / s) for s in (8, 16, 32))
    assert outputs.shape == (2, cells * 3, 4 + 1 + 3)
    assert tiny.compute_output_shape((None, *size, 1)) == (None, cells * 3, 8)
    box, objectness, classes = tiny.split_outputs(outputs)
    assert box.shape[-1] == 4 and objectness.shape == (2, cells * 3) and classes.shape[-1] == 3


def test_objectness_starts_rare_and_classes_uniform(tiny):
    _, objectness, classes = tiny.split_outputs(
        tiny(np.random.default_rng(0).random((2, 64, 64, 1))))
    np.testing.assert_allclose(tf.sigmoid(objectness).numpy().mean(), 0.01, atol=0.002)
    np.testing.assert_allclose(tf.sigmoid(classes).numpy().mean(), 1 / 3, atol=0.02)


def test_each_object_has_one_responsible_anchor_by_prior_shape_and_centre_cell(tiny):
    # Object 1, 12x30 centred at (20, 25): the 11.3x22.6 prior of stride 8 fits it best
    # (shape IoU 0.71; 16x16: 0.45), cell (3, 2) of 8x12, ratio 0 (1:2).
    # Object 2, 6x20 at the corner: the same prior (0.47; 16x16: 0.34), cell (1, 0).
    # Object 3, 50x20 centred at (65, 40): the 45.3x22.6 prior of stride 16 (0.81; 32x32:
    # 0.46), cell (2, 4) of 4x6, ratio 2 (2:1). Padding rows are no object.
    boxes = [[[14, 10, 26, 40], [-1, -1, -1, -1]], [[0, 0, 6, 20], [40, 30, 90, 50]]]
    classes = [[1, -1], [0, 2]]
    assigned = tiny.responsible_anchors(tf.constant(SIZE),
                                        *padded_ground_truth(_targets(boxes, classes), 3))
    expected = [[(3 * 12 + 2) * 3 + 0],
                [(1 * 12 + 0) * 3 + 0, LEVEL_FIRST_ANCHOR[1] + (2 * 6 + 4) * 3 + 2]]
    for image in range(2):
        responsible = np.flatnonzero(assigned.responsible.numpy()[image])
        assert responsible.tolist() == expected[image]
        assert assigned.classes.numpy()[image][responsible].tolist() == \
            [c for c in classes[image] if c >= 0]
        np.testing.assert_array_equal(assigned.boxes.numpy()[image][responsible],
                                      [b for b in boxes[image] if b[0] >= 0])
        assert (assigned.classes.numpy()[image] >= 0).sum() == len(expected[image])


def test_multi_anchor_iou_adds_every_prior_that_fits_at_the_centre_cell():
    # The 12x30 object above fits, by shape IoU, 11.3x22.6 (0.71) and 16x16 (0.45) at
    # stride 8, 22.6x45.3 and 32x32 (0.35 each) at stride 16; 22.6x11.3 (0.28) and
    # 45.3x22.6 (0.24) fall under 0.3, as every prior of stride 32 does.
    detector = YoloDetector(**TINY, multi_anchor_iou=0.3)
    assigned = detector.responsible_anchors(
        tf.constant(SIZE), *padded_ground_truth(_targets([[[14, 10, 26, 40]]], [[1]]), 3))
    responsible = np.flatnonzero(assigned.responsible.numpy()[0])
    at_stride_16 = LEVEL_FIRST_ANCHOR[1] + (1 * 6 + 1) * 3
    assert responsible.tolist() == [(3 * 12 + 2) * 3, (3 * 12 + 2) * 3 + 1, at_stride_16,
                                    at_stride_16 + 1]
    assert set(assigned.classes.numpy()[0][responsible]) == {1}
    assert (assigned.boxes.numpy()[0][responsible] == [14, 10, 26, 40]).all()


def test_zero_outputs_decode_to_the_priors_and_boxes_stay_within_a_cell(tiny):
    anchors = tiny.anchors_for(SIZE)
    np.testing.assert_allclose(tiny.decode(tf.zeros((1, *anchors.shape)), SIZE)[0], anchors,
                               atol=1e-4)
    # Saturated t's: the centre moves one stride at most, the size grows four times at most.
    extreme = tiny.decode(tf.fill((1, *anchors.shape), 50.0), SIZE)[0].numpy()
    first = anchors.numpy()[0]  # [-3.66, -7.31, 11.66, 15.31]: stride 8, 11.3 x 22.6
    centre = (first[:2] + first[2:]) / 2 + 8
    np.testing.assert_allclose(extreme[0], [*(centre - 2 * (first[2:] - first[:2])),
                                            *(centre + 2 * (first[2:] - first[:2]))], rtol=1e-5)


def test_losses_on_zero_outputs_by_hand(tiny):
    # All outputs zero: every logit's binary cross-entropy is log 2 and every box is its
    # prior. One object, exactly the prior of a neighbouring anchor that is not its own:
    # that anchor (and any other prior overlapping it by more than 0.5) leaves the
    # objectness loss.
    anchors = tiny.anchors_for(SIZE).numpy()
    responsible_prior = anchors[LEVEL_FIRST_ANCHOR[1] + (1 * 6 + 1) * 3 + 1]  # the 32x32
    box = responsible_prior + [4, 0, 4, 0]  # shifted right by 4: centre still in the cell
    targets = _targets([[box]], [[2]])
    outputs = tf.zeros((1, len(anchors), 8))
    losses = tiny.detection_losses(np.zeros((1, *SIZE, 1), np.float32), targets, outputs)
    overlaps = box_ops.iou(anchors, box[None]).numpy()[:, 0]
    responsible = np.argmax(overlaps)  # the unshifted prior, IoU 0.78
    assert responsible == LEVEL_FIRST_ANCHOR[1] + (1 * 6 + 1) * 3 + 1
    ignored = (overlaps > 0.5).sum() - 1
    assert ignored >= 1, "the case must ignore some anchor"
    np.testing.assert_allclose(losses["object_loss"], (len(anchors) - ignored) * math.log(2),
                               rtol=1e-5)
    np.testing.assert_allclose(losses["class_loss"], 3 * math.log(2), rtol=1e-5)
    expected_box = 1 - box_ops.giou(box[None], anchors[responsible][None], aligned=True)[0]
    np.testing.assert_allclose(losses["box_loss"], expected_box, rtol=1e-5)
    np.testing.assert_allclose(losses["loss"], losses["object_loss"] + losses["class_loss"]
                               + losses["box_loss"], rtol=1e-6)


def test_degenerate_and_out_of_image_boxes_train_without_nan(tiny):
    images = np.zeros((1, 64, 64, 1), np.float32)
    targets = _targets([[[10, 10, 10, 30], [50, 50, 90, 80], [-20, -20, -5, -5]]], [[0, 1, 2]])
    with tf.GradientTape() as tape:
        losses = tiny.detection_losses(images, targets, tiny(images, training=True))
    assert all(np.isfinite(value.numpy()) for value in losses.values())
    gradients = tape.gradient(losses["loss"], tiny.trainable_variables)
    assert all(np.isfinite(g.numpy()).all() for g in gradients if g is not None)


def test_a_config_round_trip_rebuilds_the_same_detector(tiny):
    config = tiny.get_config()
    assert config["ignore_iou"] == 0.5 and "focal_gamma" not in config
    rebuilt = YoloDetector.from_config(config)
    assert rebuilt.count_params() == tiny.count_params()
    assert rebuilt.initial_score_bias() == tiny.initial_score_bias()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ignore_iou": 1.5}, r"ignore_iou=1.5"),
    ({"multi_anchor_iou": -0.1}, r"multi_anchor_iou=-0.1"),
    ({"box_weight": -1}, r"box_weight=-1"),
    ({"anchor_sizes": (16, 32)}, r"anchor_sizes=\(16, 32\) must give one size per stride"),
    ({"backbone": "vgg16"}, r"backbone='vgg16' is not allowed"),
    ({"focal_gamma": 2.0}, r"focal_gamma"),
])
def test_bad_arguments_name_themselves(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("yolo_resnet18", **overrides)


def test_retinanet_arguments_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"anchor_scales=\(1.0, 2.0\) is RetinaNet's"):
        YoloDetector(**TINY, anchor_scales=(1.0, 2.0))


def test_the_recorded_yolo_finds_most_canvas_objects_and_readme_quotes_it():
    """The recipe's 12 epochs on the canvases (benchmarks/detection.py), scored on all 1,000
    test canvases, quoted in README beside RetinaNet's on the same network and recipe."""
    row = zoo.model_card("yolo_resnet18").measured.get("coco_map")
    assert row is not None, "run python benchmarks/detection.py yolo_resnet18"
    assert row["dataset"] == "fashion_digits_canvas" and row["test_examples"] == 1_000
    assert 0.0 < row["value"] <= row["map_75"] <= row["map_50"] <= 1.0
    assert row["map_50"] > 0.75 and abs(row["voc_map_50"] - row["map_50"]) < 0.02, row
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert (f"YOLO, by the same recipe on the same network ({row['wall_seconds'] / 60:.0f} "
            f"minutes), COCO mAP {row['value']}, mAP@0.5 {row['map_50']}, mAP@0.75 "
            f"{row['map_75']}") in readme


def test_the_recorded_tree_crowns_run_beats_the_size_only_baseline():
    """benchmarks/detection.py yolo_resnet18 --dataset deepforest_trees, with RetinaNet's
    settings: the 50 test tiles' 331 crowns beside a detector that has seen no pixel."""
    row = zoo.model_card("yolo_resnet18").measured.get("deepforest_trees_coco_map")
    assert row is not None, "run benchmarks/detection.py yolo_resnet18 --dataset deepforest_trees"
    assert (row["dataset"], row["test_examples"], row["objects"]) == ("deepforest_trees", 50, 331)
    assert row["map_50"] > 5 * row["baseline"]["map_50"]
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert (f"YOLO with the same command ({row['wall_seconds'] / 60:.0f} minutes on shared "
            f"cores): mAP@0.5 {row['map_50']}, COCO mAP {row['value']}, mAP@0.75 "
            f"{row['map_75']}") in readme
