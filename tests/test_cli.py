"""The `zoo` command line, as a user types it."""

import json
import re
import subprocess
import sys

import pytest

from zoo.cli import main


def zoo_cli(*args):
    return subprocess.run([sys.executable, "-m", "zoo.cli", *args], capture_output=True,
                          text=True)


def test_list_and_info(capsys):
    assert main(["list", "lenet*"]) == 0
    out = capsys.readouterr().out
    assert "lenet5_subclass" in out and "mlp " not in out
    assert main(["info", "mlp", "--params"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parameters"] == 784 * 128 + 128 + 128 * 32 + 32 + 32 * 10 + 10
    assert "Rumelhart" in info["reference"] and "hidden_units" in info["arguments"]
    assert "parameters_as_trained" not in info, "the MLP trains at its defaults"


def test_info_counts_the_build_the_recipe_trains(capsys):
    assert main(["info", "resnet20", "--params"]) == 0
    info = json.loads(capsys.readouterr().out)
    # 32x32x3 by default; Fashion-MNIST's one grey channel has 2 * 9 * 16 fewer stem weights.
    assert info["parameters"] - info["parameters_as_trained"] == 2 * 9 * 16


def test_errors_are_one_line_with_exit_code_2():
    result = zoo_cli("info", "lenet")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("zoo: unknown model 'lenet'. Did you mean lenet5")
    assert main(["train", "mlp", "--dataset", "fashion"]) == 2


def test_help_explains_every_command():
    result = zoo_cli("--help")
    for command in ("list", "info", "datasets", "train", "tune", "evaluate", "export"):
        assert command in result.stdout
    assert "zoo train lenet5 --epochs 3 --export" in result.stdout


@pytest.mark.slow
def test_train_evaluate_export_round_trip(tmp_path, capsys):
    runs, exports = tmp_path / "runs", tmp_path / "exports"
    assert main(["train", "logistic_regression", "--epochs", "1", "--out", str(runs),
                 "--steps-per-execution", "4", "--jit-compile", "false",
                 "--export", "--export-root", str(exports)]) == 0
    out = capsys.readouterr().out
    assert "test metrics: accuracy" in out
    assert re.search(r"speed: [\d,]+ examples/s, [\d.]+ s per epoch \(medians over 1 epoch\)",
                     out), out
    assert (exports / "logistic_regression" / "1" / "saved_model.pb").is_file()
    run_dir = next(runs.iterdir())
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["steps_per_execution"], config["jit_compile"]) == (4, False)
    assert main(["evaluate", str(run_dir)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] > 0.75
    assert main(["export", str(run_dir), "--name", "logreg", "--version", "7",
                 "--root", str(exports)]) == 0
    assert (exports / "logreg" / "7" / "saved_model.pb").is_file()
    assert main(["export", str(run_dir), "--name", "logreg", "--version", "7",
                 "--root", str(exports)]) == 2
    assert "exists" in capsys.readouterr().err


def test_train_takes_the_training_techniques(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", "logistic_regression", "--epochs", "2", "--out", str(runs),
                 "--optimizer", "sgd", "--learning-rate", "0.1",
                 "--optimizer-option", "momentum=0.9", "--optimizer-option", "nesterov=true",
                 "--schedule", "cosine", "--warmup-epochs", "1", "--weight-decay", "1e-4",
                 "--clip-norm", "1", "--label-smoothing", "0.1", "--augment", "shift"]) == 0
    (run_dir,) = runs.iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    optimizer = config["optimizer"]["config"]
    assert (optimizer["momentum"], optimizer["nesterov"]) == (0.9, True)
    assert optimizer["learning_rate"]["class_name"] == "LinearWarmup"
    assert config["dataset_options"]["augment"] == "shift"
    assert main(["train", "mlp", "--optimizer-option", "momentum"]) == 2
    assert "write it as KEY=VALUE" in capsys.readouterr().err
