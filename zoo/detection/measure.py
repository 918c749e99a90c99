"""Measure a detector: train it by its card's recipe, detect on every test image and score
the detections with COCO's mAP@[.5:.95] (the value), COCO's mAP@0.5 and @0.75, PASCAL
VOC's all-point mAP@0.5 (`zoo.detection.evaluation`) and COCO's mAP with the classes
ignored (`class_agnostic`), beside a trivial baseline that knows only the training boxes'
typical size (`grid_baseline`). An instance segmenter (Mask R-CNN) is scored twice: its
masks (COCO's mask AP, the value, "mask_coco_map") and its boxes (the same figures under
"box_"), and the class maps its masks paint; the baseline's masks fill its boxes.
`benchmarks/detection.py` records the rows in `zoo/results/detection.json`, where the cards
read them."""

from __future__ import annotations

import tempfile
import time

import numpy as np

from zoo.benchmark import finished_run, provenance, split_size, training_dataset_options

INSTANCE_TASK = "instance-segmentation"
DETECTION_TASKS = ("object-detection", INSTANCE_TASK)
CLASS_MAP_SCORE = 0.5  # the detections an instance segmenter paints into a class map


def instance_class_map(masks, classes, scores=None, *,
                       score_threshold: float = CLASS_MAP_SCORE) -> np.ndarray:
    """One image's class map from its instance masks [n, height, width] (bool), int32
    [height, width]: 0 for the background, k + 1 where an instance of class k claims the
    pixel. With `scores` (detections), only those scoring at least `score_threshold` paint,
    in ascending order of score, so that where several claim a pixel the best one's class
    stays: Panoptic FPN's merging of instances into a semantic map (Kirillov, Girshick, He
    and Dollar, 2019, "Panoptic feature pyramid networks", CVPR), without its overlap rule."""
    masks = np.asarray(masks, bool)
    class_map = np.zeros(masks.shape[1:], np.int32)
    order = range(len(masks)) if scores is None else [
        index for index in np.argsort(scores, kind="stable")
        if scores[index] >= score_threshold]
    for index in order:
        class_map[masks[index]] = int(classes[index]) + 1
    return class_map


def class_map_scores(predictions, truths, num_classes: int) -> dict:
    """Mean IoU and pixel accuracy (`zoo.segmentation.scores`, background included) of the
    class maps painted from `predictions`' masks against those of `truths`' masks: what an
    instance segmenter gives as a semantic segmenter."""
    from zoo.segmentation.scores import confusion_matrix, segmentation_scores

    confusion = 0
    for predicted, truth in zip(predictions, truths, strict=True):
        wanted = instance_class_map(truth["masks"], truth["classes"])
        painted = instance_class_map(predicted["masks"], predicted["classes"],
                                     np.asarray(predicted["scores"]))
        confusion = confusion + confusion_matrix(wanted, painted, num_classes + 1)
    return segmentation_scores(confusion)


def class_agnostic(entries):
    """The same predictions or ground truths with every class 0: scored so, AP says how well
    the objects are found and boxed whatever they are called, and its distance to the usual
    AP is what naming them costs. (Per-class suppression leaves one box a class on an unsure
    object; here the extras are false positives, so this is a lower bound.)"""
    return [{**entry, "classes": np.zeros(len(entry["classes"]), np.int64)}
            for entry in entries]


def test_detections(model, dataset: str, batch_size: int = 64, masks: bool = False):
    """(predictions, ground truths) for every test image of `dataset`, one dict per image in
    `zoo.detection.evaluation`'s form (padding removed); with `masks`, each also holds its
    instance masks on the image (bool), the model's pasted and binarised at 0.5."""
    import zoo
    from zoo.detection.evaluation import MASK_THRESHOLD
    from zoo.detection.masks import paste_masks

    predictions, truths = [], []
    for images, targets in zoo.data.load(dataset, "test", batch_size=batch_size,
                                         shuffle=False, targets="masks" if masks else "labels"):
        detected = model.detect(images)
        found = {k: np.asarray(v) for k, v in detected.items() if k != "detection_masks"}
        if masks:
            found["detection_masks"] = np.asarray(paste_masks(
                detected["detection_masks"], detected["detection_boxes"],
                images.shape[1:3])) >= MASK_THRESHOLD
        for i, count in enumerate(found["num_detections"]):
            predictions.append({"boxes": found["detection_boxes"][i, :count],
                                "scores": found["detection_scores"][i, :count],
                                "classes": found["detection_classes"][i, :count]})
            if masks:
                predictions[-1]["masks"] = found["detection_masks"][i, :count]
        classes, boxes = np.asarray(targets["classes"]), np.asarray(targets["boxes"])
        for i in range(len(classes)):
            real = classes[i] >= 0
            truths.append({"boxes": boxes[i][real], "classes": classes[i][real]})
            if masks:
                truths[-1]["masks"] = np.asarray(targets["masks"][i])[real]
    return predictions, truths


