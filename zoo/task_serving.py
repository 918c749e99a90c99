"""What each task serves and how its models are prepared: the `serve`, `endpoints`,
`input_signature`, `prepare` and `data_options` entries of the task records in `zoo.tasks`.

Each function takes a model (and, for `serve`, the class labels it was trained with) and
returns the function a SavedModel exports, or the options or set-up the model needs. Domain
code is imported inside the functions, so that importing the task records imports no
TensorFlow (`zoo._lazy`).
"""

from __future__ import annotations

from zoo._lazy import tf


def _as_probabilities(model, outputs):
    from zoo.models._common import produces_probabilities

    return outputs if produces_probabilities(model) else tf.nn.softmax(outputs, axis=-1)


def serve_classes(model, labels=None):
    def serve(inputs):
        probabilities = _as_probabilities(model, model(inputs, training=False))
        return {"probabilities": probabilities,
                "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int64)}

    return serve


def image_bytes_endpoints(model) -> dict:
    """An image classifier also serves encoded JPEG or PNG files (`image_bytes`, decoded and
    resized inside the SavedModel); a classifier of feature vectors does not."""
    from zoo.export.image_bytes import image_bytes_endpoint

    return image_bytes_endpoint(model, serve_classes(model))


def serve_text_classes(model, labels=None):
    """Probabilities, class ids, and the class names as strings (the labels the model was
    trained with; "0", "1", ... when none are known)."""
    classes = int(model.output_shape[-1])
    names = tf.constant(list(labels) if labels else [str(i) for i in range(classes)])
    if len(names.shape) != 1 or names.shape[0] != classes:
        raise ValueError(f"labels has {names.shape[0]} names; the model has {classes} classes.")

    def serve(text):
        probabilities = _as_probabilities(model, model(text, training=False))
        class_id = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
        return {"probabilities": probabilities, "class_id": class_id,
                "label": tf.gather(names, class_id)}

    return serve


def serve_binary(model, labels=None):
    def serve(inputs):
        score = tf.squeeze(model(inputs, training=False), axis=-1)
        return {"score": score, "class_id": tf.cast(score > 0, tf.int64)}

    return serve


def serve_regression(model, labels=None):
    def serve(inputs):
        return {"prediction": model(inputs, training=False)}

    return serve


def serve_reconstruction(model, labels=None):
    def serve(inputs):
        return {"reconstruction": model(inputs, training=False)}

    return serve


def reconstruction_targets(model) -> dict:
    return {"targets": "inputs"}


def encode_decode_endpoints(model) -> dict:
    from zoo.models.generative.autoencoders import halves_signatures

    return halves_signatures(model)


def serve_vae(model, labels=None):
    from zoo.generative.vae_signatures import serve_reconstruction

    return serve_reconstruction(model)


def vae_inputs(model) -> list | None:
    from zoo.generative.vae_signatures import vae_input_signature

    return vae_input_signature(model)


def vae_endpoints(model) -> dict:
    from zoo.generative.vae_signatures import vae_signatures

    return vae_signatures(model)


def serve_generator(model, labels=None):
    from zoo.generative.gan_signatures import serve_generator

    return serve_generator(model)


def generator_inputs(model) -> list:
    from zoo.generative.gan_signatures import gan_input_signature

    return gan_input_signature(model)


def gan_endpoints(model) -> dict:
    from zoo.generative.gan_signatures import gan_signatures

    return gan_signatures(model)


def _serve_image_to(output: str):
    """A serving function from a batch of images of `model.image_shape` (checked) to the
    model's output under the name `output`."""
    def make(model, labels=None):
        from zoo.export.signatures import check_batch_shape

        def serve(image):
            with tf.control_dependencies([check_batch_shape(image, model.image_shape,
                                                            "image")]):
                return {output: model(image, training=False)}

        return serve

    return make


serve_restored = _serve_image_to("restored")


def serve_translated(model, labels=None):
    from zoo.generative.cyclegan_signatures import serve_translated

    return serve_translated(model)


def translation_endpoints(model) -> dict:
    from zoo.generative.cyclegan_signatures import cyclegan_signatures

    return cyclegan_signatures(model)


def corrupted_image_input(model) -> list:
    return [tf.TensorSpec((None, *model.image_shape), tf.float32, name="image")]


serve_anomaly_scores = _serve_image_to("anomaly_score")


def anogan_endpoints(model) -> dict:
    """`reconstruct`: images to the GAN's closest drawing of them, G(E(x))."""
    spec = tf.TensorSpec((None, *model.image_shape), tf.float32, name="image")
    return {"reconstruct": (lambda image: {"image": model.reconstruct(image)}, [spec])}


def serve_detections(model, labels=None):
    from zoo.detection.signatures import serve_detections

    return serve_detections(model)


def detection_inputs(model) -> list:
    from zoo.detection.signatures import detection_input_signature

    return detection_input_signature(model)


def detection_endpoints(model) -> dict:
    from zoo.detection.signatures import detection_signatures

    return detection_signatures(model)


def serve_segmentation(model, labels=None):
    from zoo.segmentation.signatures import serve_segmentation

    return serve_segmentation(model)


def segmentation_endpoints(model) -> dict:
    from zoo.segmentation.signatures import segmentation_signatures

    return segmentation_signatures(model)


def segmentation_targets(model) -> dict:
    """A segmenter trains on a detection dataset's class maps, not its boxes."""
    return {"targets": "segmentation"}


def instance_mask_targets(model) -> dict:
    """An instance segmenter trains on a detection dataset's boxes and each object's mask."""
    return {"targets": "masks"}


def serve_action_values(model, labels=None):
    """Every action's value and the greedy action: what a deployed DQN policy acts on."""
    def serve(observation):
        q_values = model(observation, training=False)
        return {"q_values": q_values,
                "action": tf.argmax(q_values, axis=-1, output_type=tf.int64)}

    return serve


def serve_policy(model, labels=None):
    """The action logits, their probabilities and the most probable action (a deployed
    policy acts on it; a stochastic one samples from the probabilities)."""
    def serve(observation):
        logits = model(observation, training=False)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1),
                "action": tf.argmax(logits, axis=-1, output_type=tf.int64)}

    return serve


