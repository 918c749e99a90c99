"""RoIAlign (zoo.detection.roi_align) against what it must compute by hand: on a map that is a
linear function of the cell, every bin is the function at the bin's centre (bilinear
interpolation of a linear function is exact, and the mean of evenly spread samples is the
function at their mean); torchvision's border rule; the right image per box; gradients."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.detection.roi_align import roi_align

H, W = 8, 10


def ramp(batch=1):
    """A map whose cell (i, j) of image b holds 3 i + j + 10 + 100 b (two channels: it and its
    negative)."""
    i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    images = [3 * i + j + 10 + 100 * b for b in range(batch)]
    return np.stack([np.stack([v, -v], -1) for v in images]).astype(np.float32)


def expected_ramp(box, out, stride, image=0):
    """Each bin's centre in map coordinates, where cell i sits at i (the half-cell shift)."""
    x1, y1, x2, y2 = np.asarray(box, np.float64) / stride - 0.5
    rows = y1 + (np.arange(out[0]) + 0.5) * (y2 - y1) / out[0]
    cols = x1 + (np.arange(out[1]) + 0.5) * (x2 - x1) / out[1]
    value = 3 * rows[:, None] + cols[None, :] + 10 + 100 * image
    return np.stack([value, -value], -1)


@pytest.mark.parametrize(("box", "out", "stride", "ratio"), [
    ((4, 4, 28, 20), (2, 3), 4, 2),    # stride-4 map, 6 x 4 cells
    ((10, 6, 60, 46), (7, 7), 8, 2),  # Faster R-CNN's 7x7
    ((3.3, 2.1, 7.9, 6.4), (2, 2), 1, 1),  # fractional edges, one sample a bin
    ((3, 3, 9, 7), (4, 4), 1, 3),
])
def test_each_bin_is_a_linear_map_at_the_bin_centre(box, out, stride, ratio):
    got = roi_align(ramp(), [box], [0], out, stride=stride, sampling_ratio=ratio)
    assert got.shape == (1, *out, 2)
    np.testing.assert_allclose(got[0], expected_ramp(box, out, stride), rtol=1e-5, atol=1e-4)


def test_each_box_reads_its_own_image():
    boxes = [(2, 2, 6, 6), (2, 2, 6, 6), (1, 3, 9, 7)]
    got = roi_align(ramp(batch=2), boxes, [1, 0, 1], (2, 2))
    for n, (box, image) in enumerate(zip(boxes, [1, 0, 1], strict=True)):
        np.testing.assert_allclose(got[n], expected_ramp(box, (2, 2), 1, image), atol=1e-4)


def test_torchvisions_border_rule_clamps_within_a_cell_and_zeroes_beyond():
    features = np.full((1, 4, 4, 1), 5.0, np.float32)
    # In map coordinates (after the half-cell shift) the first box's samples lie in
    # [-1, 0): the border cell's value; the second's below -1: zero.
    got = roi_align(features, [(-0.4, -0.4, 0.4, 0.4), (-3.0, -3.0, -2.0, -2.0)], [0, 0], (1, 1),
                    stride=1, sampling_ratio=2)
    np.testing.assert_allclose(got[:, 0, 0, 0], [5.0, 0.0])


def test_gradients_reach_the_features_under_each_box_only():
    features = tf.Variable(ramp())
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(roi_align(features, [(0, 0, 4, 4)], [0], (2, 2)))
    gradient = tape.gradient(total, features).numpy()[0, :, :, 0]
    assert gradient[:4, :4].sum() > 0 and np.abs(gradient[5:, :]).sum() == 0
    assert np.abs(gradient[:, 5:]).sum() == 0
    np.testing.assert_allclose(gradient.sum(), 4.0, rtol=1e-5)  # four bins, each a mean


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"features of shape \(8, 10, 2\)"):
        roi_align(ramp()[0], [(0, 0, 4, 4)], [0])
    with pytest.raises(ValueError, match=r"boxes of shape \(1, 1, 4\)"):
        roi_align(ramp(), [[(0, 0, 4, 4)]], [0])
    with pytest.raises(ValueError, match=r"sampling_ratio=0"):
        roi_align(ramp(), [(0, 0, 4, 4)], [0], sampling_ratio=0)
    with pytest.raises(ValueError, match=r"output_size"):
        roi_align(ramp(), [(0, 0, 4, 4)], [0], output_size=(7,))
