"""Linear models: the perceptron, logistic (softmax) regression, linear regression and the
linear SVM. Each is a single `Dense` unit stack, so each is a `keras.Sequential`."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_classifier, image_or_features_input, recipe_only
from zoo.registry import Recipe, Reference, register, search_space

FASHION_TOP_VS_TROUSER = {"classes": (0, 1)}

DIABETES_SHAPE = (10,)


def l2_space(hp) -> dict:
    """The strength of the L2 weight penalty, a linear classifier's one knob: ridge shrinkage
    of logistic regression, and the soft margin of the linear SVM (1 / C: Cortes and Vapnik,
    1995; Hastie, Tibshirani and Friedman, The Elements of Statistical Learning, 2009,
    sections 4.4 and 12.2)."""
    return {"l2": hp.Choice("l2", [0.0, 1e-5, 1e-4, 1e-3, 1e-2])}


@search_space(recipe_only)
@register(
    "perceptron", family="linear", task="binary-classification", api="sequential",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist",
    recipe=Recipe(loss="perceptron", metrics=("accuracy",), optimizer="sgd",
                  learning_rate=0.01, epochs=5, dataset_options=FASHION_TOP_VS_TROUSER),
    reference=Reference("The perceptron: a probabilistic model for information storage and "
                        "organization in the brain", "Rosenblatt, F.", 1958,
                        "https://doi.org/10.1037/h0042519"),
)
def perceptron(input_shape=(28, 28, 1), name="perceptron"):
    """Rosenblatt's perceptron: a bias input, one weight per input and a sign output.

    Trained with the perceptron criterion through a straight-through sign, so gradient descent
    performs the classic update. Outputs +1 or -1; `zoo.data` labels {0, 1} map to {-1, +1}.
    """
    from zoo.layers import AppendBias, SignStraightThrough

    return keras.Sequential(
        [
            image_or_features_input(input_shape),
            keras.layers.Flatten(name="flatten"),
            AppendBias(name="bias_input"),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="weights"),
            SignStraightThrough(name="sign"),
        ],
        name=name,
    )


@search_space(l2_space)
@register(
    "logistic_regression", family="linear", task="image-classification", api="sequential",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist", num_classes=10,
    recipe=Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                  learning_rate=1e-3, epochs=20),
    reference=Reference("The regression analysis of binary sequences", "Cox, D. R.", 1958,
                        "https://doi.org/10.1111/j.2517-6161.1958.tb00292.x"),
)
def logistic_regression(input_shape=(28, 28, 1), num_classes=10, l2=0.0,
                        classifier_activation="softmax", name="logistic_regression"):
    """Multinomial logistic (softmax) regression: one affine map from pixels to class scores."""
    check_classifier(num_classes, classifier_activation)
    regularizer = keras.regularizers.L2(_validate.non_negative("l2", l2)) if l2 else None
    return keras.Sequential(
        [
            image_or_features_input(input_shape),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(num_classes, activation=classifier_activation,
                               kernel_regularizer=regularizer, name="predictions"),
        ],
        name=name,
    )


@search_space(recipe_only)
@register(
    "linear_regression", family="linear", task="regression", api="sequential",
    input_shape=DIABETES_SHAPE, input_name="features", dataset="diabetes",
    recipe=Recipe(loss="mse", metrics=("mae", "rmse"), optimizer="sgd", learning_rate=0.05,
                  epochs=200, batch_size=32, patience=20),
    reference=Reference("Nouvelles méthodes pour la détermination des orbites des comètes "
                        "(the method of least squares)", "Legendre, A.-M.", 1805),
)
def linear_regression(input_shape=DIABETES_SHAPE, num_outputs=1, name="linear_regression"):
    """Ordinary least squares as a network: y = W x + b fitted by minimising the squared error."""
    _validate.positive_int("num_outputs", num_outputs)
    return keras.Sequential(
        [image_or_features_input(input_shape), keras.layers.Flatten(name="flatten"),
         keras.layers.Dense(num_outputs, name="prediction")],
        name=name,
    )


@search_space(l2_space)
@register(
    "linear_svm", family="linear", task="binary-classification", api="sequential",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist",
    recipe=Recipe(loss="hinge", metrics=("accuracy",), learning_rate=1e-3, epochs=5,
                  dataset_options=FASHION_TOP_VS_TROUSER),
    reference=Reference("Support-vector networks", "Cortes, C. and Vapnik, V.", 1995,
                        "https://doi.org/10.1007/BF00994018"),
)
def linear_svm(input_shape=(28, 28, 1), l2=1e-4, name="linear_svm"):
    """A linear support-vector machine: a signed score trained with the hinge loss and an L2
    penalty on the weights (the soft-margin primal). Class 1 where the score is positive."""
    regularizer = keras.regularizers.L2(_validate.non_negative("l2", l2)) if l2 else None
    return keras.Sequential(
        [image_or_features_input(input_shape), keras.layers.Flatten(name="flatten"),
         keras.layers.Dense(1, kernel_regularizer=regularizer, name="score")],
        name=name,
    )
