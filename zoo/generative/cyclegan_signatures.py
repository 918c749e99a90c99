"""The signatures a CycleGAN (`zoo.generative.cyclegan`) exports: `serving_default` from an
image of domain A to its `translated` image in B, and `translate_back` from B to A. The
registry's `unpaired-translation` task names them (`zoo.tasks`)."""

from __future__ import annotations


def _translator(model, direction):
    import tensorflow as tf

    from zoo.export.signatures import check_batch_shape

    def translate(image):
        with tf.control_dependencies([check_batch_shape(image, model.image_shape, "image")]):
            return {"translated": model.translate(image, direction)}

    return translate


def serve_translated(model):
    """`serving_default`: images of A (in [0, 1]) to their `translated` images of B."""
    return _translator(model, "a_to_b")


def cyclegan_signatures(model) -> dict:
    """`{name: (function, input_signature)}` beside `serving_default`: `translate_back`,
    images of B to their `translated` images of A."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, *model.image_shape), tf.float32, name="image")
    return {"translate_back": (_translator(model, "b_to_a"), [spec])}
