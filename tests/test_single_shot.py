"""The single-shot detector (zoo.detection.single_shot): one row of raw outputs per anchor at
any image size, anchors matched per image, finite losses without objects, training that
learns white rectangles through zoo.train, exported signatures that TensorFlow alone serves at
any size and that agree with the model, and clear errors. The YOLO-style detector shares the
tests of losses without objects, training and serving (its own: tests/test_yolo.py); the
two-stage detectors (Faster and Mask R-CNN) share training and serving."""

import math
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import recorded_ablation
from zoo.detection import anchors as anchor_ops
from zoo.detection.backbones import check_grid
from zoo.detection.pyramid import UpsampleToMatch
from zoo.detection.single_shot import SingleShotDetector
from zoo.detection.targets import assign, padded_ground_truth
from zoo.detection.yolo import YoloDetector
from zoo.tasks import get_task

# The test detector: ResNet-18 traces fastest of the backbones; narrow heads keep it quick.
TINY = dict(num_classes=3, backbone="resnet18", width=16, head_depth=1,
            anchor_sizes=(16, 32, 64))


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return SingleShotDetector(**TINY)


def rectangles(count, seed, size=(64, 64), most=2):
    """White rectangles on black, class 0 wide and class 1 tall, 0 to `most` per image, as
    padded keras_cv targets, with each rectangle's instance mask ("masks", which detectors
    without a mask head ignore)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, *size, 1), np.float32)
    boxes = np.full((count, most, 4), -1, np.float32)
    classes = np.full((count, most), -1, np.int32)
    masks = np.zeros((count, most, *size), bool)
    for i in range(count):
        for j in range(rng.integers(0, most + 1)):
            cls = int(rng.integers(0, 2))
            long, short = rng.integers(20, 32), rng.integers(8, 14)
            w, h = (long, short) if cls == 0 else (short, long)
            x, y = rng.integers(0, size[1] - w), rng.integers(0, size[0] - h)
            images[i, y:y + h, x:x + w] = 1.0
            masks[i, j, y:y + h, x:x + w] = True
            boxes[i, j], classes[i, j] = (x, y, x + w, y + h), cls
    return images, {"boxes": boxes, "classes": classes, "masks": masks}


@pytest.mark.parametrize("size", [(64, 96), (100, 77)])  # 100 x 77: no stride divides it
def test_raw_outputs_have_one_row_per_anchor_at_any_size(tiny, size):
    outputs = tiny(np.zeros((2, *size, 1), np.float32))
    cells = sum(math.ceil(size[0] / s) * math.ceil(size[1] / s) for s in (8, 16, 32))
    assert outputs.shape == (2, cells * 9, 4 + 3)
    assert tiny.anchors_for(size).shape == (cells * 9, 4)
    assert tiny.compute_output_shape((None, *size, 1)) == (None, cells * 9, 7)
    deltas, logits = tiny.split_outputs(outputs)
    assert deltas.shape[-1] == 4 and logits.shape[-1] == 3


def test_the_pyramid_puts_each_fine_cell_under_the_coarse_cell_that_holds_it():
    # Stride 16 gives 2x2 cells where stride 8 gives 3x3 (a 24-pixel image): the third row
    # and column of the fine map lie in the second coarse row and column.
    coarse = np.array([[1, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1)
    merged = UpsampleToMatch(2)([coarse, np.zeros((1, 3, 3, 5), np.float32)])
    assert merged.shape == (1, 3, 3, 1)
    np.testing.assert_array_equal(merged.numpy()[0, :, :, 0], [[1, 1, 2], [1, 1, 2], [3, 3, 4]])


def test_uint8_images_are_scaled_as_floats_in_0_1(tiny):
    pixels = np.random.default_rng(0).integers(0, 256, (1, 64, 64, 1), dtype=np.uint8)
    np.testing.assert_allclose(tiny(pixels).numpy(),
                               tiny(pixels.astype(np.float32) / 255).numpy(), atol=1e-5)


def test_every_class_scores_the_focal_prior_at_the_start(tiny):
    _, logits = tiny.split_outputs(tiny(np.random.default_rng(0).random((2, 64, 64, 1))))
    np.testing.assert_allclose(tf.sigmoid(logits).numpy().mean(), 0.01, atol=0.002)


def test_each_image_is_matched_to_its_own_objects_and_padding_is_ignored():
    grid = anchor_ops.anchor_boxes((32, 32), strides=(16,), sizes=(16,), scales=(1.0,),
                                   aspect_ratios=(1.0,))  # 4 anchors: [0, 0, 16, 16], ...
    boxes = tf.constant([[[16, 16, 32, 32], [0, 0, 16, 16]],  # anchors 3 and 0
                         [[-1, -1, -1, -1], [-1, -1, -1, -1]],  # no objects
                         [[0, 16, 16, 32], [-1, -1, -1, -1]]], tf.float32)  # anchor 2
    classes = tf.constant([[2, 0], [-1, -1], [1, -1]])
    targets = assign(grid, *padded_ground_truth({"boxes": boxes, "classes": classes}, 3))
    positive, negative = anchor_ops.POSITIVE, anchor_ops.NEGATIVE
    np.testing.assert_array_equal(targets.label.numpy(), [
        [positive, negative, negative, positive], [negative] * 4,
        [negative, negative, positive, negative]])
    np.testing.assert_array_equal(targets.classes.numpy(), [[0, -1, -1, 2], [-1] * 4,
                                                            [-1, -1, 1, -1]])
    np.testing.assert_array_equal(targets.boxes.numpy()[0, 3], [16, 16, 32, 32])
    np.testing.assert_array_equal(targets.boxes.numpy()[1], np.zeros((4, 4)))


@pytest.mark.parametrize("detector", [SingleShotDetector, YoloDetector])
@pytest.mark.parametrize("most", [2, 0])  # padded rows only, or no rows at all
def test_a_batch_without_objects_gives_finite_losses_and_gradients(detector, most):
    keras.utils.set_random_seed(0)
    model = detector(**TINY)
    images = np.random.default_rng(0).random((2, 64, 64, 1)).astype(np.float32)
    targets = {"boxes": -np.ones((2, most, 4), np.float32), "classes": -np.ones((2, most))}
    with tf.GradientTape() as tape:
        losses = model.detection_losses(images, targets, model(images, training=True))
    assert np.isfinite(losses["loss"].numpy()) and losses["loss"] > 0
    assert losses["box_loss"] == 0
    if "object_loss" in losses:  # YOLO: no object, so no class to learn either
        assert losses["class_loss"] == 0 and losses["object_loss"] == losses["loss"]
    gradients = tape.gradient(losses["loss"], model.trainable_variables)
    assert all(np.isfinite(g.numpy()).all() for g in gradients if g is not None)


@pytest.mark.parametrize("box_loss", ["smooth_l1", "giou"])
def test_the_losses_are_sums_over_the_batch_divided_by_its_positive_anchors(box_loss):
    # An image without objects adds its background's focal loss to the batch's sum and no
    # positive anchor to the divisor; alone, its divisor is 1 (never 0).
    keras.utils.set_random_seed(0)
    model = SingleShotDetector(**TINY, box_loss=box_loss)
    images, targets = rectangles(3, seed=1)
    blank = np.zeros((1, 64, 64, 1), np.float32)
    nothing = {"boxes": -np.ones((1, 2, 4), np.float32), "classes": -np.ones((1, 2))}
    both = {key: np.concatenate([targets[key], nothing[key]]) for key in nothing}
    alone = model.detection_losses(images, targets, model(images))
    empty = model.detection_losses(blank, nothing, model(blank))
    joined = np.concatenate([images, blank])
    together = model.detection_losses(joined, both, model(joined))
    positives = tf.reduce_sum(tf.cast(assign(
        model.anchors_for((64, 64)), *padded_ground_truth(targets, 3)).label
        == anchor_ops.POSITIVE, tf.float32)).numpy()
    assert positives > 3 and alone["box_loss"] > 0 and empty["class_loss"] > 0
    np.testing.assert_allclose(together["class_loss"].numpy(),
                               alone["class_loss"] + empty["class_loss"] / positives, rtol=1e-5)
    np.testing.assert_allclose(together["box_loss"].numpy(), alone["box_loss"].numpy(),
                               rtol=1e-5)


@pytest.fixture(scope="module", params=["retinanet_resnet18", "yolo_resnet18",
                                        "faster_rcnn_resnet18", "mask_rcnn_resnet18"])
def trained(request, tmp_path_factory):
    """A registered detector, narrowed, trained by zoo.train for 30 steps on rectangles.
    Served with a low score threshold: 30 steps leave batch normalisation's moving averages
    near their start, so the served network's scores are low (a two-stage detector's softmax
    can leave its best box near 1e-5; here it is serving that is checked, not detecting)."""
    images, targets = rectangles(20, seed=0)
    pipeline = tf.data.Dataset.from_tensor_slices((images, targets)).batch(4)
    narrow = {key: value for key, value in TINY.items()
              if key in zoo.model_card(request.param).arguments()}  # a head's depth or not
    result = zoo.train(request.param, pipeline, epochs=6, seed=0,
                       model_options={**narrow, "score_threshold": 1e-6, "max_detections": 20},
                       runs_root=tmp_path_factory.mktemp("runs"), tensorboard=False,
                       early_stopping=False, verbose=0)
    return result


def test_zoo_train_lowers_the_detection_losses(trained):
    history = trained.history
    assert history["loss"][-1] < 0.5 * history["loss"][0], history["loss"]
    assert history["class_loss"][-1] < history["class_loss"][0]
    # A two-stage detector's head regresses the regions its proposals give: as stage one
    # learns, more of them are foreground and its box loss (a sum over them) may rise at
    # first; its proposal network's box loss is the one that must fall.
    box = "rpn_box_loss" if "rpn_box_loss" in history else "box_loss"
    assert history[box][-1] < history[box][0]
    if "mask_loss" in history:
        assert history["mask_loss"][-1] < 0.8 * history["mask_loss"][0], history["mask_loss"]


def test_tensorflow_alone_serves_any_size_as_the_model_detects(trained, tmp_path):
    model = trained.model
    path = zoo.export(model, root=tmp_path)
    images, _ = rectangles(2, seed=5, size=(64, 64))
    other, _ = rectangles(2, seed=6, size=(80, 48))
    pixels = (images * 255).astype(np.uint8)
    np.savez(tmp_path / "inputs.npz", images=images, other=other, pixels=pixels)
    script = f"""
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load({str(path)!r})
inputs = np.load({str(tmp_path / 'inputs.npz')!r})
runs = {{"images": loaded.signatures["serving_default"](image=tf.constant(inputs["images"])),
        "other": loaded.signatures["serving_default"](image=tf.constant(inputs["other"])),
        "pixels": loaded.signatures["detect_uint8"](image=tf.constant(inputs["pixels"]))}}
