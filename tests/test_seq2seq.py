"""Sequence-to-sequence models: the CMUdict corpus, teacher forcing, greedy and beam search,
attention weights, export with a `translate` signature, bad input, and the recorded figures
(attention lowers the phoneme error rate; beam search at least matches greedy).

Fast tests train a small GRU with Luong attention on 384 real CMUdict words for a few seconds;
the slow one trains a registered model for an epoch on the whole dictionary.
"""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.corpora import CORPORA
from zoo.text.measure_seq2seq import g2p_figures, translation_figures
from zoo.text.seq2seq import END_ID, PADDING_ID, START_ID, Seq2SeqModel
from zoo.text.seq2seq_decoding import (
    MAX_BEAMS,
    attention_weights,
    beam_search,
    edit_distance,
    token_error_rate,
    translate,
)

RESULTS = Path(zoo.__file__).parent / "results" / "seq2seq.json"
FEATURES = ("word", "phonemes")


@pytest.fixture(scope="module")
def words():
    """384 real training words and their phonemes."""
    (sources, targets), _ = zoo.data.raw_arrays("cmudict", "train", feature=FEATURES,
                                                limit=384)
    return list(sources), list(targets)


@pytest.fixture(scope="module")
def trained(words, tmp_path_factory):
    """A small GRU with Luong attention that has learnt the 384 words."""
    keras.utils.set_random_seed(0)
    model = zoo.get_model("gru_luong", units=64, embedding_dim=32, dropout=0.0)
    pairs = tf.data.Dataset.from_tensor_slices(words).shuffle(384, seed=0).batch(32)
    zoo.train(model, (pairs, pairs.take(2)), epochs=40, learning_rate=1e-2, verbose=0,
              early_stopping=False, tensorboard=False, runs_root=tmp_path_factory.mktemp("runs"))
    return model


def test_cmudict_is_words_and_stressless_phonemes_with_unseen_test_words():
    splits = CORPORA["cmudict"].examples()
    train, test = splits["train"], splits["test"]
    assert (len(train), len(test)) == (118_680, 6_246)
    assert not {e["word"] for e in train} & {e["word"] for e in test}
    phonemes = {p for e in train for p in e["phonemes"].split()}
    assert len(phonemes) == 39 and not any(c.isdigit() for p in phonemes for c in p)
    assert {"word": "aachen", "phonemes": "AA K AH N"} == test[0]


def test_teacher_forcing_pair_starts_ends_and_cuts():
    model = Seq2SeqModel("gru", max_output_length=4, units=8, embedding_dim=4)
    model.adapt(tf.data.Dataset.from_tensor_slices((["ab", "c"], ["X Y", "Z X Y Z"])).batch(2))
    assert model.target_vocabulary()[:4] == ["", "[UNK]", "[start]", "[end]"]
    inputs, targets = model.teacher_forcing_pair(tf.constant(["X Y", "Z X Y Z W", ""]))
    x, y, z = (model.target_vocabulary().index(t) for t in "XYZ")
    np.testing.assert_array_equal(inputs, [[START_ID, x, y, 0], [START_ID, z, x, y],
                                           [START_ID, 0, 0, 0]])
    # "[end]" after a whole target; none after one cut at max_output_length (and W unseen).
    np.testing.assert_array_equal(targets, [[x, y, END_ID, 0], [z, x, y, z], [END_ID, 0, 0, 0]])


def test_an_adapted_model_starts_at_the_targets_unigram_distribution():
    model = Seq2SeqModel("gru", units=8, embedding_dim=4)
    model.adapt(tf.data.Dataset.from_tensor_slices((["ab", "c", "d"],
                                                    ["X Y", "X X", "X"])).batch(2))
    prior = keras.ops.convert_to_numpy(keras.ops.softmax(model.logits.bias))
    vocabulary = model.target_vocabulary()
    # Add-one smoothed counts of the teacher-forcing targets: X 4, Y 1, [end] 3.
    counts = {"X": 4, "Y": 1, "[end]": 3}
    total = model.target_max_tokens + sum(counts.values())
    for token, count in counts.items():
        np.testing.assert_allclose(prior[vocabulary.index(token)], (count + 1) / total,
                                   rtol=1e-5)
    np.testing.assert_allclose(prior[PADDING_ID], 1 / total, rtol=1e-5)


