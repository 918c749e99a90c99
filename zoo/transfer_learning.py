"""Transfer learning: a new classification head on a trained backbone, then fine-tuning.

The recipe of the Keras transfer-learning guide (Chollet, "Transfer learning & fine-tuning")
and of Yosinski et al. 2014, "How transferable are features in deep neural networks?":

1. `transfer(backbone, num_classes)` freezes the backbone and trains only a new head;
2. `fine_tune(model, last=N)` unfreezes the backbone's last N layers with weights and
   recompiles at a low learning rate.

The backbone is always called with `training=False`, so its batch-norm layers keep their
moving statistics in both stages (unfreezing them would let small new batches wreck what the
backbone learned).
"""

from __future__ import annotations

from zoo import _validate
from zoo._lazy import keras


def headless(backbone):
    """The part of a classifier below its `predictions` layer (and the pooling/dropout that
    feed it); a model without a `predictions` layer is returned as it is."""
    names = [layer.name for layer in backbone.layers]
    if "predictions" not in names:
        return backbone
    if not getattr(backbone, "inputs", None):
        raise ValueError(
            f"{backbone.name!r} is subclassed: build it with include_top=False (or api="
            "'functional') to reuse it as a backbone."
        )
    index = names.index("predictions")
    while index > 0 and isinstance(backbone.layers[index - 1],
                                   (keras.layers.Dropout, keras.layers.Flatten)):
        index -= 1
    feature_layer = backbone.layers[index - 1]
    inputs = backbone.inputs[0] if len(backbone.inputs) == 1 else backbone.inputs
    return keras.Model(inputs, feature_layer.output, name=f"{backbone.name}_backbone")


def transfer(backbone, num_classes, *, freeze=True, pooling="avg", dropout=0.2,
             classifier_activation="softmax", name=None, **overrides):
    """A classifier for `num_classes` on top of `backbone`.

    Args:
        backbone: a `keras.Model` (a trained classifier: its top is removed; the model itself
            is copied, never changed) or a registered name (built with `include_top=False`
            and `overrides`, e.g. `weights=`).
        freeze: train only the new head (stage 1); `fine_tune` unfreezes later.
        pooling: "avg" or "max" for backbones that end in feature maps.
        dropout: dropout before the new `predictions` layer.
    """
    _validate.positive_int("num_classes", num_classes)
    _validate.choice("pooling", pooling, ("avg", "max"))
    dropout = _validate.fraction("dropout", dropout)
    if isinstance(backbone, str):
        from zoo.registry import get_model

        backbone = get_model(backbone, **{"include_top": False, **overrides})
    elif overrides:
        raise ValueError("overrides only apply when backbone is given by name.")
    # A copy: freezing and fine-tuning must not change the classifier the caller passed in.
    source = headless(backbone)
    backbone = keras.models.clone_model(source)
    backbone.set_weights(source.get_weights())
    backbone.trainable = not freeze

    inputs = keras.Input(shape=backbone.inputs[0].shape[1:], name="image")
    x = backbone(inputs, training=False)  # batch norm stays in inference mode
    if len(x.shape) == 4:
        pool = keras.layers.GlobalAveragePooling2D if pooling == "avg" else \
            keras.layers.GlobalMaxPooling2D
        x = pool(name=f"{pooling}_pool")(x)
    elif len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="top_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation,
                                 name="predictions")(x)
    return keras.Model(inputs, outputs, name=name or f"{backbone.name}_transfer")


def backbone_of(model):
    """The nested backbone model inside a `transfer` model."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(nested) != 1:
        raise ValueError(f"{model.name} is not a transfer model (one nested backbone).")
    return nested[0]


def fine_tune(model, last: int, learning_rate: float = 1e-5):
    """Unfreeze the backbone's last `last` layers that hold weights (batch-norm layers stay
    frozen) and recompile `model` with its loss and metrics at `learning_rate`."""
    _validate.positive_int("last", last)
    if not model.compiled:
        raise ValueError("compile and train the new head first (stage 1), then fine-tune.")
    backbone = backbone_of(model)
    backbone.trainable = True
    weighted = [layer for layer in backbone.layers if layer.weights]
    for index, layer in enumerate(weighted):
        layer.trainable = index >= len(weighted) - last and not isinstance(
            layer, keras.layers.BatchNormalization)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=model.loss,
                  metrics=_metric_names(model))
    return model


def _metric_names(model):
    """The metrics `model` was compiled with, as names Keras can compile again."""
    config = model.get_compile_config() or {}
    return config.get("metrics") or ["accuracy"]
