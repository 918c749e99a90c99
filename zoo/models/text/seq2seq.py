"""Encoder-decoder models, each a `zoo.text.seq2seq.Seq2SeqModel`: recurrent (LSTM or GRU)
without attention, with Bahdanau's additive attention and with Luong's multiplicative
attention, and the encoder-decoder Transformer.

By default they are built for grapheme-to-phoneme conversion on the CMU Pronouncing
Dictionary (characters of a word in, its ARPAbet phonemes out; `zoo.data.load("cmudict",
feature=("word", "phonemes"))`). The same factories take word vocabularies for verse
translation, English to French on the King James and Louis Segond Bibles:

    zoo.train("gru_bahdanau", "bible_kjv_lsg", model_options=TRANSLATION_OPTIONS,
              dataset_options={"feature": ("en", "fr")})

(`TRANSLATION_TRAINING` gives the batch size and epochs the recorded translations used).

Decoding (greedy and beam search) and the exported `translate` signature are in
`zoo.text.seq2seq_decoding`.
"""

from zoo.registry import Recipe, Reference, register, search_space

SUTSKEVER = Reference("Sequence to Sequence Learning with Neural Networks",
                      "Sutskever, I., Vinyals, O. and Le, Q. V.", 2014,
                      "https://arxiv.org/abs/1409.3215")
CHO = Reference("Learning Phrase Representations using RNN Encoder-Decoder for Statistical "
                "Machine Translation", "Cho, K. et al.", 2014, "https://arxiv.org/abs/1406.1078")
BAHDANAU = Reference("Neural Machine Translation by Jointly Learning to Align and Translate",
                     "Bahdanau, D., Cho, K. and Bengio, Y.", 2015,
                     "https://arxiv.org/abs/1409.0473")
LUONG = Reference("Effective Approaches to Attention-based Neural Machine Translation",
                  "Luong, M.-T., Pham, H. and Manning, C. D.", 2015,
                  "https://arxiv.org/abs/1508.04025")
VASWANI = Reference("Attention Is All You Need", "Vaswani, A. et al.", 2017,
                    "https://arxiv.org/abs/1706.03762")

G2P_FEATURES = ("word", "phonemes")
# Verse translation: words (punctuation apart, lower case) on both sides, vocabularies of the
# 8,000 commonest (99.5% of the King James' running words, 97.8% of Louis Segond's), verses
# cut at 64 tokens (1.2% of the English training verses are longer, 2.0% of the French).
TRANSLATION_OPTIONS = {"source_tokens": "words", "target_tokens": "words",
                       "lowercase_target": True, "source_max_tokens": 8000,
                       "target_max_tokens": 8000, "max_source_length": 64,
                       "max_output_length": 64}
# 26,592 training verses: batches of 64 give 416 steps an epoch, as many as the G2P recipe's
# batches of 256 give its 106,812 words.
TRANSLATION_TRAINING = {"batch_size": 64, "epochs": 8}


def _recipe(*, epochs, learning_rate):
    return Recipe(loss="sparse_categorical_crossentropy_from_logits",
                  metrics=("token_accuracy",), learning_rate=learning_rate, epochs=epochs,
                  batch_size=256, patience=2, gradient_clip_norm=1.0,
                  dataset_options={"feature": G2P_FEATURES})


# One pass over the 106,812 training words is 418 steps of 256.
RECURRENT_RECIPE = _recipe(epochs=5, learning_rate=3e-3)
TRANSFORMER_RECIPE = _recipe(epochs=5, learning_rate=1e-3)


def _card(recipe):
    return dict(family="seq2seq", task="sequence-to-sequence", api="subclass",
                input_shape=(), input_name="text", dataset="cmudict", recipe=recipe)


def seq2seq_space(hp) -> dict:
    """The token vectors' width, the network's width (the recurrent units, or the
    Transformer's feed-forward layer) and dropout: sizes every architecture has, so one space
    serves the recurrent models with or without attention and the Transformer (the heads, 4,
    divide every width). The Transformer's depth is left out: the recurrent ones have none
    to search. Tokens, vocabularies and lengths define the task."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"embedding_dim": hp.Choice("embedding_dim", [32, 64, 128, 256], default=64),
            "units": int(128 * width), "feed_forward_dim": int(256 * width),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1, default=0.1)}


@search_space(seq2seq_space)
def seq2seq(architecture="gru", attention=None, source_tokens="characters",
            target_tokens="words", lowercase_source=True, lowercase_target=False,
            source_max_tokens=64, target_max_tokens=64, max_source_length=32,
            max_output_length=32, embedding_dim=64, units=128, num_layers=2, num_heads=4,
            feed_forward_dim=256, dropout=0.1, name="gru_seq2seq"):
    """An encoder-decoder from strings to strings (see `zoo.text.seq2seq.Seq2SeqModel` for
    every argument). The defaults suit grapheme to phoneme: a word's characters (up to 32)
    in, up to 32 phonemes out; `TRANSLATION_OPTIONS` suit verse translation."""
    from zoo.text.seq2seq import Seq2SeqModel

    return Seq2SeqModel(architecture, attention, source_tokens, target_tokens,
                        lowercase_source, lowercase_target, source_max_tokens,
                        target_max_tokens, max_source_length, max_output_length,
                        embedding_dim, units, num_layers, num_heads, feed_forward_dim, dropout,
                        name=name)


for _architecture, _reference in (("lstm", SUTSKEVER), ("gru", CHO)):
    for _attention, _suffix, _cited in (("none", "seq2seq", _reference),
                                        ("bahdanau", "bahdanau", BAHDANAU),
                                        ("luong", "luong", LUONG)):
        _name = f"{_architecture}_{_suffix}"
        register(_name, **_card(RECURRENT_RECIPE), reference=_cited,
                 defaults={"architecture": _architecture, "attention": _attention,
                           "name": _name})(seq2seq)
register("transformer_seq2seq", **_card(TRANSFORMER_RECIPE), reference=VASWANI,
         defaults={"architecture": "transformer", "embedding_dim": 128, "num_layers": 2,
                   "name": "transformer_seq2seq"})(seq2seq)
