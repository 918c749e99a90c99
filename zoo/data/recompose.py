"""New training canvases every epoch: `zoo.data.load("fashion_digits_canvas", augment=
"recompose")`, the copy-paste augmentation of composed canvases.

A stored canvas set is one draw of its recipe (`zoo.data.canvas.CanvasRecipe`): its 7,000
training canvases hold about 21,000 objects, a sixth of the 120,000 source training items,
each always at the same size, place and company. With `augment="recompose"` every
training epoch is as many canvases composed anew by the same recipe (`compose_canvas`), from
the sources' training items in a new order, so a network sees each item at new sizes and
places, among new neighbours, and sees the source items the stored canvases left out. This
is the synthetic-data form of "copy-paste" augmentation: objects cut out by their masks and
pasted on new backgrounds (Dwibedi, Misra and Hebert, 2017, "Cut, Paste and Learn",
arXiv:1708.01642; Ghiasi et al., 2021, "Simple Copy-Paste is a Strong Data Augmentation
Method for Instance Segmentation", arXiv:2012.07177), with the canvases' own rules for
overlap, so that every box and mask stays exact.

What stays apart: validation is the stored canvases carved from "train" as always
(`zoo.data.tfds_pipeline.split_slice`), and no source item of a validation canvas is ever
recomposed into a training one; the test canvases come from the sources' test splits. Each
epoch's canvases are drawn from a seed that the pipeline draws when an iterator is made, as
zoo's shuffles and augmentations are, so the same `seed` gives the same epochs and an
interrupted `zoo.train` run resumes to the same canvases (`zoo.train.resume`).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.data.canvas import SOURCES, CanvasRecipe, _Pool, class_map, compose_canvas
from zoo.data.tfds_pipeline import split_slice
from zoo.data.tfds_store import open_builder

NAME = "recompose"


def check(info, split=None) -> None:
    """`augment="recompose"` applies to training on a dataset of composed canvases."""
    if not isinstance(info.corpus, CanvasRecipe):
        raise ValueError(f"augment={NAME!r} composes new canvases from a composed dataset's "
                         f"source items (e.g. fashion_digits_canvas); {info.name}'s images are "
                         "not composed, so there is nothing to recompose.")
    if split is not None and split != "train":
        raise ValueError(f"augment={NAME!r} composes new training canvases; the {split!r} "
                         "split keeps its stored canvases, so load it without augment.")


def validation_items(info, validation_fraction: float, seed: int,
                     builder=None) -> dict[str, np.ndarray]:
    """For each source, the indices (in its training split) of the items that the
    validation canvases hold: recomposition leaves them out. `builder`: the dataset's TFDS
    builder, when the caller has it open already."""
    builder = builder or open_builder(info.name)
    spec, count = split_slice(builder, "validation", validation_fraction, seed)
    held = {name: [] for name, _ in SOURCES}
    if count:
        dataset = builder.as_dataset(split=spec, shuffle_files=False, decoders={
            name: tfds.decode.SkipDecoding() for name in ("image", "instances", "segmentation")})
        for example in tfds.as_numpy(dataset):
            objects = example["objects"]
            for label, index in zip(objects["label"], objects["source_index"], strict=True):
                held[_source_of(label)].append(int(index))
    return {name: np.unique(np.asarray(indices, np.int64)) for name, indices in held.items()}


def _source_of(label: int) -> str:
    """The source whose items have class `label`: the one with the highest first label at
    or below it (`zoo.data.canvas.SOURCES`)."""
    return max((first_label, name) for name, first_label in SOURCES if label >= first_label)[1]


def recomposed(info, split, *, validation_fraction, seed, limit, maps):
    """The read step of `zoo.data.detection_pipeline` with new canvases every epoch:
    `(dataset of single examples, count)`, as many canvases an epoch as the stored training
    split holds (or `limit`), in the same dict as the stored canvases' read step."""
    from zoo.data.pipeline import _read  # the readers' arrays, read once per process

    check(info, split)
    recipe = info.corpus
    builder = open_builder(info.name)
    _, count = split_slice(builder, "train", validation_fraction, seed)
    if limit is not None:
        count = min(count, limit)
    excluded = validation_items(info, validation_fraction, seed, builder)
    sources = {name: _read(name)[0] for name, _ in SOURCES}  # the training splits
    slots = recipe.max_objects
    side = recipe.canvas_size

    def epoch(epoch_seed):
        rng = np.random.default_rng([seed, int(epoch_seed) % 2**63])
        pools = [_Pool(name, *sources[name], first_label, rng, exclude=excluded[name])
                 for name, first_label in SOURCES]
        for _ in range(count):
            image, instances, objects = compose_canvas(recipe, pools, rng)
            boxes = np.full((slots, 4), -1.0, np.float32)
            classes = np.full(slots, -1, np.int32)
            labels = [o["label"] for o in objects]
            boxes[:len(objects)] = np.array([o["box"] for o in objects]).reshape(-1, 4)
            classes[:len(objects)] = labels
            example = {"images": image[..., None], "boxes": boxes, "classes": classes}
            if "instances" in maps:
                example["instances"] = instances
            if "segmentation" in maps:
                example["segmentation"] = class_map(instances, labels)
            yield example

    signature = {"images": tf.TensorSpec((side, side, 1), tf.uint8),
                 "boxes": tf.TensorSpec((slots, 4), tf.float32),
                 "classes": tf.TensorSpec((slots,), tf.int32),
                 **{name: tf.TensorSpec((side, side), tf.uint8) for name in maps}}
    # One seed drawn per iterator (per epoch), as zoo's shuffles draw theirs.
    epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    dataset = epoch_seeds.flat_map(lambda epoch_seed: tf.data.Dataset.from_generator(
        epoch, args=(epoch_seed,), output_signature=signature))
    return dataset, count
