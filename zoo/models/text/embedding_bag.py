"""A bag of embeddings: word (and bigram) embeddings learned end to end, averaged over the
text, then a linear classifier. fastText's classifier (Joulin et al. 2017) is this model:
fast, and a strong baseline for topic classification."""

from zoo import _validate
from zoo._lazy import keras
from zoo.models.text._common import (
    check_text_classifier,
    classifier_top,
    text_card,
    text_input,
    text_recipe,
)
from zoo.registry import Reference, register, search_space

JOULIN = Reference("Bag of Tricks for Efficient Text Classification",
                   "Joulin, A., Grave, E., Bojanowski, P. and Mikolov, T.", 2017,
                   "https://arxiv.org/abs/1607.01759")


def embedding_bag_space(hp) -> dict:
    """The embedding's width and the dropout on the averaged text: fastText's classifier is
    a linear model on a low-dimensional average (Joulin et al., 2017, use 10 dimensions),
    so its width is its capacity."""
    return {"embedding_dim": hp.Choice("embedding_dim", [16, 32, 64, 128], default=64),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2)}


@search_space(embedding_bag_space)
@register("text_embedding_bag", **text_card("embedding_bag"),
          recipe=text_recipe(epochs=30, batch_size=32, learning_rate=3e-3, patience=4),
          reference=JOULIN)
def text_embedding_bag(num_classes=8, max_tokens=20000, sequence_length=300, embedding_dim=64,
                       dropout=0.2, vocabulary=None, classifier_activation="softmax",
                       name="text_embedding_bag"):
    """Token embeddings averaged over the real tokens of a text (padding excluded), dropout,
    then a softmax layer."""
    from zoo.layers.text import MeanOverTokens, token_ids

    check_text_classifier(num_classes, classifier_activation, dropout)
    _validate.positive_int("embedding_dim", embedding_dim)
    text = text_input()
    x = token_ids(max_tokens, sequence_length, vocabulary=vocabulary)(text)
    x = keras.layers.Embedding(max_tokens, embedding_dim, mask_zero=True, name="embedding")(x)
    x = MeanOverTokens(name="mean")(x)
    return keras.Model(text, classifier_top(x, num_classes, classifier_activation, dropout),
                       name=name)
