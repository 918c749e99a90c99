"""What a task means, declared in one place.

A `Task` record says everything the rest of zoo needs to know about a kind of model: what an
example batch looks like (the registry sweep builds one), the serving signature's named
inputs and outputs, the default loss and metrics, the figure a benchmark records and whether
higher is better, and what must happen to a model before training (e.g. adapting a text
vectoriser on the training split). Adding a task is one entry in `TASKS` plus its models;
its example batch and output shape live in `zoo.task_examples`.

The pattern is Hugging Face's task pipelines and torchvision's per-task model folders. This
module is read by the registry, so it imports no TensorFlow at import time (`zoo._lazy`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoo._lazy import tf
from zoo.task_examples import (
    action_values_batch,
    actions_shape,
    anchor_outputs_shape,
    binary_batch,
    binary_images_batch,
    class_batch,
    classes_shape,
    copy_batch,
    corrupted_batch,
    decoded_shape,
    detection_batch,
    latent_batch,
    logits_shape,
    one_output_shape,
    policy_batch,
    reconstruction_batch,
    regression_batch,
    returns_batch,
    scores_shape,
    series_batch,
    string_pairs_batch,
    targets_shape,
    text_batch,
    text_pairs_batch,
    unpaired_batch,
)


@dataclass(frozen=True)
class Task:
    """One kind of model: its data, its serving signature and how it is judged.

    Attributes:
        name: e.g. "image-classification".
        description: one line for `zoo list` and the docs.
        input_dtype: the serving input's dtype ("float32", "string").
        outputs: the serving signature's output names, in a stable order.
        primary_output: the output that equals (a reshaping of) the Keras model's output.
        loss: the default loss when a recipe does not name one.
        metrics: the default metrics.
        primary_metric: the figure benchmarks record and cards show.
        higher_is_better: how `primary_metric` compares.
        example_batch: `(card, batch_size, rng) -> (x, y)`, a batch the sweep feeds.
        serve: `(model, labels) -> fn(inputs) -> {output: tensor}`, the serving function.
        prepare: `(model, train_dataset) -> None`, run by `zoo.train` before fitting.
        data_options: `model -> dict`, the `zoo.data.load` options the model's shape fixes
            (a forecaster's window), which `zoo.train` and `zoo.evaluate` pass on.
        output_shape: `(card, x, y) -> shape`, the Keras model's output for the example batch
            `(x, y)` (the sweep checks it).
        endpoints: `model -> {name: (function, input_signature)}`, signatures exported beside
            `serving_default` (a language model's `generate`).
        interactive: the model learns from acting in an environment (reinforcement learning):
            its card's dataset is a gymnasium environment id, and an agent (`zoo.rl`) trains
            it, not `zoo.train`.
        input_signature: `model -> [TensorSpec, ...]`, the served inputs of a model that
            takes more than one (a conditional generator's latent batch and labels); its
            `serve` function takes them in that order. None (here, or returned for a model
            that takes one, such as an unconditional VAE): one input, named after the
            model's Keras input or its card.
    """

    name: str
    description: str
    input_dtype: str
    outputs: tuple[str, ...]
    primary_output: str
    loss: str
    metrics: tuple[str, ...]
    primary_metric: str
    higher_is_better: bool
    example_batch: Callable[..., tuple[Any, Any]] = field(repr=False)
    serve: Callable[..., Callable] = field(repr=False)
    prepare: Callable[..., None] | None = field(default=None, repr=False)
    data_options: Callable[..., dict] | None = field(default=None, repr=False)
    output_shape: Callable[..., tuple] | None = field(default=None, repr=False)
    endpoints: Callable[..., dict] | None = field(default=None, repr=False)
    input_signature: Callable[..., list] | None = field(default=None, repr=False)
    interactive: bool = False


def _as_probabilities(model, outputs):
    from zoo.models._common import produces_probabilities

    return outputs if produces_probabilities(model) else tf.nn.softmax(outputs, axis=-1)


def _serve_classes(model, labels=None):
    def serve(inputs):
        probabilities = _as_probabilities(model, model(inputs, training=False))
        return {"probabilities": probabilities,
                "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int64)}

    return serve


def _serve_text_classes(model, labels=None):
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


def _serve_binary(model, labels=None):
    def serve(inputs):
        score = tf.squeeze(model(inputs, training=False), axis=-1)
        return {"score": score, "class_id": tf.cast(score > 0, tf.int64)}

    return serve


def _serve_regression(model, labels=None):
    def serve(inputs):
        return {"prediction": model(inputs, training=False)}

    return serve


def _serve_reconstruction(model, labels=None):
    def serve(inputs):
        return {"reconstruction": model(inputs, training=False)}

    return serve


def _reconstruction_targets(model) -> dict:
    return {"targets": "inputs"}


def _encode_decode_endpoints(model) -> dict:
    from zoo.models.generative.autoencoders import halves_signatures

    return halves_signatures(model)


def _serve_vae(model, labels=None):
    from zoo.generative.vae_signatures import serve_reconstruction

    return serve_reconstruction(model)


def _vae_inputs(model) -> list | None:
    from zoo.generative.vae_signatures import vae_input_signature

    return vae_input_signature(model)


def _vae_endpoints(model) -> dict:
    from zoo.generative.vae_signatures import vae_signatures

    return vae_signatures(model)


def _serve_generator(model, labels=None):
    from zoo.generative.gan_signatures import serve_generator

    return serve_generator(model)


def _generator_inputs(model) -> list:
    from zoo.generative.gan_signatures import gan_input_signature

    return gan_input_signature(model)


def _gan_endpoints(model) -> dict:
    from zoo.generative.gan_signatures import gan_signatures

    return gan_signatures(model)


def _serve_restored(model, labels=None):
    from zoo.export.signatures import check_batch_shape

    def serve(image):
        with tf.control_dependencies([check_batch_shape(image, model.image_shape, "image")]):
            return {"restored": model(image, training=False)}

    return serve


def _serve_translated(model, labels=None):
    from zoo.generative.cyclegan_signatures import serve_translated

    return serve_translated(model)


def _translation_endpoints(model) -> dict:
    from zoo.generative.cyclegan_signatures import cyclegan_signatures

    return cyclegan_signatures(model)


def _corrupted_image_input(model) -> list:
    return [tf.TensorSpec((None, *model.image_shape), tf.float32, name="image")]


def _serve_anomaly_scores(model, labels=None):
    from zoo.export.signatures import check_batch_shape

    def serve(image):
        with tf.control_dependencies([check_batch_shape(image, model.image_shape, "image")]):
            return {"anomaly_score": model(image, training=False)}

    return serve


def _anogan_endpoints(model) -> dict:
    """`reconstruct`: images to the GAN's closest drawing of them, G(E(x))."""
    spec = tf.TensorSpec((None, *model.image_shape), tf.float32, name="image")
    return {"reconstruct": (lambda image: {"image": model.reconstruct(image)}, [spec])}


def _serve_detections(model, labels=None):
    from zoo.detection.signatures import serve_detections

    return serve_detections(model)


def _detection_inputs(model) -> list:
    from zoo.detection.signatures import detection_input_signature

    return detection_input_signature(model)


def _detection_endpoints(model) -> dict:
    from zoo.detection.signatures import detection_signatures

    return detection_signatures(model)


def _serve_action_values(model, labels=None):
    """Every action's value and the greedy action: what a deployed DQN policy acts on."""
    def serve(observation):
        q_values = model(observation, training=False)
        return {"q_values": q_values,
                "action": tf.argmax(q_values, axis=-1, output_type=tf.int64)}

    return serve


def _serve_policy(model, labels=None):
    """The action logits, their probabilities and the most probable action (a deployed
    policy acts on it; a stochastic one samples from the probabilities)."""
    def serve(observation):
        logits = model(observation, training=False)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1),
                "action": tf.argmax(logits, axis=-1, output_type=tf.int64)}

    return serve


def _serve_state_value(model, labels=None):
    def serve(observation):
        return {"value": tf.squeeze(model(observation, training=False), axis=-1)}

    return serve


def _serve_logits(model, labels=None):
    def serve(text):
        return {"logits": model(text, training=False)}

    return serve


def _generate_endpoint(model) -> dict:
    from zoo.text.generation import generate_signature

    return {"generate": generate_signature(model)}


def _sequence_length(model) -> dict:
    return {"sequence_length": int(model.sequence_length)}


def _serve_bits(model, labels=None):
    def serve(sequence):
        logits = model(sequence, training=False)
        return {"logits": logits, "bits": tf.cast(logits > 0, tf.int64)}

    return serve


def _serve_forecast(model, labels=None):
    def serve(history):
        return {"forecast": model(history, training=False)}

    return serve


def _forecast_window(model) -> dict:
    """A forecaster reads `input_length` steps and forecasts `horizon`: its data's windows."""
    return {"input_length": int(model.input_shape[1]), "horizon": int(model.output_shape[-1])}


def _serve_decoded(model, labels=None):
    """Greedy decoding: the output strings and their token ids (what the model returns)."""
    from zoo.text.seq2seq_decoding import ids_to_text

    model.check_adapted()
    vocabulary = tf.constant(model.target_vocabulary())

    def serve(text):
        ids = model(text, training=False)
        return {"text": ids_to_text(model, vocabulary, ids), "token_ids": ids}

    return serve


def _translate_endpoint(model) -> dict:
    from zoo.text.seq2seq_decoding import translate_signature

    return {"translate": translate_signature(model)}


def _adapt_to_data(model, train_dataset):
    """A model with a data-dependent start takes it once, before its first training: a
    seq2seq model learns its vocabularies from the training pairs, an RBM starts its visible
    biases at the pixels' rates, a deep belief network pretrains its RBM stack. One trained
    before, now trained further, keeps what it has (a seq2seq model's weights are tied to its
    vocabularies' ids)."""
    if hasattr(model, "adapt") and hasattr(model, "is_adapted") and not model.is_adapted():
        model.adapt(train_dataset)


def _adapt_classifier(model, train_dataset):
    """A classifier's data-dependent start: a deep belief network's greedy pretraining
    (its `adapt`), the k-means prototypes of radial-basis layers."""
    from zoo.layers.radial_basis import adapt_radial_basis_layers

    _adapt_to_data(model, train_dataset)
    adapt_radial_basis_layers(model, train_dataset)


def _adapt_text_layers(model, train_dataset):
    from zoo.layers.text import adapt_text_layers

    adapt_text_layers(model, train_dataset)


TASKS: dict[str, Task] = {task.name: task for task in (
    Task("image-classification", "one of k classes for an image (or a feature vector)",
         "float32", ("probabilities", "class_id"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         class_batch, _serve_classes, _adapt_classifier, output_shape=classes_shape),
    Task("binary-classification", "a signed score and a class in {0, 1}",
         "float32", ("score", "class_id"), "score",
         "binary_crossentropy", ("accuracy",), "accuracy", True,
         binary_batch, _serve_binary, output_shape=one_output_shape),
    Task("regression", "a real-valued prediction",
         "float32", ("prediction",), "prediction",
         "mse", ("rmse",), "rmse", False,
         regression_batch, _serve_regression, output_shape=one_output_shape),
    Task("reconstruction", "an image reconstructed through a code (autoencoders); its "
         "own input is the target", "float32", ("reconstruction",), "reconstruction",
         "mse", ("mse",), "mse", False, reconstruction_batch, _serve_reconstruction,
         _adapt_to_data, data_options=_reconstruction_targets, output_shape=targets_shape,
         endpoints=_encode_decode_endpoints),
    Task("density-estimation", "a likelihood model of images that encodes them to a latent "
         "code, decodes codes to pixel probabilities and samples new images (VAEs)",
         "float32", ("reconstruction",), "reconstruction", "negative_elbo", (), "nll", False,
         binary_images_batch, _serve_vae, output_shape=targets_shape,
         endpoints=_vae_endpoints, input_signature=_vae_inputs),
    Task("generation", "images generated from a latent code (and a class label), judged by "
         "a discriminator trained against the generator (GANs)", "float32", ("image",),
         "image", "adversarial", (), "classifier_fid", False, latent_batch, _serve_generator,
         output_shape=targets_shape, endpoints=_gan_endpoints,
         input_signature=_generator_inputs),
    Task("image-to-image", "a corrupted image in (shrunk, or with a square masked), the "
         "restored image out (pix2pix)", "float32", ("restored",), "restored", "pix2pix", (),
         "psnr_db", True, corrupted_batch, _serve_restored, output_shape=targets_shape,
         input_signature=_corrupted_image_input),
    Task("unpaired-translation", "an image of one domain in, its translation to the other "
         "out, learned from unpaired images of both (CycleGAN)", "float32", ("translated",),
         "translated", "cycle_consistency", (), "judged_as_target", True, unpaired_batch,
         _serve_translated, output_shape=targets_shape, endpoints=_translation_endpoints),
    Task("anomaly-detection", "an anomaly score per image, higher for images unlike the "
         "training data (f-AnoGAN)", "float32", ("anomaly_score",), "anomaly_score", "izi_f",
         (), "anomaly_auc", True, reconstruction_batch, _serve_anomaly_scores, _adapt_to_data,
         output_shape=scores_shape, endpoints=_anogan_endpoints),
    Task("object-detection", "boxes and classes of the objects in an image of any size, "
         "from one-stage detectors (RetinaNet, SSD); served after non-maximum suppression "
         "under the Object Detection API's names", "float32",
         ("detection_boxes", "detection_scores", "detection_classes", "num_detections",
          "anchor_outputs"), "anchor_outputs", "focal_and_box", (), "coco_map", True,
         detection_batch, _serve_detections, output_shape=anchor_outputs_shape,
         endpoints=_detection_endpoints, input_signature=_detection_inputs),
    Task("action-values", "the value of each action for an observation, and the greedy "
         "action (DQN's Q-network); trained by an agent acting in an environment",
         "float32", ("q_values", "action"), "q_values", "huber", (), "mean_return", True,
         action_values_batch, _serve_action_values, output_shape=targets_shape,
         interactive=True),
    Task("policy", "a probability for each action given an observation (a policy-gradient "
         "agent's actor); trained by an agent acting in an environment, or by imitation",
         "float32", ("logits", "probabilities", "action"), "logits",
         "sparse_categorical_crossentropy_from_logits", (), "mean_return", True,
         policy_batch, _serve_policy, output_shape=actions_shape, interactive=True),
    Task("state-value", "the expected return from an observation (a policy-gradient agent's "
         "critic, V(s))", "float32", ("value",), "value", "mse", (), "mean_return", True,
         returns_batch, _serve_state_value, output_shape=one_output_shape, interactive=True),
    Task("text-classification", "one of k classes for a raw string (vectorised inside)",
         "string", ("probabilities", "class_id", "label"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         text_batch, _serve_text_classes, _adapt_text_layers, output_shape=classes_shape),
    Task("forecasting", "the next steps of a series from its recent past, in its own unit",
         "float32", ("forecast",), "forecast", "mae", ("mae",), "mae", False,
         series_batch, _serve_forecast, data_options=_forecast_window,
         output_shape=targets_shape),
    Task("language-modeling", "the next character at every position of a string, and text "
         "generated from a prompt", "string", ("logits",), "logits",
         "sparse_categorical_crossentropy_from_logits", ("nats_per_char", "bits_per_char"),
         "nats_per_char", False, text_pairs_batch, _serve_logits, _adapt_text_layers,
         data_options=_sequence_length, output_shape=logits_shape,
         endpoints=_generate_endpoint),
    Task("sequence-transduction", "a sequence of bit vectors in, the logits of a sequence of "
         "bits out, step by step (algorithmic tasks such as copying)", "float32",
         ("logits", "bits"), "logits", "masked_binary_crossentropy", ("bit_error_rate",),
         "bit_error_rate", False, copy_batch, _serve_bits, output_shape=targets_shape),
    Task("sequence-to-sequence", "a string in, a string out (a word's phonemes, a verse's "
         "translation), decoded greedily or by beam search", "string", ("text", "token_ids"),
         "token_ids", "sparse_categorical_crossentropy_from_logits", ("token_accuracy",),
         "token_error_rate", False, string_pairs_batch, _serve_decoded, _adapt_to_data,
         output_shape=decoded_shape, endpoints=_translate_endpoint),
)}


def get_task(name: str) -> Task:
    """The record of a task; an unknown name raises ValueError naming the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), TASKS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown task {name!r}.{hint} Known tasks: {', '.join(TASKS)}.") \
            from None
