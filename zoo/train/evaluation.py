"""`zoo.evaluate`: a model's recipe metrics on one split of a dataset, and the pipeline that
shows a model a split as it is evaluated (no augmentation, no shuffle)."""

from __future__ import annotations

from pathlib import Path

from zoo import data
from zoo.data.augment import evaluation_options
from zoo.registry import card_of, get_model
from zoo.train.dataset_fit import shaped_data_options, task_of
from zoo.train.fit import _refuse_interactive, compile_with_recipe, recipe_dataset_options


def evaluate(model, dataset=None, *, split="test", batch_size=256, dataset_options=None,
             verbose=0) -> dict[str, float]:
    """Metrics of a model (a `keras.Model`, a registered name's untrained model, or a `.keras`
    path) on one split of a dataset (default: the card's dataset, test split)."""
    if isinstance(model, (str, Path)) and str(model).endswith(".keras"):
        from zoo.export import load_model

        model = load_model(model)
    card = card_of(model)
    _refuse_interactive(card)
    if isinstance(model, str):
        model = get_model(model, **card.recipe.model_options)
    dataset = dataset or (card.dataset if card else None)
    if dataset is None:
        raise ValueError("dataset= is required for a model that is not in the registry.")
    if not model.compiled:
        compile_with_recipe(model, card)
    pipeline = evaluation_pipeline(model, card, dataset, split, batch_size, dataset_options)
    return {k: float(v) for k, v in model.evaluate(pipeline, verbose=verbose,
                                                   return_dict=True).items()}


def evaluation_pipeline(model, card, dataset: str, split="test", batch_size=256,
                        dataset_options=None):
    """One split of `dataset` as `model` sees it in evaluation: shaped to its input, with its
    card's dataset options and without augmentation, unshuffled."""
    dataset_options = shaped_data_options(model, task_of(card, dataset), dataset_options)
    # Augmentation is for training: evaluation sees the images as they are.
    options = evaluation_options(recipe_dataset_options(card, dataset, dataset_options))
    return data.load(dataset, split, batch_size=batch_size, **options)