def test_training_further_keeps_the_vocabularies_and_what_was_learnt(trained, words,
                                                                     tmp_path):
    trained.save(tmp_path / "trained.keras")
    model = keras.models.load_model(tmp_path / "trained.keras")
    other = tf.data.Dataset.from_tensor_slices((["zzz"], ["Z IY"])).batch(1)
    zoo.train(model, (other, other), epochs=1, learning_rate=1e-9, verbose=0,
              tensorboard=False, runs_root=tmp_path)
    assert model.target_vocabulary() == trained.target_vocabulary()
    assert translate(model, words[0][:8]) == translate(trained, words[0][:8])


def test_loss_and_token_accuracy_average_over_real_tokens_only(trained, words):
    sources, targets = words[0][:64], words[1][:64]
    logits, ids = trained.teacher_forced(tf.constant(sources), tf.constant(targets))
    real = ids.numpy() != PADDING_ID
    assert 0.2 < real.mean() < 0.8  # a padded batch: padding must not dilute the figures
    losses = keras.losses.sparse_categorical_crossentropy(ids, logits, from_logits=True)
    right = np.argmax(logits, axis=-1) == ids.numpy()
    pairs = tf.data.Dataset.from_tensor_slices((sources, targets)).batch(64)
    figures = trained.evaluate(pairs, return_dict=True, verbose=0)
    np.testing.assert_allclose(figures["loss"], losses.numpy()[real].mean(), rtol=1e-4)
    np.testing.assert_allclose(figures["token_accuracy"], right[real].mean(), rtol=1e-4)


def test_the_trained_model_writes_the_words_it_learnt(trained, words):
    sources, targets = words
    figures = g2p_figures(translate(trained, sources), targets)
    assert figures["token_error_rate"] < 0.1, figures


def test_call_is_greedy_decoding_and_one_beam_is_greedy(trained, words):
    sources = tf.constant(words[0][:16])
    ids = trained(sources).numpy()
    assert ids.shape == (16, trained.max_output_length) and ids.dtype == np.int64
    one_beam, _ = beam_search(trained, trained.source_ids(sources), num_beams=1)
    np.testing.assert_array_equal(ids, one_beam)
    # '[end]' is never written out, and nothing follows the padding that replaces it.
    assert not (ids == END_ID).any()
    assert ((ids[:, 1:] == PADDING_ID) | (ids[:, :-1] != PADDING_ID)).all()


def _log_probability(model, source, output):
    """The log-probability the decoder gives `output` then '[end]', as the search scores
    (padding and '[start]' are not writable)."""
    memory, states, mask = model.encode(model.source_ids(tf.constant([source])))
    inputs, targets = model.teacher_forcing_pair(tf.constant([output]))
    logits = model.decode(memory, states, mask, inputs)[0].numpy().astype(np.float64)
    logits[:, [PADDING_ID, START_ID]] = -np.inf
    logits[:, len(model.target_vocabulary()):] = -np.inf
    top = logits.max(axis=1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    targets = targets[0].numpy()
    return sum(log_p[i, t] for i, t in enumerate(targets) if t != PADDING_ID)


@pytest.mark.parametrize("num_beams", [1, 4])
def test_search_scores_are_the_log_probabilities_of_its_outputs(trained, words, num_beams):
    sources = words[0][:3] + ["zyzzyva"]
    outputs, scores = translate(trained, sources, num_beams=num_beams, return_scores=True)
    for source, output, score in zip(sources, outputs, scores, strict=True):
        assert score == pytest.approx(_log_probability(trained, source, output), abs=1e-3)


def test_beam_search_with_no_length_penalty_finds_outputs_at_least_as_likely(trained):
    sources = ["zyzzyva", "quixotic", "rhythm", "psychology", "xylophone", "gnocchi"]
    _, greedy = translate(trained, sources, return_scores=True)
    _, beamed = translate(trained, sources, num_beams=8, length_penalty=0.0,
                          return_scores=True)
    assert sum(beamed) >= sum(greedy) - 1e-4


def test_attention_weights_are_distributions_over_the_source(trained):
    weights, source_tokens, target_tokens = attention_weights(trained, "aback", "AH B AE K")
    assert source_tokens == list("aback")
    assert target_tokens == ["AH", "B", "AE", "K", "[end]"]
    assert weights.shape == (5, 5)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)


