"""Unpaired image-to-image translation with cycle consistency (CycleGAN: Zhu, Park, Isola and
Efros, 2017).

Two domains A and B come as separate piles of images, never as pairs. A generator G maps A
to B and another, F, maps B to A; a patch critic per domain (D_A, D_B) tells its real images
from translated ones. Adversarial losses alone would let G map every image of A to any
plausible image of B; the cycle-consistency loss, ||F(G(a)) - a||_1 + ||G(F(b)) - b||_1
weighted by lambda = 10, asks that each translation keep enough of its input to undo it. An
identity loss (||G(b) - b||_1 + ||F(a) - a||_1, weighted lambda / 2 as Zhu et al. do for
paintings and photos) asks a generator to leave an image that is already in its target
domain alone, which keeps what the domains share (here: position, size, orientation).

As Zhu et al.: least-squares adversarial losses (Mao et al., 2017), ResNet generators
(Johnson, Alahi and Fei-Fei, 2016) with instance normalisation, and PatchGAN critics. Unlike
them: batches of 64 rather than one image, and no pool of past translations for the critics
(each step judges the current generators' images). Pixels are in [0, 1] outside the model;
the networks work in [-1, 1], where the L1 terms are measured, as in the paper.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate
from zoo.generative.pix2pix import LEAK, _instance_norm
from zoo.generative.trackers import TrackedModel, mean_trackers, report

DIRECTIONS = ("a_to_b", "b_to_a")


def resnet_generator(image_shape, filters=(16, 32, 64), residual_blocks=3, name="generator"):
    """Johnson et al.'s generator, scaled to small images: a 7x7 convolution, stride-2 3x3
    convolutions down through `filters`, `residual_blocks` blocks of two 3x3 convolutions at
    the smallest size, stride-2 transposed convolutions back up and a 7x7 tanh convolution;
    instance norm and ReLU after every convolution but the last. No skip joins input and
    output, so every translation passes through the bottleneck (unlike pix2pix's U-Net)."""
    image = keras.Input(image_shape, name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="signed")(image)

    def convolved(x, count, size, name, strides=1, transpose=False):
        layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
        x = layer(count, size, strides=strides, padding="same", use_bias=False, name=name)(x)
        x = _instance_norm(f"{name}_norm")(x)
        return keras.layers.ReLU(name=f"{name}_relu")(x)

    x = convolved(x, filters[0], 7, "stem")
    for index, count in enumerate(filters[1:], start=1):
        x = convolved(x, count, 3, f"down_{index}", strides=2)
    for index in range(1, residual_blocks + 1):
        y = convolved(x, filters[-1], 3, f"block_{index}_a")
        y = keras.layers.Conv2D(filters[-1], 3, padding="same", use_bias=False,
                                name=f"block_{index}_b")(y)
        y = _instance_norm(f"block_{index}_b_norm")(y)
        x = keras.layers.Add(name=f"block_{index}")([x, y])
    for index, count in enumerate(reversed(filters[:-1]), start=1):
        x = convolved(x, count, 3, f"up_{index}", strides=2, transpose=True)
    output = keras.layers.Conv2D(image_shape[-1], 7, padding="same", activation="tanh",
                                 name="translated")(x)
    return keras.Model(image, output, name=name)


def patch_critic(image_shape, filters=(32, 64), name="critic"):
    """A PatchGAN critic of one domain: stride-2 4x4 convolutions (LeakyReLU; instance norm
    after the first) and a 4x4 convolution to one score per overlapping patch (a 7x7 grid on
    28x28 images). Its input is in [-1, 1]."""
    image = keras.Input(image_shape, name="image")
    x = image
    for index, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 4, strides=2, padding="same", name=f"conv_{index}")(x)
        if index > 1:
            x = _instance_norm(f"conv_{index}_norm")(x)
        x = keras.layers.LeakyReLU(LEAK, name=f"conv_{index}_leaky_relu")(x)
    scores = keras.layers.Conv2D(1, 4, padding="same", name="patch_scores")(x)
    return keras.Model(image, scores, name=name)


