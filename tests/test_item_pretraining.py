"""The canvases' items one at a time (zoo.detection.item_pretraining): rendered as the canvases
paste them, split so that no validation or test object is seen, fed anew every epoch; the
backbone pretrained on them loads into a detector; clear errors."""

import numpy as np
import pytest

import zoo
from zoo.data.canvas import FOREGROUND_THRESHOLD, resize
from zoo.detection import item_pretraining as items


@pytest.fixture(scope="module")
def test_items():
    return items.source_items("test")


def test_items_are_rendered_as_the_canvases_paste_them(test_items):
    images, _ = test_items
    rng = np.random.default_rng(0)
    squares, boxes, kept = items.render_items(images[:300], rng)
    assert squares.shape == (300, 64, 64, 1) and squares.dtype == np.uint8
    sides = np.max(boxes[:, 2:] - boxes[:, :2], axis=1)[kept]
    assert kept.mean() > 0.95 and 10 <= sides.min() and sides.max() <= 56
    for square, box, image in zip(squares[kept][:50], boxes[kept][:50], images[:300][kept][:50],
                                  strict=True):
        x1, y1, x2, y2 = box
        inside = square[y1:y2, x1:x2, 0]
        # Only the item's box holds pixels, tight on every edge, none of them faint.
        assert square.sum() == inside.sum() and inside[0].any() and inside[-1].any()
        assert inside[:, 0].any() and inside[:, -1].any()
        assert inside[inside > 0].min() > FOREGROUND_THRESHOLD
        # Its pixels are the source's resized to some side of the recipe's range.
        assert any(np.isin(inside[inside > 0], resize(image, size)).all()
                   for size in range(14, 57))
    assert not squares[~kept].any()


def test_items_larger_than_the_square_are_refused():
    with pytest.raises(ValueError, match=r"object_sizes=\(14, 80\) do not fit a 64-pixel"):
        items.render_items(np.zeros((1, 28, 28), np.uint8), np.random.default_rng(0),
                           object_sizes=(14, 80))


def test_the_splits_hold_no_validation_or_test_object_twice(test_items):
    from zoo.data.recompose import validation_items

    train, validation = items.source_items("train"), items.source_items("validation")
    held = validation_items(zoo.data.dataset_info(items.DATASET), 0.1, 0)
    assert len(validation[0]) == sum(len(indices) for indices in held.values()) > 0
    assert len(train[0]) + len(validation[0]) == 120_000  # both sources' training items
    assert len(test_items[0]) == 20_000  # both sources' test items: the test canvases'
    for _, classes in (train, validation, test_items):
        assert classes.dtype == np.int32 and set(np.unique(classes)) == set(range(20))
    # The validation items are exactly those the validation canvases hold.
    fashion = zoo.data.pipeline._read("fashion_mnist")[0][0]
    np.testing.assert_array_equal(validation[0][:len(held["fashion_mnist"])],
                                  fashion[held["fashion_mnist"]])
    with pytest.raises(ValueError, match=r"split='val' is not one of"):
        items.source_items("val")
    with pytest.raises(ValueError, match=r"dataset='fashion_mnist' is not composed of items"):
        items.source_items("test", dataset="fashion_mnist")


def test_training_items_are_drawn_anew_every_epoch_and_evaluation_items_are_fixed():
    import tensorflow as tf

    train = items.item_dataset("train", batch_size=100, items=250, seed=3)
    assert int(train.cardinality()) == 3
    first, second = ([batch for batch in train] for _ in range(2))
    assert [len(labels) for _, labels in first] == [100, 100, 50]
    assert first[0][0].dtype == tf.uint8 and first[0][1].dtype == tf.int32
    assert not np.array_equal(first[0][0], second[0][0])  # new items, sizes and places
    validation = items.item_dataset("validation", batch_size=512)
    once, again = (np.concatenate([x for x, _ in validation]) for _ in range(2))
    np.testing.assert_array_equal(once, again)
    with pytest.raises(ValueError, match=r"items=0 must be a positive integer"):
        items.item_dataset("train", items=0)


