"""The signatures a GAN (`zoo.generative.gan`) exports: `serving_default` from latent codes
(and labels) to images, `sample` from a seed, `discriminate` to D's probability that an image
is real. The registry's `generation` task names them (`zoo.tasks`)."""

from __future__ import annotations

MAX_SAMPLES = 10_000  # images one call of the exported `sample` signature may ask for


def gan_input_signature(model) -> list:
    """The served inputs of a generator: `latent` [batch, latent_dim] float32, and `label`
    [batch] int32 when conditional."""
    import tensorflow as tf

    specs = [tf.TensorSpec((None, model.latent_dim), tf.float32, name="latent")]
    if model.conditional:
        specs.append(tf.TensorSpec((None,), tf.int32, name="label"))
    return specs


def serve_generator(model):
    """`serving_default`: latent (and label) to `image`, the latent size and the labels'
    range checked. (The signature's spec refuses a NumPy batch of the wrong size as the call
    binds, but a tensor reaches the graph, where only the check stops it.)"""
    import tensorflow as tf

    from zoo.export.signatures import check_batch_shape

    def generate(latent, label=None):
        check = check_batch_shape(latent, [model.latent_dim], "latent",
                                  "this generator's latent size")
        with tf.control_dependencies([check]):
            return {"image": model._generate(latent, label, training=False)}

    if model.conditional:
        return lambda latent, label: generate(latent, label)
    return lambda latent: generate(latent)


def gan_signatures(model) -> dict:
    """`{name: (function, input_signature)}` of the signatures a GAN exports beside
    `serving_default` (latent, and label when conditional, to `image`):

    - `sample`: images from codes drawn with `seed`: `count` of them, or one per `label`
      when conditional;
    - `discriminate`: images in [0, 1] (and labels) to D's `probability_real`.
    """
    import tensorflow as tf

    from zoo.export.signatures import check_batch_shape, drawn_codes

    image_shape, width = tuple(model.image_shape), model.latent_dim
    image_spec = tf.TensorSpec((None, *image_shape), tf.float32, name="image")
    label_spec = tf.TensorSpec((None,), tf.int32, name="label")
    seed_spec = tf.TensorSpec([], tf.int64, name="seed")

    def codes(count, seed):
        return drawn_codes(count, width, seed, MAX_SAMPLES)

    def discriminate(image, label=None):
        with tf.control_dependencies([check_batch_shape(image, image_shape, "image")]):
            logits = model._discriminate(image * 2.0 - 1.0, model._checked_labels(label),
                                         training=False)
        return {"probability_real": tf.sigmoid(logits)}

    if model.conditional:
        def sample(label, seed):
            latent = codes(tf.shape(label)[0], seed)
            return {"image": model._generate(latent, label, training=False)}

        return {"sample": (sample, [label_spec, seed_spec]),
                "discriminate": (lambda image, label: discriminate(image, label),
                                 [image_spec, label_spec])}

    def sample_unconditional(count, seed):
        return {"image": model._generate(codes(count, seed), None, training=False)}

    return {"sample": (sample_unconditional, [tf.TensorSpec([], tf.int32, name="count"),
                                              seed_spec]),
            "discriminate": (lambda image: discriminate(image), [image_spec])}
