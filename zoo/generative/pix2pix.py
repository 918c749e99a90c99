"""Image-to-image translation with a conditional GAN (pix2pix: Isola, Zhu, Zhou and Efros,
2017): a U-Net generator maps a corrupted image to a clean one, and a PatchGAN discriminator
judges (corrupted, candidate) pairs patch by patch.

The generator minimises an adversarial term plus `l1_weight` times the L1 distance to the
clean image (Isola et al. use 100). The L1 term alone gives the blurry average of the
plausible answers; the adversarial term, from a discriminator that sees each patch of the
output beside its input, pushes towards sharp ones. `l1_weight` large and
`adversarial_weight=0` is Isola et al.'s "L1 only" ablation: a U-Net regressor, with no
discriminator step.

The input may be smaller than the output by a whole factor (super-resolution): the
generator first upsamples it bilinearly, and the discriminator sees it upsampled the same
way. Pixels are in [0, 1] outside the model; the networks work in [-1, 1].
"""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate
from zoo.generative.trackers import TrackedModel, mean_trackers, report

LEAK = 0.2


def _upsampling_factor(input_shape, output_shape) -> int:
    factor = output_shape[0] // input_shape[0]
    if factor < 1 or input_shape[0] * factor != output_shape[0] \
            or input_shape[1] * factor != output_shape[1] \
            or input_shape[2] != output_shape[2]:
        raise ValueError(f"input_shape={tuple(input_shape)!r} and output_shape="
                         f"{tuple(output_shape)!r}: the output must be the input enlarged by a "
                         "whole factor, with as many channels.")
    return factor


def _to_output_size(x, factor, name):
    """[0, 1] input to [-1, 1] at the output's size (bilinear upsampling by `factor`)."""
    x = keras.layers.Rescaling(2.0, offset=-1.0, name=f"{name}_signed")(x)
    if factor > 1:
        x = keras.layers.UpSampling2D(factor, interpolation="bilinear", name=f"{name}_upsampled")(x)
    return x


def _instance_norm(name):
    """Instance normalisation (Ulyanov et al., 2016): each image's channels normalised over
    its own pixels. pix2pix trains with batch norm on batches of one image and keeps using
    the batch's statistics at test time, which is the same thing; batch norm's moving
    averages, on batches of 64, turned restored digits grey at inference here (11 dB where
    the batch statistics gave 17 dB)."""
    return keras.layers.GroupNormalization(groups=-1, name=name)


def unet(input_shape, output_shape, filters=(32, 64), bottleneck=128):
    """A U-Net (Ronneberger et al., 2015) as pix2pix's generator: stride-2 4x4 convolutions
    down (LeakyReLU, instance norm after the first), a 3x3 bottleneck, stride-2 transposed
    convolutions up (instance norm, ReLU), each joined to the encoder's map of its size, and
    a tanh image. Height and width (of the output) must divide by 2 ** len(filters)."""
    factor = _upsampling_factor(input_shape, output_shape)
    image = keras.Input(input_shape, name="image")
    x = _to_output_size(image, factor, "input")
    skips = [x]
    for index, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 4, strides=2, padding="same", use_bias=index == 1,
                                name=f"down_{index}")(x)
        if index > 1:
            x = _instance_norm(f"down_{index}_norm")(x)
        x = keras.layers.LeakyReLU(LEAK, name=f"down_{index}_leaky_relu")(x)
        skips.append(x)
    x = keras.layers.Conv2D(bottleneck, 3, padding="same", use_bias=False, name="bottleneck")(x)
    x = _instance_norm("bottleneck_norm")(x)
    x = keras.layers.ReLU(name="bottleneck_relu")(x)
    for index, count in enumerate(reversed(filters), start=1):
        x = keras.layers.Conv2DTranspose(count, 4, strides=2, padding="same", use_bias=False,
                                         name=f"up_{index}")(x)
        x = _instance_norm(f"up_{index}_norm")(x)
        x = keras.layers.ReLU(name=f"up_{index}_relu")(x)
        # The encoder's map of the size just reached (the input itself, last).
        x = keras.layers.Concatenate(name=f"skip_{index}")([x, skips[-(index + 1)]])
    output = keras.layers.Conv2D(output_shape[-1], 3, padding="same", activation="tanh",
                                 name="restored")(x)
    return keras.Model(image, output, name="generator")


def patch_discriminator(input_shape, output_shape, filters=(32, 64)):
    """A PatchGAN discriminator: the input (upsampled to the output's size) and a candidate
    output side by side, stride-2 convolutions, and a 4x4 convolution to one logit per patch
    of the last map (on 28x28 images with two strides: a 7x7 grid of overlapping patches)."""
    factor = _upsampling_factor(input_shape, output_shape)
    image = keras.Input(input_shape, name="image")
    candidate = keras.Input(output_shape, name="candidate")  # in [-1, 1]
    x = keras.layers.Concatenate(name="pair")([_to_output_size(image, factor, "input"),
                                               candidate])
    for index, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 4, strides=2, padding="same", name=f"conv_{index}")(x)
        if index > 1:
            x = _instance_norm(f"conv_{index}_norm")(x)
        x = keras.layers.LeakyReLU(LEAK, name=f"conv_{index}_leaky_relu")(x)
    logits = keras.layers.Conv2D(1, 4, padding="same", name="patch_logits")(x)
    return keras.Model([image, candidate], logits, name="discriminator")