@keras.saving.register_keras_serializable(package="zoo")
class CycleGAN(TrackedModel):
    """CycleGAN (see the module docstring). Called on images of domain A in [0, 1], it
    returns their translations to B; `translate(images, "b_to_a")` goes back. It trains on
    `(images of A, images of B)` batches that need not correspond
    (`zoo.data.load(..., domains=(a, b))`).

    Args:
        image_shape: one image's (height, width, channels), the same in both domains.
        filters: the generators' widths, from the 7x7 stem down; height and width must
            divide by 2 ** (len(filters) - 1).
        residual_blocks: residual blocks at the generators' smallest size.
        critic_filters: the critics' stride-2 widths.
        cycle_weight: lambda, the weight of the cycle-consistency loss (Zhu et al.: 10).
        identity_weight: the weight of the identity loss (Zhu et al.: lambda / 2, or 0).
    """

    def __init__(self, image_shape=(28, 28, 1), filters=(16, 32, 64), residual_blocks=3,
                 critic_filters=(32, 64), cycle_weight=10.0, identity_weight=5.0, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("image_shape", image_shape, rank=3)
        self.filters = _validate.widths("filters", filters)
        factor = 2 ** (len(self.filters) - 1)
        if self.image_shape[0] % factor or self.image_shape[1] % factor:
            raise ValueError(f"image_shape={self.image_shape!r}: height and width must divide "
                             f"by {factor} for {len(self.filters) - 1} stride-2 layers.")
        self.residual_blocks = _validate.positive_int("residual_blocks", residual_blocks)
        self.critic_filters = _validate.widths("critic_filters", critic_filters)
        self.cycle_weight = _validate.non_negative("cycle_weight", cycle_weight)
        self.identity_weight = _validate.non_negative("identity_weight", identity_weight)
        shape = self.image_shape
        self.a_to_b = resnet_generator(shape, self.filters, self.residual_blocks, "a_to_b")
        self.b_to_a = resnet_generator(shape, self.filters, self.residual_blocks, "b_to_a")
        self.critic_a = patch_critic(shape, self.critic_filters, "critic_a")
        self.critic_b = patch_critic(shape, self.critic_filters, "critic_b")
        self.trackers = mean_trackers("loss", "d_loss", "g_loss", "cycle", "identity", "d_accuracy")
        self.built = True  # the four networks are Functional models, built when made

    @property
    def generators(self) -> list:
        return [self.a_to_b, self.b_to_a]

    @property
    def critics(self) -> list:
        return [self.critic_a, self.critic_b]

    def call(self, images, training=False):
        return self.translate(images, "a_to_b", training=training)

    def translate(self, images, direction: str = "a_to_b", training=False):
        """Images of one domain in [0, 1] to the other's: "a_to_b" (G) or "b_to_a" (F)."""
        _validate.choice("direction", direction, DIRECTIONS)
        _validate.image_batch(images, self.image_shape)
        generator = self.a_to_b if direction == "a_to_b" else self.b_to_a
        return (generator(images, training=training) + 1.0) / 2.0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # --- the objective -------------------------------------------------------------------------

    def losses_on(self, images_a, images_b, training=False) -> dict:
        """Every term on a batch of each domain: the critics' least-squares loss (`d_loss`,
        halved as Zhu et al.), the generators' adversarial loss (`g_loss`), the cycle and
        identity L1 terms (in [-1, 1] units) and the critics' share of right patch calls
        (`d_accuracy`: real scored above 0.5, translated below)."""
        _validate.image_batch(images_a, self.image_shape)
        _validate.image_batch(images_b, self.image_shape)
        real_a = ops.cast(images_a, "float32") * 2.0 - 1.0
        real_b = ops.cast(images_b, "float32") * 2.0 - 1.0
        fake_b = self.a_to_b(images_a, training=training)
        fake_a = self.b_to_a(images_b, training=training)
        # The generators take [0, 1] images; their outputs are in [-1, 1].
        cycled_a = self.b_to_a((fake_b + 1.0) / 2.0, training=training)
        cycled_b = self.a_to_b((fake_a + 1.0) / 2.0, training=training)
        cycle = ops.mean(ops.abs(cycled_a - real_a)) + ops.mean(ops.abs(cycled_b - real_b))
        if self.identity_weight > 0:
            identity = (ops.mean(ops.abs(self.a_to_b(images_b, training=training) - real_b))
                        + ops.mean(ops.abs(self.b_to_a(images_a, training=training) - real_a)))
        else:
            identity = ops.zeros(())
        scores = {name: critic(x, training=training) for name, critic, x in (
            ("real_a", self.critic_a, real_a), ("fake_a", self.critic_a, fake_a),
            ("real_b", self.critic_b, real_b), ("fake_b", self.critic_b, fake_b))}
        g_loss = (ops.mean(ops.square(scores["fake_a"] - 1.0))
                  + ops.mean(ops.square(scores["fake_b"] - 1.0)))
        d_loss = 0.5 * sum(ops.mean(ops.square(scores[f"real_{d}"] - 1.0))
                           + ops.mean(ops.square(scores[f"fake_{d}"])) for d in "ab")
        right = ops.concatenate([ops.reshape(ops.cast(scores[k] > 0.5, "float32"), (-1,))
                                 for k in ("real_a", "real_b")]
                                + [ops.reshape(ops.cast(scores[k] < 0.5, "float32"), (-1,))
                                   for k in ("fake_a", "fake_b")])
        return {"d_loss": d_loss, "g_loss": g_loss, "cycle": cycle, "identity": identity,
                "d_accuracy": ops.mean(right)}

    def _generator_loss(self, terms):
        return (terms["g_loss"] + self.cycle_weight * terms["cycle"]
                + self.identity_weight * terms["identity"])

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Both sides' losses summed (every variable gets a gradient: what the registry
        sweep checks), on `x` of domain A and `y` of domain B; `train_step` steps the
        generators and the critics each on their own."""
        terms = self.losses_on(x, y, training=training)
        return terms["d_loss"] + self._generator_loss(terms)

    def train_step(self, data):
        import tensorflow as tf

        images_a, images_b = _domains_of(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            terms = self.losses_on(images_a, images_b, training=True)
            g_scaled = self.optimizer.scale_loss(self._generator_loss(terms))
            d_scaled = self.optimizer.scale_loss(terms["d_loss"])
        g_variables = [v for network in self.generators for v in network.trainable_variables]
        d_variables = [v for network in self.critics for v in network.trainable_variables]
        gradients = g_tape.gradient(g_scaled, g_variables) \
            + d_tape.gradient(d_scaled, d_variables)
        # One optimizer for all four networks: Adam's moments are per variable, so this is
        # the same as an Adam per side with the same settings (see zoo.generative.gan).
        self.optimizer.apply_gradients(zip(gradients, g_variables + d_variables, strict=True))
        return self._report(terms)

    def test_step(self, data):
        return self._report(self.losses_on(*_domains_of(data), training=False))

    def _report(self, terms):
        values = {**terms, "loss": terms["d_loss"] + self._generator_loss(terms)}
        return report(self.trackers, values)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "filters": self.filters, "residual_blocks": self.residual_blocks,
                "critic_filters": self.critic_filters, "cycle_weight": self.cycle_weight,
                "identity_weight": self.identity_weight}


def _domains_of(data):
    """`(images of A, images of B)` from a batch: the pipeline's pair (as `x, y`)."""
    images_a, images_b, _ = keras.utils.unpack_x_y_sample_weight(data)
    if images_b is None:
        raise ValueError("CycleGAN trains on (images of A, images of B) batches: load them "
                         "with zoo.data.load(name, split, domains=(a, b)).")
    return images_a, images_b
