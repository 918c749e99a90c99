"""A Transformer encoder classifier (Vaswani et al. 2017): token and position embeddings,
encoder blocks of multi-head self-attention (`keras.layers.MultiHeadAttention`), the mean
over real tokens, and a softmax layer. Its blocks are those of the BERT-style masked language
model (`zoo.layers.transformer`), so pretrained weights transfer."""

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

VASWANI = Reference("Attention Is All You Need", "Vaswani, A. et al.", 2017,
                    "https://arxiv.org/abs/1706.03762")


def transformer_body(text, *, max_tokens, sequence_length, embedding_dim, num_heads,
                     feed_forward_dim, num_layers, dropout, vocabulary=None):
    """Strings to contextual token vectors (padding masked): the part a pretrained masked
    language model and a classifier share."""
    from zoo.layers.text import token_ids
    from zoo.layers.transformer import TokenAndPositionEmbedding, TransformerEncoder

    x = token_ids(max_tokens, sequence_length, vocabulary=vocabulary)(text)
    x = TokenAndPositionEmbedding(max_tokens, sequence_length, embedding_dim,
                                  name="embedding")(x)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for index in range(1, num_layers + 1):
        x = TransformerEncoder(num_heads, feed_forward_dim, dropout, name=f"encoder_{index}")(x)
    return x


def text_transformer_space(hp) -> dict:
    """The encoder's width, heads, depth and dropout, the sizes Vaswani et al. (2017,
    table 3) vary; the feed-forward layer stays twice the width, as by default, and every
    head count divides every width."""
    embedding_dim = hp.Choice("embedding_dim", [32, 64, 128], default=64)
    return {"embedding_dim": embedding_dim, "feed_forward_dim": 2 * embedding_dim,
            "num_heads": hp.Choice("num_heads", [2, 4, 8], default=4),
            "num_layers": hp.Int("num_layers", 1, 4, default=2),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1, default=0.1)}


@search_space(text_transformer_space)
@register("text_transformer", **text_card("transformer"),
          recipe=text_recipe(epochs=20, batch_size=32, learning_rate=5e-4, patience=4),
          reference=VASWANI)
def text_transformer(num_classes=8, max_tokens=20000, sequence_length=256, embedding_dim=64,
                     num_heads=4, feed_forward_dim=128, num_layers=2, dropout=0.1,
                     vocabulary=None, classifier_activation="softmax", name="text_transformer"):
    """`num_layers` encoder blocks over the first `sequence_length` tokens, mean-pooled."""
    from zoo.layers.text import MeanOverTokens

    check_text_classifier(num_classes, classifier_activation, dropout)
    for arg, value in (("embedding_dim", embedding_dim), ("num_heads", num_heads),
                       ("feed_forward_dim", feed_forward_dim), ("num_layers", num_layers)):
        _validate.positive_int(arg, value)
    if embedding_dim % num_heads:
        raise ValueError(f"embedding_dim={embedding_dim!r} must be divisible by "
                         f"num_heads={num_heads!r}.")
    text = text_input()
    x = transformer_body(text, max_tokens=max_tokens, sequence_length=sequence_length,
                         embedding_dim=embedding_dim, num_heads=num_heads,
                         feed_forward_dim=feed_forward_dim, num_layers=num_layers,
                         dropout=dropout, vocabulary=vocabulary)
    x = MeanOverTokens(name="mean")(x)
    return keras.Model(text, classifier_top(x, num_classes, classifier_activation, dropout),
                       name=name)
