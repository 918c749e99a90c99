"""Bag-of-words multilayer perceptrons: a text becomes one fixed-width vector (which words
occur, how often, or their TF-IDF weights; or hashed buckets), then dense layers. The
multi-hot model is Chollet's Reuters classifier (*Deep Learning with Python*, 2nd ed.,
chapter 4: 10,000 words, two hidden layers of 64); a plain stack, so a `keras.Sequential`."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models.text._common import check_text_classifier, text_card, text_input, text_recipe
from zoo.registry import Reference, register, search_space

CHOLLET = Reference("Deep Learning with Python, 2nd edition (chapter 4, Reuters)",
                    "Chollet, F.", 2021, "https://www.manning.com/books/deep-learning-with-python-second-edition")
SALTON = Reference("Term-weighting approaches in automatic text retrieval",
                   "Salton, G. and Buckley, C.", 1988,
                   "https://doi.org/10.1016/0306-4573(88)90021-0")
WEINBERGER = Reference("Feature Hashing for Large Scale Multitask Learning",
                       "Weinberger, K., Dasgupta, A., Langford, J., Smola, A. and Attenberg, J.",
                       2009, "https://arxiv.org/abs/0902.2206")


def bag_of_words_space(hp) -> dict:
    """Whether bigrams join the words, and the depth, width and dropout of the dense layers:
    bigrams often help a bag of words (Wang and Manning, 2012, "Baselines and bigrams"), and
    the layers are those of Chollet's Reuters model (Deep Learning with Python, chapter 4).
    The vocabulary's size and the weighting are the model's own."""
    layers = hp.Int("layers", 1, 2)
    units = hp.Choice("units", [32, 64, 128, 256])
    return {"ngrams": hp.Int("ngrams", 1, 2), "hidden_units": (units,) * layers,
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1)}


def _bow_mlp(mode, *, max_tokens, ngrams, split, hidden_units, dropout, num_classes,
             classifier_activation, name):
    from zoo.layers.text import bag_of_words

    check_text_classifier(num_classes, classifier_activation, dropout)
    hidden = []
    for index, units in enumerate(_validate.widths("hidden_units", hidden_units), start=1):
        hidden.append(keras.layers.Dense(units, activation="relu", name=f"dense_{index}"))
        if dropout:
            hidden.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
    return keras.Sequential(
        [text_input(), *bag_of_words(mode, max_tokens, ngrams=ngrams, split=split), *hidden,
         keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")],
        name=name)


@search_space(bag_of_words_space)
@register("text_bow_mlp", **text_card("bag_of_words", api="sequential"),
          recipe=text_recipe(epochs=10, batch_size=64), reference=CHOLLET)
def text_bow_mlp(num_classes=8, max_tokens=10000, ngrams=1, split="whitespace",
                 hidden_units=(64, 64), dropout=0.0, classifier_activation="softmax",
                 name="text_bow_mlp"):
    """Multi-hot bag of words (which of the `max_tokens` most frequent words occur) into a
    dense network: Chollet's Reuters model."""
    return _bow_mlp("multi_hot", max_tokens=max_tokens, ngrams=ngrams, split=split,
                    hidden_units=hidden_units, dropout=dropout, num_classes=num_classes,
                    classifier_activation=classifier_activation, name=name)


@search_space(bag_of_words_space)
@register("text_tfidf_mlp", **text_card("bag_of_words", api="sequential"),
          recipe=text_recipe(epochs=15, batch_size=64), reference=SALTON)
def text_tfidf_mlp(num_classes=8, max_tokens=20000, ngrams=2, split="whitespace",
                   hidden_units=(256,), dropout=0.5, classifier_activation="softmax",
                   name="text_tfidf_mlp"):
    """TF-IDF of words and bigrams (unit-length rows, as scikit-learn's) into a dense
    network with dropout."""
    return _bow_mlp("tf_idf", max_tokens=max_tokens, ngrams=ngrams, split=split,
                    hidden_units=hidden_units, dropout=dropout, num_classes=num_classes,
                    classifier_activation=classifier_activation, name=name)


@search_space(bag_of_words_space)
@register("text_hashing_mlp", **text_card("bag_of_words", api="sequential"),
          recipe=text_recipe(epochs=10, batch_size=64), reference=WEINBERGER)
def text_hashing_mlp(num_classes=8, max_tokens=2**16, ngrams=2, split="whitespace",
                     hidden_units=(64,), dropout=0.5, classifier_activation="softmax",
                     name="text_hashing_mlp"):
    """The hashing trick: words and bigrams hashed into `max_tokens` buckets (no vocabulary
    to learn or ship), multi-hot, into a dense network."""
    return _bow_mlp("hashing", max_tokens=max_tokens, ngrams=ngrams, split=split,
                    hidden_units=hidden_units, dropout=dropout, num_classes=num_classes,
                    classifier_activation=classifier_activation, name=name)
