"""Ensembles: several classifiers that see the same image and pool their class probabilities,
by averaging (soft voting) or by majority vote (hard voting). See Dietterich 2000, "Ensemble
methods in machine learning", and Hansen and Salamon 1990, "Neural network ensembles".

Members are trained models (`keras.Model`s) or registered names (built fresh, e.g. to train
the whole ensemble jointly). The ensemble is a Functional model whose members are nested
models, so it saves, reloads and exports like any other.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import produces_probabilities, recipe_only
from zoo.registry import Recipe, Reference, register, search_space

METHODS = ("average", "vote")


# Its members fix it (a registered name each); "vote" is not trainable, so nothing to search.
@search_space(recipe_only)
@register(
    "ensemble", family="ensemble", task="image-classification", api="functional",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist", num_classes=10,
    recipe=Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=10),
    reference=Reference("Ensemble methods in machine learning", "Dietterich, T. G.", 2000,
                        "https://doi.org/10.1007/3-540-45014-9_1"),
)
def ensemble(members=("lenet5", "mlp", "logistic_regression"), method="average",
             test_time_flip=False, name="ensemble"):
    """Average (or majority-vote) the class probabilities of `members`.

    Args:
        members: two or more classifiers with the same input shape and number of classes:
            `keras.Model`s or registered model names.
        method: "average" (soft voting; trainable end to end) or "vote" (hard voting).
        test_time_flip: also show every member the image mirrored left to right and pool
            both views (test-time augmentation, as Krizhevsky et al. 2012 average the
            predictions of flipped crops); only for members trained on flip-invariant
            classes (clothes, photographs; not digits or text).
    """
    _validate.choice("method", method, METHODS)
    _validate.boolean("test_time_flip", test_time_flip)
    if isinstance(members, (str, keras.Model)) or len(members) < 2:
        raise ValueError(f"members={members!r} must be a sequence of two or more models.")
    models = [_member(m) for m in members]
    shapes = {tuple(m.inputs[0].shape[1:]) for m in models}
    classes = {m.output_shape[-1] for m in models}
    if len(shapes) != 1 or len(classes) != 1:
        raise ValueError(
            f"members must share input shape and classes; got input shapes {sorted(shapes)} "
            f"and class counts {sorted(classes)}."
        )
    logits = [m.name for m in models if not produces_probabilities(m)]
    if logits:
        raise ValueError(f"members {logits} output logits; build them with a softmax top.")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"member names must differ (they name nested layers): {names}.")
    inputs = keras.Input(shape=shapes.pop(), name="image")
    outputs = [m(inputs) for m in models]
    if test_time_flip:
        from zoo.layers.ensemble import HorizontalFlip

        mirrored = HorizontalFlip(name="mirrored")(inputs)
        outputs += [m(mirrored) for m in models]
    if method == "average":
        combined = keras.layers.Average(name="predictions")(outputs)
    else:
        from zoo.layers.ensemble import MajorityVote

        combined = MajorityVote(name="predictions")(outputs)
    return keras.Model(inputs, combined, name=name)


def _member(member):
    if isinstance(member, keras.Model):
        if not getattr(member, "inputs", None):
            raise ValueError(f"member {member.name!r} is subclassed; use a Functional build.")
        return member
    if isinstance(member, str):
        from zoo.registry import get_model, model_card

        if model_card(member).task != "image-classification":
            raise ValueError(f"member {member!r} is not an image classifier.")
        return get_model(member)
    raise ValueError(f"member {member!r} must be a keras.Model or a registered name.")
