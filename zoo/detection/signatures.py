"""What an exported detector serves (the `object-detection` and `instance-segmentation` tasks
of `zoo.tasks`).

- `serving_default`: `image`, float32 [batch, height, width, channels] in [0, 1], as
  `zoo.data` gives images;
- `detect_uint8`: the same from uint8 pixels in [0, 255], as decoded image files come.

Both take images of any height and width (the anchors are computed in the graph for the size
given) and return the TensorFlow Object Detection API's four outputs after non-maximum
suppression, as the detector's `serving_outputs` makes them: `detection_boxes` [batch, max, 4]
("xyxy" in pixels; the API's are relative [y1, x1, y2, x2]), `detection_scores`,
`detection_classes` (int32, 0-based; the API's are 1-based floats) and `num_detections`
(int32). Beside them, `anchor_outputs` is what the Keras model returns, the raw per-anchor box
deltas and scores (a two-stage detector's: its proposal network's; the API exports its
`raw_detection_boxes` and `raw_detection_scores` likewise, for re-scoring without a second
run); a TF Serving client that wants only the detections names them in its request's
`output_filter`. An instance segmenter (Mask R-CNN) also serves `detection_masks`, [batch,
max, m, m] probabilities of each detection's mask in its box's frame, as the API's Mask R-CNN
exports do (`zoo.detection.masks.paste_masks` puts them on the image).
"""

from __future__ import annotations

import tensorflow as tf

INPUT_NAME = "image"


def detection_input_signature(model, dtype=tf.float32) -> list[tf.TensorSpec]:
    """A batch of images of any size with the detector's channels."""
    return [tf.TensorSpec((None, None, None, model.channels), dtype, name=INPUT_NAME)]


def serve_detections(model):
    """`image -> {output: tensor}`, the outputs its task record names (the detector's
    `serving_outputs`), for float or uint8 images (the model scales uint8 pixels itself)."""
    def serve(image):
        return model.serving_outputs(image)

    return serve


def detection_signatures(model) -> dict:
    """The signatures beside `serving_default`: `{name: (function, input_signature)}`."""
    return {"detect_uint8": (serve_detections(model),
                             detection_input_signature(model, tf.uint8))}
