"""What each task's example batch looks like, and what shape a model returns for it: the
`example_batch` and `output_shape` entries of the task records in `zoo.tasks`, which the
registry sweep feeds every registered model. Each example is random but well-formed (images
in [0, 1], labels in range, text of real words), drawn from a NumPy generator.
"""

from __future__ import annotations

import inspect

import numpy as np


def _model_input_shape(card) -> tuple[int, ...]:
    return tuple(card.recipe.model_options.get("input_shape", card.input_shape))


def _model_classes(card) -> int:
    return card.recipe.model_options.get("num_classes", card.num_classes)


def _random_inputs(card, batch_size, rng):
    return rng.random((batch_size, *_model_input_shape(card)), dtype=np.float32)


def class_batch(card, batch_size, rng):
    return _random_inputs(card, batch_size, rng), rng.integers(0, _model_classes(card), batch_size)


def binary_batch(card, batch_size, rng):
    return (_random_inputs(card, batch_size, rng),
            rng.integers(0, 2, batch_size).astype(np.float32))


def action_values_batch(card, batch_size, rng):
    """Observations and a target value for every action (a Q-network's regression targets:
    returns of a few steps, around 0 and of either sign)."""
    actions = _card_argument(card, "num_actions", 2)
    return (rng.normal(0, 1, (batch_size, *_model_input_shape(card))).astype(np.float32),
            rng.normal(0, 5, (batch_size, actions)).astype(np.float32))


def policy_batch(card, batch_size, rng):
    """Observations and the action taken in each (a policy's imitation targets)."""
    actions = _card_argument(card, "num_actions", 2)
    return (rng.normal(0, 1, (batch_size, *_model_input_shape(card))).astype(np.float32),
            rng.integers(0, actions, batch_size))


def returns_batch(card, batch_size, rng):
    """Observations and the return that followed each (a value network's targets)."""
    return (rng.normal(0, 1, (batch_size, *_model_input_shape(card))).astype(np.float32),
            rng.normal(20, 10, (batch_size, 1)).astype(np.float32))


def regression_batch(card, batch_size, rng):
    return (_random_inputs(card, batch_size, rng),
            rng.normal(150, 50, (batch_size, 1)).astype(np.float32))


# A few real words, an empty text, punctuation, digits and non-ASCII: what the sweep feeds a
# text model (each draws a handful of these into a sentence).
_SWEEP_WORDS = ("the", "market", "rose", "shares", "oil", "prices", "fell", "good", "film",
                "bad", "plot", "ça", "va", "naïve", "42", "!", "free", "prize", "call", "now")


def reconstruction_batch(card, batch_size, rng):
    images = _random_inputs(card, batch_size, rng)
    return images, images


def binary_images_batch(card, batch_size, rng):
    """Binary images, by name beside labels when the card has classes (a conditional VAE)."""
    images = (rng.random((batch_size, *_model_input_shape(card))) < 0.3).astype(np.float32)
    classes = _model_classes(card)
    if classes:
        labels = rng.integers(0, classes, batch_size).astype(np.int32)
        return {"image": images, "label": labels}, images
    return images, images


def latent_batch(card, batch_size, rng):
    """A generator's inputs (a latent batch, and labels when the card has classes, as a dict
    by the served inputs' names) and real images for its discriminator."""
    latent = rng.normal(size=(batch_size, *card.input_shape)).astype(np.float32)
    classes = _model_classes(card)
    x = {"latent": latent, "label": rng.integers(0, classes, batch_size).astype(np.int32)} \
        if classes else latent
    images = rng.random((batch_size, *_card_argument(card, "image_shape", (28, 28, 1))),
                        dtype=np.float32)
    return x, images


def corrupted_batch(card, batch_size, rng):
    """Corrupted images of the card's input shape and clean ones of its output shape."""
    output_shape = _card_argument(card, "output_shape", card.input_shape)
    return (rng.random((batch_size, *card.input_shape), dtype=np.float32),
            rng.random((batch_size, *output_shape), dtype=np.float32))


def unpaired_batch(card, batch_size, rng):
    """Images of domain A and as many, unrelated, of domain B."""
    return _random_inputs(card, batch_size, rng), _random_inputs(card, batch_size, rng)


