"""The Mask R-CNN-style instance segmenter (zoo.detection.mask_rcnn) and its mask geometry
(zoo.detection.masks): a region's target is its object's mask read inside the region's box,
and pasting it back gives the object; the mask loss learns only the region's own class and
is finite without objects; detections carry one mask each, zeros past the count; clear
errors. Training through zoo.train and serving by TensorFlow alone are shared with the other
detectors (tests/test_single_shot.py); the recorded canvas run is checked here."""

import inspect
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import recorded_ablation
from zoo.benchmark import finished_run
from zoo.detection.evaluation import coco_map
from zoo.detection.mask_rcnn import MaskRCNN
from zoo.detection.masks import paste_masks, region_mask_targets
from zoo.detection.measure import class_agnostic, class_map_scores, instance_class_map

TINY = dict(num_classes=3, width=16, head_width=32, regions_per_image=16, mask_width=16)


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return MaskRCNN(**TINY)


def _disc(centre, radius, side=64):
    rows, cols = np.mgrid[:side, :side] + 0.5
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


def test_a_region_reads_its_own_objects_mask_in_its_own_frame():
    masks = np.zeros((2, 2, 64, 64), bool)
    masks[0, 0, 10:38, 20:34] = True     # image 0, slot 0: a rectangle
    masks[1, 1] = _disc((30, 25), 12)    # image 1, slot 1: a disc; other slots empty
    targets = region_mask_targets(masks, objects=[0, 1, 0], boxes=[[20, 10, 34, 38],
                                                                   [13, 18, 37, 42],
                                                                   [22, 12, 30, 30]],
                                  box_indices=[0, 1, 0], size=28).numpy()
    assert targets.shape == (3, 28, 28)
    # The rectangle fills its own box (to its last half pixel, where the bins straddle the
    # edge); the third region lies inside the rectangle: all ones.
    assert targets[0, 1:-1, 1:-1].min() == 1.0 and targets[0].min() > 0.5
    assert targets[2].min() == 1.0
    # The disc fills its bounding box's centre, not its corners.
    assert targets[1, 14, 14] == 1.0 and targets[1, 0, 0] == 0.0


@pytest.mark.parametrize(("mask", "box"), [
    (_disc((30, 25), 12), [13, 18, 37, 42]),
    (np.pad(np.ones((28, 14), bool), [[10, 26], [20, 30]]), [20, 10, 34, 38]),
])
def test_pasting_a_regions_target_back_gives_the_object(mask, box):
    target = region_mask_targets(mask[None, None], [0], [box], [0], 28)
    pasted = paste_masks(target[None], [[box]], (64, 64)).numpy()[0, 0]
    assert pasted.shape == (64, 64)
    np.testing.assert_array_equal(pasted >= 0.5, mask)
    # Nothing outside the box.
    outside = np.ones((64, 64), bool)
    outside[box[1]:box[3], box[0]:box[2]] = False
    assert pasted[outside].max() < 0.5


def test_a_mask_is_pasted_over_its_box_at_any_size_and_padding_pastes_nothing():
    full = np.ones((1, 2, 28, 28), np.float32)
    boxes = np.array([[[8, 4, 24, 44], [0, 0, 0, 0]]], np.float32)  # a box, then padding
    pasted = paste_masks(full, boxes, (48, 30)).numpy()
    assert pasted.shape == (1, 2, 48, 30) and np.isfinite(pasted).all()
    np.testing.assert_array_equal(np.argwhere(pasted[0, 0] >= 0.5).min(0), [4, 8])
    np.testing.assert_array_equal(np.argwhere(pasted[0, 0] >= 0.5).max(0), [43, 23])
    assert pasted[0, 1].max() == 0.0


def test_the_mask_loss_is_finite_without_objects_and_learns_the_regions_class_only(tiny):
    images = np.random.default_rng(0).random((2, 64, 64, 1)).astype(np.float32)
    nothing = {"boxes": -np.ones((2, 2, 4), np.float32), "classes": -np.ones((2, 2)),
               "masks": np.zeros((2, 2, 64, 64), bool)}
    with tf.GradientTape() as tape:
        losses = tiny.detection_losses(images, nothing, training=True)
    assert losses["mask_loss"] == 0 and np.isfinite(losses["loss"].numpy())
    gradients = tape.gradient(losses["loss"], tiny.trainable_variables)
    assert all(np.isfinite(g.numpy()).all() for g in gradients if g is not None)

    masks = np.zeros((2, 2, 64, 64), bool)
    masks[0, 0, 10:40, 12:30] = True
    targets = {"boxes": np.array([[[12, 10, 30, 40], [-1] * 4], [[-1] * 4] * 2], np.float32),
               "classes": np.array([[2, -1], [-1, -1]]), "masks": masks}
    with tf.GradientTape() as tape:
        losses = tiny.detection_losses(images, targets, training=True)
    assert losses["mask_loss"] > 0
    np.testing.assert_allclose(
        losses["loss"].numpy(), sum(losses[k].numpy() for k in MaskRCNN.LOSSES[1:]), rtol=1e-5)
    # Only class 2's logits are learnt (a sigmoid a class, the box head names the class).
    kernel = tiny.mask_head.get_layer("mask_logits").kernel
    gradient = tape.gradient(losses["mask_loss"], kernel).numpy()
    assert np.abs(gradient[..., 2]).sum() > 0 and np.abs(gradient[..., :2]).sum() == 0