@keras.saving.register_keras_serializable(package="zoo")
class ImageToImageGAN(TrackedModel):
    """pix2pix (see the module docstring). Called on corrupted images in [0, 1], it returns
    the restored images in [0, 1]; it trains on `(corrupted, clean)` batches.

    Args:
        input_shape, output_shape: one corrupted and one clean image's shape; the output
            is the input enlarged by a whole factor (1 for inpainting, 2 for 14x14 to 28x28
            super-resolution).
        filters: the U-Net's and the discriminator's stride-2 widths.
        bottleneck: the U-Net's bottleneck width.
        l1_weight: lambda, the weight of the L1 term in the generator's loss.
        adversarial_weight: the weight of the adversarial term; 0 trains the U-Net on L1
            alone and skips the discriminator.
    """

    def __init__(self, input_shape=(28, 28, 1), output_shape=(28, 28, 1), filters=(32, 64),
                 bottleneck=128, l1_weight=100.0, adversarial_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("input_shape", input_shape, rank=3)
        self.target_shape = _validate.shape("output_shape", output_shape, rank=3)
        _upsampling_factor(self.image_shape, self.target_shape)
        self.filters = _validate.widths("filters", filters)
        factor = 2 ** len(self.filters)
        if self.target_shape[0] % factor or self.target_shape[1] % factor:
            raise ValueError(f"output_shape={self.target_shape!r}: height and width must "
                             f"divide by {factor} for {len(self.filters)} stride-2 layers.")
        self.bottleneck = _validate.positive_int("bottleneck", bottleneck)
        self.l1_weight = _validate.non_negative("l1_weight", l1_weight)
        self.adversarial_weight = _validate.non_negative("adversarial_weight",
                                                         adversarial_weight)
        if self.l1_weight == 0 and self.adversarial_weight == 0:
            raise ValueError("l1_weight and adversarial_weight are both 0: the generator "
                             "would have no loss.")
        self.generator = unet(self.image_shape, self.target_shape, self.filters,
                              self.bottleneck)
        self.discriminator = patch_discriminator(self.image_shape, self.target_shape,
                                                 self.filters)
        self.trackers = mean_trackers("loss", "d_loss", "g_loss", "l1", "d_accuracy")
        self.built = True  # both networks are Functional models, built when made

    @property
    def adversarial(self) -> bool:
        return self.adversarial_weight > 0

    def call(self, images, training=False):
        _validate.image_batch(images, self.image_shape, what="corrupted images")
        return (self.generator(images, training=training) + 1.0) / 2.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.target_shape)

    def losses_on(self, corrupted, clean, training=False):
        """(d_loss, g_loss, l1, d_accuracy) on a batch: D's patch cross-entropy (halved, as
        Isola et al.), G's adversarial term -log D(x, G(x)), the mean absolute error of
        G(x) to the clean image (in [0, 1] units), and D's share of right patch calls."""
        _validate.image_batch(corrupted, self.image_shape, what="corrupted images")
        _validate.image_batch(clean, self.target_shape, what="clean images")
        fake = self.generator(corrupted, training=training)
        l1 = ops.mean(ops.abs((fake + 1.0) / 2.0 - ops.cast(clean, "float32")))
        if not self.adversarial:
            zero = ops.zeros(())
            return zero, zero, l1, zero
        real_logits = self.discriminator([corrupted, ops.cast(clean, "float32") * 2.0 - 1.0],
                                         training=training)
        fake_logits = self.discriminator([corrupted, fake], training=training)
        d_loss = 0.5 * (ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits)))
        g_loss = ops.mean(ops.softplus(-fake_logits))
        right = ops.concatenate([ops.reshape(ops.cast(real_logits > 0, "float32"), (-1,)),
                                 ops.reshape(ops.cast(fake_logits < 0, "float32"), (-1,))])
        return d_loss, g_loss, l1, ops.mean(right)

    def _generator_loss(self, g_loss, l1):
        return self.adversarial_weight * g_loss + self.l1_weight * l1

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Both networks' losses summed (every variable gets a gradient: what the registry
        sweep checks); `train_step` steps each network on its own."""
        d_loss, g_loss, l1, _ = self.losses_on(x, y, training=training)
        return d_loss + self._generator_loss(g_loss, l1)

    def train_step(self, data):
        import tensorflow as tf

        corrupted, clean, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            d_loss, g_loss, l1, accuracy = self.losses_on(corrupted, clean, training=True)
            g_scaled = self.optimizer.scale_loss(self._generator_loss(g_loss, l1))
            d_scaled = self.optimizer.scale_loss(d_loss)
        variables = self.generator.trainable_variables
        gradients = g_tape.gradient(g_scaled, variables)
        if self.adversarial:
            d_variables = self.discriminator.trainable_variables
            gradients += d_tape.gradient(d_scaled, d_variables)
            variables = variables + d_variables
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return self._report(d_loss, g_loss, l1, accuracy)

    def test_step(self, data):
        corrupted, clean, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._report(*self.losses_on(corrupted, clean, training=False))

    def _report(self, d_loss, g_loss, l1, accuracy):
        values = {"loss": d_loss + self._generator_loss(g_loss, l1), "d_loss": d_loss,
                  "g_loss": g_loss, "l1": l1, "d_accuracy": accuracy}
        return report(self.trackers, values)

    def get_config(self):
        return {**super().get_config(), "input_shape": self.image_shape,
                "output_shape": self.target_shape, "filters": self.filters,
                "bottleneck": self.bottleneck, "l1_weight": self.l1_weight,
                "adversarial_weight": self.adversarial_weight}
