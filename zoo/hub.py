"""TF Hub reuse: publish zoo backbones as TF Hub modules, and use hub modules in Keras 3 models.

Two formats are involved, both plain TF2 SavedModels:

- A *Reusable SavedModel* (https://www.tensorflow.org/hub/reusable_saved_models): the object
  that `tf.saved_model.load(path)` returns is callable as `obj(inputs, training=False)` (a
  `tf.function` traced for each Python bool `training`), and has `obj.variables`,
  `obj.trainable_variables` (the ones the publisher means to be fine-tuned) and
  `obj.regularization_losses` (zero-argument functions returning scalars, for the consumer to
  add to its loss while fine-tuning).
- An *image feature vector* (https://www.tensorflow.org/hub/common_signatures/images): it
  takes a float32 batch of images `[batch, height, width, channels]` with values in [0, 1]
  and returns `[batch, num_features]`. The SavedModel also carries a `serving_default`
  signature (https://www.tensorflow.org/tfx/serving/signature_defs) from `images` to
  `feature_vector`, for TF Serving and for `hub.KerasLayer(..., signature=...)`.

`export_feature_vector(model, path)` writes such a module. `HubLayer(handle)` is the Keras 3
layer that loads one: tensorflow-hub 0.16's `hub.KerasLayer` is a tf_keras layer that a Keras 3
model refuses, and it cannot load a Keras-exported SavedModel without a signature name.
`HubLayer` reads a Reusable SavedModel through its `__call__`, and anything else (such as a
`zoo.export` serving SavedModel) through a signature, `serving_default` by default.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import keras
import tensorflow as tf

from zoo._io import staged_directory
from zoo.export.signatures import input_spec

IMAGES = "images"
FEATURE_VECTOR = "feature_vector"
SERVING_DEFAULT = "serving_default"


class _ImageFeatureVector(tf.Module):
    """The exported object: a Keras model behind the Reusable SavedModel API.

    The model is tracked as an attribute, so the SavedModel saves what its layers own along
    with it (the loaded object keeps it as `obj.model`), rather than only lists of variables
    as keras' ExportArchive does; `tf.saved_model.save` handles a Keras 3 model attribute,
    compiled and fitted ones included.
    """

    # tf.Module computes `variables` and `trainable_variables` by walking its attributes, but
    # such properties are not saved; the Reusable SavedModel API needs them as attributes of
    # the loaded object. Plain class attributes shadow the properties, and __init__ sets
    # tracked lists in their place.
    variables = None
    trainable_variables = None
    regularization_losses = None

    def __init__(self, model, trainable):
        super().__init__(name=f"{model.name}_feature_vector")
        self.model = model
        self.variables = list(model.variables)
        # The API lets a publisher offer no variables for fine-tuning: then a consumer that
        # trains the module's trainable_variables leaves it as published.
        self.trainable_variables = list(model.trainable_variables) if trainable else []
        self.regularization_losses = [
            _regularization_loss(v) for v in self.trainable_variables
            if getattr(v, "regularizer", None) is not None
        ]

    @tf.function(autograph=False)
    def __call__(self, images, training=False):
        features = self.model(images, training=training)
        if not tf.is_tensor(features):
            raise ValueError(
                f"model {self.model.name!r} returns {type(features).__name__}; a feature "
                "vector needs a model with a single output.")
        if features.shape.rank == 4:  # feature maps [batch, h, w, c]: pool them to [batch, c]
            features = tf.reduce_mean(features, axis=(1, 2))
        elif features.shape.rank != 2:
            raise ValueError(
                f"model {self.model.name!r} outputs shape {features.shape}; a feature vector "
                "needs [batch, features] or 4-D feature maps [batch, height, width, channels] "
                "(build a backbone with include_top=False, pooling='avg').")
        # The hub convention is float32 out, even from a mixed-precision model.
        return tf.cast(features, tf.float32)


def _regularization_loss(variable):
    # One zero-argument function per regularized weight, as keras adds one loss per weight.
    return tf.function(lambda: tf.cast(variable.regularizer(variable), tf.float32),
                       input_signature=[], autograph=False)


def export_feature_vector(model, path, *, trainable=True, overwrite=False) -> Path:
    """Write `model` to `path` as a TF Hub image feature vector (a Reusable SavedModel).

    Args:
        model: a built `keras.Model` taking images `[batch, height, width, channels]`, that
            returns a feature vector (e.g. `zoo.get_model(name, include_top=False,
            pooling="avg")`) or 4-D feature maps, which are then global-average-pooled.
        path: the SavedModel directory to create.
        trainable: offer the weights for fine-tuning (`obj.trainable_variables` and
            `obj.regularization_losses`); False publishes a frozen module.
        overwrite: replace an existing `path` (still atomically) instead of failing.

    The result loads with TensorFlow alone: `obj = tf.saved_model.load(path)`, then
    `obj(images, training=False)`, or `obj.signatures["serving_default"](images=...)
    ["feature_vector"]`; and with `hub.load(path)`, `hub.KerasLayer(path)` and `HubLayer(path)`.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    spec = input_spec(model, IMAGES)
    if spec.shape.rank != 4:
        raise ValueError(
            f"model {model.name!r} takes inputs of shape {tuple(spec.shape)}; an image feature "
            "vector takes images [batch, height, width, channels].")
    path = Path(path)
    if path.exists() and not overwrite:  # checked before tracing, which takes a while
        raise FileExistsError(f"{path} exists; pass another path or overwrite=True.")

    module = _ImageFeatureVector(model, trainable)
    # Both traces of `training` are made (and a model that cannot be a feature vector fails)
    # before anything is written.
    for training in (False, True):
        module.__call__.get_concrete_function(spec, training=training)
    serve = tf.function(lambda images: {FEATURE_VECTOR: module(images, training=False)},
                        input_signature=[spec], autograph=False)

    with staged_directory(path, overwrite=overwrite) as staging:
        tf.saved_model.save(module, str(staging), signatures={SERVING_DEFAULT: serve})
    return path