def grid_baseline(dataset: str, truths, seed: int = 0):
    """A detector that has seen no image: boxes of the training boxes' median width and
    height (the most common class) tiled over every test image at half their size's stride,
    all scored alike. What its mAP reaches is what knowing the objects' size alone gives."""
    import zoo

    widths, heights, classes = [], [], []
    for _, targets in zoo.data.load(dataset, "train", batch_size=256, shuffle=False,
                                    seed=seed):
        boxes, labels = np.asarray(targets["boxes"]), np.asarray(targets["classes"])
        real = labels >= 0
        widths += list((boxes[..., 2] - boxes[..., 0])[real])
        heights += list((boxes[..., 3] - boxes[..., 1])[real])
        classes += list(labels[real])
    width, height = float(np.median(widths)), float(np.median(heights))
    label = int(np.bincount(classes).argmax())
    image_height, image_width = zoo.data.dataset_info(dataset).input_shape[:2]
    xs = np.arange(0.0, max(image_width - width, 0) + 1, width / 2)
    ys = np.arange(0.0, max(image_height - height, 0) + 1, height / 2)
    grid = np.array([[x, y, x + width, y + height] for y in ys for x in xs], np.float32)
    guess = {"boxes": grid, "scores": np.ones(len(grid), np.float32),
             "classes": np.full(len(grid), label)}
    if truths and "masks" in truths[0]:  # each box filled: the masks of an instance baseline
        rows, cols = np.mgrid[:image_height, :image_width] + 0.5
        guess["masks"] = ((cols >= grid[:, 0, None, None]) & (cols < grid[:, 2, None, None])
                          & (rows >= grid[:, 1, None, None]) & (rows < grid[:, 3, None, None]))
    return [guess] * len(truths), {"box_width": round(width, 1), "box_height": round(height, 1),
                                   "boxes_per_image": len(grid)}


def _with_mask_scores(box_scores, box_baseline, predictions, truths, guesses, names):
    """An instance segmenter's row fields: its masks' scores in the detectors' places (value,
    map_50, ...), its boxes' beside them under "box_", and the class maps its masks paint;
    the same for the baseline's `guesses`."""
    from zoo.detection.evaluation import coco_map

    segm = coco_map(predictions, truths, iou_type="segm")
    segm_baseline = coco_map(guesses, truths, iou_type="segm")
    painted = class_map_scores(predictions, truths, len(names))
    boxes = {("box_coco_map" if key == "value" else f"box_{key}"): value
             for key, value in box_scores.items()}
    scores = {"value": round(float(segm["map"]), 4), "map_50": round(float(segm["map_50"]), 4),
              "map_75": round(float(segm["map_75"]), 4),
              "mask_map_per_class": {names[c]: round(float(ap), 4)
                                     for c, ap in segm["map_per_class"].items()},
              **boxes,
              "class_map_mean_iou": round(painted["mean_iou"], 4),
              "class_map_objects_mean_iou": round(painted["objects_mean_iou"], 4),
              "class_map_pixel_accuracy": round(painted["pixel_accuracy"], 4),
              "class_map_score_threshold": CLASS_MAP_SCORE}
    baseline = {"mask_coco_map": round(float(segm_baseline["map"]), 4),
                "mask_map_50": round(float(segm_baseline["map_50"]), 4),
                **{f"box_{key}": value for key, value in box_baseline.items()}}
    return scores, baseline