def serve_state_value(model, labels=None):
    def serve(observation):
        return {"value": tf.squeeze(model(observation, training=False), axis=-1)}

    return serve


def serve_logits(model, labels=None):
    def serve(text):
        return {"logits": model(text, training=False)}

    return serve


def generate_endpoint(model) -> dict:
    from zoo.text.generation import generate_signature

    return {"generate": generate_signature(model)}


def sequence_length(model) -> dict:
    return {"sequence_length": int(model.sequence_length)}


def serve_bits(model, labels=None):
    def serve(sequence):
        logits = model(sequence, training=False)
        return {"logits": logits, "bits": tf.cast(logits > 0, tf.int64)}

    return serve


def serve_forecast(model, labels=None):
    def serve(history):
        return {"forecast": model(history, training=False)}

    return serve


def forecast_window(model) -> dict:
    """A forecaster reads `input_length` steps and forecasts `horizon`: its data's windows."""
    return {"input_length": int(model.input_shape[1]), "horizon": int(model.output_shape[-1])}


def serve_decoded(model, labels=None):
    """Greedy decoding: the output strings and their token ids (what the model returns)."""
    from zoo.text.seq2seq_decoding import ids_to_text

    model.check_adapted()
    vocabulary = tf.constant(model.target_vocabulary())

    def serve(text):
        ids = model(text, training=False)
        return {"text": ids_to_text(model, vocabulary, ids), "token_ids": ids}

    return serve


def translate_endpoint(model) -> dict:
    from zoo.text.seq2seq_decoding import translate_signature

    return {"translate": translate_signature(model)}


def adapt_to_data(model, train_dataset):
    """A model with a data-dependent start takes it once, before its first training: a
    seq2seq model learns its vocabularies from the training pairs, an RBM starts its visible
    biases at the pixels' rates, a deep belief network pretrains its RBM stack. One trained
    before, now trained further, keeps what it has (a seq2seq model's weights are tied to its
    vocabularies' ids)."""
    if hasattr(model, "adapt") and hasattr(model, "is_adapted") and not model.is_adapted():
        model.adapt(train_dataset)


def adapt_classifier(model, train_dataset):
    """A classifier's data-dependent start: a deep belief network's greedy pretraining
    (its `adapt`), the k-means prototypes of radial-basis layers."""
    from zoo.layers.radial_basis import adapt_radial_basis_layers

    adapt_to_data(model, train_dataset)
    adapt_radial_basis_layers(model, train_dataset)


def adapt_text_layers(model, train_dataset):
    from zoo.layers.text import adapt_text_layers

    adapt_text_layers(model, train_dataset)