def test_attention_weights_of_a_model_without_attention_raise():
    model = zoo.get_model("gru_seq2seq", units=8, embedding_dim=4)
    model.adapt(tf.data.Dataset.from_tensor_slices((["ab"], ["X Y"])).batch(1))
    with pytest.raises(ValueError, match="no attention"):
        attention_weights(model, "ab", "X")


def test_export_serves_greedy_text_and_a_translate_signature(trained, tmp_path):
    path = zoo.export(trained, root=tmp_path)
    loaded = tf.saved_model.load(str(path))
    assert {"serving_default", "translate"} <= set(loaded.signatures)
    sources = ["abbey", "zebra", ""]
    served = loaded.signatures["serving_default"](text=tf.constant(sources))
    assert [t.decode() for t in served["text"].numpy()] == translate(trained, sources)
    beamed = loaded.signatures["translate"](text=tf.constant(sources),
                                            num_beams=tf.constant(3))
    outputs, scores = translate(trained, sources, num_beams=3, return_scores=True)
    assert [t.decode() for t in beamed["text"].numpy()] == outputs
    np.testing.assert_allclose(beamed["log_probability"].numpy(), scores, atol=1e-4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_beams"):
        loaded.signatures["translate"](text=tf.constant(["a"]), num_beams=tf.constant(0))


def test_bad_input_to_translate(trained):
    with pytest.raises(ValueError, match="strings"):
        translate(trained, [3])
    with pytest.raises(ValueError, match="num_beams"):
        translate(trained, "abbey", num_beams=0)
    with pytest.raises(ValueError, match="num_beams"):
        translate(trained, "abbey", num_beams=MAX_BEAMS + 1)
    with pytest.raises(ValueError, match="length_penalty"):
        translate(trained, "abbey", length_penalty=-1)
    # Defined behaviour: the empty word, unseen characters and a source longer than the
    # model reads all decode to strings of at most max_output_length tokens.
    for text in ["", "ßæ€", "a" * 500]:
        output = translate(trained, text)
        assert isinstance(output, str) and len(output.split()) <= trained.max_output_length


def test_an_untrained_model_says_it_has_no_vocabularies():
    model = zoo.get_model("lstm_bahdanau", units=8, embedding_dim=4)
    with pytest.raises(ValueError, match="no vocabularies"):
        translate(model, "abbey")
    with pytest.raises(ValueError, match="pairs"):
        model.adapt(tf.data.Dataset.from_tensor_slices(["abbey"]).batch(1))


def test_training_on_texts_without_targets_says_what_it_needs(trained):
    with pytest.raises(ValueError, match="target strings"):
        trained.compute_loss(x=tf.constant(["abbey"]), y=None)


@pytest.mark.parametrize("overrides, message", [
    ({"attention": "dot"}, "attention"),
    ({"architecture": "transformer", "attention": "bahdanau"}, "attention"),
    ({"units": 65}, "even"),
    ({"target_max_tokens": 4}, "target_max_tokens"),
    ({"source_tokens": "bytes"}, "source_tokens"),
])
def test_bad_arguments_raise_naming_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("gru_seq2seq", **overrides)


def test_edit_distance_and_error_rates():
    assert edit_distance("K AE T".split(), "K AA T S".split()) == 2
    assert edit_distance([], ["A", "B"]) == 2
    assert token_error_rate(["K AE T", "D AO G"], ["K AE T", "D AO"]) == pytest.approx(1 / 5)
    assert g2p_figures(["K AE T", "D AO G"], ["K AE T", "D AO"])["word_error_rate"] == 0.5
    with pytest.raises(ValueError, match="no tokens"):
        token_error_rate([""], [""])


def test_translation_figures_are_sacrebleu_scores():
    references = ["et dieu dit : que la lumière soit !", "au commencement , dieu créa"]
    perfect = translation_figures(references, references)
    assert perfect["bleu"] == pytest.approx(100.0) and perfect["chrf"] == pytest.approx(100.0)
    worse = translation_figures(["et dieu dit : la lumière", "au commencement"], references)
    assert 0 < worse["bleu"] < 100 and 0 < worse["chrf"] < 100


def test_the_target_standardisation_is_the_vocabulary_s():
    model = zoo.get_model("gru_bahdanau", source_tokens="words", lowercase_target=True,
                          units=8, embedding_dim=4)
    assert model.standardize_target(["Et Dieu dit: Que la lumière soit!  L'Éternel"]) == \
        ["et dieu dit : que la lumière soit ! l ' éternel"]


# --- the recorded figures ---------------------------------------------------------------------

def _rows():
    return json.loads(RESULTS.read_text())["results"]


def _g2p():
    return {row["model"]: row for row in _rows() if row["metric"] == "token_error_rate"}


def test_every_model_has_a_recorded_phoneme_error_rate():
    assert set(_g2p()) == set(zoo.list_models(task="sequence-to-sequence"))
    for name, row in _g2p().items():
        assert row["dataset"] == "cmudict" and row["test_examples"] == 6_246, name
        assert zoo.model_card(name).measured["token_error_rate"]["value"] == row["value"]


@pytest.mark.parametrize("architecture", ["lstm", "gru"])
def test_attention_lowers_the_phoneme_error_rate(architecture):
    rows = _g2p()
    without = rows[f"{architecture}_seq2seq"]["greedy_token_error_rate"]
    for attention in ("bahdanau", "luong"):
        assert rows[f"{architecture}_{attention}"]["greedy_token_error_rate"] < without


def test_verse_translation_is_recorded_on_all_held_out_verses():
    rows = [row for row in _rows() if row["metric"] == "bleu"]
    # Every sequence-to-sequence model, with and without attention, translates verses.
    assert {row["model"] for row in rows} == set(zoo.list_models(task="sequence-to-sequence"))
    for row in rows:
        assert row["dataset"] == "bible_kjv_lsg" and row["test_examples"] == 1_555
    attending = [row for row in rows
                 if zoo.model_card(row["model"]).defaults.get("attention") != "none"]
    for row in attending:  # Bahdanau, Luong and the Transformer
        assert row["greedy_bleu"] > 20 and row["greedy_chrf"] > 40, row["model"]
    # A verse through one fixed-size vector: every model without attention scores below
    # every model with it.
    for row in rows:
        if row not in attending:
            assert row["greedy_bleu"] < min(r["greedy_bleu"] for r in attending), row["model"]


def test_beam_search_at_least_matches_greedy():
    for row in _rows():
        metric = row["metric"]
        greedy, beam = row[f"greedy_{metric}"], row[f"beam_{metric}"]
        assert (beam <= greedy if metric == "token_error_rate" else beam >= greedy), row["model"]


@pytest.mark.slow
def test_one_epoch_on_the_whole_dictionary_learns_to_pronounce_unseen_words(tmp_path):
    result = zoo.train("gru_luong", epochs=1, verbose=0, tensorboard=False, runs_root=tmp_path)
    (words, phonemes), _ = zoo.data.raw_arrays("cmudict", "test", feature=FEATURES,
                                                limit=1000)
    figures = g2p_figures(translate(result.model, list(words)), list(phonemes))
    assert figures["token_error_rate"] < 0.3, figures
