"""Character language models on Shakespeare: an LSTM and a GRU (Graves 2013; Karpathy's
char-rnn) and a small decoder-only Transformer (GPT-2's block, Radford et al. 2019, at
nanoGPT's CPU size). Each is a `zoo.text.language_model.CharLanguageModel`: strings in, the
logits of every next character out, trained by teacher forcing on character chunks of the
plays (`zoo.data.load("shakespeare", sequence_length=...)`), validated on held-out plays, and
generating text through `zoo.text.generation` and the exported `generate` signature.
"""

from zoo.registry import Recipe, Reference, register, search_space

GRAVES = Reference("Generating Sequences With Recurrent Neural Networks", "Graves, A.", 2013,
                   "https://arxiv.org/abs/1308.0850")
GRU = Reference("Learning Phrase Representations using RNN Encoder-Decoder for Statistical "
                "Machine Translation", "Cho, K. et al.", 2014, "https://arxiv.org/abs/1406.1078")
GPT2 = Reference("Language Models are Unsupervised Multitask Learners", "Radford, A. et al.",
                 2019, "https://cdn.openai.com/better-language-models/language_models_are_"
                 "unsupervised_multitask_learners.pdf")


def _card(recipe):
    return dict(family="language_model", task="language-modeling", api="subclass",
                input_shape=(), input_name="text", dataset="shakespeare", recipe=recipe)


def _recipe(*, epochs, learning_rate, batch_size=32):
    return Recipe(loss="sparse_categorical_crossentropy_from_logits",
                  metrics=("nats_per_char", "bits_per_char"), learning_rate=learning_rate,
                  epochs=epochs, batch_size=batch_size, patience=2,
                  gradient_clip_norm=1.0)


# Recurrent networks: one pass over the 3.6 million training characters is about 880 steps.
RECURRENT_RECIPE = _recipe(epochs=3, learning_rate=2e-3)
TRANSFORMER_RECIPE = _recipe(epochs=2, learning_rate=1e-3)


def char_language_model_space(hp) -> dict:
    """The embedding's width, the depth, the width of each step's hidden layer (the
    recurrent units, or the Transformer's feed-forward layer) and dropout: the sizes
    Karpathy's char-rnn and nanoGPT expose, each meaningful to every architecture (one
    space serves the LSTM, the GRU and the Transformer; the heads, 4, divide every width)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"embedding_dim": hp.Choice("embedding_dim", [64, 128, 256]),
            "num_layers": hp.Int("num_layers", 1, 4),
            "units": int(256 * width), "feed_forward_dim": int(512 * width),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


@search_space(char_language_model_space)
def char_language_model(architecture="lstm", max_tokens=128, sequence_length=128,
                        embedding_dim=64, units=256, num_layers=1, num_heads=4,
                        feed_forward_dim=512, dropout=0.0, vocabulary=None,
                        name="char_lstm_lm"):
    """A character language model: `architecture` "lstm" or "gru" (`num_layers` layers of
    `units`) or "transformer" (`num_layers` causal decoder blocks of width `embedding_dim`
    with `num_heads` heads), reading up to `sequence_length` characters.

    Args:
        max_tokens: the vocabulary's size limit (Shakespeare uses 78 ids of 128).
        vocabulary: characters with '' and '[UNK]' first; None adapts on the training text.
    """
    from zoo.text.language_model import CharLanguageModel

    return CharLanguageModel(architecture, max_tokens, sequence_length, embedding_dim, units,
                             num_layers, num_heads, feed_forward_dim, dropout, vocabulary,
                             name=name)


register("char_lstm_lm", **_card(RECURRENT_RECIPE), reference=GRAVES,
         defaults={"architecture": "lstm", "name": "char_lstm_lm"})(char_language_model)
register("char_gru_lm", **_card(RECURRENT_RECIPE), reference=GRU,
         defaults={"architecture": "gru", "name": "char_gru_lm"})(char_language_model)
register("char_transformer_lm", **_card(TRANSFORMER_RECIPE), reference=GPT2,
         defaults={"architecture": "transformer", "embedding_dim": 128, "num_layers": 4,
                   "name": "char_transformer_lm"})(char_language_model)
