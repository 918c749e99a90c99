"""Anchors: their number, centres and sizes on hand cases; box encoding round trips and its
hand-computed values; IoU matching with low-quality matches and without gt boxes; bad input."""

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.detection import anchors, boxes


def test_anchor_count_is_the_sum_over_levels_of_cells_times_shapes():
    options = dict(strides=(8, 16, 32), sizes=(32, 64, 128), scales=(1.0, 2.0),
                   aspect_ratios=(0.5, 1.0, 2.0))
    # 64 x 96 divides evenly: 8x12, 4x6, 2x3 cells. 65 x 97 rounds up: 9x13, 5x7, 3x4.
    assert anchors.anchor_boxes((64, 96), **options).shape == ((96 + 24 + 6) * 6, 4)
    assert anchors.feature_shapes((65, 97), (8, 16, 32)) == [(9, 13), (5, 7), (3, 4)]
    assert anchors.anchor_boxes((65, 97), **options).shape == ((117 + 35 + 12) * 6, 4)
    # RetinaNet's defaults on a 512 x 512 image: P3-P7, 9 anchors per cell.
    retinanet = anchors.anchor_boxes((512, 512))
    assert retinanet.shape == ((64**2 + 32**2 + 16**2 + 8**2 + 4**2) * 9, 4)
    assert retinanet.dtype == tf.float32


def test_anchor_centres_and_sizes_on_a_hand_case():
    # One level of stride 16 on a 32 x 48 image: 2 x 3 cells centred at (8 + 16 j, 8 + 16 i).
    # Size 32, ratios 1 (32 x 32) and 4 (width 32 * 2 = 64, height 32 / 2 = 16).
    got = anchors.anchor_boxes((32, 48), strides=(16,), sizes=(32,), scales=(1.0,),
                               aspect_ratios=(1.0, 4.0)).numpy()
    assert got.shape == (2 * 3 * 2, 4)
    np.testing.assert_allclose(got[:4], [[-8, -8, 24, 24], [-24, 0, 40, 16],
                                         [8, -8, 40, 24], [-8, 0, 56, 16]])
    centres = boxes.convert(got, "xyxy", "center_xywh").numpy()
    np.testing.assert_allclose(centres[::2, :2], [[8, 8], [24, 8], [40, 8],
                                                  [8, 24], [24, 24], [40, 24]])
    np.testing.assert_allclose(centres[1::2, 2:], [[64, 16]] * 6)


def test_scale_one_anchors_keep_the_base_area_at_every_ratio_and_level():
    got = anchors.anchor_boxes((64, 64), strides=(8, 16), sizes=(20, 40), scales=(1.0, 2.0),
                               aspect_ratios=(0.5, 1.0, 3.0))
    areas = boxes.area(got).numpy().reshape(-1, 2, 3)  # [cells, scales, ratios]
    first_level = 8 * 8
    np.testing.assert_allclose(areas[:first_level, 0], 20.0**2, rtol=1e-5)
    np.testing.assert_allclose(areas[:first_level, 1], 40.0**2, rtol=1e-5)
    np.testing.assert_allclose(areas[first_level:, 0], 40.0**2, rtol=1e-5)


def test_anchors_come_in_any_named_format():
    xyxy = anchors.anchor_boxes((64, 64), strides=(16, 32), sizes=(24, 48))
    relative = anchors.anchor_boxes((64, 64), strides=(16, 32), sizes=(24, 48),
                                    format="rel_center_xywh")
    np.testing.assert_allclose(
        relative.numpy(),
        boxes.convert(xyxy, "xyxy", "rel_center_xywh", image_shape=(64, 64)).numpy(),
        rtol=1e-6)


def test_anchor_boxes_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"sizes=\(32.0,\) must give one base size per stride"):
        anchors.anchor_boxes((64, 64), strides=(8, 16), sizes=(32,))
    with pytest.raises(ValueError, match=r"aspect_ratios entry=0"):
        anchors.anchor_boxes((64, 64), aspect_ratios=(0, 1))
    with pytest.raises(ValueError, match=r"scales=\(\) must be a non-empty sequence"):
        anchors.anchor_boxes((64, 64), scales=())
    with pytest.raises(ValueError, match=r"format='corners'"):
        anchors.anchor_boxes((64, 64), format="corners")
    with pytest.raises(ValueError, match=r"image_shape=\(64,\)"):
        anchors.anchor_boxes((64,))
    with pytest.raises(ValueError, match=r"strides entry=0"):
        anchors.anchor_boxes((64, 64), strides=(0, 8), sizes=(1, 2))