def test_each_detection_gets_its_classes_mask_and_padding_gets_none(tiny):
    images = np.random.default_rng(1).random((2, 64, 64, 1)).astype(np.float32)
    found = tiny.detect(images, score_threshold=0.0, max_detections=7)
    masks = found["detection_masks"].numpy()
    assert masks.shape == (2, 7, 28, 28) and (masks >= 0).all() and (masks <= 1).all()
    # The mask of a detection is the mask head's map for that detection's class.
    _, _, levels = tiny._detections(images, 0.0, None, 7)
    box, cls = found["detection_boxes"][0, :1], found["detection_classes"][0, :1]
    logits = tiny.mask_head(tiny._pool(levels, box, tf.constant([0]), 14))
    np.testing.assert_allclose(masks[0, 0], tf.sigmoid(logits[0, ..., int(cls[0])]).numpy(),
                               atol=1e-6)
    # Nothing found: every mask is zeros, and nothing fails on an empty batch of regions.
    none = tiny.detect(images, score_threshold=1.0)
    assert none["num_detections"].numpy().tolist() == [0, 0]
    assert none["detection_masks"].numpy().max() == 0.0


def test_a_config_round_trip_rebuilds_the_same_segmenter(tiny):
    rebuilt = MaskRCNN.from_config(tiny.get_config())
    assert rebuilt.count_params() == tiny.count_params()
    assert rebuilt.get_config() == tiny.get_config()
    assert rebuilt.mask_size == 28


def test_targets_without_masks_are_refused_by_name(tiny):
    images = np.zeros((1, 64, 64, 1), np.float32)
    boxes = {"boxes": np.zeros((1, 1, 4)), "classes": np.zeros((1, 1))}
    with pytest.raises(ValueError, match=r"trains on targets with 'masks'.*targets='masks'.*"
                                         r"got \['boxes', 'classes'\]"):
        tiny.detection_losses(images, boxes)
    with pytest.raises(ValueError, match=r"targets\['masks'\] of shape \(1, 64, 64\) must be"):
        tiny.detection_losses(images, {**boxes, "masks": np.zeros((1, 64, 64), bool)})
    with pytest.raises(ValueError, match=r"of shape \(1, 1, 32, 32\) must be .* the size of "
                                         r"the images \(64, 64\)"):
        tiny.detection_losses(images, {**boxes, "masks": np.zeros((1, 1, 32, 32), bool)})
    with pytest.raises(ValueError, match=r"of shape \(1, 2, 64, 64\) .*one mask per object "
                                         r"slot of targets\['classes'\] \(1\)"):
        tiny.detection_losses(images, {**boxes, "masks": np.zeros((1, 2, 64, 64), bool)})
    with pytest.raises(ValueError, match=r"masks of shape \(64, 64\) must be \[batch, objects"):
        region_mask_targets(np.zeros((64, 64)), [0], [[0, 0, 1, 1]], [0])
    with pytest.raises(ValueError, match=r"boxes of shape \(1, 4\) must be \[batch, detections"):
        paste_masks(np.zeros((1, 1, 28, 28)), [[0, 0, 1, 1]], (8, 8))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"mask_pool_size": 0}, r"mask_pool_size=0 must be a positive integer"),
    ({"mask_convs": -1}, r"mask_convs=-1 must be a non-negative integer"),
    ({"mask_width": 2.5}, r"mask_width=2.5 must be a positive integer"),
    ({"rpn_negative_iou": 0.8}, r"rpn_negative_iou=0.8 must not exceed"),
])
def test_bad_arguments_name_themselves(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("mask_rcnn_resnet18", **overrides)


def test_a_dataset_without_masks_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"deepforest_trees has no instances maps .*instance "
                                         r"segmenter \(Mask R-CNN\) can learn from it"):
        zoo.train("mask_rcnn_resnet18", "deepforest_trees", epochs=1, runs_root=tmp_path,
                  verbose=0, tensorboard=False)


