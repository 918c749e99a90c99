"""What a task means, declared in one place.

A `Task` record says everything the rest of zoo needs to know about a kind of model: what an
example batch looks like (the registry sweep builds one), the serving signature's named
inputs and outputs, the default loss and metrics, the figure a benchmark records and whether
higher is better, and what must happen to a model before training (e.g. adapting a text
vectoriser on the training split). Adding a task is one entry in `TASKS` plus its models;
its example batch and output shape live in `zoo.task_examples`, what it serves and how its
models are prepared in `zoo.task_serving`.

The pattern is Hugging Face's task pipelines and torchvision's per-task model folders. This
module is read by the registry, so it imports no TensorFlow at import time (`zoo._lazy`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoo.task_examples import (
    action_values_batch,
    actions_shape,
    anchor_outputs_shape,
    binary_batch,
    binary_images_batch,
    class_batch,
    class_logits_shape,
    classes_shape,
    copy_batch,
    corrupted_batch,
    decoded_shape,
    detection_batch,
    instance_batch,
    latent_batch,
    logits_shape,
    one_output_shape,
    policy_batch,
    reconstruction_batch,
    regression_batch,
    returns_batch,
    scores_shape,
    segmentation_batch,
    series_batch,
    string_pairs_batch,
    targets_shape,
    text_batch,
    text_pairs_batch,
    unpaired_batch,
)
from zoo.task_serving import (
    adapt_classifier,
    adapt_text_layers,
    adapt_to_data,
    anogan_endpoints,
    corrupted_image_input,
    detection_endpoints,
    detection_inputs,
    encode_decode_endpoints,
    forecast_window,
    gan_endpoints,
    generate_endpoint,
    generator_inputs,
    image_bytes_endpoints,
    instance_mask_targets,
    reconstruction_targets,
    segmentation_endpoints,
    segmentation_targets,
    sequence_length,
    serve_action_values,
    serve_anomaly_scores,
    serve_binary,
    serve_bits,
    serve_classes,
    serve_decoded,
    serve_detections,
    serve_forecast,
    serve_generator,
    serve_logits,
    serve_policy,
    serve_reconstruction,
    serve_regression,
    serve_restored,
    serve_segmentation,
    serve_state_value,
    serve_text_classes,
    serve_translated,
    serve_vae,
    translate_endpoint,
    translation_endpoints,
    vae_endpoints,
    vae_inputs,
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
        background_class: the model's classes are its dataset's plus a class 0 for the
            background (a segmenter's class maps), so `zoo.train` on another dataset builds
            one output more than that dataset names.
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
    background_class: bool = False
    interactive: bool = False


TASKS: dict[str, Task] = {task.name: task for task in (
    Task("image-classification", "one of k classes for an image (or a feature vector)",
         "float32", ("probabilities", "class_id"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         class_batch, serve_classes, adapt_classifier, output_shape=classes_shape,
         endpoints=image_bytes_endpoints),
    Task("binary-classification", "a signed score and a class in {0, 1}",
         "float32", ("score", "class_id"), "score",
         "binary_crossentropy", ("accuracy",), "accuracy", True,
         binary_batch, serve_binary, output_shape=one_output_shape),
    Task("regression", "a real-valued prediction",
         "float32", ("prediction",), "prediction",
         "mse", ("rmse",), "rmse", False,
         regression_batch, serve_regression, output_shape=one_output_shape),
    Task("reconstruction", "an image reconstructed through a code (autoencoders); its "
         "own input is the target", "float32", ("reconstruction",), "reconstruction",
         "mse", ("mse",), "mse", False, reconstruction_batch, serve_reconstruction,
         adapt_to_data, data_options=reconstruction_targets, output_shape=targets_shape,
         endpoints=encode_decode_endpoints),
    Task("density-estimation", "a likelihood model of images that encodes them to a latent "
         "code, decodes codes to pixel probabilities and samples new images (VAEs)",
         "float32", ("reconstruction",), "reconstruction", "negative_elbo", (), "nll", False,
         binary_images_batch, serve_vae, output_shape=targets_shape,
         endpoints=vae_endpoints, input_signature=vae_inputs),
    Task("generation", "images generated from a latent code (and a class label), judged by "
         "a discriminator trained against the generator (GANs)", "float32", ("image",),
         "image", "adversarial", (), "classifier_fid", False, latent_batch, serve_generator,
         output_shape=targets_shape, endpoints=gan_endpoints,
         input_signature=generator_inputs),
    Task("image-to-image", "a corrupted image in (shrunk, or with a square masked), the "
         "restored image out (pix2pix)", "float32", ("restored",), "restored", "pix2pix", (),
         "psnr_db", True, corrupted_batch, serve_restored, output_shape=targets_shape,
         input_signature=corrupted_image_input),
    Task("unpaired-translation", "an image of one domain in, its translation to the other "
         "out, learned from unpaired images of both (CycleGAN)", "float32", ("translated",),
         "translated", "cycle_consistency", (), "judged_as_target", True, unpaired_batch,
         serve_translated, output_shape=targets_shape, endpoints=translation_endpoints),
    Task("anomaly-detection", "an anomaly score per image, higher for images unlike the "
         "training data (f-AnoGAN)", "float32", ("anomaly_score",), "anomaly_score", "izi_f",
         (), "anomaly_auc", True, reconstruction_batch, serve_anomaly_scores, adapt_to_data,
         output_shape=scores_shape, endpoints=anogan_endpoints),
    Task("object-detection", "boxes and classes of the objects in an image of any size, "
         "from one-stage (RetinaNet, SSD, YOLO) and two-stage (Faster R-CNN) detectors; "
         "served after non-maximum suppression under the Object Detection API's names",
         "float32",
         ("detection_boxes", "detection_scores", "detection_classes", "num_detections",
          "anchor_outputs"), "anchor_outputs", "focal_and_box", (), "coco_map", True,
         detection_batch, serve_detections, output_shape=anchor_outputs_shape,
         endpoints=detection_endpoints, input_signature=detection_inputs),
    Task("instance-segmentation", "the boxes, classes and pixels of each object in an image "
         "of any size (Mask R-CNN): the object-detection task's outputs and a mask in each "
         "box's frame, `detection_masks`", "float32",
         ("detection_boxes", "detection_scores", "detection_classes", "num_detections",
          "detection_masks", "anchor_outputs"), "anchor_outputs", "proposal_region_and_mask",
         (), "mask_coco_map", True, instance_batch, serve_detections,
         data_options=instance_mask_targets, output_shape=anchor_outputs_shape,
         endpoints=detection_endpoints, input_signature=detection_inputs),
    Task("semantic-segmentation", "a class for every pixel of an image of any size (FCN, "
         "U-Net), 0 the background; served as per-pixel logits, probabilities and a class "
         "map", "float32", ("logits", "probabilities", "class_map"), "logits",
         "sparse_categorical_crossentropy_from_logits", ("mean_iou", "pixel_accuracy"),
         "mean_iou", True, segmentation_batch, serve_segmentation,
         data_options=segmentation_targets, output_shape=class_logits_shape,
         endpoints=segmentation_endpoints, background_class=True),
    Task("action-values", "the value of each action for an observation, and the greedy "
         "action (DQN's Q-network); trained by an agent acting in an environment",
         "float32", ("q_values", "action"), "q_values", "huber", (), "mean_return", True,
         action_values_batch, serve_action_values, output_shape=targets_shape,
         interactive=True),
    Task("policy", "a probability for each action given an observation (a policy-gradient "
         "agent's actor); trained by an agent acting in an environment, or by imitation",
         "float32", ("logits", "probabilities", "action"), "logits",
         "sparse_categorical_crossentropy_from_logits", (), "mean_return", True,
         policy_batch, serve_policy, output_shape=actions_shape, interactive=True),
    Task("state-value", "the expected return from an observation (a policy-gradient agent's "
         "critic, V(s))", "float32", ("value",), "value", "mse", (), "mean_return", True,
         returns_batch, serve_state_value, output_shape=one_output_shape, interactive=True),
    Task("text-classification", "one of k classes for a raw string (vectorised inside)",
         "string", ("probabilities", "class_id", "label"), "probabilities",
         "sparse_categorical_crossentropy", ("accuracy",), "accuracy", True,
         text_batch, serve_text_classes, adapt_text_layers, output_shape=classes_shape),
    Task("forecasting", "the next steps of a series from its recent past, in its own unit",
         "float32", ("forecast",), "forecast", "mae", ("mae",), "mae", False,
         series_batch, serve_forecast, data_options=forecast_window,
         output_shape=targets_shape),
    Task("language-modeling", "the next character at every position of a string, and text "
         "generated from a prompt", "string", ("logits",), "logits",
         "sparse_categorical_crossentropy_from_logits", ("nats_per_char", "bits_per_char"),
         "nats_per_char", False, text_pairs_batch, serve_logits, adapt_text_layers,
         data_options=sequence_length, output_shape=logits_shape,
         endpoints=generate_endpoint),
    Task("sequence-transduction", "a sequence of bit vectors in, the logits of a sequence of "
         "bits out, step by step (algorithmic tasks such as copying)", "float32",
         ("logits", "bits"), "logits", "masked_binary_crossentropy", ("bit_error_rate",),
         "bit_error_rate", False, copy_batch, serve_bits, output_shape=targets_shape),
    Task("sequence-to-sequence", "a string in, a string out (a word's phonemes, a verse's "
         "translation), decoded greedily or by beam search", "string", ("text", "token_ids"),
         "token_ids", "sparse_categorical_crossentropy_from_logits", ("token_accuracy",),
         "token_error_rate", False, string_pairs_batch, serve_decoded, adapt_to_data,
         output_shape=decoded_shape, endpoints=translate_endpoint),
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