@pytest.mark.slow
def test_a_pretrained_backbone_starts_a_detector_and_its_accuracy_is_measured_by_size(
        tmp_path):
    path = tmp_path / "backbone" / "resnet18.weights.h5"
    row = items.pretrain_backbone(path, epochs=1, items_per_epoch=256, batch_size=64)
    assert path.is_file() and not list(path.parent.glob(".tmp-*"))
    assert row["epochs_run"] == 1 and 0 <= row["accuracy"] <= 1
    summary = row["by_size"]
    assert summary["bins"] == ["<20", "20-28", "28-40", ">=40"]
    assert 19_000 < sum(summary["objects"]["all"]) <= 20_000
    # Every test item is named right or wrong: the overall accuracy is the bins' pooled share.
    pooled = sum(n * share for n, share in zip(summary["objects"]["all"],
                                               summary["named"]["all"], strict=True))
    assert pooled / sum(summary["objects"]["all"]) == pytest.approx(row["accuracy"], abs=1e-3)

    detector = zoo.get_model("faster_rcnn_resnet18", backbone_options={"weights": str(path)})
    base = zoo.get_model("resnet18", include_top=False, input_shape=(None, None, 1),
                         weights=str(path))
    started = {tuple(w.shape): w.numpy() for w in detector.network.weights}
    first = base.weights[0].numpy()
    np.testing.assert_array_equal(started[tuple(first.shape)], first)
    # The file started the detector; the detector's config does not need it to be rebuilt.
    assert "weights" not in detector.get_config()["backbone_options"]
    with pytest.raises(ValueError, match=r"must end in '.weights.h5'"):
        items.pretrain_backbone(tmp_path / "backbone.h5")


def test_the_recorded_pretraining_is_quoted_by_size():
    """benchmarks/item_pretraining.py: the test items (both sources' test splits) named by the
    pretrained classifier, overall and by size, as README quotes them."""
    import json
    from pathlib import Path

    from zoo.detection.objects import pooled

    root = Path(__file__).parents[1]
    [row] = json.loads((root / "benchmarks" / "results" / "item_pretraining.json")
                       .read_text())["results"]
    summary = row["by_size"]
    assert (row["backbone"], row["dataset"]) == ("resnet18", items.DATASET)
    assert 19_000 < sum(summary["objects"]["all"]) <= 20_000
    assert 0.5 < row["accuracy"] <= 1 and row["best_val_accuracy"] > 0.5
    names = list(summary["objects"])[1:]
    clothes = pooled(summary, "named", names[:10])
    digits = pooled(summary, "named", names[10:])
    readme = " ".join((root / "README.md").read_text().split())
    for figure in (f"Four epochs of {row['items_per_epoch']:,} items "
                   f"({row['wall_seconds'] / 60:.0f} minutes",
                   f"name {row['accuracy']} of the {sum(summary['objects']['all']):,} test "
                   f"items (best validation "
                   f"{row['best_val_accuracy']}); by size the clothes {clothes[0]}, "
                   f"{clothes[1]}, {clothes[2]} and {clothes[3]}, the digits {digits[0]}, "
                   f"{digits[1]}, {digits[2]} and {digits[3]}"):
        assert figure in readme, figure
    assert row["epochs_run"] == 4


def test_faster_rcnn_started_from_the_pretrained_backbone_is_recorded_and_quoted():
    """benchmarks/detection.py faster_rcnn_resnet18 --model-option "backbone_options=
    {'weights': ...}": the recipe from the pretrained backbone, an ablation row beside the
    recipe's from scratch, as README quotes it."""
    from pathlib import Path

    from tests.helpers import recorded_ablation
    from zoo.detection.objects import pooled

    variant = "backbone_options={'weights': 'runs/item_backbone/resnet18.weights.h5'}"
    scratch, started = recorded_ablation("faster_rcnn_resnet18", "recompose", variant=variant)
    names = zoo.data.dataset_info(items.DATASET).class_names
    clothes = pooled(started["objects_by_size"], "named", list(names[:10]))
    assert all(started[key] < scratch[key] for key in ("value", "map_50", "map_75"))
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    for figure in (f"{started['wall_seconds'] / 60:.0f} minutes; an ablation row) scored COCO "
                   f"mAP {started['value']}, mAP@0.5 {started['map_50']} and mAP@0.75 "
                   f"{started['map_75']}, below the recipe from scratch at every "
                   f"threshold ({scratch['value']}, "
                   f"{scratch['map_50']}, {scratch['map_75']})",
                   f"({clothes[0]}, {clothes[1]}, {clothes[2]} and {clothes[3]} by size)"):
        assert figure in readme, figure
