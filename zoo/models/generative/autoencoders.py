"""Autoencoders: networks trained to give back their input through a code narrower than it,
so that the code keeps what matters about the data (the reconstruction task: each image is its
own target, `zoo.tasks`).

- linear: one linear layer each way; trained on squared error it spans the same subspace as
  the leading principal components (Baldi and Hornik, 1989).
- deep: a dense encoder and a mirrored decoder (Hinton and Salakhutdinov, 2006), by default
  down to a 2-D code that can be plotted.
- convolutional: strided convolutions down, transposed convolutions back up (Masci et al.,
  2011).
- sparse: a wide sigmoid code kept mostly silent by a penalty on its activity, KL divergence
  to a small target rate (Ng, 2011) or L1.
- denoising: Gaussian noise on the input during training only, so that the network learns to
  undo it (Vincent et al., 2008).

All are Functional `keras.Model`s from an image to an image of the same shape in [0, 1]
(the linear one is unbounded, as PCA's reconstruction is), with the code layer named "code":
`encoder(model)` gives the image-to-code half and `decoder(model)` the code-to-image half;
a SavedModel exports both as signatures beside `serving_default` (`encode`, `decode`).
"""

import math

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_activation, image_input, scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

BALDI_HORNIK = Reference(
    "Neural networks and principal component analysis: learning from examples without local "
    "minima", "Baldi, P. and Hornik, K.", 1989, "https://doi.org/10.1016/0893-6080(89)90014-2")
HINTON_SALAKHUTDINOV = Reference(
    "Reducing the dimensionality of data with neural networks",
    "Hinton, G. E. and Salakhutdinov, R. R.", 2006, "https://doi.org/10.1126/science.1127647")
MASCI = Reference(
    "Stacked convolutional auto-encoders for hierarchical feature extraction",
    "Masci, J., Meier, U., Ciresan, D. and Schmidhuber, J.", 2011,
    "https://doi.org/10.1007/978-3-642-21735-7_7")
NG_SPARSE = Reference("Sparse autoencoder (CS294A lecture notes)", "Ng, A.", 2011,
                      "https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf")
VINCENT = Reference(
    "Extracting and composing robust features with denoising autoencoders",
    "Vincent, P., Larochelle, H., Bengio, Y. and Manzagol, P.-A.", 2008,
    "https://doi.org/10.1145/1390156.1390294")

RECIPE = Recipe(loss="mse", metrics=("mse",), epochs=20, batch_size=256)
COMMON = dict(family="autoencoder", task="reconstruction", input_shape=(28, 28, 1),
              input_name="image", dataset="fashion_mnist", recipe=RECIPE)


def encoder(model) -> "keras.Model":
    """The image-to-code half of an autoencoder built here (its layers, shared)."""
    return keras.Model(model.input, model.get_layer("code").output, name=f"{model.name}_encoder")


def decoder(model) -> "keras.Model":
    """The code-to-image half of an autoencoder built here (its layers, shared): a code
    batch in, the reconstructed images out (after a sparse code's penalty layer, which
    only training needs)."""
    names = {layer.name for layer in model.layers}
    start = model.get_layer("sparsity" if "sparsity" in names else "code").output
    return keras.Model(start, model.output, name=f"{model.name}_decoder")


def code_size(model) -> int:
    """The width of an autoencoder's code."""
    if hasattr(model, "code_size"):  # a subclassed one (an RBM) says
        return int(model.code_size)
    return int(model.get_layer("code").output.shape[-1])


def halves_signatures(model) -> dict:
    """`{name: (function, input_signature)}` of the exported `encode` (image batch to
    `code`) and `decode` (code batch to `reconstruction`) signatures. A subclassed
    autoencoder (an RBM) brings its own `encode` and `decode` methods."""
    import tensorflow as tf

    from zoo.export.signatures import check_batch_shape

    if hasattr(model, "encode") and hasattr(model, "decode"):
        encode_half, decode_half = model.encode, model.decode
        image_shape = tuple(model.image_shape)
    else:
        halves = encoder(model), decoder(model)
        encode_half, decode_half = (lambda x, h=half: h(x, training=False) for half in halves)
        image_shape = tuple(model.input_shape[1:])
    width = code_size(model)

    def encode(image):
        with tf.control_dependencies([check_batch_shape(image, image_shape, "image")]):
            return {"code": encode_half(image)}

    def decode(code):
        check = check_batch_shape(code, [width], "code", "this autoencoder's code size")
        with tf.control_dependencies([check]):
            return {"reconstruction": decode_half(code)}

    image_spec = tf.TensorSpec((None, *image_shape), tf.float32, name="image")
    code_spec = tf.TensorSpec((None, width), tf.float32, name="code")
    return {"encode": (encode, [image_spec]), "decode": (decode, [code_spec])}