def test_the_canvas_loader_gives_each_objects_mask_inside_its_box():
    images, targets = next(iter(zoo.data.load("fashion_digits_canvas", "train", batch_size=16,
                                               shuffle=False, targets="masks")))
    masks, boxes = targets["masks"].numpy(), targets["boxes"].numpy()
    real = targets["classes"].numpy() >= 0
    assert masks.shape[:2] == real.shape and not masks[~real].any()
    for image, slot in zip(*np.nonzero(real), strict=True):
        rows, cols = np.nonzero(masks[image, slot])
        x1, y1, x2, y2 = boxes[image, slot]
        assert rows.size and rows.min() >= y1 and rows.max() < y2
        assert cols.min() >= x1 and cols.max() < x2
        assert images.numpy()[image, rows, cols, 0].min() > 0  # a mask is inked pixels


def test_instances_paint_a_class_map_the_best_detection_on_top():
    masks = np.zeros((3, 6, 6), bool)
    masks[0, :3], masks[1, 2:5], masks[2, 5] = True, True, True
    np.testing.assert_array_equal(instance_class_map(masks, [1, 3, 0])[:, 0],
                                  [2, 2, 4, 4, 4, 1])
    # Detections: the weak one (0.3) paints nothing; where two overlap the better one wins.
    painted = instance_class_map(masks, [1, 3, 0], np.array([0.9, 0.6, 0.3]))
    np.testing.assert_array_equal(painted[:, 0], [2, 2, 2, 4, 4, 0])
    objects = masks[:2].copy()
    objects[0, 2] = False  # an object owns its pixels alone
    truth = {"masks": objects, "classes": [1, 3]}
    perfect = class_map_scores([{**truth, "scores": [0.9, 0.8]}], [truth], num_classes=4)
    assert perfect["mean_iou"] == 1.0 and perfect["pixel_accuracy"] == 1.0
    missed = class_map_scores([{**truth, "scores": [0.9, 0.1]}], [truth], num_classes=4)
    # Class 3 (id 4) unpainted: its 18 pixels are taken for background.
    assert missed["iou_per_class"][4] == 0.0 and missed["iou_per_class"][2] == 1.0
    assert missed["pixel_accuracy"] == 0.5


def test_class_agnostic_scores_find_the_object_whatever_it_is_called():
    truth = [{"boxes": np.array([[0, 0, 10, 10]]), "classes": np.array([1])}]
    misnamed = [{"boxes": np.array([[0, 0, 10, 10]]), "scores": [0.9], "classes": [2]}]
    assert coco_map(misnamed, truth)["map"] == 0.0
    assert coco_map(class_agnostic(misnamed), class_agnostic(truth))["map"] == 1.0


def test_a_run_that_did_not_finish_is_not_scored(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "history.csv").write_text("epoch,loss,epoch_seconds\n0,1.0,3.5\n")
    with pytest.raises(ValueError, match=r"is not a finished zoo.train run: .*best.keras "
                                         r"missing"):
        finished_run(tmp_path, "mask_rcnn_resnet18")


def test_the_recorded_mask_rcnn_segments_most_canvas_objects():
    """The recipe's 12 epochs on new canvases every epoch (benchmarks/detection.py), masks
    and boxes scored on all 1,000 test canvases, and the class maps its masks paint; quoted
    in README."""
    row = zoo.model_card("mask_rcnn_resnet18").measured.get("mask_coco_map")
    assert row is not None, "run benchmarks/detection.py mask_rcnn_resnet18"
    assert row["split"] == "test" and row["dataset"] == "fashion_digits_canvas"
    assert row["augment"] == "recompose"
    assert row["test_examples"] == 1000 and row["objects"] == 3030
    assert 0.0 < row["value"] <= row["map_75"] <= row["map_50"] <= 1.0
    assert row["map_50"] > 0.7 and row["box_map_50"] > 0.7
    assert row["value"] > 10 * row["baseline"]["mask_coco_map"] + 0.3
    assert 0.5 < row["class_map_mean_iou"] and row["class_map_pixel_accuracy"] > 0.9
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert (f"Mask R-CNN by the same recipe ({row['wall_seconds'] / 60:.0f} minutes on cores "
            f"shared with the test suite): **mask "
            f"AP {row['value']}**, mask AP@0.5 {row['map_50']}, @0.75 {row['map_75']}; its "
            f"boxes score COCO mAP {row['box_coco_map']}, mAP@0.5 {row['box_map_50']}, "
            f"mAP@0.75 {row['box_map_75']}") in readme
    assert row["box_class_agnostic_map_50"] > row["box_map_50"]
    assert (f"Mask R-CNN's boxes reach mAP@0.5 {row['box_class_agnostic_map_50']} and COCO mAP "
            f"{row['box_class_agnostic_coco_map']}.") in readme
    assert (f"score a test mean IoU of {row['class_map_mean_iou']} on the canvases (the 20 "
            f"object classes {row['class_map_objects_mean_iou']}, pixel accuracy "
            f"{row['class_map_pixel_accuracy']};") in readme