# The image size of an example for a card that takes any size: not square, so that a height and
# width swapped somewhere shows.
ANY_IMAGE_SIZE = (64, 96)
# The most objects of an example image: the padded ground truth's second axis.
MOST_OBJECTS = 3


def _image_size(card) -> tuple[int, int]:
    height, width = card.input_shape[:2]
    return (height, width) if None not in (height, width) else ANY_IMAGE_SIZE


def detection_batch(card, batch_size, rng):
    """Images and their objects in keras_cv's padded convention: `{"boxes": [batch, 3, 4]
    "xyxy" pixels, "classes": [batch, 3]}`, rows of class -1 (and boxes of -1) for padding.
    The first image has no objects, each other one to three boxes of 8 pixels or more."""
    height, width = _image_size(card)
    channels = _card_argument(card, "channels", card.input_shape[-1])
    images = rng.random((batch_size, height, width, channels), dtype=np.float32)
    boxes = np.full((batch_size, MOST_OBJECTS, 4), -1.0, np.float32)
    classes = np.full((batch_size, MOST_OBJECTS), -1, np.int32)
    for image in range(1, batch_size):
        count = rng.integers(1, MOST_OBJECTS + 1)
        size = rng.uniform(8, min(height, width) / 2, (count, 2))  # (width, height)
        corner = rng.random((count, 2)) * (np.array([width, height]) - size)
        boxes[image, :count] = np.concatenate([corner, corner + size], axis=-1)
        classes[image, :count] = rng.integers(0, _model_classes(card), count)
    return images, {"boxes": boxes, "classes": classes}


def instance_batch(card, batch_size, rng):
    """`detection_batch` with each object's instance mask, `"masks"` bool [batch, 3, height,
    width]: the ellipse inscribed in its box (all False for padding)."""
    images, targets = detection_batch(card, batch_size, rng)
    height, width = images.shape[1:3]
    rows, cols = np.mgrid[:height, :width] + 0.5
    x1, y1, x2, y2 = (targets["boxes"][..., k, None, None] for k in range(4))
    inside = (((cols - (x1 + x2) / 2) / np.maximum((x2 - x1) / 2, 1e-6)) ** 2
              + ((rows - (y1 + y2) / 2) / np.maximum((y2 - y1) / 2, 1e-6)) ** 2) <= 1
    targets["masks"] = inside & (targets["classes"] >= 0)[..., None, None]
    return images, targets