np.savez({str(tmp_path / 'served.npz')!r}, **{{f"{{run}}/{{key}}": value.numpy()
         for run, outputs in runs.items() for key, value in outputs.items()}})
assert not any(m == "zoo" or m.startswith("zoo.") for m in sys.modules), "zoo was imported"
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    served = np.load(tmp_path / "served.npz")
    outputs = get_task(zoo.model_card(model.name).task).outputs
    for run, batch in (("images", images), ("other", other), ("pixels", pixels)):
        assert {key.split("/")[1] for key in served if key.startswith(run)} == set(outputs)
        expected = model.detect(batch)
        assert served[f"{run}/num_detections"].tolist() == expected["num_detections"].numpy(
            ).tolist()
        assert served[f"{run}/detection_classes"].dtype == np.int32
        for key, value in expected.items():
            np.testing.assert_allclose(served[f"{run}/{key}"], value.numpy(), atol=1e-4,
                                       err_msg=f"{run}/{key}")
        np.testing.assert_allclose(served[f"{run}/anchor_outputs"], model(batch).numpy(),
                                   atol=1e-4)
    assert served["images/num_detections"].sum() > 0, "compare some detections, not none"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"backbone": "resnet9"}, r"backbone='resnet9' is not allowed; choose one of \[.*resnet18"),
    ({"backbone": "mobilenet"}, r"backbone='mobilenet' is not allowed"),
    ({"strides": (8, 16, 64), "anchor_sizes": (1, 2, 3)},
     r"strides=\(8, 16, 64\) are not all levels of backbone='resnet18'.*stride \[64\]"),
    ({"strides": (16, 8)}, r"strides=\(16, 8\) must increase"),
    ({"strides": (8, 12), "anchor_sizes": (1, 2)}, r"strides=\(8, 12\).*divide the next"),
    ({"anchor_sizes": (16, 32)}, r"anchor_sizes=\(16, 32\) must give one size per stride"),
    ({"channels": 2}, r"channels=2 is not allowed"),
    ({"backbone_options": {"include_top": True}}, r"may not set \['include_top'\]"),
    ({"box_loss": "l2"}, r"box_loss='l2' is not allowed"),
    ({"num_classes": 0}, r"num_classes=0 must be a positive integer"),
    ({"negative_iou": 0.6}, r"negative_iou=0.6 must not exceed positive_iou=0.5"),
    ({"score_threshold": "high"}, r"score_threshold='high' must be a number"),
])
def test_bad_arguments_name_themselves_and_what_is_allowed(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("retinanet_resnet18", **overrides)


def test_bad_inputs_and_targets_are_refused_clearly(tiny):
    with pytest.raises(ValueError, match=r"images of shape \(1, 64, 64, 3\) do not fit"):
        tiny(np.zeros((1, 64, 64, 3), np.float32))
    images = np.zeros((1, 64, 64, 1), np.float32)
    with pytest.raises(ValueError, match=r"dict with 'boxes'.*got \['boxes'\]"):
        tiny.detection_losses(images, {"boxes": np.zeros((1, 1, 4))}, tiny(images))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be < num_classes = 3"):
        tiny.detection_losses(images, {"boxes": np.zeros((1, 1, 4)), "classes": [[3]]},
                              tiny(images))


# One backbone per family: the depths of a family share its padding rules.
@pytest.mark.parametrize("backbone", ["resnet18", "resnet50_v2", "mobilenet_v2", "googlenet"])
def test_allowed_backbones_lay_the_anchors_grid_at_any_size(backbone):
    extractor = zoo.features(backbone, (8, 16, 32), input_shape=(None, None, 1))
    check_grid(extractor, (8, 16, 32), 1, backbone)


def test_a_backbone_that_floors_its_grid_is_refused():
    extractor = zoo.features("mobilenet", (8, 16, 32), input_shape=(None, None, 1))
    with pytest.raises(ValueError, match=r"backbone='mobilenet' gives a 64x64 map at stride 8 "
                                         r"for a 513x515 image.*65x65 cells"):
        check_grid(extractor, (8, 16, 32), 1, "mobilenet")


def test_the_recorded_retinanet_finds_most_canvas_objects():
    """The recipe's 12 epochs on the canvases (benchmarks/detection.py), scored on all 1,000
    test canvases. The issue's goal, mAP@0.5 of 0.95, is not reached yet: this holds the
    figure it did reach, and COCO's stricter mean below its mAP@0.5."""
    row = zoo.model_card("retinanet_resnet18").measured.get("coco_map")
    assert row is not None, "run python benchmarks/detection.py"
    assert row["dataset"] == "fashion_digits_canvas" and row["test_examples"] == 1_000
    assert 0.0 < row["value"] <= row["map_75"] <= row["map_50"] <= 1.0
    assert row["map_50"] > 0.75 and abs(row["voc_map_50"] - row["map_50"]) < 0.02, row


def test_yolo_recomposes_because_it_beat_the_stored_canvases_and_readme_says_so():
    """benchmarks/detection.py yolo_resnet18 --augment none: the recipe on the stored canvases
    alone, recorded apart from the card, below the recipe at every threshold."""
    recomposed, stored = recorded_ablation("yolo_resnet18", None)
    for key in ("value", "map_50", "map_75"):
        assert recomposed[key] > stored[key], key
    before, after = stored["coco_map_per_class"], recomposed["coco_map_per_class"]
    assert all(after[name] > before[name] for name in after)
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    for figure in (f"mAP from {stored['value']} to {recomposed['value']}, mAP@0.5 from "
                   f"{stored['map_50']} to {recomposed['map_50']}, mAP@0.75 from "
                   f"{stored['map_75']} to {recomposed['map_75']}, and the AP of all 20 classes "
                   "rises",
                   f"the pullover's from {before['Pullover']} to {after['Pullover']}",
                   f"the shirt's from {before['Shirt']} to {after['Shirt']}",
                   f"its boxes reach mAP@0.5 {recomposed['class_agnostic_map_50']}"):
        assert figure in readme, figure


def test_the_recorded_retinanet_recomposition_ablation_is_quoted_as_measured():
    """benchmarks/detection.py retinanet_resnet18 --augment recompose: recorded beside the
    recipe's row even though it scores below it (its class loss diverged late in training), and
    the reason its recipe alone stays on the stored canvases."""
    recipe, row = recorded_ablation("retinanet_resnet18", "recompose")
    assert row["value"] < recipe["value"]
    before, after = recipe["coco_map_per_class"], row["coco_map_per_class"]
    risen = sum(after[name] > before[name] for name in after)
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    for figure in (f"does not gain: COCO mAP from {recipe['value']} to {row['value']}, "
                   f"mAP@0.5 from {recipe['map_50']} to {row['map_50']}, {risen} of the 20 "
                   "classes up",
                   f"with the classes ignored its boxes reach mAP@0.5 "
                   f"{row['class_agnostic_map_50']}"):
        assert figure in readme, figure


def test_the_recorded_tree_crowns_run_beats_the_size_only_baseline():
    """benchmarks/detection.py --dataset deepforest_trees: the 50 test tiles' 331 crowns,
    scored beside a detector that has seen no pixel (zoo.detection.measure.grid_baseline)."""
    row = zoo.model_card("retinanet_resnet18").measured.get("deepforest_trees_coco_map")
    assert row is not None, "run python benchmarks/detection.py --dataset deepforest_trees"
    assert (row["dataset"], row["test_examples"], row["objects"]) == ("deepforest_trees", 50, 331)
    baseline = row["baseline"]
    assert row["map_50"] > 5 * baseline["map_50"] and row["value"] > 5 * baseline["coco_map"]
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert (f"**mAP@0.5 {row['map_50']}**, COCO mAP {row['value']}, against "
            f"{baseline['map_50']} and {baseline['coco_map']}") in readme
