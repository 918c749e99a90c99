"""Combining the class probabilities of several classifiers."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class MajorityVote(keras.layers.Layer):
    """Hard voting: each member votes for its most probable class; the output is the share of
    votes per class (rows sum to 1). Ties go to the lowest class index, as argmax does. It has
    no gradient: vote over members that are already trained."""

    def call(self, member_probabilities):
        stacked = ops.stack(member_probabilities, axis=0)  # (members, batch, classes)
        votes = ops.one_hot(ops.argmax(stacked, axis=-1), stacked.shape[-1])
        return ops.mean(votes, axis=0)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


@keras.saving.register_keras_serializable(package="zoo")
class HorizontalFlip(keras.layers.Layer):
    """The image batch mirrored left to right (NHWC), in training and inference alike: the
    deterministic half of test-time augmentation, unlike Keras' `RandomFlip`, which is the
    identity at inference."""

    def call(self, images):
        return ops.flip(images, axis=2)

    def compute_output_shape(self, input_shape):
        return input_shape
