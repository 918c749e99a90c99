"""Radial-basis-function networks: a layer of Gaussian units, each tuned to a prototype
input, and a linear (softmax) read-out (Broomhead and Lowe, 1988). Its prototypes start at
k-means centres of the training images and its widths at their clusters' spread (Moody and
Darken, 1989): `zoo.train` adapts them on the training split before fitting
(`zoo.layers.radial_basis`), then trains prototypes, widths and read-out together.
"""

from zoo._lazy import keras
from zoo.models._common import check_classifier, image_or_features_input
from zoo.registry import Recipe, Reference, register, search_space

BROOMHEAD_LOWE = Reference("Multivariable functional interpolation and adaptive networks "
                           "(Complex Systems 2, 321-355)", "Broomhead, D. S. and Lowe, D.", 1988)



def rbf_space(hp) -> dict:
    """The number of Gaussian units, an RBF network's capacity: more prototypes tile the
    input space more finely, at a cost linear in their number (Broomhead and Lowe, 1988;
    Bishop, Neural Networks for Pattern Recognition, 1995, chapter 5). Their centres and
    widths come from the data (k-means), so they are not searched."""
    return {"units": hp.Int("units", 100, 1000, step=100, default=300)}


@search_space(rbf_space)
@register(
    "rbf_network", family="rbf", task="image-classification", api="functional",
    input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist", num_classes=10,
    recipe=Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=15),
    reference=BROOMHEAD_LOWE,
)
def rbf_network(input_shape=(28, 28, 1), num_classes=10, units=300,
                classifier_activation="softmax", seed=None, name="rbf_network"):
    """`units` Gaussian radial-basis units on the flattened image and a dense classifier on
    their responses."""
    from zoo.layers.radial_basis import RadialBasis

    check_classifier(num_classes, classifier_activation)
    inputs = image_or_features_input(input_shape)
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = RadialBasis(units, seed=seed, name="radial_basis")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation,
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)
