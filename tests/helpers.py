"""Shared by several test modules: models built the way their recipes train them."""

import zoo


def build(name):
    """A registered model as its recipe trains it: large ImageNet-sized networks are swept at
    the small input size and class count of their recipe."""
    return zoo.get_model(name, **zoo.model_card(name).recipe.model_options)


def input_shape_of(name):
    options = zoo.model_card(name).recipe.model_options
    return tuple(options.get("input_shape", zoo.model_card(name).input_shape))


def num_classes_of(name):
    card = zoo.model_card(name)
    return card.recipe.model_options.get("num_classes", card.num_classes)