def test_mask_rcnn_recomposes_because_it_beat_the_stored_canvases_and_readme_says_so():
    """benchmarks/detection.py mask_rcnn_resnet18 --augment none: the recipe on the stored
    canvases alone, recorded apart from the card, below the recipe's masks, boxes and class
    maps."""
    recomposed, stored = recorded_ablation("mask_rcnn_resnet18", None, "mask_coco_map")
    for key in ("value", "map_50", "box_coco_map", "box_map_50", "class_map_mean_iou"):
        assert recomposed[key] > stored[key], key
    before, after = stored["box_coco_map_per_class"], recomposed["box_coco_map_per_class"]
    risen = sum(after[name] > before[name] for name in after)
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    for figure in (f"mask AP rises from {stored['value']} to {recomposed['value']} (@0.5 "
                   f"{stored['map_50']} to {recomposed['map_50']})",
                   f"mAP from {stored['box_coco_map']} to {recomposed['box_coco_map']} and "
                   f"mAP@0.5 from {stored['box_map_50']} to {recomposed['box_map_50']}",
                   f"mean IoU from {stored['class_map_mean_iou']} to "
                   f"{recomposed['class_map_mean_iou']}; the box AP of {risen} of the 20 "
                   "classes",
                   f"the shirt's from {before['Shirt']} to {after['Shirt']}",
                   f"(mAP@0.5 {stored['box_class_agnostic_map_50']} to "
                   f"{recomposed['box_class_agnostic_map_50']})"):
        assert figure in readme, figure


def test_the_recorded_nuclei_run_tells_the_nuclei_apart():
    """benchmarks/detection.py mask_rcnn_resnet18 --dataset stardist_nuclei, with the
    segmenters' settings: the 16 test tiles' 49 nuclei, beside the size-only baseline and
    quoted in README's nuclei table."""
    row = zoo.model_card("mask_rcnn_resnet18").measured.get("mask_stardist_nuclei_coco_map")
    assert row is not None, "run benchmarks/detection.py mask_rcnn_resnet18 --dataset " \
                            "stardist_nuclei"
    assert (row["dataset"], row["test_examples"], row["objects"]) == ("stardist_nuclei", 16, 49)
    assert row["map_50"] > 10 * row["baseline"]["mask_map_50"]
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert (f"mask AP {row['value']}, mask AP@0.5 {row['map_50']}, box AP@0.5 "
            f"{row['box_map_50']}, against {row['baseline']['mask_map_50']} for the size-only "
            "baseline's masks") in readme
    assert (f"| Mask R-CNN, its masks painted | {row['class_map_mean_iou']} | "
            f"{row['class_map_objects_mean_iou']} | {row['class_map_pixel_accuracy']} | "
            f"{row['wall_seconds']:.0f} |") in readme


def test_reading_larger_regions_from_stride_8_did_not_help_mask_rcnn_and_readme_says_so():
    """benchmarks/detection.py mask_rcnn_resnet18 --model-option canonical_size=32: Faster
    R-CNN's change, measured below Mask R-CNN's recipe (which keeps 16) on masks and boxes;
    an ablation row, quoted as measured."""
    recipe, finer = recorded_ablation("mask_rcnn_resnet18", "recompose", "mask_coco_map",
                                      variant="canonical_size=32")
    card = zoo.model_card("mask_rcnn_resnet18")
    assert inspect.signature(card.factory).parameters["canonical_size"].default is None
    assert finer["train_options"]["model_options"] == {"canonical_size": 32}
    for key in ("value", "map_50", "box_coco_map", "box_map_50", "box_class_agnostic_map_50"):
        assert finer[key] < recipe[key], key
    assert finer["class_map_mean_iou"] > recipe["class_map_mean_iou"]
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    figure = (f"`--model-option canonical_size=32`, {finer['wall_seconds'] / 60:.0f} minutes on "
              f"cores shared with the test suite, an ablation row): mask AP {finer['value']}, "
              f"box COCO mAP {finer['box_coco_map']}, mAP@0.5 {finer['box_map_50']}, with the "
              f"classes ignored {finer['box_class_agnostic_map_50']}; only its class maps' mean "
              f"IoU rose ({finer['class_map_mean_iou']})")
    assert figure in readme, figure
