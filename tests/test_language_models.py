"""Character language models: chunks of a corpus, teacher forcing through `zoo.train`, the
vocabulary they carry, generation (greedy, sampling, beam search) in Python and in the
exported `generate` signature, the errors users see, and the recorded figures."""

import math

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.chunks import char_chunks, code_points
from zoo.registry import recorded_results
from zoo.text.generation import (
    MAX_NEW_CHARACTERS,
    beam_search,
    generate,
    sequence_log_probability,
)

LANGUAGE_MODELS = zoo.list_models(task="language-modeling")
TEXTS = ["To be, or not to be, that is the question:\nWhether 'tis nobler in the mind",
         "Now is the winter of our discontent\nMade glorious summer by this sun of York;",
         "O Romeo, Romeo! wherefore art thou Romeo?"] * 20


def test_the_language_models_are_registered():
    assert LANGUAGE_MODELS == ["char_gru_lm", "char_lstm_lm", "char_transformer_lm"]


def test_chunks_pair_each_text_with_itself_one_character_later():
    pairs = char_chunks(["abcdefg", "hij"], 4, batch_size=8)
    inputs, targets = (t.numpy().astype(str) for t in next(iter(pairs)))
    assert list(inputs) == ["abcd", "efg\n"]  # the texts joined by a newline: 11 characters
    assert list(targets) == ["bcde", "fg\nh"]
    assert len(code_points(["ça va"])) == 5  # characters, not bytes


def test_chunks_of_a_text_too_short_are_an_error():
    with pytest.raises(ValueError, match="fewer than one chunk"):
        char_chunks(["abc"], 8)