def _dense_autoencoder(input_shape, hidden_units, code_size, activation, *, name,
                       code_activation=None, code_penalty=None, noise_stddev=0.0,
                       output_activation="sigmoid"):
    """Dense layers down to the code and mirrored back up to the image."""
    inputs = image_input(input_shape)
    input_shape = tuple(inputs.shape[1:])
    hidden_units = _validate.widths("hidden_units", hidden_units) if hidden_units else ()
    _validate.positive_int("code_size", code_size)
    activation = check_activation(activation)
    x = inputs
    if noise_stddev:
        x = keras.layers.GaussianNoise(noise_stddev, name="noise")(x)  # training only
    x = keras.layers.Flatten(name="flatten")(x)
    for index, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"encoder_dense_{index}")(x)
    x = keras.layers.Dense(code_size, activation=code_activation, name="code")(x)
    if code_penalty is not None:
        x = code_penalty(x)  # passes the code through, adding its penalty to the losses
    for index, units in enumerate(reversed(hidden_units), start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"decoder_dense_{index}")(x)
    x = keras.layers.Dense(math.prod(input_shape), activation=output_activation,
                           name="decoder_output")(x)
    outputs = keras.layers.Reshape(input_shape, name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=name)


def linear_autoencoder_space(hp) -> dict:
    """The code size, all a linear autoencoder has: the number of principal directions it
    keeps (Baldi and Hornik, 1989). A wider code always reconstructs better, so the search
    shows the price of each direction rather than an optimum."""
    return {"code_size": hp.Choice("code_size", [5, 10, 20, 40], default=10)}


@search_space(linear_autoencoder_space)
@register("linear_autoencoder", **COMMON, api="functional", reference=BALDI_HORNIK)
def linear_autoencoder(input_shape=(28, 28, 1), code_size=10, name="linear_autoencoder"):
    """A linear encoder and decoder through a `code_size` bottleneck: on squared error its
    decoder spans the principal subspace of the images (Baldi and Hornik, 1989).

    Ten by default because the subspace is only well defined where the eigenvalues part:
    Fashion-MNIST's 10th principal variance is 1.32 times its 11th, while its 16th and 17th
    differ by 7%, and gradient descent turns towards the subspace at a rate set by that gap
    (`zoo.generative.measure.measure_pca_subspace` measures the angle)."""
    return _dense_autoencoder(input_shape, (), code_size, "linear", name=name,
                              output_activation=None)


def deep_autoencoder_space(hp) -> dict:
    """Depth (the first 1 to 3 of the 512-256-128 encoder layers, mirrored), their width,
    the code size and the activation: the capacity of the encoder and decoder and the
    bottleneck between them (Hinton and Salakhutdinov, 2006)."""
    layers = hp.Int("layers", 1, 3, default=3)
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"hidden_units": scaled_widths((512, 256, 128)[:layers], width),
            "code_size": hp.Choice("code_size", [2, 8, 32], default=2),
            "activation": hp.Choice("activation", ["relu", "elu", "tanh"])}


@search_space(deep_autoencoder_space)
@register("deep_autoencoder", **COMMON, api="functional", reference=HINTON_SALAKHUTDINOV)
def deep_autoencoder(input_shape=(28, 28, 1), hidden_units=(512, 256, 128), code_size=2,
                     activation="relu", name="deep_autoencoder"):
    """A dense encoder down to a `code_size` code and a mirrored decoder with a sigmoid
    output (Hinton and Salakhutdinov, 2006; 2-D codes by default, to plot)."""
    return _dense_autoencoder(input_shape, hidden_units, code_size, activation, name=name)


def sparse_autoencoder_space(hp) -> dict:
    """The code's width and its sparsity: the target mean activation rho and the penalty's
    weight beta, the two constants of Ng's (2011) sparse autoencoder. The penalty is part of
    the training loss, so the search should compare trials on the reconstruction error
    (`val_mse`), not on `val_loss`."""
    return {"code_size": hp.Choice("code_size", [128, 256, 512], default=256),
            "target": hp.Choice("target", [0.01, 0.05, 0.1], default=0.05),
            "weight": hp.Choice("weight", [1e-4, 1e-3, 1e-2], default=1e-3)}


