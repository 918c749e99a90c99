"""What the text classifiers share: the string input, the card, the recipe, the head."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_classifier
from zoo.registry import Recipe

R8_CLASSES = 8


def text_card(family, *, api="functional", dataset="reuters_r8"):
    """The `register` arguments every text classifier shares."""
    return dict(family=family, task="text-classification", api=api, input_shape=(),
                input_name="text", dataset=dataset, num_classes=R8_CLASSES)


def text_recipe(*, epochs=10, batch_size=32, learning_rate=1e-3, patience=3, **options):
    return Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=epochs,
                  batch_size=batch_size, learning_rate=learning_rate, patience=patience,
                  monitor="val_accuracy", **options)


def text_input():
    """A batch of raw strings, one text per example."""
    return keras.Input(shape=(), dtype="string", name="text")


def check_text_classifier(num_classes, classifier_activation, dropout=0.0):
    check_classifier(num_classes, classifier_activation)
    _validate.fraction("dropout", dropout)


def classifier_top(x, num_classes, classifier_activation, dropout=0.0):
    if dropout:
        x = keras.layers.Dropout(dropout, name="top_dropout")(x)
    return keras.layers.Dense(num_classes, activation=classifier_activation,
                              name="predictions")(x)
