"""Word vectors built from character n-grams, as in fastText: Bojanowski, Grave, Joulin and
Mikolov (2017), "Enriching Word Vectors with Subword Information", TACL 5, arXiv:1607.04606.

A word is wrapped in boundary symbols ("where" -> "<where>") so that prefixes and suffixes
("<wh", "re>") differ from the same letters inside a word ("her" in "<where>"); its vector is
the average of the embeddings of its character n-grams (min_n <= n <= max_n) and of the whole
wrapped word (Section 3.2 of the paper, which writes a sum; fastText's code averages, so that
a word's scale does not grow with its length). The n-grams are hashed into a fixed number of
buckets (the paper hashes into 2 million with FNV-1a; here TensorFlow's fast string hash), so
the table's size does not depend on the vocabulary and a word never seen in training still
gets a vector from the n-grams it shares with words that were. Unlike fastText, which keeps
one row per vocabulary word beside the buckets, the whole word is hashed with its n-grams
here, so the layer needs no vocabulary and treats every word alike.
"""

import keras
import tensorflow as tf

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class CharNgramEmbedding(keras.layers.Layer):
    """Maps a string tensor of words, of any shape, to vectors: output shape is the input's
    shape plus `(embedding_dim,)`.

    The empty string (the padding of a `TextVectorization(output_mode="int")`'s vocabulary and
    of ragged text padded to a rectangle) maps to the zero vector. Bytes that are not UTF-8
    are replaced by U+FFFD before the n-grams are taken, so any input is accepted.

    Arguments:
        num_buckets: rows of the n-gram table. The paper uses 2,000,000; the 5,314 words
            seen five times or more in the King James Bible have 44,494 distinct n-grams
            (3 to 6 characters), so 2**16 to 2**17 buckets keep collisions rare there.
        embedding_dim: width of each vector.
        min_n, max_n: the n-gram lengths, counted in characters including "<" and ">"
            (the paper's 3 and 6).
        embeddings_initializer: for the table; the default is fastText's uniform(+-1/dim).
    """

    def __init__(self, num_buckets, embedding_dim, min_n=3, max_n=6,
                 embeddings_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.num_buckets = _validate.positive_int("num_buckets", num_buckets)
        self.embedding_dim = _validate.positive_int("embedding_dim", embedding_dim)
        self.min_n = _validate.positive_int("min_n", min_n)
        self.max_n = _validate.positive_int("max_n", max_n)
        if max_n < min_n:
            raise ValueError(f"max_n={max_n!r} must be at least min_n={min_n!r}.")
        if embeddings_initializer is None:
            # fastText's initialisation of its input matrix; small enough that a word's
            # average starts near zero whatever its number of n-grams.
            bound = 1.0 / embedding_dim
            embeddings_initializer = keras.initializers.RandomUniform(-bound, bound)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.num_buckets, self.embedding_dim),
            initializer=self.embeddings_initializer)
        self.built = True

    def ngrams(self, words):
        """The wrapped word and its character n-grams, for a 1-D string tensor: a
        RaggedTensor with one row per word (an empty row for the empty string)."""
        words = tf.convert_to_tensor(words, dtype=tf.string)
        wrapped = tf.strings.join(["<", words, ">"])
        chars = tf.strings.unicode_split(wrapped, "UTF-8", errors="replace")
        # The whole word is its own feature (the paper's w itself in G_w); "<>" is not one,
        # so that the empty string has no features at all and maps to zeros.
        nonempty = tf.strings.length(words) > 0
        whole = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(wrapped, nonempty), tf.cast(nonempty, tf.int64))
        grams = [tf.strings.ngrams(chars, n, separator="")
                 for n in range(self.min_n, self.max_n + 1)]
        return tf.concat([whole, *grams], axis=1)

    def bucket_ids(self, words):
        """The table rows a 1-D string tensor of words reads: a RaggedTensor of int64."""
        return tf.ragged.map_flat_values(
            tf.strings.to_hash_bucket_fast, self.ngrams(words), self.num_buckets)

    def embed_bucket_ids(self, ids):
        """The mean table row of each row of `ids` (a RaggedTensor from `bucket_ids`): a
        (rows, embedding_dim) tensor, with zeros for an empty row."""
        vectors = tf.gather(self.embeddings, ids.flat_values)
        sums = tf.math.segment_sum(vectors, ids.value_rowids())
        # segment_sum stops at the last non-empty row: pad back to one row per word, then
        # divide by max(count, 1) so that a word without n-grams gives 0, never 0/0.
        sums = tf.pad(sums, [[0, ids.nrows() - tf.shape(sums, out_type=tf.int64)[0]], [0, 0]])
        counts = tf.cast(tf.maximum(ids.row_lengths(), 1), sums.dtype)
        return sums / counts[:, None]

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs, dtype=tf.string)
        means = self.embed_bucket_ids(self.bucket_ids(tf.reshape(inputs, [-1])))
        return tf.reshape(means, tf.concat([tf.shape(inputs), [self.embedding_dim]], axis=0))

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "num_buckets": self.num_buckets,
                "embedding_dim": self.embedding_dim, "min_n": self.min_n, "max_n": self.max_n,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer)}
