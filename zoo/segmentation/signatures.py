"""What an exported segmenter serves (the `semantic-segmentation` task of `zoo.tasks`).

- `serving_default`: `image`, float32 [batch, height, width, channels] in [0, 1], as
  `zoo.data` gives images;
- `segment_uint8`: the same from uint8 pixels in [0, 255], as decoded image files come.

Both take images of any height and width and return, per pixel, `logits` [batch, height,
width, classes] (what the Keras model returns), their softmax `probabilities`, and
`class_map` int32 [batch, height, width], the most probable class (0 the background).
"""

from __future__ import annotations

import tensorflow as tf

INPUT_NAME = "image"


def _channels(model) -> int:
    return int(model.inputs[0].shape[-1])


def serve_segmentation(model, scale: float = 1.0):
    """`image -> {"logits", "probabilities", "class_map"}`, the pixels multiplied by `scale`
    (1 / 255 for uint8 images) before the model sees them."""
    def serve(image):
        pixels = tf.cast(image, tf.float32) * scale
        logits = model(pixels, training=False)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1),
                "class_map": tf.argmax(logits, axis=-1, output_type=tf.int32)}

    return serve


def segmentation_signatures(model) -> dict:
    """The signatures beside `serving_default`: `{name: (function, input_signature)}`."""
    spec = tf.TensorSpec((None, None, None, _channels(model)), tf.uint8, name=INPUT_NAME)
    return {"segment_uint8": (serve_segmentation(model, 1 / 255), [spec])}
