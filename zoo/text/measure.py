"""Measured text models, each beside a baseline fitted on the very same training text.

Text classification: a registered text classifier trained by its recipe on one corpus, judged
on that corpus's untouched test split, side by side with a scikit-learn baseline (TF-IDF of
words and bigrams into logistic regression).

Language modelling (`measure_language_model`): a character language model trained by its
recipe on Shakespeare, its cross-entropy on the held-out plays in nats and bits per
character, beside a unigram model (each character's training frequency, add-one smoothed).

`benchmarks/text_classifiers.py` records these rows into `zoo/results/text_classification.json`;
the cards read them. A row's metric is `accuracy` on the card's own dataset and
`<dataset>_accuracy` on another; binary corpora (SMS spam) add `<dataset>_f1`, the F1 of the
positive class, since accuracy flatters a classifier of a corpus that is 87% ham.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from zoo.benchmark import provenance

BASELINE = ("scikit-learn TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2) + "
            "LogisticRegression(C=10)")


def tfidf_logistic_regression(train_texts, train_labels, seed: int = 0):
    """The classical baseline: TF-IDF of words and bigrams (sublinear term frequency, words
    seen in at least two documents) and an L2-regularised multinomial logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(C=10.0, max_iter=2000, random_state=seed))
    return model.fit(list(train_texts), np.asarray(train_labels))


def _figures(predicted, labels, num_classes) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    figures = {"accuracy": float(accuracy_score(labels, predicted))}
    if num_classes == 2:
        figures["f1"] = float(f1_score(labels, predicted, pos_label=1))
    return figures


def measure_text(name: str, dataset: str | None = None, *, epochs: int | None = None,
                 seed: int = 0, runs_root=None, command: str | None = None) -> list[dict]:
    """Train the text classifier `name` on `dataset` (default: its card's) with its recipe,
    and return results rows: test accuracy (and F1 for two classes), each with the baseline's
    figure on the same split beside it."""
    import zoo
    from zoo.data import dataset_info, raw_arrays

    card = zoo.model_card(name)
    if card.task != "text-classification":
        raise ValueError(f"{name} is a {card.task} model; measure_text takes text classifiers.")
    dataset = dataset or card.dataset
    info = dataset_info(dataset)
    num_classes = info.num_classes
    train_texts, train_labels = raw_arrays(dataset, "train", seed=seed)
    test_texts, test_labels = raw_arrays(dataset, "test")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, dataset, epochs=epochs, seed=seed,
                           model_options={"num_classes": num_classes},
                           runs_root=runs_root or scratch, verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    test = zoo.data.load(dataset, "test", batch_size=256)  # unshuffled: the order of labels
    probabilities = result.model.predict(test.map(lambda text, label: text), verbose=0)
    figures = _figures(probabilities.argmax(axis=-1), test_labels, num_classes)

    baseline_started = time.perf_counter()
    baseline = tfidf_logistic_regression(train_texts, train_labels, seed)
    baseline_figures = _figures(baseline.predict(list(test_texts)), test_labels, num_classes)
    baseline_wall = round(time.perf_counter() - baseline_started, 1)

    prefix = "" if dataset == card.dataset else f"{dataset}_"
    common = {
        "model": name, "dataset": dataset, "split": "test", "seed": seed,
        "epochs_run": len(result.history["loss"]), "epochs_max": epochs or card.recipe.epochs,
        "train_examples": len(train_texts), "test_examples": len(test_texts),
        "wall_seconds": wall, "baseline": BASELINE, "baseline_wall_seconds": baseline_wall,
        **provenance(command),
    }
    return [{**common, "metric": f"{prefix}{figure}", "value": round(value, 4),
             "baseline_value": round(baseline_figures[figure], 4)}
            for figure, value in figures.items()]


def unigram_nats_per_char(train_texts, test_texts) -> float:
    """The cross-entropy (nats per character) of `test_texts` under the character frequencies
    of `train_texts`, add-one smoothed over the characters of both and one unseen: the
    figure of a model that ignores context. Texts are joined by newlines, as the chunks
    that train the language models are."""
    from collections import Counter

    train, test = "\n".join(train_texts), "\n".join(test_texts)
    counts = Counter(train)
    alphabet = set(train) | set(test)
    total = len(train) + len(alphabet) + 1
    return -float(np.mean([np.log((counts[c] + 1) / total) for c in test]))


def measure_language_model(name: str, *, epochs: int | None = None, seed: int = 0,
                           runs_root=None, command: str | None = None) -> dict:
    """Train the character language model `name` on its card's corpus with its recipe and
    return its results row: the test split's cross-entropy in nats per character (the
    value) and bits per character, beside the unigram baseline, and a sample of text."""
    import math

    import zoo
    from zoo.data import raw_arrays
    from zoo.text.generation import generate

    card = zoo.model_card(name)
    if card.task != "language-modeling":
        raise ValueError(f"{name} is a {card.task} model; measure_language_model takes "
                         "language models.")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    model = result.model
    nats = zoo.evaluate(model)["nats_per_char"]
    train_texts, _ = raw_arrays(card.dataset, "train", seed=seed)
    test_texts, _ = raw_arrays(card.dataset, "test")
    unigram = unigram_nats_per_char(train_texts, test_texts)
    return {
        "model": name, "dataset": card.dataset, "split": "test", "metric": "nats_per_char",
        "value": round(nats, 4), "bits_per_char": round(nats / math.log(2), 4),
        "unigram_nats_per_char": round(unigram, 4),
        "unigram_bits_per_char": round(unigram / math.log(2), 4),
        "sequence_length": model.sequence_length, "parameters": model.count_params(),
        "sample": generate(model, "ROMEO:\n", 200, temperature=0.8, seed=seed),
        "seed": seed, "epochs_run": len(result.history["loss"]),
        "epochs_max": epochs or card.recipe.epochs,
        "train_examples": sum(len(text) + 1 for text in train_texts),
        "test_examples": sum(len(text) + 1 for text in test_texts),
        "examples_are": "characters",
        "wall_seconds": wall, **provenance(command),
    }
