"""The `zoo` command line: list, info, datasets, data prepare, train, tune, evaluate, export.

`zoo list` and `zoo info` read the registry without importing TensorFlow; the commands that
build or train import it when they run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from zoo.registry import list_models, model_card

EPILOG = """examples:
  zoo list "lenet*"                       models whose name matches
  zoo info lenet5                         the card: reference, input, recipe, measured figures
  zoo datasets                            every dataset: task, sizes, where it comes from
  zoo data prepare reuters_r8             build a text corpus into the TFDS data directory
  zoo train lenet5 --epochs 3 --export    train on the card's dataset, export to saved_models/
  zoo tune mlp --tuner bayesian --max-trials 12 --epochs 5
                                          search, then train, test and export the best
  zoo evaluate runs/lenet5-<time>         test metrics of a run's best checkpoint
  zoo export runs/lenet5-<time> --name lenet5
  zoo export runs/lenet5-<time> --format tflite_int8
                                          or tflite, onnx: saved_models/lenet5_int8.tflite
"""


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _model_file(path: str) -> Path:
    """A `.keras` file from a path to one, a run directory or an exported version."""
    path = Path(path)
    checkpoints = path / "checkpoints"
    for candidate in (path, checkpoints / "best.keras", checkpoints / "last.keras",
                      path / "model.keras"):
        if candidate.is_file() and candidate.suffix == ".keras":
            return candidate
    raise SystemExit(f"zoo: no .keras model at {path} (nor checkpoints/best.keras, "
                     "checkpoints/last.keras, model.keras)")


def cmd_list(args) -> int:
    names = list_models(args.pattern, task=args.task, family=args.family)
    if not names:
        print(f"no model matches {args.pattern!r}", file=sys.stderr)
        return 1
    rows = [(n, model_card(n)) for n in names]
    width = max(len(n) for n in names)
    print(f"{'name':<{width}}  {'family':<8} {'task':<22} {'api':<10} {'dataset':<14} measured")
    for name, card in rows:
        measured = ", ".join(f"{m} {r['value']:.4g}" for m, r in card.measured.items())
        print(f"{name:<{width}}  {card.family:<8} {card.task:<22} {card.api:<10} "
              f"{card.dataset:<14} {measured or '-'}")
    return 0


def cmd_info(args) -> int:
    card = model_card(args.name)
    info = card.to_dict()
    info["arguments"] = card.arguments()
    info["reference"] = str(card.reference)
    if args.params:
        _quiet_tensorflow()
        from zoo.registry import get_model

        info["parameters"] = int(get_model(args.name).count_params())
        if card.recipe.model_options:  # the build its recipe trains and measures
            info["parameters_as_trained"] = int(
                get_model(args.name, **card.recipe.model_options).count_params())
    print(json.dumps(info, indent=2, default=str))
    return 0


def cmd_datasets(args) -> int:
    _quiet_tensorflow()
    from zoo.data import data_dir
    from zoo.data.listing import dataset_rows

    rows = dataset_rows()
    width = max(len(row[0]) for row in rows)
    print(f"{'name':<{width}}  {'task':<20} {'train':>9} {'test':>7}  source")
    for name, task, train, test, where in rows:
        print(f"{name:<{width}}  {task:<20} {train:>9} {test:>7}  {where}")
    print(f"\nTFDS data directory: {data_dir()} (set ZOO_TFDS_DIR to change it)")
    return 0


def cmd_data_prepare(args) -> int:
    _quiet_tensorflow()
    import tensorflow_datasets as tfds

    from zoo.data import prepare, tfds_store

    path = prepare(args.name)
    sizes = tfds_store.split_sizes(tfds.builder_from_directory(str(path)))
    print(f"{args.name}: " + ", ".join(f"{n:,} {split}" for split, n in sorted(sizes.items())))
    print(path)
    return 0


def cmd_train(args) -> int:
    _quiet_tensorflow()
    import zoo

    result = zoo.train(args.name, args.dataset, epochs=args.epochs, batch_size=args.batch_size,
                       runs_root=args.out, run_dir=args.run_dir, seed=args.seed,
                       learning_rate=args.learning_rate, deterministic=args.deterministic,
                       steps_per_execution=args.steps_per_execution,
                       jit_compile={"true": True, "false": False}.get(args.jit_compile,
                                                                       args.jit_compile),
                       precision=args.precision, optimizer=args.optimizer,
                       optimizer_options=_key_values(args.optimizer_option),
                       schedule=args.schedule, warmup_epochs=args.warmup_epochs,
                       weight_decay=args.weight_decay, gradient_clip_norm=args.clip_norm,
                       label_smoothing=args.label_smoothing, backup_every=args.backup_every,
                       strategy=args.strategy,
                       dataset_options={"augment": args.augment} if args.augment else None)
    metrics = zoo.evaluate(result.model, args.dataset)
    print(f"run directory: {result.run_dir}")
    speed = result.history.get("examples_per_second")
    if speed:
        print(f"speed: {statistics.median(speed):,.0f} examples/s, "
              f"{statistics.median(result.history['epoch_seconds']):.1f} s per epoch "
              f"(medians over {len(speed)} epoch{'s' if len(speed) > 1 else ''})")
    print("test metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    if args.export:
        path = zoo.export(result.model, args.name, root=args.export_root,
                          labels=_class_names(args.dataset, result.model))
        print(f"exported: {path}")
    return 0


def _key_values(pairs) -> dict:
    """`["momentum=0.9", "nesterov=true"]` -> {"momentum": 0.9, "nesterov": True}: JSON
    values (numbers, true/false), anything else as a string."""
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--optimizer-option {pair!r}: write it as KEY=VALUE, e.g. "
                             "momentum=0.9.")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def cmd_tune(args) -> int:
    _quiet_tensorflow()
    import zoo

    result = zoo.tune(args.name, args.dataset, tuner=args.tuner, max_trials=args.max_trials,
                      epochs=args.epochs, final_epochs=args.final_epochs,
                      objective=args.objective, seed=args.seed, directory=args.directory,
                      project_name=args.project, overwrite=args.overwrite,
                      export_root=None if args.no_export else args.export_root)
    if result.role == "worker":
        print(f"worker done: its trials are in {result.project_dir}; the chief trains, tests "
              "and exports the best.")
        return 0
    print(f"{len(result.trials)} trials by {result.objective} ({result.direction}), best first:")
    for trial in result.trials:
        score = "-" if trial["score"] is None else f"{trial['score']:.4f}"
        drawn = ", ".join(f"{k}={_short(v)}" for k, v in trial["hyperparameters"].items())
        print(f"  trial {trial['trial_id']:>3}  {score:>8}  {drawn}")
    print(f"best: zoo.train({args.name!r}, model_options={result.model_options!r}, "
          f"learning_rate={result.learning_rate:.3g})")
    print(f"run directory: {result.run_dir}")
    print("test metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in result.test_metrics.items()))
    if result.export_path:
        print(f"exported: {result.export_path}")
    return 0


def _short(value):
    return f"{value:.3g}" if isinstance(value, float) else value


def cmd_evaluate(args) -> int:
    _quiet_tensorflow()
    import zoo

    model = zoo.load_model(_model_file(args.model))
    metrics = zoo.evaluate(model, args.dataset, split=args.split)
    print(json.dumps(metrics, indent=2))
    return 0


def _class_names(dataset, model):
    """The class names of the named dataset a model was trained on, when they fit its outputs
    (what a text classifier's `label` output returns); None leaves the choice to export."""
    from zoo.data import DATASETS

    if dataset not in DATASETS:
        return None
    names = DATASETS[dataset].class_names
    try:
        outputs = model.output_shape[-1]
    except (AttributeError, ValueError):  # a subclassed model may not know its output shape
        return None
    return list(names) if names and len(names) == outputs else None


def cmd_export(args) -> int:
    _quiet_tensorflow()
    import zoo

    model = zoo.load_model(_model_file(args.model))
    config = Path(args.model) / "config.json"  # a run directory says what it trained on
    dataset = args.dataset or (json.loads(config.read_text()).get("dataset")
                               if config.is_file() else None)
    if args.format != "saved_model":
        return _export_format(model, dataset, args)
    warmup = _warmup_batch(model, dataset, args.warmup) if args.warmup is not None else None
    path = zoo.export(model, args.name, args.version, root=args.root, overwrite=args.overwrite,
                      labels=_class_names(dataset, model), warmup=warmup)
    print(path)
    if args.models_config:
        from zoo.export.tf_serving import write_models_config

        print(write_models_config(args.root, base_path=args.serving_base_path))
    return 0


def _export_format(model, dataset, args) -> int:
    """A TFLite or ONNX file `ROOT/<name>[_int8].<suffix>`, or a TF.js graph model in the
    folder `ROOT/<name>_tfjs`; int8 calibrates on the first examples of the training split
    of `dataset` (default: the run's or the card's)."""
    from zoo.export.formats import CALIBRATION_EXAMPLES, FORMATS, export_format
    from zoo.registry import card_of
    from zoo.train.evaluation import evaluation_pipeline

    for option in ("warmup", "version", "models_config"):
        if getattr(args, option):
            raise ValueError(f"--{option.replace('_', '-')} is for SavedModels, not "
                             f"--format {args.format}.")
    calibration = None
    if args.format == "tflite_int8":
        card = card_of(model)
        dataset = dataset or (card.dataset if card else None)
        if dataset is None:
            raise ValueError("--format tflite_int8 calibrates on real inputs: pass --dataset "
                             "for a model that is not in the registry.")
        calibration = evaluation_pipeline(model, card, dataset, "train",
                                          batch_size=CALIBRATION_EXAMPLES).take(1)
    if args.format == "tfjs":
        from zoo.export.tfjs import export_tfjs

        print(export_tfjs(model, Path(args.root) / f"{args.name or model.name}_tfjs",
                          overwrite=args.overwrite))
        return 0
    name = (args.name or model.name) + ("_int8" if args.format == "tflite_int8" else "")
    path = Path(args.root) / f"{name}{FORMATS[args.format]}"
    if path.exists() and not args.overwrite:
        raise ValueError(f"{path} exists: pass --overwrite to replace it.")
    print(export_format(model, path, args.format, representative_data=calibration))
    return 0


def _warmup_batch(model, dataset, count: int):
    """The first `count` test examples of `dataset` (default: the model card's), as the
    model's `serving_default` takes them."""
    from zoo.registry import card_of
    from zoo.train.evaluation import evaluation_pipeline

    if count < 1:
        raise ValueError(f"--warmup {count}: give a positive number of requests.")
    card = card_of(model)
    dataset = dataset or (card.dataset if card else None)
    if dataset is None:
        raise ValueError("--warmup needs --dataset for a model that is not in the registry.")
    inputs = next(iter(evaluation_pipeline(model, card, dataset, "test", batch_size=count)))[0]
    return ({name: value.numpy() for name, value in inputs.items()}
            if isinstance(inputs, dict) else inputs.numpy())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo", description="A Keras model zoo: list, train, evaluate and export models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern, e.g. 'lenet*'")
    p.add_argument("--task", help="only this task, e.g. image-classification")
    p.add_argument("--family", help="only this family, e.g. linear")
    p.set_defaults(run=cmd_list)

    p = commands.add_parser("info", help="show a model's card")
    p.add_argument("name")
    p.add_argument("--params", action="store_true", help="build the model and count parameters")
    p.set_defaults(run=cmd_info)

    p = commands.add_parser("datasets", help="list the datasets zoo can load")
    p.set_defaults(run=cmd_datasets)

    p = commands.add_parser("data", help="manage datasets in the TFDS data directory")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("prepare", help="build a text corpus (once) from its data package, "
                           "or the detection canvases from their real images")
    q.add_argument("name", help="a corpus or canvas set from `zoo datasets`, e.g. reuters_r8 "
                   "or fashion_digits_canvas")
    q.set_defaults(run=cmd_data_prepare)

    p = commands.add_parser("train", help="train a model with the standard callbacks")
    p.add_argument("name", help="a registered model, see `zoo list`")
    p.add_argument("--dataset", help="dataset name (default: the model card's)")
    p.add_argument("--epochs", type=int, help="default: the card's recipe")
    p.add_argument("--batch-size", type=int, help="default: the card's recipe")
    p.add_argument("--learning-rate", type=float, help="default: the card's recipe")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow kernels: bit-identical reruns of a seed")
    p.add_argument("--steps-per-execution", type=int,
                   help="batches per call of the compiled step (default: the card's recipe)")
    p.add_argument("--jit-compile", choices=("auto", "true", "false"),
                   help="compile the step with XLA (default: the card's recipe)")
    p.add_argument("--strategy", choices=("default", "mirrored", "multiworker", "tpu"),
                   help="train on several devices; --batch-size is then each replica's "
                   "(see zoo.train.distribute)")
    p.add_argument("--precision", choices=("float32", "mixed_float16", "mixed_bfloat16"),
                   help="mixed precision: 16-bit compute, float32 variables (default float32)")
    # The training techniques of zoo.train (zoo.train.techniques); names kept here as
    # literals so that the CLI's help needs no TensorFlow.
    p.add_argument("--optimizer", help="a Keras optimizer's name, e.g. sgd, adamw (default: "
                   "the card's recipe)")
    p.add_argument("--optimizer-option", action="append", metavar="KEY=VALUE",
                   help="an argument of the optimizer, e.g. momentum=0.9 (repeatable)")
    p.add_argument("--schedule", choices=("constant", "step", "exponential", "cosine"),
                   help="learning-rate schedule over the run (default: the card's recipe)")
    p.add_argument("--warmup-epochs", type=int, help="linear learning-rate warm-up first")
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay")
    p.add_argument("--clip-norm", type=float, help="clip each gradient to this L2 norm")
    p.add_argument("--label-smoothing", type=float, help="for cross-entropy classifiers")
    p.add_argument("--augment", help="image augmentation, e.g. crop_flip, rotate:30+erase, "
                   "mixup (see zoo.data.augment)")
    p.add_argument("--out", default="runs", help="folder for run directories (default: runs)")
    p.add_argument("--run-dir", help="exact run directory; an interrupted run's resumes it "
                   "where its last backup left it (same arguments)")
    p.add_argument("--backup-every", type=int, metavar="N",
                   help="also back the run up every N batches within an epoch (default: at "
                   "epoch ends only)")
    p.add_argument("--export", action="store_true", help="export the trained model afterwards")
    p.add_argument("--export-root", default="saved_models", help="default: saved_models")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("tune", help="search a model's hyperparameters with keras-tuner, "
                            "then train, test and export the best")
    p.add_argument("name", help="a registered model, see `zoo list`")
    p.add_argument("--dataset", help="dataset name (default: the model card's)")
    p.add_argument("--tuner", default="random", choices=("random", "hyperband", "bayesian"))
    p.add_argument("--max-trials", type=int,
                   help="configurations to try (default 10; not for hyperband)")
    p.add_argument("--epochs", type=int, help="each trial's epochs (default: the recipe's)")
    p.add_argument("--final-epochs", type=int,
                   help="the best configuration's training (default: the recipe's epochs)")
    p.add_argument("--objective", help="validation figure to score trials by "
                   "(default: the recipe's monitor)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--directory", default="runs/tuning",
                   help="keras-tuner's folder (default: runs/tuning)")
    p.add_argument("--project", help="the search's name in it (default: NAME-TUNER); an "
                   "existing one resumes")
    p.add_argument("--overwrite", action="store_true", help="start the search afresh")
    p.add_argument("--export-root", default="saved_models", help="default: saved_models")
    p.add_argument("--no-export", action="store_true", help="do not export the best model")
    p.set_defaults(run=cmd_tune)

    p = commands.add_parser("evaluate", help="test metrics of a saved model")
    p.add_argument("model", help="a .keras file, a run directory or an exported version")
    p.add_argument("--dataset", help="default: the model card's")
    p.add_argument("--split", default="test", choices=("train", "validation", "test"))
    p.set_defaults(run=cmd_evaluate)

    p = commands.add_parser("export", help="export a saved model for TF Serving")
    p.add_argument("model", help="a .keras file, a run directory or an exported version")
    p.add_argument("--name", help="served model name (default: the model's name)")
    p.add_argument("--version", type=int, help="default: the next free version")
    p.add_argument("--root", default="saved_models", help="default: saved_models")
    p.add_argument("--overwrite", action="store_true", help="replace an existing version")
    p.add_argument("--warmup", type=int, metavar="N",
                   help="write N test examples as TF Serving warm-up requests")
    p.add_argument("--dataset", help="the warm-up examples' dataset (default: the run's or "
                   "the model card's)")
    p.add_argument("--format", default="saved_model",
                   choices=("saved_model", "tflite", "tflite_int8", "onnx", "tfjs"),
                   help="a SavedModel version for TF Serving (default), or a file "
                   "ROOT/NAME.tflite, ROOT/NAME_int8.tflite (calibrated on --dataset's "
                   "training images) or ROOT/NAME.onnx, or a TF.js graph model in "
                   "ROOT/NAME_tfjs/ (needs bash .ci/install-tfjs)")
    p.add_argument("--models-config", action="store_true",
                   help="then write ROOT/models.config listing every model under --root")
    p.add_argument("--serving-base-path", metavar="PATH",
                   help="where the server sees --root in models.config (e.g. /models in the "
                   "tensorflow/serving container; default: its absolute path here)")
    p.set_defaults(run=cmd_export)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"zoo: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
