"""Recorded figures: every model has one, each row says how it was made, and the README
table is exactly what the registry and the results file generate."""

from pathlib import Path

import pytest

import zoo
from zoo.benchmark import PRIMARY_METRIC
from zoo.model_table import END, START, markdown_table
from zoo.registry import _results

PROVENANCE = {"command", "zoo_version", "tensorflow_version", "date", "seed", "epochs_run",
              "split", "train_examples", "test_examples", "wall_seconds", "dataset"}


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_has_a_measured_test_figure_with_provenance(name):
    card = zoo.model_card(name)
    row = card.measured.get(PRIMARY_METRIC[card.task])
    assert row is not None, f"run `python benchmarks/accuracy.py {name}`"
    assert PROVENANCE <= set(row), PROVENANCE - set(row)
    assert row["split"] == "test" and row["dataset"] == card.dataset
    assert row["command"].startswith("python benchmarks/accuracy.py")


def test_results_file_names_only_registered_models():
    assert {row["model"] for row in _results("accuracy")} <= set(zoo.list_models())


def test_readme_model_table_is_generated_not_typed():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == markdown_table(), "run `python -m zoo.model_table README.md`"