def test_load_cuts_a_corpus_split_into_chunks_and_only_a_corpus():
    inputs, targets = next(iter(zoo.data.load("shakespeare", "test", batch_size=2,
                                              sequence_length=32)))
    first, second = (t.numpy()[0].decode() for t in (inputs, targets))
    assert len(first) == len(second) == 32 and first[1:] == second[:-1]
    with pytest.raises(ValueError, match="sequence_length cuts a text corpus"):
        zoo.data.load("reuters_r8", sequence_length=32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small LSTM language model after two epochs on a few famous lines."""
    model = zoo.get_model("char_lstm_lm", units=32, embedding_dim=16, sequence_length=24)
    pairs = char_chunks(TEXTS, 24, batch_size=16, shuffle=True)
    result = zoo.train(model, (pairs, char_chunks(TEXTS[:3], 24)), epochs=2,
                       loss="sparse_categorical_crossentropy_from_logits",
                       metrics=["nats_per_char", "bits_per_char"], learning_rate=1e-2,
                       runs_root=tmp_path_factory.mktemp("runs"), verbose=0, tensorboard=False)
    return result


def test_fit_adapts_the_vocabulary_and_learns(trained):
    model, history = trained.model, trained.history
    assert set("".join(TEXTS)) - {"\n"} <= set(model.vocabulary())
    assert history["loss"][-1] < history["loss"][0]
    np.testing.assert_allclose(history["bits_per_char"][-1],
                               history["nats_per_char"][-1] / math.log(2), rtol=1e-4)


def test_the_loss_is_the_cross_entropy_of_the_next_characters(trained):
    model = trained.model
    x, y = tf.constant(["O Romeo, Rom"]), tf.constant([" Romeo, Rome"])
    logits = model(x)
    targets = model.token_ids(y)
    expected = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
        targets, logits, from_logits=True))
    np.testing.assert_allclose(model.compute_loss(x, y, logits).numpy(), expected.numpy(),
                               rtol=1e-5)


def test_sampling_is_deterministic_for_a_seed(trained):
    model = trained.model
    first = generate(model, "O Romeo", 40, temperature=1.0, seed=7)
    assert first.startswith("O Romeo") and len(first) == len("O Romeo") + 40
    assert generate(model, "O Romeo", 40, temperature=1.0, seed=7) == first
    assert generate(model, "O Romeo", 40, temperature=1.0, seed=8) != first


def test_greedy_is_the_argmax_and_top_k_one_is_greedy(trained):
    model = trained.model
    greedy = generate(model, "Now is", 10, temperature=0)
    assert generate(model, "Now is", 10, temperature=1.0, top_k=1, seed=3) == greedy
    assert generate(model, "Now is", 10, temperature=1.0, top_p=1e-6, seed=3) == greedy
    logits = model(tf.constant(["Now is"]))[0, -1].numpy()
    assert greedy[6] == model.vocabulary()[int(np.argmax(logits[2:])) + 2]


def test_beam_search_at_least_matches_greedy(trained):
    model = trained.model
    greedy = generate(model, "To be", 12, temperature=0)[5:]
    beamed = generate(model, "To be", 12, num_beams=4)[5:]
    assert sequence_log_probability(model, "To be", beamed) >= \
        sequence_log_probability(model, "To be", greedy) - 1e-4
    prompt_ids = model.token_ids(tf.constant(["To be"]))[0].numpy()
    assert model.vocabulary()[beam_search(model, prompt_ids, 1, 1)[0]] == greedy[0]


def test_unknown_characters_and_line_breaks_in_a_prompt(trained):
    text = generate(trained.model, "Romeo €\n", 5, temperature=0)
    assert text.startswith("Romeo €\n") and len(text) == 13 and "[UNK]" not in text


@pytest.mark.parametrize("arguments, message", [
    ({"prompt": ""}, "the prompt is empty"),
    ({"prompt": 42}, "prompt must be a string"),
    ({"max_length": -1}, "max_length=-1"),
    ({"max_length": MAX_NEW_CHARACTERS + 1}, "max_length=10001"),
    ({"temperature": -0.5}, "temperature=-0.5"),
    ({"top_k": -1}, "top_k=-1"),
    ({"top_p": 0.0}, "top_p=0.0"),
    ({"num_beams": 2, "temperature": 0.5}, "beam search returns the likeliest"),
])
def test_generate_names_what_is_wrong(trained, arguments, message):
    options = {"prompt": "To be", "max_length": 5, **arguments}
    with pytest.raises(ValueError, match=message):
        generate(trained.model, options.pop("prompt"), **options)


def test_length_zero_returns_the_prompt(trained):
    assert generate(trained.model, "To be", 0) == "To be"


def test_an_untrained_model_cannot_generate():
    with pytest.raises(ValueError, match="has no vocabulary yet"):
        generate(zoo.get_model("char_gru_lm", units=8), "To be", 5)


def test_a_transformer_lm_attends_only_to_the_past():
    model = zoo.get_model("char_transformer_lm", num_layers=1, embedding_dim=16,
                          sequence_length=16, vocabulary=["", "[UNK]", *"abcdef"])
    before = model(tf.constant(["abcabc"]))[0, :3].numpy()
    after = model(tf.constant(["abcfff"]))[0, :3].numpy()
    np.testing.assert_allclose(before, after, atol=1e-5)


def test_a_text_longer_than_the_context_is_read_through_its_end():
    model = zoo.get_model("char_gru_lm", units=8, sequence_length=8,
                          vocabulary=["", "[UNK]", *"abc"])
    assert model(tf.constant(["abc" * 10])).shape == (1, 8, 128)


def test_the_exported_generate_signature_matches_python(trained, tmp_path):
    model = trained.model
    path = zoo.export(model, root=tmp_path)
    loaded = tf.saved_model.load(str(path))
    generate_fn = loaded.signatures["generate"]
    out = generate_fn(prompt=tf.constant("O Romeo"), length=tf.constant(30),
                      temperature=tf.constant(0.8), seed=tf.constant(5, tf.int64))
    assert out["text"].numpy().decode() == generate(model, "O Romeo", 30, temperature=0.8,
                                                    seed=5)
    assert out["text"].numpy().decode() == "O Romeo" + out["generated"].numpy().decode()
    with pytest.raises(tf.errors.InvalidArgumentError, match="the prompt is empty"):
        generate_fn(prompt=tf.constant(""), length=tf.constant(3),
                    temperature=tf.constant(1.0), seed=tf.constant(0, tf.int64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="length must be <= 10000"):
        generate_fn(prompt=tf.constant("a"), length=tf.constant(MAX_NEW_CHARACTERS + 1),
                    temperature=tf.constant(1.0), seed=tf.constant(0, tf.int64))
    logits = loaded.signatures["serving_default"](text=tf.constant(["O Romeo"]))["logits"]
    np.testing.assert_allclose(logits.numpy(), model(tf.constant(["O Romeo"])).numpy(),
                               atol=1e-5)
    reloaded = zoo.load_model(path)  # the vocabulary, line breaks included, comes back
    assert reloaded.vocabulary() == model.vocabulary()


# Recorded by benchmarks/language_models.py.
RECORDED = {row["model"]: row for row in recorded_results()
            if row["model"] in LANGUAGE_MODELS and row["metric"] == "nats_per_char"}


def test_every_language_model_is_measured_beside_the_unigram_baseline():
    assert set(RECORDED) == set(LANGUAGE_MODELS)
    for row in RECORDED.values():
        assert row["value"] < row["unigram_nats_per_char"]
        assert row["bits_per_char"] == pytest.approx(row["value"] / math.log(2), abs=1e-3)


def test_the_transformer_reaches_nanogpts_cpu_figure():
    # nanoGPT's CPU recipe: about 1.88 nats per character on tiny-shakespeare's validation
    # split after about 3 minutes on a laptop CPU.
    row = RECORDED["char_transformer_lm"]
    assert row["value"] <= 1.88, row
