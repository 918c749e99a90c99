"""The statistics the benchmarks judge with: a distribution-free interval for a median."""

import json
import math
import multiprocessing

import numpy as np
import pytest

from zoo.benchmark import median_interval, ratio_summary, record


def test_median_interval_takes_the_sign_test_order_statistics():
    # n = 9 at 90%: P(Binomial(9, 1/2) <= 1) = 10/512 is within the 5% tail, <= 2 is not.
    assert median_interval([9, 1, 8, 2, 7, 3, 6, 4, 5]) == (2, 5, 8)
    # n = 5 at 90%: only min..max qualifies (1/32 in each tail).
    assert median_interval([1.0, 0.9, 1.1, 1.05, 0.95]) == (0.9, 1.0, 1.1)
    # n = 20: ranks 6 and 15 (P(B <= 5) = 0.021, P(B <= 6) = 0.058).
    assert median_interval(range(1, 21)) == (6, 10.5, 15)


def test_median_interval_covers_the_true_median_as_often_as_promised():
    rng = np.random.default_rng(0)
    trials, covered = 4000, 0
    for _ in range(trials):  # skewed, like timings: the exponential's median is ln 2
        low, _, high = median_interval(rng.exponential(size=9))
        covered += low <= math.log(2) <= high
    # The exact coverage at n = 9 is 1 - 2 * 10/512 = 0.961; 4000 trials stray by ~0.003.
    assert covered / trials == pytest.approx(0.961, abs=0.015)


def test_median_interval_refuses_too_few_values_for_the_confidence():
    with pytest.raises(ValueError, match="at least 5 values; got 4"):
        median_interval([1, 2, 3, 4])
    assert median_interval([1, 2, 3, 4], confidence=0.8) == (1, 2.5, 4)


def test_ratio_summary_records_the_median_its_interval_and_every_round():
    per_round = [1.23456, 0.98765, 1.1, 1.05, 0.9999, 1.3, 1.01]
    assert ratio_summary("train_ratio", per_round) == {
        "train_ratio": 1.05, "train_ratio_interval": [0.988, 1.3],  # n = 7: min..max
        "train_ratio_rounds": [1.235, 0.988, 1.1, 1.05, 1.0, 1.3, 1.01]}
    assert ratio_summary("r", per_round, places=1)["r_interval"] == [1.0, 1.3]
    with pytest.raises(ValueError, match="at least 5 values; got 3"):
        ratio_summary("r", [1, 2, 3])


def _record_many(path, writer, count):
    for index in range(count):
        record([{"model": f"{writer}-{index}", "metric": "accuracy", "value": index}],
               path=path)


def test_concurrent_records_keep_every_row(tmp_path):
    # Two benchmark processes recording into one results file at once: each merges into what
    # it read, so without the lock the later write drops rows the other just added.
    path = tmp_path / "accuracy.json"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_record_many, args=(path, writer, 40))
               for writer in ("a", "b")]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    rows = json.loads(path.read_text())["results"]
    assert len(rows) == 80
    assert sorted(tmp_path.iterdir()) == [path]  # no temporary or lock file left behind


def test_a_row_measured_in_parts_adds_up_when_recorded_with_combine(tmp_path):
    from zoo.generative.measure import combine_held_out

    def row(per_class, seconds, command, epochs_max=10):
        return {"model": "f_anogan", "metric": "anomaly_auc", "dataset": "fashion_mnist",
                "seed": 0, "epochs_max": epochs_max, "score": "s", "per_class": per_class,
                "value": float(np.mean(list(per_class.values()))), "wall_seconds": seconds,
                "epochs_run": dict.fromkeys(per_class, 3),
                "train_examples": dict.fromkeys(per_class, 9), "command": command}

    path = tmp_path / "results.json"
    record([row({"Bag": 0.9}, 10.0, "a")], path=path, combine=combine_held_out)
    record([row({"Coat": 0.6, "Bag": 0.8}, 20.0, "b")], path=path, combine=combine_held_out)
    [both] = json.loads(path.read_text())["results"]
    assert both["per_class"] == {"Bag": 0.8, "Coat": 0.6}  # the newer Bag wins
    assert both["value"] == pytest.approx(0.7) and both["wall_seconds"] == 30.0
    assert set(both["epochs_run"]) == {"Bag", "Coat"} and both["commands"] == ["a", "b"]
    # Another recipe's figures are stale, not added to.
    record([row({"Shirt": 0.5}, 5.0, "c", epochs_max=20)], path=path, combine=combine_held_out)
    [fresh] = json.loads(path.read_text())["results"]
    assert fresh["per_class"] == {"Shirt": 0.5} and "commands" not in fresh


