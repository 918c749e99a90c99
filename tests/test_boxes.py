"""Box formats, IoU, GIoU, clipping and non-maximum suppression: hand-computed cases, a
brute-force loop, degenerate boxes, graphs, and bad input."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from zoo.detection import boxes, nms

# One box, x from 10 to 50 and y from 20 to 80, in an image 100 high and 200 wide, written in
# every format by hand.
IMAGE_SHAPE = (100, 200)
ONE_BOX = {
    "xyxy": [10, 20, 50, 80],
    "yxyx": [20, 10, 80, 50],
    "xywh": [10, 20, 40, 60],
    "center_xywh": [30, 50, 40, 60],
    "cxcywh": [30, 50, 40, 60],
    "center_yxhw": [50, 30, 60, 40],
    "rel_xyxy": [0.05, 0.2, 0.25, 0.8],
    "rel_yxyx": [0.2, 0.05, 0.8, 0.25],
    "rel_xywh": [0.05, 0.2, 0.2, 0.6],
    "rel_center_xywh": [0.15, 0.5, 0.2, 0.6],
}


def _random_xyxy(shape, seed=0, low=0.0, high=100.0):
    rng = np.random.default_rng(seed)
    corners = rng.uniform(low, high, (*shape, 2, 2))
    return np.concatenate([corners.min(-2), corners.max(-2)], -1).astype("float32")


def test_the_hand_written_box_covers_every_format():
    assert set(ONE_BOX) == set(boxes.FORMATS)


@pytest.mark.parametrize("source,target", itertools.product(boxes.FORMATS, repeat=2))
def test_every_pair_of_formats_converts_the_hand_written_box(source, target):
    got = boxes.convert(np.array([ONE_BOX[source]]), source, target, image_shape=IMAGE_SHAPE)
    np.testing.assert_allclose(got.numpy(), [ONE_BOX[target]], rtol=1e-6)


@pytest.mark.parametrize("source,target", itertools.product(boxes.FORMATS, repeat=2))
def test_every_pair_of_formats_round_trips(source, target):
    original = boxes.convert(_random_xyxy((2, 5), seed=1), "xyxy", source,
                             image_shape=IMAGE_SHAPE)
    there = boxes.convert(original, source, target, image_shape=IMAGE_SHAPE)
    back = boxes.convert(there, target, source, image_shape=IMAGE_SHAPE)
    assert back.shape == (2, 5, 4)
    np.testing.assert_allclose(back.numpy(), original.numpy(), rtol=1e-5, atol=1e-5)


def test_convert_runs_in_a_graph_with_a_tensor_image_shape():
    @tf.function(input_signature=[tf.TensorSpec([None, 4]), tf.TensorSpec([2])])
    def to_relative(xyxy, image_shape):
        return boxes.convert(xyxy, "xyxy", "rel_center_xywh", image_shape=image_shape)

    got = to_relative(tf.constant([ONE_BOX["xyxy"]], tf.float32), tf.constant([100.0, 200.0]))
    np.testing.assert_allclose(got.numpy(), [ONE_BOX["rel_center_xywh"]], rtol=1e-6)


def test_integer_boxes_become_float32_and_float64_stays():
    assert boxes.convert(np.array([[0, 0, 2, 2]]), "xyxy", "xywh").dtype == tf.float32
    assert boxes.convert(np.zeros((1, 4)), "xyxy", "xywh").dtype == tf.float64


def test_convert_refuses_unknown_formats_missing_image_shapes_and_other_shapes():
    with pytest.raises(ValueError, match=r"source='xyzw'.*'cxcywh'.*'rel_center_xywh'"):
        boxes.convert(np.zeros((1, 4)), "xyzw", "xyxy")
    with pytest.raises(ValueError, match=r"target='corners'"):
        boxes.convert(np.zeros((1, 4)), "xyxy", "corners")
    with pytest.raises(ValueError, match=r"image_shape is needed.*'rel_xywh'"):
        boxes.convert(np.zeros((1, 4)), "rel_xywh", "xyxy")
    with pytest.raises(ValueError, match=r"boxes of shape \(3, 5\) must have shape \[\.\.\., 4\]"):
        boxes.convert(np.zeros((3, 5)), "xyxy", "xywh")
    with pytest.raises(ValueError, match=r"image_shape=\(1, 2, 3\)"):
        boxes.convert(np.zeros((1, 4)), "xyxy", "rel_xyxy", image_shape=(1, 2, 3))
    with pytest.raises(ValueError, match=r"image_shape height=0"):
        boxes.clip(np.zeros((1, 4)), (0, 10))


def test_area_and_clip_on_hand_cases():
    given = np.array([[0, 0, 2, 3], [5, 5, 5, 9], [4, 4, 1, 1], [-10, 20, 300, 90]], "float32")
    np.testing.assert_allclose(boxes.area(given).numpy(), [6, 0, 0, 310 * 70])
    np.testing.assert_allclose(boxes.clip(given, IMAGE_SHAPE).numpy(),
                               [[0, 0, 2, 3], [5, 5, 5, 9], [4, 4, 1, 1], [0, 20, 200, 90]])


# Hand cases: (a, b, IoU, GIoU). Enclosing boxes: [0, 0, 3, 3] (area 9), [0, 0, 4, 2] (8).
HAND_CASES = [
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7, 1 / 7 - (9 - 7) / 9),  # overlap 1, union 7
    ([0, 0, 2, 2], [3, 0, 4, 2], 0.0, -(8 - 6) / 8),  # apart: union 6
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0, 1.0),
    ([0, 0, 2, 2], [0, 0, 1, 1], 0.25, 0.25),  # inside: the enclosing box is the union
    ([0, 0, 2, 2], [2, 0, 4, 2], 0.0, 0.0),  # touching: union fills the enclosing box
]


@pytest.mark.parametrize("a,b,expected_iou,expected_giou", HAND_CASES)
def test_iou_and_giou_on_hand_cases(a, b, expected_iou, expected_giou):
    assert float(boxes.iou([a], [b])[0, 0]) == pytest.approx(expected_iou, abs=1e-6)
    assert float(boxes.giou([a], [b])[0, 0]) == pytest.approx(expected_giou, abs=1e-6)
    # Symmetric.
    assert float(boxes.giou([b], [a])[0, 0]) == pytest.approx(expected_giou, abs=1e-6)


def _brute_force(a, b):
    """IoU and GIoU of every pair, one pair at a time, straight from the definitions."""
    iou, giou = np.zeros((len(a), len(b))), np.zeros((len(a), len(b)))
    for i, (ax1, ay1, ax2, ay2) in enumerate(a.astype("float64")):
        for j, (bx1, by1, bx2, by2) in enumerate(b.astype("float64")):
            inter = (max(0.0, min(ax2, bx2) - max(ax1, bx1))
                     * max(0.0, min(ay2, by2) - max(ay1, by1)))
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            hull = (max(ax2, bx2) - min(ax1, bx1)) * (max(ay2, by2) - min(ay1, by1))
            iou[i, j] = inter / union
            giou[i, j] = iou[i, j] - (hull - union) / hull
    return iou, giou


def test_pairwise_and_batched_iou_and_giou_equal_a_brute_force_loop():
    a, b = _random_xyxy((3, 7), seed=2), _random_xyxy((3, 5), seed=3)
    # Make some pairs overlap: box 0 of b is box 0 of a moved a little.
    b[:, 0] = a[:, 0] + 1.5
    for image in range(3):
        expected_iou, expected_giou = _brute_force(a[image], b[image])
        assert (expected_iou > 0.1).any()
        np.testing.assert_allclose(boxes.iou(a[image], b[image]).numpy(), expected_iou,
                                   atol=1e-5)
        np.testing.assert_allclose(boxes.giou(a[image], b[image]).numpy(), expected_giou,
                                   atol=1e-5)
        np.testing.assert_allclose(boxes.iou(a, b).numpy()[image], expected_iou, atol=1e-5)
        np.testing.assert_allclose(boxes.giou(a, b).numpy()[image], expected_giou, atol=1e-5)
    assert boxes.iou(a, b).shape == (3, 7, 5)


def test_aligned_iou_is_the_diagonal_of_the_pairwise_one():
    a, b = _random_xyxy((6,), seed=4), _random_xyxy((6,), seed=5)
    b[:3] = a[:3] + 2.0
    for measure in (boxes.iou, boxes.giou):
        pairwise = measure(a, b).numpy()
        np.testing.assert_allclose(measure(a, b, aligned=True).numpy(), np.diag(pairwise),
                                   atol=1e-6)


def test_degenerate_boxes_give_finite_values_and_gradients():
    degenerate = tf.constant([[5, 5, 5, 5], [5, 5, 5, 5], [0, 0, 0, 4], [3, 3, 1, 1],
                              [0, 0, 0, 0]], tf.float32)
    normal = tf.constant([[5, 5, 5, 5], [0, 0, 10, 10], [0, 0, 0, 8], [0, 0, 2, 2],
                          [10, 10, 12, 12]], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(degenerate)
        iou = boxes.iou(degenerate, normal)
        giou = boxes.giou(degenerate, normal, aligned=True)
        total = tf.reduce_sum(iou) + tf.reduce_sum(giou)
    gradient = tape.gradient(total, degenerate)
    assert np.isfinite(iou.numpy()).all() and np.isfinite(giou.numpy()).all()
    assert np.isfinite(gradient.numpy()).all()
    np.testing.assert_array_equal(iou.numpy(), 0.0)
    assert (giou.numpy() >= -1).all() and (giou.numpy() <= 0).all()
    # Two identical points and two collinear segments enclose nothing: no penalty.
    np.testing.assert_array_equal(giou.numpy()[[0, 2]], 0.0)
    # A point apart from a box is as far from it as GIoU measures: -(hull - union) / hull.
    assert float(giou[4]) == pytest.approx(-(144 - 4) / 144)


def test_iou_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"must both be \[N, 4\] and \[M, 4\]"):
        boxes.iou(np.zeros((3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"same batch size"):
        boxes.giou(np.zeros((2, 3, 4)), np.zeros((5, 3, 4)))
    with pytest.raises(ValueError, match=r"same shape when aligned=True"):
        boxes.iou(np.zeros((3, 4)), np.zeros((2, 4)), aligned=True)
    with pytest.raises(ValueError, match=r"b of shape \(2, 3\) must have shape \[\.\.\., 4\]"):
        boxes.iou(np.zeros((3, 4)), np.zeros((2, 3)))


# NMS hand case. IoU(0, 1) = 81 / 119 = 0.68; box 2 is apart; box 3 repeats box 0 but scores
# low; boxes 4 and 5 overlap by exactly 0.5 (4 is [0, 0, 2, 1] in box units, 5 its left half).
NMS_BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10],
                      [40, 40, 60, 50], [40, 40, 50, 50]], "float32")
NMS_SCORES = np.array([0.9, 0.8, 0.7, 0.3, 0.6, 0.5], "float32")


def test_nms_keeps_the_best_of_overlapping_boxes_in_order_of_score():
    kept = nms.nms(NMS_BOXES, NMS_SCORES, iou_threshold=0.5, max_output=6)
    # IoU exactly at the threshold does not suppress (box 5 stays); above it does (1 and 3).
    assert int(kept["num_detections"]) == 4
    np.testing.assert_array_equal(kept["detection_indices"].numpy(), [0, 2, 4, 5, -1, -1])
    np.testing.assert_allclose(kept["detection_scores"].numpy(), [0.9, 0.7, 0.6, 0.5, 0, 0])
    np.testing.assert_allclose(kept["detection_boxes"].numpy(),
                               np.concatenate([NMS_BOXES[[0, 2, 4, 5]], np.zeros((2, 4))]))

    looser = nms.nms(NMS_BOXES, NMS_SCORES, iou_threshold=0.7, max_output=3,
                     score_threshold=0.6)
    # Box 1 survives at 0.7; scores not above 0.6 go; the output is cut at max_output.
    np.testing.assert_array_equal(looser["detection_indices"].numpy(), [0, 1, 2])
    assert int(looser["num_detections"]) == 3


def test_nms_of_a_batch_in_a_graph_including_an_image_without_boxes():
    @tf.function(input_signature=[tf.TensorSpec([None, None, 4]), tf.TensorSpec([None, None])])
    def suppress(batch_boxes, batch_scores):
        return nms.nms(batch_boxes, batch_scores, iou_threshold=0.5, max_output=5)

    batch = suppress(np.stack([NMS_BOXES, NMS_BOXES[::-1]]),
                     np.stack([NMS_SCORES, NMS_SCORES[::-1]]))
    np.testing.assert_array_equal(batch["num_detections"].numpy(), [4, 4])
    np.testing.assert_array_equal(batch["detection_indices"].numpy(),
                                  [[0, 2, 4, 5, -1], [5, 3, 1, 0, -1]])
    assert batch["detection_boxes"].shape == (2, 5, 4)

    empty = suppress(np.zeros((2, 0, 4), "float32"), np.zeros((2, 0), "float32"))
    np.testing.assert_array_equal(empty["num_detections"].numpy(), [0, 0])
    np.testing.assert_array_equal(empty["detection_boxes"].numpy(), np.zeros((2, 5, 4)))


def test_nms_keeps_boxes_with_non_positive_coordinates():
    """tf.image.non_max_suppression_padded would drop the first box (all coordinates <= 0)."""
    kept = nms.nms([[-5, -5, 0, 0], [10, 10, 20, 20]], [0.9, 0.8], max_output=2)
    assert int(kept["num_detections"]) == 2


def test_batched_nms_suppresses_within_each_class_only():
    # Scores [boxes, classes]: box 0 and its near-copy 1 in class 0; box 0 also in class 1.
    scores = np.array([[0.9, 0.6], [0.8, 0.0], [0.7, 0.0], [0.0, 0.0], [0.0, 0.5],
                       [0.0, 0.4]], "float32")
    pixel_boxes = NMS_BOXES * 10  # far outside [0, 1]: must come back unclipped
    kept = nms.batched_nms(pixel_boxes[None], scores[None], iou_threshold=0.5, max_output=6,
                           score_threshold=0.05)
    assert int(kept["num_detections"][0]) == 5
    np.testing.assert_allclose(kept["detection_scores"][0].numpy(), [0.9, 0.7, 0.6, 0.5, 0.4, 0])
    np.testing.assert_array_equal(kept["detection_classes"][0].numpy(), [0, 0, 1, 1, 1, 0])
    np.testing.assert_allclose(kept["detection_boxes"][0].numpy()[:5],
                               pixel_boxes[[0, 2, 0, 4, 5]])
    assert kept["detection_classes"].dtype == tf.int32

    capped = nms.batched_nms(pixel_boxes[None], scores[None], max_output_per_class=1,
                             max_output=6, score_threshold=0.05)
    np.testing.assert_array_equal(capped["detection_classes"][0].numpy()[:2], [0, 1])
    assert int(capped["num_detections"][0]) == 2


def test_nms_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"iou_threshold=1.5"):
        nms.nms(NMS_BOXES, NMS_SCORES, iou_threshold=1.5)
    with pytest.raises(ValueError, match=r"max_output=0"):
        nms.nms(NMS_BOXES, NMS_SCORES, max_output=0)
    with pytest.raises(ValueError, match=r"score_threshold='high'"):
        nms.nms(NMS_BOXES, NMS_SCORES, score_threshold="high")
    with pytest.raises(ValueError, match=r"scores of shape \(1, 6\)"):
        nms.nms(NMS_BOXES, NMS_SCORES[None])
    with pytest.raises(ValueError, match=r"boxes of shape \(6, 4\) and scores of shape \(6,\)"):
        nms.batched_nms(NMS_BOXES, NMS_SCORES)


def test_conversion_and_nms_survive_a_saved_model(tmp_path):
    class Postprocess(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4]), tf.TensorSpec([None])])
        def __call__(self, centre_boxes, scores):
            xyxy = boxes.convert(centre_boxes, "cxcywh", "xyxy")
            return nms.nms(boxes.clip(xyxy, (100, 100)), scores, 0.5, 3)

    tf.saved_model.save(Postprocess(), str(tmp_path / "postprocess"))
    restored = tf.saved_model.load(str(tmp_path / "postprocess"))
    centre_boxes = boxes.convert(NMS_BOXES, "xyxy", "cxcywh")
    kept = restored(centre_boxes, tf.constant(NMS_SCORES))
    np.testing.assert_array_equal(kept["detection_indices"].numpy(), [0, 2, 4])
    np.testing.assert_allclose(kept["detection_boxes"].numpy(), NMS_BOXES[[0, 2, 4]], atol=1e-5)
