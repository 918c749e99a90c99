"""Faster R-CNN's bookkeeping (zoo.detection.proposals): proposals decoded, clipped, ranked,
suppressed and padded per image; the second stage's regions drawn with the ground truth among
them, foreground by IoU and capped, background filling, padding marked."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.detection import boxes as box_ops
from zoo.detection.proposals import Proposals, region_proposals, sample_regions

ANCHORS = np.array([[0, 0, 20, 20],    # A
                    [1, 0, 21, 20],    # overlaps A by IoU 0.905: suppressed at 0.7
                    [30, 30, 50, 50],  # C
                    [70, 70, 90, 90],  # outside a 64x64 image: clipped to nothing
                    [10, 30, 30, 50]], np.float32)


def test_proposals_are_ranked_suppressed_clipped_and_padded():
    deltas = np.zeros((2, 5, 4), np.float32)  # zero deltas: the anchors themselves
    scores = np.array([[3.0, 4.0, 1.0, 9.0, 2.0],   # image 0: the 2nd beats the 1st
                       [0.5, 0.1, 0.3, 0.2, 0.4]], np.float32)
    found = region_proposals(deltas, scores, ANCHORS, (64, 64), post_nms=4)
    assert found.count.numpy().tolist() == [3, 3]
    np.testing.assert_array_equal(found.boxes[0, :3], ANCHORS[[1, 4, 2]])
    np.testing.assert_array_equal(found.scores[0, :3], [4.0, 2.0, 1.0])
    np.testing.assert_array_equal(found.boxes[1, :3], ANCHORS[[0, 4, 2]])
    np.testing.assert_array_equal(found.boxes[:, 3], np.zeros((2, 4)))  # padding
    # pre_nms keeps the two best before suppression: one survives it in image 0.
    top_two = region_proposals(deltas, scores, ANCHORS, (64, 64), pre_nms=2, post_nms=4)
    assert top_two.count.numpy().tolist() == [1, 2]


def test_proposal_deltas_move_the_anchors():
    deltas = np.zeros((1, 5, 4), np.float32)
    deltas[0, 2] = [0.5, 0.0, 0.0, 0.0]  # C moves right by half its width
    found = region_proposals(deltas, np.array([[0, 0, 5.0, 0, 0]], np.float32), ANCHORS,
                             (64, 64), post_nms=1)
    np.testing.assert_allclose(found.boxes[0, 0], [40, 30, 60, 50], atol=1e-4)


def _proposals(boxes):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    padded = np.zeros((1, 6, 4), np.float32)
    padded[0, :len(boxes)] = boxes
    return Proposals(tf.constant(padded), tf.zeros((1, 6)), tf.constant([len(boxes)]))


def test_regions_are_foreground_by_iou_with_the_objects_and_capped():
    tf.random.set_seed(0)
    gt_boxes = np.array([[[0, 0, 20, 20], [40, 40, 60, 60]]], np.float32)
    gt_classes = np.array([[3, 1]], np.int32)
    proposals = _proposals([[0, 0, 20, 22],     # IoU 0.91 with object 0
                            [2, 2, 22, 22],     # 0.68 with object 0
                            [40, 45, 60, 65],   # 0.6 with object 1
                            [20, 20, 40, 40],   # background
                            [0, 30, 10, 40]])   # background
    sampled = sample_regions(proposals, gt_boxes, gt_classes, regions_per_image=6,
                             positive_fraction=0.5)
    # 7 candidates (5 proposals, 2 objects), 5 of them foreground: 3 drawn (half of 6), then
    # both background ones; the sixth region is padding.
    valid = sampled.valid.numpy()[0]
    assert valid.tolist() == [True] * 5 + [False]
    classes = sampled.classes.numpy()[0][valid]
    foreground = classes >= 0
    assert foreground.sum() == 3 and (~foreground).sum() == 2
    boxes, targets = sampled.boxes.numpy()[0][valid], sampled.targets.numpy()[0][valid]
    overlaps = box_ops.iou(boxes, gt_boxes[0]).numpy()
    assert (overlaps[foreground].max(axis=1) >= 0.5).all()
    assert (overlaps[~foreground].max(axis=1) < 0.5).all()
    np.testing.assert_array_equal(classes[foreground],
                                  gt_classes[0][overlaps[foreground].argmax(axis=1)])
    np.testing.assert_array_equal(targets[foreground],
                                  gt_boxes[0][overlaps[foreground].argmax(axis=1)])
    np.testing.assert_array_equal(targets[~foreground], boxes[~foreground])
    assert {tuple(b) for b in boxes[~foreground]} == {(20, 20, 40, 40), (0, 30, 10, 40)}
    objects = sampled.objects.numpy()[0]
    np.testing.assert_array_equal(objects[valid][foreground],
                                  overlaps[foreground].argmax(axis=1))
    assert (objects[valid][~foreground] == -1).all() and objects[~valid].tolist() == [-1]


def test_a_region_names_its_objects_slot_even_behind_padding():
    # Slot 0 is padding: the object in slot 1 is the one a mask head must read.
    gt_boxes = np.array([[[-1, -1, -1, -1], [10, 10, 30, 30]]], np.float32)
    sampled = sample_regions(_proposals([[10, 10, 30, 31]]), gt_boxes, np.array([[-1, 4]]),
                             regions_per_image=2, positive_fraction=0.5)
    assert sampled.classes.numpy()[0].tolist() == [4, -1]
    assert sampled.objects.numpy()[0].tolist() == [1, -1]


def test_objects_are_regions_even_without_proposals_and_padding_is_marked():
    gt_boxes = np.array([[[0, 0, 20, 20], [-1, -1, -1, -1]]], np.float32)
    sampled = sample_regions(_proposals([]), gt_boxes, np.array([[2, -1]]),
                             regions_per_image=4)
    assert sampled.valid.numpy()[0].tolist() == [True, False, False, False]
    np.testing.assert_array_equal(sampled.boxes[0, 0], [0, 0, 20, 20])
    assert sampled.classes.numpy()[0].tolist() == [2, -1, -1, -1]
    assert sampled.objects.numpy()[0].tolist() == [0, -1, -1, -1]


def test_an_image_without_objects_gives_background_only():
    sampled = sample_regions(_proposals([[0, 0, 10, 10], [5, 5, 30, 30]]),
                             -np.ones((1, 2, 4), np.float32), -np.ones((1, 2), np.int32),
                             regions_per_image=3)
    assert sampled.valid.numpy()[0].tolist() == [True, True, False]
    assert (sampled.classes.numpy() == -1).all()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"post_nms=0"):
        region_proposals(np.zeros((1, 5, 4)), np.zeros((1, 5)), ANCHORS, (64, 64), post_nms=0)
    with pytest.raises(ValueError, match=r"objectness of shape \(5,\)"):
        region_proposals(np.zeros((1, 5, 4)), np.zeros(5), ANCHORS, (64, 64))
    with pytest.raises(ValueError, match=r"positive_fraction=1.5"):
        sample_regions(_proposals([]), np.zeros((1, 1, 4)), np.zeros((1, 1)),
                       positive_fraction=1.5)
