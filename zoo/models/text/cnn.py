"""Kim's convolutional network for sentence classification (Kim 2014): word embeddings,
parallel 1-D convolutions of widths 3, 4 and 5 (100 filters each), max-over-time pooling,
dropout 0.5 and a softmax layer. The "CNN-rand" variant: embeddings learned from scratch."""

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

KIM = Reference("Convolutional Neural Networks for Sentence Classification", "Kim, Y.", 2014,
                "https://arxiv.org/abs/1408.5882")


def text_cnn_space(hp) -> dict:
    """The region sizes (three consecutive widths from `kernel_size`, Kim's 3-4-5 by
    default), feature maps per size, embedding width and dropout: the knobs of Zhang and
    Wallace's (2017) practitioners' guide to Kim's CNN, which finds the region size and the
    number of feature maps the ones to search first."""
    kernel_size = hp.Int("kernel_size", 2, 5, default=3)
    return {"kernel_sizes": (kernel_size, kernel_size + 1, kernel_size + 2),
            "filters": hp.Choice("filters", [50, 100, 200], default=100),
            "embedding_dim": hp.Choice("embedding_dim", [64, 128, 256], default=128),
            "dropout": hp.Float("dropout", 0.0, 0.6, step=0.1, default=0.5)}


@search_space(text_cnn_space)
@register("text_cnn", **text_card("text_cnn"),
          recipe=text_recipe(epochs=10, batch_size=50), reference=KIM)
def text_cnn(num_classes=8, max_tokens=20000, sequence_length=300, embedding_dim=128,
             kernel_sizes=(3, 4, 5), filters=100, dropout=0.5, vocabulary=None,
             classifier_activation="softmax", name="text_cnn"):
    """Embeddings, one convolution per kernel size with max-over-time pooling, concatenated,
    dropout and the classifier."""
    from zoo.layers.text import token_ids

    check_text_classifier(num_classes, classifier_activation, dropout)
    kernel_sizes = _validate.widths("kernel_sizes", kernel_sizes)
    _validate.positive_int("filters", filters)
    _validate.positive_int("embedding_dim", embedding_dim)
    if max(kernel_sizes) > sequence_length:
        raise ValueError(f"kernel_sizes={kernel_sizes!r} must not exceed "
                         f"sequence_length={sequence_length!r}.")
    text = text_input()
    x = token_ids(max_tokens, sequence_length, vocabulary=vocabulary)(text)
    x = keras.layers.Embedding(max_tokens, embedding_dim, name="embedding")(x)
    pooled = [keras.layers.GlobalMaxPooling1D(name=f"max_over_time_{size}")(
        keras.layers.Conv1D(filters, size, activation="relu", name=f"conv_{size}")(x))
        for size in kernel_sizes]
    x = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="features")(pooled)
    return keras.Model(text, classifier_top(x, num_classes, classifier_activation, dropout),
                       name=name)