def measure_detector(name: str, *, dataset: str | None = None, epochs: int | None = None,
                     augment: str | None = None, seed: int = 0, runs_root=None,
                     train_options=None, command: str | None = None, run_dir=None) -> dict:
    """Train the detector `name` by its recipe on `dataset` (its card's by default; another
    detection dataset, e.g. "deepforest_trees", gives the row's metric that name:
    "deepforest_trees_coco_map") and return its results row (see the module docstring);
    `runs_root` keeps the run's checkpoints (a scratch folder when None). `augment` (a
    `zoo.data.box_augment` name, "none": none) replaces the recipe's augmentation, and
    `train_options` go to `zoo.train` as they are (e.g. `batch_size`, `schedule`,
    `early_stopping`, for a small dataset whose epochs are a few steps); the row records
    both. `run_dir` scores a run already finished (`finished_run`) instead of training, with
    the same arguments as it was trained by; the row's epochs and seconds are its history's.
    An instance segmenter's row also scores the class maps its masks paint
    (`class_map_scores`)."""
    import zoo
    from zoo.detection.evaluation import coco_map, voc_map
    from zoo.detection.objects import detections_by_size

    card = zoo.model_card(name)
    if card.task not in DETECTION_TASKS:
        raise ValueError(f"{name} is not a detector (its task is {card.task!r}).")
    masks = card.task == INSTANCE_TASK
    dataset = dataset or card.dataset
    options = training_dataset_options(card, dataset, augment)
    started = time.perf_counter()
    if run_dir is not None:
        model, history = finished_run(run_dir, name)
        epochs_run, trained = len(history["loss"]), sum(history["epoch_seconds"])
    else:
        with tempfile.TemporaryDirectory() as scratch:
            result = zoo.train(name, dataset, epochs=epochs, seed=seed,
                               dataset_options=options, runs_root=runs_root or scratch,
                               verbose=0, tensorboard=False, **dict(train_options or {}))
        model, epochs_run = result.model, len(result.history["loss"])
        trained = time.perf_counter() - started
    evaluating = time.perf_counter()
    predictions, truths = test_detections(model, dataset, masks=masks)
    coco, voc = coco_map(predictions, truths), voc_map(predictions, truths)
    names = zoo.data.dataset_info(dataset).class_names
    per_class = {names[c]: round(float(ap), 4) for c, ap in coco["map_per_class"].items()}
    guesses, grid = grid_baseline(dataset, truths, seed)
    baseline = coco_map(guesses, truths)
    metric = "coco_map" if dataset == card.dataset else f"{dataset}_coco_map"
    anywhere = coco_map(class_agnostic(predictions), class_agnostic(truths))
    by_size = detections_by_size(predictions, truths, names)
    scores = {"value": round(float(coco["map"]), 4), "map_50": round(float(coco["map_50"]), 4),
              "map_75": round(float(coco["map_75"]), 4),
              "voc_map_50": round(float(voc["map"]), 4), "coco_map_per_class": per_class,
              "class_agnostic_coco_map": round(float(anywhere["map"]), 4),
              "class_agnostic_map_50": round(float(anywhere["map_50"]), 4),
              "objects_by_size": by_size}
    baseline_scores = {"coco_map": round(float(baseline["map"]), 4),
                       "map_50": round(float(baseline["map_50"]), 4)}
    if masks:
        metric = f"mask_{metric}"
        scores, baseline_scores = _with_mask_scores(scores, baseline_scores, predictions,
                                                    truths, guesses, names)
    return {"model": name, "dataset": dataset, "split": "test", "metric": metric,
            **scores,
            "evaluation": "COCO: 101-point AP over IoU 0.50:0.05:0.95, 100 detections, area "
                          "all" + (", of masks (IoU of the pixels; masks pasted on the image "
                                   "and binarised at 0.5) and of boxes (box_)" if masks else "")
                          + "; VOC: all-point AP at IoU 0.5 (zoo.detection.evaluation, "
                          "equal to pycocotools' COCOeval in the tests); objects_by_size: each "
                          "test object found (a box of any class at IoU 0.5) and named (the "
                          "best-scored such box has its class), per class and by its box's "
                          "longer side (zoo.detection.objects)",
            "seed": seed, "augment": options.get("augment"),
            "train_options": dict(train_options or {}),
            "epochs_run": epochs_run,
            "epochs_max": epochs or card.recipe.epochs,
            "baseline": {**baseline_scores, **grid,
                         "what": "zoo.detection.measure.grid_baseline: the training boxes' "
                                 "median size tiled over each image, no image seen"},
            "train_examples": split_size(dataset, "train", seed),
            "test_examples": len(truths), "objects": int(sum(len(t["classes"]) for t in truths)),
            "wall_seconds": round(trained, 1),
            "evaluation_seconds": round(time.perf_counter() - evaluating, 1),
            **provenance(command)}