@search_space(sparse_autoencoder_space)
@register("sparse_autoencoder", **COMMON, api="functional", reference=NG_SPARSE)
def sparse_autoencoder(input_shape=(28, 28, 1), hidden_units=(), code_size=256,
                       sparsity="kl", target=0.05, weight=1e-3, activation="relu",
                       name="sparse_autoencoder"):
    """A code wider than needed, of sigmoid units kept mostly silent: `sparsity="kl"` adds
    `weight` times the KL divergence of each unit's mean activation from `target`, summed
    over units (Ng, 2011); `"l1"` adds `weight` times each code's absolute sum, averaged over
    the batch (`zoo.layers.sparsity.SparsityPenalty`, a layer named "sparsity")."""
    from zoo.layers.sparsity import KINDS, SparsityPenalty

    _validate.choice("sparsity", sparsity, KINDS)
    penalty = SparsityPenalty(sparsity, target, weight, name="sparsity")
    return _dense_autoencoder(input_shape, hidden_units, code_size, activation, name=name,
                              code_activation="sigmoid", code_penalty=penalty)


def denoising_autoencoder_space(hp) -> dict:
    """The corruption's strength, the network's width (its 512-256 layers scaled) and the
    code size: what the features learn changes with the amount of corruption (Vincent et
    al., 2008)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"hidden_units": scaled_widths((512, 256), width),
            "code_size": hp.Choice("code_size", [32, 64, 128], default=64),
            "noise_stddev": hp.Float("noise_stddev", 0.1, 1.0, step=0.1, default=0.5)}


@search_space(denoising_autoencoder_space)
@register("denoising_autoencoder", **COMMON, api="functional", reference=VINCENT)
def denoising_autoencoder(input_shape=(28, 28, 1), hidden_units=(512, 256), code_size=64,
                          noise_stddev=0.5, activation="relu", name="denoising_autoencoder"):
    """A deep autoencoder that sees its input with Gaussian noise of `noise_stddev` added
    while training, and the clean image as its target (Vincent et al., 2008); at inference
    the noise layer passes its input through."""
    noise_stddev = _validate.non_negative("noise_stddev", noise_stddev)
    if not noise_stddev:
        raise ValueError("noise_stddev=0 adds no noise; use deep_autoencoder for that.")
    return _dense_autoencoder(input_shape, hidden_units, code_size, activation, name=name,
                              noise_stddev=noise_stddev)


def conv_autoencoder_space(hp) -> dict:
    """The convolutions' width (their 32-64 filters scaled) and the code size: the capacity
    of the feature maps and the bottleneck (Masci et al., 2011). Their number stays two,
    which 28x28 images need (each halves them)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"filters": scaled_widths((32, 64), width),
            "code_size": hp.Choice("code_size", [16, 32, 64], default=32)}


@search_space(conv_autoencoder_space)
@register("conv_autoencoder", **COMMON, api="functional", reference=MASCI)
def conv_autoencoder(input_shape=(28, 28, 1), filters=(32, 64), code_size=32,
                     activation="relu", name="conv_autoencoder"):
    """Strided 3x3 convolutions halve the image once per entry of `filters`, a dense code of
    `code_size`, then transposed convolutions double it back (Masci et al., 2011). Height and
    width must divide by 2 ** len(filters)."""
    filters = _validate.widths("filters", filters)
    inputs = image_input(input_shape)
    height, width, channels = inputs.shape[1:]
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(f"input_shape={tuple(inputs.shape[1:])!r}: height and width must "
                         f"divide by {factor} for {len(filters)} stride-2 convolutions.")
    _validate.positive_int("code_size", code_size)
    activation = check_activation(activation)
    x = inputs
    for index, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation=activation,
                                name=f"encoder_conv_{index}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    code = keras.layers.Dense(code_size, name="code")(x)
    small = (height // factor, width // factor, filters[-1])
    x = keras.layers.Dense(math.prod(small), activation=activation, name="decoder_dense")(code)
    x = keras.layers.Reshape(small, name="decoder_reshape")(x)
    for index, count in enumerate(reversed(filters[:-1]), start=1):
        x = keras.layers.Conv2DTranspose(count, 3, strides=2, padding="same",
                                         activation=activation, name=f"decoder_deconv_{index}")(x)
    outputs = keras.layers.Conv2DTranspose(channels, 3, strides=2, padding="same",
                                           activation="sigmoid", name="reconstruction")(x)
    return keras.Model(inputs, outputs, name=name)
