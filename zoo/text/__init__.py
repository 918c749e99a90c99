"""Word vectors: train skip-gram word2vec on a corpus, read and write the word2vec and GloVe
text formats, and put pre-trained vectors into a Keras `Embedding`.

    from zoo import text
    result = text.train_word2vec(verses, embedding_dim=100, epochs=5)
    result.save("kjv.vec")
    embedding = text.embedding_from_vectors(vectorizer.get_vocabulary(), "kjv.vec")

`zoo.text.vectors` needs only NumPy; the training code imports TensorFlow on first use.
"""

_LAZY = {
    "save_word2vec_format": "zoo.text.vectors",
    "load_word_vectors": "zoo.text.vectors",
    "embedding_from_vectors": "zoo.text.vectors",
    "nearest_neighbours": "zoo.text.vectors",
    "train_word2vec": "zoo.text.word2vec",
    "Word2Vec": "zoo.text.word2vec",
    "Word2VecResult": "zoo.text.word2vec",
    "skipgram_dataset": "zoo.text.word2vec",
    "build_vocabulary": "zoo.text.word2vec",
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'zoo.text' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
