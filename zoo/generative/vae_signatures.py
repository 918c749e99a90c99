"""The signatures a VAE (`zoo.generative.vae`) exports: `serving_default` from images (and
labels, when conditional) to their `reconstruction`; `encode`, `decode` and `sample`. The
registry's `density-estimation` task names them (`zoo.tasks`).

A conditional VAE takes a `label` [batch] int32 beside every image or code, and its
`sample` draws one image per label; labels outside [0, num_classes) fail the call.
"""

from __future__ import annotations

MAX_SAMPLES = 10_000  # images one call of the exported `sample` signature may ask for


def vae_input_signature(model) -> list | None:
    """`serving_default`'s inputs for a conditional VAE (`image`, `label`); None for an
    unconditional one, which serves its image input as any image model does."""
    import tensorflow as tf

    if not model.conditional:
        return None
    return [tf.TensorSpec((None, *model.image_shape), tf.float32, name="image"),
            tf.TensorSpec((None,), tf.int32, name="label")]


def serve_reconstruction(model):
    """`serving_default`: images (and labels) to their `reconstruction` through the mean of
    their code."""
    if model.conditional:
        return lambda image, label: {
            "reconstruction": model({"image": image, "label": label}, training=False)}
    return lambda inputs: {"reconstruction": model(inputs, training=False)}


def vae_signatures(model) -> dict:
    """`{name: (function, input_signature)}` of the signatures a VAE exports beside
    `serving_default`, each taking a `label` beside its input when the VAE is conditional:

    - `encode`: image batch to the `mean` and `log_variance` of q(z|x);
    - `decode`: a batch of latent codes to the pixel probabilities `image` (the generator);
    - `sample`: images decoded from codes drawn from N(0, I) with `seed`: `count` of them,
      or one per `label` when conditional.
    """
    import tensorflow as tf

    from zoo.export.signatures import check_batch_shape, drawn_codes

    image_shape, width = tuple(model.image_shape), model.latent_dim
    image_spec = tf.TensorSpec((None, *image_shape), tf.float32, name="image")
    latent_spec = tf.TensorSpec((None, width), tf.float32, name="latent")
    label_spec = tf.TensorSpec((None,), tf.int32, name="label")
    seed_spec = tf.TensorSpec([], tf.int64, name="seed")

    def encode(image, label=None):
        with tf.control_dependencies([check_batch_shape(image, image_shape, "image")]):
            mean, log_variance = model.encode(image, label)
        return {"mean": mean, "log_variance": log_variance}

    def decode(latent, label=None):
        check = check_batch_shape(latent, [width], "latent", "this VAE's latent size")
        with tf.control_dependencies([check]):
            return {"image": model.decode(latent, label)}

    if model.conditional:
        def sample(label, seed):
            codes = drawn_codes(tf.shape(label)[0], width, seed, MAX_SAMPLES)
            return {"image": model.decode(codes, label)}

        return {"encode": (lambda image, label: encode(image, label), [image_spec, label_spec]),
                "decode": (lambda latent, label: decode(latent, label),
                           [latent_spec, label_spec]),
                "sample": (sample, [label_spec, seed_spec])}

    def sample_unconditional(count, seed):
        return {"image": model.decode(drawn_codes(count, width, seed, MAX_SAMPLES))}

    return {"encode": (lambda image: encode(image), [image_spec]),
            "decode": (lambda latent: decode(latent), [latent_spec]),
            "sample": (sample_unconditional, [tf.TensorSpec([], tf.int32, name="count"),
                                              seed_spec])}
