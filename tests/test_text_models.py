"""Text classifiers: raw strings in (whatever the strings are), vectorisers adapted on the
training split only, TF-IDF as scikit-learn computes it, and a string-serving SavedModel that
TensorFlow alone reloads."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.layers.text import HashedBagOfWords, adapt_text_layers, bag_of_words

TEXT_MODELS = zoo.list_models(task="text-classification")
CORPUS = ["oil prices rose sharply", "the company said shares fell", "crude oil output cut",
          "shares of the bank rose", "wheat and grain exports", "the bank said profit rose"]
AWKWARD = [
    "",                                             # empty
    "zyzzyva qwxpt unseenword",                     # every word out of vocabulary
    "naïve café — ça va? 日本語 🙂",                   # non-ASCII
    "oil " * 20000,                                 # far longer than any sequence length
    "   \t\n  ",                                    # whitespace only
]


def _adapted(name, **overrides):
    model = zoo.get_model(name, **overrides)
    adapt_text_layers(model, tf.data.Dataset.from_tensor_slices(CORPUS).batch(3))
    return model


def test_text_classifiers_are_registered_for_every_family_the_issue_names():
    families = {zoo.model_card(name).family for name in TEXT_MODELS}
    assert families == {"bag_of_words", "embedding_bag", "text_cnn", "recurrent", "transformer"}
    assert {"text_simple_rnn", "text_lstm", "text_gru", "text_bilstm", "text_bigru",
            "text_stacked_lstm", "text_lstm_layernorm"} <= set(TEXT_MODELS)


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_awkward_strings_give_finite_probabilities(name):
    model = _adapted(name)
    invalid_utf8 = tf.constant([b"\xff\xfe\xfa oil \xc3"])
    texts = tf.concat([tf.constant(AWKWARD), invalid_utf8], axis=0)
    probabilities = model(texts, training=False).numpy()
    assert probabilities.shape == (len(AWKWARD) + 1, 8)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", TEXT_MODELS)
def test_a_compiled_training_step_runs(name):
    # The sweep steps eagerly; a traced step catches shapes lost inside a tf.function (the
    # hashing layer's bincount did lose its static shape there).
    model = _adapted(name, sequence_length=16) if "sequence_length" in zoo.model_card(
        name).arguments() else _adapted(name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(tf.constant(CORPUS[:4]), tf.constant([0, 1, 2, 3]))
    assert np.isfinite(loss)


def test_adapting_leaves_a_given_vocabulary_alone():
    vocabulary = ["oil", "shares", "bank"]
    model = zoo.get_model("text_cnn", vocabulary=vocabulary, sequence_length=16)
    adapted = adapt_text_layers(model, tf.data.Dataset.from_tensor_slices(CORPUS).batch(2))
    assert adapted == []
    assert model.get_layer("vectorize").get_vocabulary() == ["", "[UNK]", *vocabulary]
    fresh = zoo.get_model("text_cnn", sequence_length=16)
    assert adapt_text_layers(fresh, tf.data.Dataset.from_tensor_slices(CORPUS).batch(2)) == [
        "vectorize"]
    assert "oil" in fresh.get_layer("vectorize").get_vocabulary()


def test_tf_idf_equals_scikit_learns_tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    layers = bag_of_words("tf_idf", max_tokens=100)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), *layers])
    adapt_text_layers(model, tf.data.Dataset.from_tensor_slices(CORPUS).batch(4))
    vocabulary = layers[0].get_vocabulary()[1:]  # without [UNK]
    reference = TfidfVectorizer(vocabulary=vocabulary, token_pattern=r"[^ ]+").fit(CORPUS)
    expected = reference.transform(CORPUS).toarray()
    ours = model(tf.constant(CORPUS)).numpy()[:, 1:len(vocabulary) + 1]
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_hashing_trick_needs_no_vocabulary_and_is_deterministic():
    layer = HashedBagOfWords(num_bins=64, ngrams=2)
    a = layer(tf.constant(["Oil prices rose!", "never seen before"])).numpy()
    b = HashedBagOfWords(num_bins=64, ngrams=2)(tf.constant(["oil prices rose"])).numpy()
    np.testing.assert_array_equal(a[0], b[0])  # case and punctuation do not matter
    assert a[1].sum() > 0  # unseen words land in buckets too
    assert set(np.unique(a)) <= {0.0, 1.0}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"num_classes": 0}, r"num_classes=0"),
    ({"max_tokens": 2}, r"max_tokens=2"),
    ({"sequence_length": -5}, r"sequence_length=-5"),
    ({"kernel_sizes": (3, 400)}, r"kernel_sizes=\(3, 400\).*sequence_length"),
    ({"dropout": 1.0}, r"dropout=1.0"),
])
def test_bad_arguments_name_themselves(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("text_cnn", **overrides)


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("text_lstm", {"cell": "tree"}, r"cell='tree'"),
    ("text_lstm_layernorm", {"recurrent_dropout": 0.2}, r"recurrent_dropout"),
    ("text_transformer", {"embedding_dim": 30, "num_heads": 4}, r"embedding_dim=30.*num_heads"),
    ("text_bow_mlp", {"split": "sentence"}, r"split='sentence'"),
])
def test_bad_family_arguments_name_themselves(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


def test_string_signature_reloads_in_tensorflow_alone(tmp_path):
    model = _adapted("text_bow_mlp", num_classes=3)
    labels = ["crude", "earn", "grain"]
    path = zoo.export(model, "bow", root=tmp_path, labels=labels)
    expected = model(tf.constant(CORPUS[:2]), training=False).numpy()
    # A fresh interpreter that imports TensorFlow and nothing of zoo, as a model server.
    script = textwrap.dedent(f"""
        import json, sys, numpy as np, tensorflow as tf
        serve = tf.saved_model.load({str(path)!r}).signatures["serving_default"]
        out = serve(text=tf.constant({CORPUS[:2]!r}))
        assert "zoo" not in sys.modules
        np.save({str(tmp_path / "served.npy")!r}, out["probabilities"].numpy())
        print(json.dumps([sorted(out), [s.decode() for s in out["label"].numpy()],
                          out["class_id"].numpy().tolist()]))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    names, served_labels, class_ids = json.loads(run.stdout.strip().splitlines()[-1])
    assert names == ["class_id", "label", "probabilities"]
    np.testing.assert_allclose(np.load(tmp_path / "served.npy"), expected, atol=1e-5)
    assert class_ids == expected.argmax(axis=-1).tolist()
    assert served_labels == [labels[i] for i in class_ids]


def test_export_refuses_labels_that_do_not_match_the_classes(tmp_path):
    model = _adapted("text_bow_mlp", num_classes=3)
    with pytest.raises(ValueError, match="labels has 2 names; the model has 3 classes"):
        zoo.export(model, "bow", root=tmp_path, labels=["a", "b"])
    assert not (tmp_path / "bow" / "1").exists()


@pytest.mark.slow
def test_bag_of_words_mlp_learns_reuters_r8_adapted_on_train_only(tmp_path):
    result = zoo.train("text_bow_mlp", epochs=3, runs_root=tmp_path, verbose=0,
                       tensorboard=False)
    vocabulary = set(result.model.get_layer("vectorize").get_vocabulary())
    train_words = {w for text in zoo.data.raw_arrays("reuters_r8", "train")[0]
                   for w in text.split()}
    assert vocabulary - {"", "[UNK]"} <= train_words  # nothing from validation or test
    assert zoo.evaluate(result.model)["accuracy"] > 0.93