def resolve(handle) -> str:
    """The local SavedModel directory for a hub handle: a path, or a URL that tensorflow_hub
    downloads into (or finds in) its cache, `TFHUB_CACHE_DIR`."""
    import tensorflow_hub as hub
    from tensorflow_hub import resolver

    handle = os.fspath(handle)
    try:
        path = hub.resolve(handle)
    except (OSError, ValueError, tf.errors.OpError) as error:
        cache = resolver.tfhub_cache_dir(use_temp=True)
        raise FileNotFoundError(
            f"hub handle {handle!r} is neither a local SavedModel directory nor cached in "
            f"TFHUB_CACHE_DIR ({cache}), and fetching it failed: {error}. Pass a directory "
            "that holds saved_model.pb, or fetch the model once where there is network with "
            "TFHUB_CACHE_DIR set to the cache to use.") from error
    if not any(tf.io.gfile.exists(os.path.join(path, name))
               for name in ("saved_model.pb", "saved_model.pbtxt")):
        raise FileNotFoundError(
            f"hub handle {handle!r} resolves to {path}, which holds no saved_model.pb: it is "
            "not a SavedModel.")
    return path


@keras.saving.register_keras_serializable(package="zoo")
class HubLayer(keras.layers.Layer):
    """A TF Hub module (any TF2 SavedModel) as a Keras 3 layer.

    Args:
        handle: a SavedModel directory, or a hub URL resolved through tensorflow_hub's cache
            (`TFHUB_CACHE_DIR`; offline, only a cached URL loads).
        trainable: fine-tune the module's weights with the model around it. A frozen layer
            also runs the module in inference mode in `fit()` (as keras' BatchNormalization
            does), and the module's regularization losses are added only while trainable.
        output_key: the output to return when the module returns a dict (a signature always
            does); may be left out when there is a single output.
        signature: call this signature instead of `__call__`. A module without `__call__`
            (e.g. a `zoo.export` or `model.export` SavedModel) is called through
            `serving_default` when this is left out. A signature has no training mode, so
            fine-tuning through it keeps dropout off and batch statistics frozen.
        name: the layer's name.

    Its weights are the variables of the SavedModel itself (wrapped, not copied), so the
    function the layer calls sees every update an optimizer makes. A `.keras` file stores the
    handle and the weights; reloading it reads the handle again, then restores the weights.
    """

    def __init__(self, handle, trainable=False, output_key=None, signature=None, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.handle = os.fspath(handle)
        self.signature = signature
        self._module = tf.saved_model.load(resolve(self.handle))
        self._function, self._input_names, self._takes_training = self._pick_function()
        specs = [spec for spec in tf.nest.flatten(
            _concrete_functions(self._function)[0].structured_input_signature)
            if isinstance(spec, tf.TensorSpec)]
        self._input_dtype = specs[0].dtype if len(specs) == 1 else None
        self.output_key = output_key
        self._output_key = self._check_output_key(output_key)

        used = _variables_used_by(self._function)
        # A Reusable SavedModel says which variables are meant for fine-tuning; otherwise each
        # variable's own flag decides.
        offered = getattr(self._module, "trainable_variables", None)
        trainable_ids = {id(v) for v in (used if offered is None else offered) if v.trainable}
        # keras.Variable keeps the tf.Variable it is given (no copy), so the optimizer updates
        # the very variables the loaded function reads; assigning the list makes keras track
        # them as this layer's weights.
        self._hub_weights = [
            keras.Variable(v, trainable=id(v) in trainable_ids, dtype=v.dtype.name,
                           name=v.name.split(":")[0].replace("/", "_"))
            for v in used
        ]
        if not self.trainable:
            # A model collects its layers' variables by their own flag, not the layer's: keras
            # clears the flag on a frozen layer's weights too (`layer.trainable = True` sets it
            # back on the ones tracked as trainable).
            for weight in self._hub_weights:
                weight.trainable = False
        self.built = True

    def _pick_function(self):
        """The function to call, the input names a signature takes, and whether the function
        takes `training`."""
        module = self._module
        if self.signature is None and callable(module):
            return module.__call__, None, "training" in inspect.signature(
                module.__call__).parameters
        name = self.signature or SERVING_DEFAULT
        signatures = getattr(module, "signatures", {})
        if name not in signatures:
            how = "has __call__ (pass signature=None) and" if callable(module) else "has"
            raise ValueError(
                f"hub module {self.handle!r} has no signature {name!r}; it {how} the "
                f"signatures {sorted(signatures) or 'none'}.")
        function = signatures[name]
        return function, sorted(function.structured_input_signature[1]), False

    def _check_output_key(self, output_key):
        outputs = _concrete_functions(self._function)[0].structured_outputs
        where = "__call__" if self._input_names is None else \
            f"signature {self.signature or SERVING_DEFAULT!r}"
        if not isinstance(outputs, dict):
            if output_key is not None:
                raise ValueError(
                    f"output_key={output_key!r}, but {where} of hub module {self.handle!r} "
                    "returns a single tensor, not a dict; leave output_key out.")
            return None
        if output_key is None:
            if len(outputs) == 1:
                return next(iter(outputs))
            raise ValueError(
                f"{where} of hub module {self.handle!r} returns the outputs {sorted(outputs)}; "
                "pick one with output_key=.")
        if output_key not in outputs:
            raise ValueError(
                f"output_key={output_key!r} is not an output of {where} of hub module "
                f"{self.handle!r}; its outputs are {sorted(outputs)}.")
        return output_key

    def call(self, inputs, training=None):
        if self._input_dtype is not None and not isinstance(inputs, dict):
            # Under a mixed-precision policy keras hands over float16; the module was traced
            # for its own dtype and has no other graph.
            inputs = tf.cast(inputs, self._input_dtype)
        if self._input_names is not None:
            if isinstance(inputs, dict):
                outputs = self._function(**inputs)
            elif len(self._input_names) == 1:
                outputs = self._function(**{self._input_names[0]: inputs})
            else:
                raise ValueError(
                    f"the signature of hub module {self.handle!r} takes the inputs "
                    f"{self._input_names}; pass a dict with these keys.")
        elif self._takes_training:
            # `training` must be a Python bool: the module holds one trace for each value.
            outputs = self._function(inputs, training=bool(training) and self.trainable)
        else:
            outputs = self._function(inputs)
        if self.trainable and self._input_names is None:
            for loss in getattr(self._module, "regularization_losses", ()):
                self.add_loss(loss())
        return outputs[self._output_key] if self._output_key is not None else outputs

    def get_config(self):
        return {**super().get_config(), "handle": self.handle, "output_key": self.output_key,
                "signature": self.signature}

    @classmethod
    def from_config(cls, config):
        # A config names a SavedModel to load, and a SavedModel's graph can read and write
        # files; keras refuses its own TFSMLayer in safe mode for this reason, and so do we.
        from keras.src.saving import serialization_lib

        if serialization_lib.in_safe_mode():
            raise ValueError(
                f"loading a HubLayer loads the SavedModel {config.get('handle')!r}, which can "
                "run arbitrary TensorFlow ops, so keras' safe mode refuses it. If you trust "
                "the file and the module, load with safe_mode=False.")
        return cls(**config)


def _concrete_functions(function):
    """The traced graphs behind a loaded `tf.function` or signature."""
    return list(getattr(function, "concrete_functions", None) or [function])


def _variables_used_by(function):
    """The variables captured by every trace of `function`, each once, in a stable order."""
    seen, variables = set(), []
    for concrete in _concrete_functions(function):
        for v in concrete.variables:
            if id(v) not in seen:
                seen.add(id(v))
                variables.append(v)
    return variables