def segmentation_batch(card, batch_size, rng):
    """Images and their class maps, int32 [batch, height, width]: background (0) with a
    rectangle of a random class in each image but the first, which is all background."""
    height, width = _image_size(card)
    channels = _card_argument(card, "channels", card.input_shape[-1])
    images = rng.random((batch_size, height, width, channels), dtype=np.float32)
    class_maps = np.zeros((batch_size, height, width), np.int32)
    for image in range(1, batch_size):
        top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
        bottom, right = top + rng.integers(4, height // 2), left + rng.integers(4, width // 2)
        class_maps[image, top:bottom, left:right] = rng.integers(1, _model_classes(card))
    return images, class_maps


def class_logits_shape(card, x, y):
    """A segmenter's per-pixel logits: [batch, height, width, classes]."""
    return (*y.shape, _model_classes(card))


def anchor_outputs_shape(card, x, y):
    """A detector's raw outputs: [batch, anchors, 4 box deltas + scores], with an anchor per
    scale and aspect ratio at every cell of every stride's grid. A one-stage detector scores
    each class (a YOLO-style one objectness first, at one scale); a two-stage one's raw
    outputs (Faster and Mask R-CNN's) are its proposal network's, objectness alone."""
    from zoo.detection.anchors import feature_shapes
    from zoo.detection.mask_rcnn import MASK_FAMILY
    from zoo.detection.two_stage import TWO_STAGE_FAMILY
    from zoo.detection.yolo import OBJECTNESS, PRIOR_SCALES, YOLO_FAMILY

    per_cell = len(_card_argument(card, "anchor_scales", PRIOR_SCALES)) \
        * len(_card_argument(card, "aspect_ratios", None))
    cells = sum(rows * cols for rows, cols in
                feature_shapes(x.shape[1:3], _card_argument(card, "strides", None)))
    scores = {YOLO_FAMILY: OBJECTNESS + _model_classes(card),
              TWO_STAGE_FAMILY: OBJECTNESS, MASK_FAMILY: OBJECTNESS}.get(card.family,
                                                                        _model_classes(card))
    return (len(x), cells * per_cell, 4 + scores)


def text_batch(card, batch_size, rng):
    texts = [" ".join(rng.choice(_SWEEP_WORDS, size=rng.integers(0, 12)))
             for _ in range(batch_size)]
    return np.array(texts, dtype=object), rng.integers(0, _model_classes(card), batch_size)


def _card_argument(card, name, default):
    """A factory argument as the card's recipe builds the model: the recipe's, else the
    card's variant default, else the factory's own default, else `default`."""
    parameter = inspect.signature(card.factory).parameters.get(name)
    if parameter is not None and parameter.default is not inspect.Parameter.empty:
        default = parameter.default
    return {**card.defaults, **card.recipe.model_options}.get(name, default)


def _window(card) -> tuple[int, int]:
    return (_card_argument(card, "input_length", card.input_shape[0]),
            _card_argument(card, "horizon", 1))


def series_batch(card, batch_size, rng):
    """Random walks at a level far from zero (as real series are), cut into windows of the
    card's input length and horizon."""
    input_length, horizon = _window(card)
    walks = 300 + np.cumsum(rng.normal(0, 1, (batch_size, input_length + horizon)), axis=1)
    walks = walks.astype(np.float32)
    return walks[:, :input_length, None], walks[:, input_length:]


def classes_shape(card, x, y):
    return (len(x), _model_classes(card))


def actions_shape(card, x, y):
    """One output per action (a policy's logits)."""
    return (len(x), _card_argument(card, "num_actions", 2))


def one_output_shape(card, x, y):
    return (len(x), 1)


def targets_shape(card, x, y):
    return tuple(y.shape)


def scores_shape(card, x, y):
    return (len(x),)


def text_pairs_batch(card, batch_size, rng):
    """Texts of up to 40 characters (sweep words and the odd non-ASCII letter), and each text
    one character later: a language model's `(inputs, targets)`."""
    texts = [" ".join(rng.choice(_SWEEP_WORDS, size=30)) for _ in range(batch_size)]
    length = min(40, _card_argument(card, "sequence_length", 40))
    return (np.array([text[:length] for text in texts], dtype=object),
            np.array([text[1:length + 1] for text in texts], dtype=object))


def logits_shape(card, x, y):
    first = x[0].decode("utf-8") if isinstance(x[0], bytes) else x[0]
    return (len(x), len(first), _card_argument(card, "max_tokens", 128))


def copy_batch(card, batch_size, rng):
    """A copy-task batch (`zoo.data.algorithmic`) of three vectors of the card's bits."""
    from zoo.data.algorithmic import copy_batch

    inputs, targets = copy_batch(rng.integers(0, 2**31, 2), batch_size, 3,
                                 _card_argument(card, "bits", 8))
    return inputs.numpy(), targets.numpy()


# Phoneme-like target tokens for the sweep's sequence-to-sequence pairs.
_SWEEP_TOKENS = ("AA", "K", "T", "S", "IY", "ER", "le", "la", "maison", ",", ".")


def string_pairs_batch(card, batch_size, rng):
    """Source strings of sweep words (one may be empty) and target strings of a few tokens:
    a sequence-to-sequence model's `(source, target)` pairs."""
    sources = [" ".join(rng.choice(_SWEEP_WORDS, size=rng.integers(0, 4)))
               for _ in range(batch_size)]
    targets = [" ".join(rng.choice(_SWEEP_TOKENS, size=rng.integers(1, 6)))
               for _ in range(batch_size)]
    return np.array(sources, dtype=object), np.array(targets, dtype=object)


def decoded_shape(card, x, y):
    return (len(x), _card_argument(card, "max_output_length", 32))