def test_anchors_for_a_size_known_only_in_the_graph_equal_the_static_ones():
    # A detector serving any image size computes its anchors from tf.shape(images) inside a
    # tf.function whose input has no static height or width.
    options = dict(strides=(8, 16, 32), sizes=(24, 48, 96), format="rel_xyxy")

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1])])
    def in_graph(images):
        return anchors.anchor_boxes(tf.shape(images)[1:3], **options)

    for height, width in ((64, 96), (65, 97)):
        dynamic = in_graph(tf.zeros([1, height, width, 1])).numpy()
        static = anchors.anchor_boxes((height, width), **options).numpy()
        np.testing.assert_array_equal(dynamic, static)
    with pytest.raises(ValueError, match=r"image_shape of shape \(3,\)"):
        anchors.anchor_boxes(tf.constant([1, 64, 64]))


def test_encoding_on_a_hand_case():
    # Anchor centre (5, 5), size 10 x 10; box centre (15, 15), size 20 x 20.
    anchor, box = [[0, 0, 10, 10]], [[5, 5, 25, 25]]
    np.testing.assert_allclose(anchors.encode(box, anchor).numpy(),
                               [[1, 1, math.log(2), math.log(2)]], rtol=1e-6)
    np.testing.assert_allclose(anchors.encode(box, anchor, weights=(10, 10, 5, 5)).numpy(),
                               [[10, 10, 5 * math.log(2), 5 * math.log(2)]], rtol=1e-6)


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_encoding_then_decoding_returns_the_boxes(weights):
    rng = np.random.default_rng(0)
    grid = anchors.anchor_boxes((128, 128), strides=(16, 32), sizes=(32, 64))
    # Boxes up to 4x larger or smaller than their anchor and shifted by up to one anchor.
    centres = boxes.convert(grid, "xyxy", "center_xywh").numpy()
    scale = np.exp(rng.uniform(-np.log(4), np.log(4), (2, len(centres), 2)))
    shift = rng.uniform(-1, 1, (2, len(centres), 2)) * centres[None, :, 2:]
    targets = boxes.convert(np.concatenate([centres[None, :, :2] + shift,
                                            centres[None, :, 2:] * scale], -1).astype("float32"),
                            "center_xywh", "xyxy")

    @tf.function
    def round_trip(batch_boxes, grid_anchors):
        return anchors.decode(anchors.encode(batch_boxes, grid_anchors, weights=weights),
                              grid_anchors, weights=weights)

    np.testing.assert_allclose(round_trip(targets, grid).numpy(), targets.numpy(), atol=1e-3)


def test_decoding_clamps_the_log_scale_and_encoding_survives_degenerate_boxes():
    anchor = [[0, 0, 10, 10]]
    decoded = anchors.decode([[0, 0, 100.0, 100.0]], anchor).numpy()
    np.testing.assert_allclose(decoded[0, 2] - decoded[0, 0], 10 * 1000 / 16, rtol=1e-5)
    encoded = anchors.encode([[5, 5, 5, 5]], anchor).numpy()
    assert np.isfinite(encoded).all()


def test_encode_refuses_bad_weights():
    with pytest.raises(ValueError, match=r"weights=\(1.0, 1.0\) must be four numbers"):
        anchors.encode([[0, 0, 1, 1]], [[0, 0, 1, 1]], weights=(1, 1))
    with pytest.raises(ValueError, match=r"weights entry=-1"):
        anchors.decode([[0, 0, 1, 1]], [[0, 0, 1, 1]], weights=(1, 1, -1, 1))


# Matching hand case. IoU with gt 0 = [0, 0, 10, 10]:
#   anchor 0 [0, 0, 10, 9]: 90 / 100 = 0.9, positive;
#   anchor 1 [0, 0, 10, 22]: 100 / 220 = 0.45, between the thresholds: ignored;
#   anchor 2 [5, 0, 15, 10]: 50 / 150 = 0.33, negative;
#   anchor 3 [100, 100, 110, 110]: 0, negative.
# gt 1 = [40, 40, 60, 60] has only anchor 4 [45, 45, 55, 55] (100 / 400 = 0.25): a low-quality
# match. gt 2 = [200, 0, 220, 20] is small beside gt 3 = [200, 0, 240, 40]: anchor 5
# [200, 0, 220, 19] suits gt 2 (19 / 20 = 0.95), anchor 6 [200, 0, 240, 38] suits gt 3
# (0.95), and anchor 7 [190, 0, 210, 10] overlaps both a little: 100 / 500 = 0.2 with gt 2,
# 100 / 1700 = 0.06 with gt 3. Anchor 8 [300, 0, 310, 10] overlaps nothing.
MATCH_ANCHORS = [[0, 0, 10, 9], [0, 0, 10, 22], [5, 0, 15, 10], [100, 100, 110, 110],
                 [45, 45, 55, 55], [200, 0, 220, 19], [200, 0, 240, 38], [190, 0, 210, 10],
                 [300, 0, 310, 10]]