def test_a_run_off_the_recipes_augmentation_is_recorded_as_an_ablation(tmp_path, monkeypatch):
    import zoo
    from zoo import benchmark

    monkeypatch.setattr(benchmark, "results_path", lambda name: tmp_path / f"{name}.json")
    card = zoo.model_card("fcn8s_resnet18")
    recipe_augment = card.recipe.dataset_options.get("augment")

    def row(augment, dataset=card.dataset, value=0.5):
        metric = "mean_iou" if dataset == card.dataset else f"{dataset}_mean_iou"
        return {"model": card.name, "metric": metric, "dataset": dataset,
                "augment": augment, "value": value}

    ablations = tmp_path / "ablations" / "segmentation_ablations.json"
    ablations.parent.mkdir()

    def recorded(path):
        return [(r["augment"], r["value"]) for r in json.loads(path.read_text())["results"]]

    def put(a_row):
        benchmark.record_training_row(a_row, card, "segmentation", "d", ablations_path=ablations,
                                      ablations_description="a")

    put(row(recipe_augment))
    put(row(None, value=0.4))
    put(row("zoom_crop", value=0.3))
    put(row(None, value=0.45))  # a rerun replaces its own ablation only
    put(row("flip", dataset="stardist_nuclei", value=0.9))  # the recipe is the card dataset's
    assert recorded(tmp_path / "segmentation.json") == [(recipe_augment, 0.5), ("flip", 0.9)]
    assert set(recorded(ablations)) == {(None, 0.45), ("zoom_crop", 0.3)}


def test_a_run_off_the_recipes_epochs_or_options_is_an_ablation_beside_the_others(
        tmp_path, monkeypatch):
    """A smoke run (`--epochs 2`) or a longer cosine run by the recipe's augmentation must not
    replace the figure the card shows; each lands as its own ablation, named by its variant."""
    import zoo
    from zoo import benchmark

    monkeypatch.setattr(benchmark, "results_path", lambda name: tmp_path / f"{name}.json")
    card = zoo.model_card("unet_resnet18")
    augment, epochs = card.recipe.dataset_options.get("augment"), card.recipe.epochs

    def row(value, epochs_max=epochs, **train_options):
        return {"model": card.name, "metric": "mean_iou", "dataset": card.dataset,
                "augment": augment, "value": value, "epochs_max": epochs_max,
                "train_options": train_options}

    ablations = tmp_path / "segmentation_ablations.json"
    for a_row in (row(0.7), row(0.1, epochs_max=2), row(0.8, epochs_max=epochs + 4,
                                                        schedule="cosine"),
                  row(0.75, batch_size=card.recipe.batch_size)):  # the recipe's own batch
        benchmark.record_training_row(a_row, card, "segmentation", "d", ablations_path=ablations,
                                      ablations_description="a")
    [card_row] = json.loads((tmp_path / "segmentation.json").read_text())["results"]
    assert card_row["value"] == 0.75 and "variant" not in card_row
    variants = {r["variant"]: r["value"] for r in json.loads(ablations.read_text())["results"]}
    assert variants == {"epochs=2": 0.1, f"epochs={epochs + 4}, schedule=cosine": 0.8}


def test_a_run_that_builds_the_model_otherwise_is_named_by_the_factory_arguments_it_changed():
    """`--model-option NAME=VALUE` builds the model with another factory argument; an argument
    given at the factory's own default is no departure."""
    import argparse

    import zoo
    from zoo import benchmark

    parser = argparse.ArgumentParser()
    benchmark.add_train_option_flags(parser)
    args = parser.parse_args(["--model-option", "canonical_size=16", "--model-option",
                              "backbone=resnet34", "--model-option", "width=128"])
    options = benchmark.train_options(args)
    assert options == {"model_options": {"canonical_size": 16, "backbone": "resnet34",
                                         "width": 128}}
    card = zoo.model_card("faster_rcnn_resnet18")
    row = {"epochs_max": card.recipe.epochs, "train_options": options}
    assert benchmark.recipe_departures(row, card) == "backbone=resnet34, canonical_size=16"
    with pytest.raises(SystemExit):
        parser.parse_args(["--model-option", "canonical_size"])


def test_a_benchmark_trains_with_the_recipes_options_on_the_cards_dataset_alone():
    """The recipe recomposes the canvases; the tree crowns are not canvases, so a run on them
    gets no recipe augmentation unless the command names one."""
    import zoo
    from zoo.benchmark import training_dataset_options

    card = zoo.model_card("faster_rcnn_resnet18")
    assert training_dataset_options(card, card.dataset) == {"augment": "recompose"}
    assert training_dataset_options(card, card.dataset, "none") == {"augment": None}
    assert training_dataset_options(card, card.dataset, "flip") == {"augment": "flip"}
    assert training_dataset_options(card, "deepforest_trees") == {}
    assert training_dataset_options(card, "deepforest_trees", "crop_flip") == {
        "augment": "crop_flip"}
