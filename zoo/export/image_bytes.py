"""A signature that takes encoded image files: `image_bytes`, one JPEG or PNG per example.

TF Serving's REST API carries binary strings as `{"b64": "<base64>"}`, so a client posts

    {"signature_name": "image_bytes", "instances": [{"b64": "iVBORw0KGgo..."}]}

and the preprocessing that `zoo.data` applies in training happens inside the SavedModel:
decoded to the model's channels (a colour file to grey by luminance, a grey one repeated to
RGB), then scaled and resized by `zoo.data.pipeline.scale_pixels`, as in training. Bytes that
are neither a JPEG nor a PNG fail the request with an error naming `image_bytes`; the served
model stays up for the next request.
"""

from __future__ import annotations

import tensorflow as tf

from zoo.data.pipeline import scale_pixels

INPUT_NAME = "image_bytes"
SIGNATURE_NAME = "image_bytes"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # the 8 bytes every PNG file starts with (RFC 2083)


def image_size(model) -> tuple[int, int, int] | None:
    """The (height, width, channels) of one image a model takes, or None when it does not
    take images of a known size (a feature vector, a fully convolutional backbone)."""
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4:
        return None
    height, width, channels = tuple(inputs[0].shape)[1:]
    if None in (height, width) or channels not in (1, 3):
        return None
    return int(height), int(width), int(channels)


def decode_images(image_bytes, height: int, width: int, channels: int):
    """A float32 batch [n, height, width, channels] in [0, 1] from n encoded JPEG or PNG
    files of any size; an element of another format fails with an error naming it."""
    def decode(data):
        is_png = tf.equal(tf.strings.substr(data, 0, len(PNG_SIGNATURE)), PNG_SIGNATURE)
        known = tf.logical_or(tf.io.is_jpeg(data), is_png)
        check = tf.debugging.Assert(known, [
            f"{INPUT_NAME} must hold JPEG or PNG files; one starts with the bytes",
            tf.strings.substr(data, 0, 8)])
        with tf.control_dependencies([check]):
            # expand_animations=False: decode_image would return a 4-D GIF; JPEG and PNG
            # decode to [height, width, channels] either way.
            pixels = tf.io.decode_image(data, channels=channels, expand_animations=False)
        return tf.ensure_shape(scale_pixels(pixels, (height, width)),
                               (height, width, channels))

    spec = tf.TensorSpec((height, width, channels), tf.float32)
    return tf.map_fn(decode, image_bytes, fn_output_signature=spec)


def image_bytes_endpoint(model, serve) -> dict:
    """`{"image_bytes": (function, input_signature)}`: `serve` (the task's function from an
    image batch to its named outputs) behind the decoding of `decode_images`; empty for a
    model that does not take images of a known size."""
    size = image_size(model)
    if size is None:
        return {}

    def serve_bytes(image_bytes):
        return serve(decode_images(image_bytes, *size))

    spec = tf.TensorSpec((None,), tf.string, name=INPUT_NAME)
    return {SIGNATURE_NAME: (serve_bytes, [spec])}