MATCH_GT = [[0, 0, 10, 10], [40, 40, 60, 60], [200, 0, 220, 20], [200, 0, 240, 40]]
P, N, IG = anchors.POSITIVE, anchors.NEGATIVE, anchors.IGNORED


def test_matching_on_a_hand_case():
    without = anchors.match(MATCH_ANCHORS, MATCH_GT, low_quality_matches=False)
    np.testing.assert_array_equal(without.label.numpy(), [P, IG, N, N, N, P, P, N, N])
    np.testing.assert_array_equal(without.gt_index.numpy(), [0, -1, -1, -1, -1, 2, 3, -1, -1])

    matched = anchors.match(MATCH_ANCHORS, MATCH_GT, positive=0.5, negative=0.4)
    # gt 1's best anchor, at IoU 0.25, becomes positive for it.
    np.testing.assert_array_equal(matched.label.numpy(), [P, IG, N, N, P, P, P, N, N])
    np.testing.assert_array_equal(matched.gt_index.numpy(), [0, -1, -1, -1, 1, 2, 3, -1, -1])
    every_gt_has_an_anchor = set(matched.gt_index.numpy()[matched.label.numpy() == P])
    assert every_gt_has_an_anchor == {0, 1, 2, 3}


def test_a_low_quality_match_goes_to_the_gt_box_that_claims_it():
    # A small object [0, 0, 4, 4] in the corner of a large one [0, 0, 20, 20]. Anchor X
    # [0, 0, 10, 10] overlaps the small one by 16 / 100 = 0.16, and the large one more, by
    # 100 / 400 = 0.25; anchor Y [0, 0, 20, 19] suits the large one (0.95) and barely
    # touches the small one (16 / 380 = 0.04). X is the small object's best anchor.
    small, large = [0, 0, 4, 4], [0, 0, 20, 20]
    x, y = [0, 0, 10, 10], [0, 0, 20, 19]
    matched = anchors.match([x, y], [small, large])
    np.testing.assert_array_equal(matched.label.numpy(), [P, P])
    # torchvision's Matcher would make X positive for the large object, the one it overlaps
    # most ([1, 1] here), and leave the small one without an anchor.
    np.testing.assert_array_equal(matched.gt_index.numpy(), [0, 1])
    # Without Y, X is the best anchor of both, and goes to the one it overlaps most.
    alone = anchors.match([x], [small, large])
    np.testing.assert_array_equal(alone.gt_index.numpy(), [1])


def test_an_image_without_gt_boxes_makes_every_anchor_negative():
    @tf.function(input_signature=[tf.TensorSpec([None, 4]), tf.TensorSpec([None, 4])])
    def match(anchor_boxes, gt_boxes):
        return anchors.match(anchor_boxes, gt_boxes)

    for result in (anchors.match(MATCH_ANCHORS, np.zeros((0, 4))),
                   match(tf.constant(MATCH_ANCHORS, tf.float32), tf.zeros((0, 4)))):
        np.testing.assert_array_equal(result.label.numpy(), [N] * len(MATCH_ANCHORS))
        np.testing.assert_array_equal(result.gt_index.numpy(), [-1] * len(MATCH_ANCHORS))
    # A degenerate gt box overlaps nothing and claims nothing.
    degenerate = anchors.match(MATCH_ANCHORS, [[5, 5, 5, 5]])
    np.testing.assert_array_equal(degenerate.label.numpy(), [N] * len(MATCH_ANCHORS))


def test_match_refuses_bad_thresholds_and_shapes():
    with pytest.raises(ValueError, match=r"negative=0.6 must not exceed positive=0.5"):
        anchors.match(MATCH_ANCHORS, MATCH_GT, positive=0.5, negative=0.6)
    with pytest.raises(ValueError, match=r"positive=0 must be a number in \(0, 1\)"):
        anchors.match(MATCH_ANCHORS, MATCH_GT, positive=0, negative=0)
    with pytest.raises(ValueError, match=r"gt_boxes of shape \(1, 4, 4\)"):
        anchors.match(MATCH_ANCHORS, np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"gt_boxes of shape \(2, 3\)"):
        anchors.match(MATCH_ANCHORS, np.zeros((2, 3)))
