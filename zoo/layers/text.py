"""Text vectorisation inside the model, so a model (and its SavedModel) takes raw strings.

Keras' `TextVectorization` does word and character tokenisation, n-grams, token ids and
multi-hot/count bags of words. Two pieces it lacks, or lacks in a form that round-trips, are
here:

- `InverseDocumentFrequency`: TF-IDF as counts times idf. Keras' own `output_mode="tf_idf"`
  with `pad_to_max_tokens=True` (needed for a fixed input width) saves a `.keras` file it
  cannot load again ("idf_weights must be the same length as vocabulary", Keras 3.15).
- `HashedBagOfWords`: the hashing trick (Weinberger et al. 2009, "Feature Hashing for Large
  Scale Multitask Learning"): no vocabulary, words and n-grams hashed into `num_bins`.

Every vectoriser is adapted on the training split only: `adapt_text_layers(model, dataset)`
(called by `zoo.train` through the text-classification task record) adapts the layers that
have not been adapted yet, and leaves a given vocabulary alone.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import _validate

BAG_MODES = ("multi_hot", "count", "tf_idf", "hashing")
SPLITS = ("whitespace", "character")


def _check_tokens(max_tokens, ngrams, split):
    _validate.positive_int("max_tokens", max_tokens)
    if max_tokens < 3:
        raise ValueError(f"max_tokens={max_tokens!r} must be at least 3 (padding, [UNK], a word).")
    _validate.positive_int("ngrams", ngrams)
    _validate.choice("split", split, SPLITS)


def token_ids(max_tokens=20000, sequence_length=200, *, split="whitespace", vocabulary=None,
              name="vectorize"):
    """Strings to `sequence_length` token ids (0 pads, 1 is out-of-vocabulary): the input of
    embedding, convolutional, recurrent and attention models. Longer texts are truncated."""
    _check_tokens(max_tokens, 1, split)
    _validate.positive_int("sequence_length", sequence_length)
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, output_mode="int", output_sequence_length=sequence_length,
        split=split, vocabulary=vocabulary, name=name)


def bag_of_words(mode="multi_hot", max_tokens=20000, *, ngrams=1, split="whitespace",
                 name="vectorize") -> list[keras.layers.Layer]:
    """The layers that turn strings into a fixed-width bag-of-words vector of `max_tokens`:
    "multi_hot" (word present or not), "count", "tf_idf" (counts times idf, each row scaled to
    unit length as scikit-learn's TfidfVectorizer does) or "hashing" (the hashing trick).
    `ngrams=2` adds bigrams; `split="character"` makes the tokens characters."""
    _validate.choice("mode", mode, BAG_MODES)
    _check_tokens(max_tokens, ngrams, split)
    if mode == "hashing":
        return [HashedBagOfWords(num_bins=max_tokens, ngrams=ngrams, split=split, name=name)]
    vectorize = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_mode="count" if mode == "tf_idf" else mode,
        ngrams=ngrams if ngrams > 1 else None, split=split, pad_to_max_tokens=True, name=name)
    if mode == "tf_idf":
        return [vectorize, InverseDocumentFrequency(name="idf")]
    return [vectorize]


@keras.saving.register_keras_serializable(package="zoo")
class InverseDocumentFrequency(keras.layers.Layer):
    """Term counts times inverse document frequency, idf = ln((1 + N) / (1 + df)) + 1 (the
    smoothed idf of scikit-learn), then each row scaled to unit L2 norm (`normalize`).

    Adapted by `adapt(count_vectors)`: until then the idf is all zeros and the layer refuses
    to be used silently (`adapted` is False)."""

    def __init__(self, normalize=True, **kwargs):
        super().__init__(**kwargs)
        self.normalize = normalize

    def build(self, input_shape):
        self.idf = self.add_weight(name="idf", shape=(input_shape[-1],), initializer="zeros",
                                   trainable=False)

    @property
    def adapted(self) -> bool:
        return self.built and bool(tf.reduce_any(self.idf != 0))

    def adapt(self, count_batches) -> None:
        """Document frequencies from batches of count (or multi-hot) vectors."""
        documents, frequency = 0, None
        for counts in count_batches:
            present = tf.reduce_sum(tf.cast(counts > 0, tf.float64), axis=0)
            frequency = present if frequency is None else frequency + present
            documents += int(counts.shape[0])
        if frequency is None:
            raise ValueError("cannot adapt the idf on an empty dataset.")
        if not self.built:
            self.build(frequency.shape)
        idf = tf.math.log((1.0 + documents) / (1.0 + frequency)) + 1.0
        self.idf.assign(tf.cast(idf, self.idf.dtype))

    def call(self, counts):
        weighted = tf.cast(counts, self.compute_dtype) * self.idf
        if self.normalize:
            weighted = tf.math.l2_normalize(weighted, axis=-1)  # an empty text stays zeros
        return weighted

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "normalize": self.normalize}


@keras.saving.register_keras_serializable(package="zoo")
class HashedBagOfWords(keras.layers.Layer):
    """The hashing trick: lower-cased, punctuation-stripped tokens (words or characters) and
    their n-grams hashed into `num_bins` buckets, as a multi-hot vector. Needs no vocabulary
    and no adaptation; unseen words still land in a bucket."""

    def __init__(self, num_bins=20000, ngrams=1, split="whitespace", **kwargs):
        super().__init__(**kwargs)
        self.num_bins = _validate.positive_int("num_bins", num_bins)
        self.ngrams = _validate.positive_int("ngrams", ngrams)
        self.split = _validate.choice("split", split, SPLITS)

    def call(self, texts):
        texts = tf.strings.regex_replace(tf.strings.lower(texts), r"[[:punct:]]", "")
        if self.split == "character":
            tokens = tf.strings.unicode_split(texts, "UTF-8", errors="replace")
        else:
            tokens = tf.strings.split(texts)
        grams = [tokens] + [tf.strings.ngrams(tokens, n, separator=" ")
                            for n in range(2, self.ngrams + 1)]
        buckets = tf.strings.to_hash_bucket_fast(tf.concat(grams, axis=-1), self.num_bins)
        counts = tf.math.bincount(buckets, minlength=self.num_bins, maxlength=self.num_bins,
                                  binary_output=True, axis=-1)
        # Inside a traced function bincount of a ragged batch loses its static shape, which
        # the next Dense layer needs.
        counts = tf.ensure_shape(counts, [*texts.shape, self.num_bins])
        return tf.cast(counts, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "ngrams": self.ngrams,
                "split": self.split}


def _walk(layer):
    yield layer
    for child in getattr(layer, "layers", ()):
        yield from _walk(child)


def _needs_adapting(layer) -> bool:
    if isinstance(layer, keras.layers.TextVectorization):
        return not layer.get_vocabulary(include_special_tokens=False)
    if isinstance(layer, InverseDocumentFrequency):
        return not layer.adapted
    return False


def adapt_text_layers(model, dataset) -> list[str]:
    """Adapt every vectoriser of `model` that has no vocabulary yet (and then every idf) on
    the texts of `dataset` (batches of strings, or of `(strings, labels)`). Layers given a
    vocabulary are left alone. Returns the names of the layers adapted."""
    texts = dataset.map(lambda *batch: batch[0]) if isinstance(
        dataset.element_spec, tuple) else dataset
    layers = [layer for layer in _walk(model) if _needs_adapting(layer)]
    for layer in layers:
        if isinstance(layer, keras.layers.TextVectorization):
            layer.adapt(texts)
    for layer in layers:
        if isinstance(layer, InverseDocumentFrequency):
            counts = keras.Model(model.inputs, layer.input)
            layer.adapt(counts(batch) for batch in texts)
    return [layer.name for layer in layers]


@keras.saving.register_keras_serializable(package="zoo")
class MeanOverTokens(keras.layers.Layer):
    """The average of token vectors over the real (unmasked) tokens. Keras'
    GlobalAveragePooling1D divides by the number of real tokens, which is 0/0 = NaN for an
    empty text; here an empty text averages to zeros."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return tf.reduce_mean(x, axis=1)
        weights = tf.cast(mask, x.dtype)[..., tf.newaxis]
        total = tf.reduce_sum(x * weights, axis=1)
        return total / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)

    def compute_mask(self, x, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
