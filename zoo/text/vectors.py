"""Word vectors on disk and in a model: the word2vec text format, a Keras `Embedding` built
from pre-trained vectors, and nearest neighbours by cosine similarity.

The format is the one of Mikolov et al.'s word2vec tool (Mikolov, Sutskever, Chen, Corrado
and Dean, 2013, "Distributed Representations of Words and Phrases and their
Compositionality", arXiv:1310.4546): a header line "<count> <dim>", then one line per word,
"word v1 v2 ... v_dim", separated by single spaces. GloVe (Pennington, Socher and Manning,
2014, "GloVe: Global Vectors for Word Representation", EMNLP) writes the same lines without
the header; `load_word_vectors` reads both. Using pre-trained vectors in a frozen or
fine-tuned embedding layer is the recipe of Kim (2014), "Convolutional Neural Networks for
Sentence Classification", arXiv:1408.5882.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from zoo import _validate

logger = logging.getLogger(__name__)

# TextVectorization's reserved entries: index 0 pads, index 1 stands for unknown words.
PADDING = ""


def save_word2vec_format(path, words, vectors) -> Path:
    """Write `words` and their `vectors` (one row each) in the word2vec text format.

    The file is written beside `path` under a temporary name and renamed into place, so a
    reader never sees half a file. Values are written in their shortest float32 form, which
    reads back bit for bit. Words must be non-empty and free of whitespace (the format's
    separator); a padding entry '' has no place in the file.
    """
    path = Path(path)
    words = [str(word) for word in words]
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (words x dim), got shape {vectors.shape}.")
    if len(words) != len(vectors):
        raise ValueError(f"got {len(words)} words but {len(vectors)} vectors.")
    for word in words:
        if not word or any(character.isspace() for character in word):
            raise ValueError(f"word {word!r} cannot be written: words in the word2vec format "
                             "are non-empty and contain no whitespace.")
    if not np.all(np.isfinite(vectors)):
        raise ValueError("vectors contain NaN or infinite values.")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as file:
            file.write(f"{len(words)} {vectors.shape[1]}\n")
            for word, row in zip(words, vectors, strict=True):
                # str() of a numpy float32 is its shortest round-tripping repr.
                file.write(word + " " + " ".join(map(str, row)) + "\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def load_word_vectors(path, vocabulary=None, limit=None) -> tuple[list[str], np.ndarray]:
    """Read word vectors in the word2vec text format, or GloVe's (the same without header).

    A first line of exactly two integers is taken as word2vec's header "<count> <dim>" (a
    GloVe file of one-dimensional vectors whose first word is a number would be misread, and
    is in practice never seen). Returns the words in file order and a float32 array with one
    row per word. `limit` reads only the first `limit` vectors (files list the most frequent
    words first); `vocabulary` then keeps only the words in it. A word listed twice keeps
    its first vector.

    A corrupt file (empty; bytes that are not UTF-8; a line with the wrong number of columns;
    a value that is not a finite number; fewer or more vectors than the header's count)
    raises ValueError naming the file and the line.
    """
    path = Path(path)
    if limit is not None:
        _validate.positive_int("limit", limit)
    wanted = None if vocabulary is None else set(vocabulary)
    words, rows, seen = [], [], set()
    expected_count = dim = None
    line_number = vectors_read = 0

    def fail(line, message):
        raise ValueError(f"{path}, line {line}: {message}")

    with open(path, "rb") as file:
        for line_number, raw in enumerate(file, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                fail(line_number, f"not UTF-8 ({error.reason} at byte {error.start}).")
            parts = line.rstrip().split(" ")
            if line_number == 1 and _is_header(parts):
                expected_count, dim = int(parts[0]), int(parts[1])
                if dim < 1:
                    fail(1, f"the header gives dimension {dim}; it must be at least 1.")
                continue
            vectors_read += 1
            if expected_count is not None and vectors_read > expected_count:
                fail(line_number, f"the header promises {expected_count} vectors but the file "
                                  "has more.")
            if dim is None:  # GloVe: the first vector fixes the dimension
                if len(parts) < 2:
                    fail(line_number, "expected a word followed by its values, got one column.")
                dim = len(parts) - 1
            if len(parts) != dim + 1:
                fail(line_number, f"expected {dim + 1} columns (a word and {dim} values), got "
                                  f"{len(parts)}.")
            word = parts[0]
            try:
                row = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                bad = next(p for p in parts[1:] if not _is_float(p))
                fail(line_number, f"value {bad!r} for word {word!r} is not a number.")
            if not np.all(np.isfinite(row)):
                fail(line_number, f"word {word!r} has a NaN or infinite value.")
            if word not in seen and (wanted is None or word in wanted):
                seen.add(word)
                words.append(word)
                rows.append(row)
            if limit is not None and vectors_read >= limit:
                break
        else:
            if line_number == 0:
                raise ValueError(f"{path}: the file is empty; expected word vectors.")
            if expected_count is not None and vectors_read != expected_count:
                fail(line_number, f"the header promises {expected_count} vectors but the file "
                                  f"ends after {vectors_read}.")
    vectors = np.stack(rows) if rows else np.zeros((0, dim or 0), np.float32)
    return words, vectors


def _is_header(parts):
    return len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts)


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def embedding_from_vectors(vocabulary, vectors_or_path, trainable=False,
                           name="pretrained_embedding", mask_zero=False, seed=0):
    """A `keras.layers.Embedding` whose row i is the vector of `vocabulary[i]`.

    `vocabulary` is the model's own word list in index order, e.g. a TextVectorization's
    `get_vocabulary()` (index 0 the padding '', index 1 '[UNK]'). `vectors_or_path` is a file
    in the word2vec or GloVe text format, a mapping word -> vector, a `(words, vectors)` pair,
    or anything with `.words` and `.vectors` (a `Word2VecResult`). Words found get their
    vector; '' gets zeros, so padding adds nothing; the rest ('[UNK]' included) get a small
    random vector drawn with `seed` (normal, with a tenth of the known vectors' standard
    deviation), so that they start apart from each other yet near the origin.

    How many vocabulary words had a vector is logged at INFO level on this module's logger
    (`zoo.text.vectors`): "found 9,512 of 10,000 words". The layer is frozen unless
    `trainable`, Kim (2014)'s "static" and "non-static" variants. Its weights are set after
    building rather than through a `Constant` initializer, which would copy the whole matrix
    into the model's JSON config; `.keras` files store the weights themselves.
    """
    import keras

    vocabulary = [str(word) for word in vocabulary]
    if not vocabulary:
        raise ValueError("vocabulary is empty; pass the model's word list in index order.")
    lookup, dim = _vectors_of(vectors_or_path, set(vocabulary))
    known = np.array(list(lookup.values()), dtype=np.float32).reshape(-1, dim)
    # "Small" relative to the vectors at hand, whose scale differs from file to file.
    scale = 0.1 * float(known.std()) if known.size else 0.0
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, scale or 0.01, size=(len(vocabulary), dim)).astype(np.float32)
    for index, word in enumerate(vocabulary):
        if word == PADDING:
            matrix[index] = 0.0
        elif word in lookup:
            matrix[index] = lookup[word]
    searchable = sum(word != PADDING for word in vocabulary)
    # A vocabulary and vectors that disagree on case or standardisation find nothing.
    logger.log(logging.INFO if lookup else logging.WARNING, "found %s of %s words",
               f"{len(lookup):,}", f"{searchable:,}")

    layer = keras.layers.Embedding(len(vocabulary), dim, trainable=trainable, name=name,
                                   mask_zero=mask_zero)
    layer.build()
    layer.set_weights([matrix])
    return layer


def _vectors_of(source, vocabulary: set) -> tuple[dict[str, np.ndarray], int]:
    """The vectors of the words in `vocabulary` that `source` has, and their dimension."""
    if isinstance(source, (str, os.PathLike)):
        words, vectors = load_word_vectors(source, vocabulary=vocabulary)
    elif isinstance(source, Mapping):
        words, vectors = list(source), list(source.values())
    elif hasattr(source, "words") and hasattr(source, "vectors"):
        words, vectors = source.words, source.vectors
    elif isinstance(source, Iterable):
        words, vectors = source
    else:
        raise ValueError("vectors_or_path must be a path, a mapping word -> vector, a "
                         f"(words, vectors) pair or a Word2VecResult; got {type(source)}.")
    if len(words) != len(vectors):
        raise ValueError(f"got {len(words)} words but {len(vectors)} vectors.")
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] < 1:
        raise ValueError("the vectors must form a 2-D array (words x dim) with dim >= 1; got "
                         f"shape {vectors.shape}.")
    lookup = {}
    for word, vector in zip(words, vectors, strict=True):
        if str(word) in vocabulary:
            lookup.setdefault(str(word), vector)
    return lookup, vectors.shape[1]


def nearest_neighbours(words, vectors, query, k=10) -> list[tuple[str, float]]:
    """The `k` words whose vectors have the highest cosine similarity to `query`, best first,
    as (word, similarity) pairs. `query` is a word of `words` (left out of its own list) or a
    vector. A query word that is not in `words` raises KeyError naming it. Zero vectors
    (padding) have similarity 0 to everything."""
    _validate.positive_int("k", k)
    words = list(words)
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(words) != len(vectors):
        raise ValueError(f"got {len(words)} words but {len(vectors)} vectors.")
    exclude = None
    if isinstance(query, str):
        try:
            exclude = words.index(query)
        except ValueError:
            raise KeyError(f"{query!r} is not among the {len(words):,} words.") from None
        query_vector = vectors[exclude]
    else:
        query_vector = np.asarray(query, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    similarity = vectors @ query_vector / np.maximum(norms * np.linalg.norm(query_vector), 1e-12)
    if exclude is not None:
        similarity[exclude] = -np.inf
    order = np.argsort(-similarity, kind="stable")[: min(k, len(words) - (exclude is not None))]
    return [(words[i], float(similarity[i])) for i in order]
