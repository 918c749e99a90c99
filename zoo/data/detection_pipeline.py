"""The pipeline of zoo's detection datasets (`fashion_digits_canvas`, `stardist_nuclei`,
`deepforest_trees`), in the canonical order:
read TFDS's files -> cache -> shuffle -> batch -> map (scale, augment, targets) -> prefetch.

    images, targets = next(iter(zoo.data.load("fashion_digits_canvas", "train")))
    images              # float32 [batch, 128, 128, 1] in [0, 1]
    targets["boxes"]    # float32 [batch, max_objects, 4] "xyxy" in pixels, padding -1
    targets["classes"]  # int32 [batch, max_objects], padding -1

The targets follow keras_cv's padded "bounding_boxes" dict and zoo.detection's ground truths
(`zoo.detection.evaluation`): a fixed number of slots per image (the dataset's most objects
per canvas), the objects first, then padding of -1 in every box coordinate and class, which
losses and matchers skip. (Keras' own box layers and KerasHub call the classes "labels".)
Fixed shapes batch, cache and compile without ragged tensors. `targets="masks"` adds
"masks", bool [batch, max_objects, height, width], each object's instance mask (all False
for padding), as Mask R-CNN trains on; `targets="segmentation"` gives instead the class map,
int32 [batch, height, width], 0 for background and k + 1 for class k.

- read: the split's records (validation carved from "train" as in `zoo.data.tfds_pipeline`),
  boxes turned from TFDS's BBoxFeature (fractions, ymin, xmin, ymax, xmax) into "xyxy"
  pixels and padded; only the maps the targets need are decoded.
- cache: in memory, after the read. shuffle: training only by default, the whole split.
- map on whole batches: scale to [0, 1], the named box-aware augmentation
  (`zoo.data.box_augment`), then the targets; an `augment` function of the caller's runs
  per example on `(image, targets)` instead.
- `augment="recompose"` (composed canvases, training only) replaces the read, cache and
  shuffle with canvases composed anew every epoch (`zoo.data.recompose`).
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_datasets as tfds

from zoo import _validate
from zoo.data import box_augment, recompose
from zoo.data.feeding import prefetched
from zoo.data.tfds_pipeline import open_split
from zoo.detection.boxes import convert

# What `targets=` asks of a detection dataset, and the stored maps each one needs.
TARGET_MAPS = {"labels": (), "masks": ("instances",), "segmentation": ("segmentation",)}


def check_options(info, *, classes=None, feature=None, image_size=None):
    """Options of other datasets that a detection dataset does not take, refused by name."""
    given = [f"{name}={value!r}" for name, value in (
        ("classes", classes), ("feature", feature), ("image_size", image_size))
        if value is not None]
    if given:
        raise ValueError(
            f"{', '.join(given)}: not options of the detection dataset {info.name}: each "
            f"canvas holds objects of several classes, and its boxes and masks are in pixels "
            f"of its {info.input_shape[0]}x{info.input_shape[1]} canvas (resize in the "
            "model).")


def read(info, split, *, validation_fraction, seed, limit, maps):
    """The read step: `(dataset of single examples, count)`, each example a dict of "images"
    uint8 [height, width, channels], "boxes" float32 [max_objects, 4] "xyxy" pixels, "classes" int32
    [max_objects] (both padded with -1), and the `maps` asked for, uint8 [height, width]."""
    missing = [name for name in maps if name not in info.corpus.features]
    if missing:
        raise ValueError(f"{info.name} has no {' or '.join(missing)} maps (its sources draw "
                         "boxes only), so neither a segmenter nor an instance segmenter (Mask "
                         "R-CNN) can learn from it: load it with targets='labels' for a box "
                         "detector.")
    builder, spec, count = open_split(info, split, validation_fraction, seed, limit)
    skipped = {name: tfds.decode.SkipDecoding()
               for name in ("instances", "segmentation")
               if name in info.corpus.features and name not in maps}
    dataset = builder.as_dataset(split=spec, shuffle_files=False, decoders=skipped,
                                 read_config=tfds.ReadConfig(try_autocache=False))
    if limit is not None:
        dataset, count = dataset.take(limit), min(count, limit)
    slots = info.corpus.max_objects
    height, width = info.input_shape[:2]

    def padded(example):
        objects = example["objects"]
        # The canvases' boxes are whole pixels: rounding undoes the float32 fractions.
        boxes = tf.round(convert(objects["bbox"], "rel_yxyx", "xyxy",
                                 image_shape=(height, width)))
        missing = slots - tf.shape(boxes)[0]
        fixed = {"images": example["image"],
                "boxes": tf.ensure_shape(tf.pad(boxes, [[0, missing], [0, 0]],
                                                constant_values=-1.0), [slots, 4]),
                "classes": tf.ensure_shape(tf.pad(tf.cast(objects["label"], tf.int32),
                                                  [[0, missing]], constant_values=-1),
                                           [slots])}
        fixed.update({name: example[name][..., 0] for name in maps})
        return fixed

    return dataset.map(padded, num_parallel_calls=tf.data.AUTOTUNE), count


def to_targets(batch, targets, channels=None):
    """`(images, targets)` from a batch dict: the objects moved ahead of the padding (an
    augmentation may have dropped some), and the targets `targets` names."""
    images = batch["images"]
    if channels == 3 and images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    elif channels == 1 and images.shape[-1] == 3:
        images = tf.image.rgb_to_grayscale(images)
    if targets == "segmentation":
        return images, tf.cast(batch["segmentation"], tf.int32)
    present = batch["classes"] >= 0
    order = tf.argsort(tf.cast(~present, tf.int32), axis=1, stable=True)
    out = {"boxes": tf.gather(batch["boxes"], order, batch_dims=1),
           "classes": tf.gather(batch["classes"], order, batch_dims=1)}
    if targets == "masks":
        # Slot i owns the pixels whose owner id is i + 1 (zoo.data.canvas), while present.
        ids = tf.range(1, tf.shape(present)[1] + 1)
        masks = tf.equal(tf.cast(batch["instances"], tf.int32)[:, None],
                         ids[None, :, None, None])
        out["masks"] = tf.gather(masks & present[:, :, None, None], order, batch_dims=1)
    return images, out


def load(info, split="train", *, batch_size=128, shuffle=None, validation_fraction=0.1,
         seed=0, limit=None, channels=None, augment=None, drop_remainder=False,
         targets="labels"):
    """The batched pipeline of a detection dataset; see `zoo.data.load` for the arguments."""
    _validate.choice("targets", targets, TARGET_MAPS)
    if augment == recompose.NAME:
        # New canvases every epoch, each in a new random order: nothing to cache or shuffle.
        dataset, count = recompose.recomposed(
            info, split, validation_fraction=validation_fraction, seed=seed, limit=limit,
            maps=TARGET_MAPS[targets])
        augment = None
    else:
        if isinstance(augment, str):
            box_augment.box_augmentation(augment)
        dataset, count = read(info, split, validation_fraction=validation_fraction, seed=seed,
                              limit=limit, maps=TARGET_MAPS[targets])
        dataset = dataset.cache()
        if (split == "train") if shuffle is None else shuffle:
            dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def scaled(batch):
        return {**batch, "images": tf.cast(batch["images"], tf.float32) / 255.0}

    dataset = dataset.map(scaled, num_parallel_calls=tf.data.AUTOTUNE)
    if isinstance(augment, str):
        dataset = box_augment.augment_batches(dataset, augment, seed)
    dataset = dataset.map(lambda batch: to_targets(batch, targets, channels),
                          num_parallel_calls=tf.data.AUTOTUNE)
    if callable(augment):
        dataset = dataset.unbatch().map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return prefetched(dataset)
