"""Forecasters of a univariate time series: `input_length` past steps in, the next `horizon`
steps out, all at once (the "direct" multi-step strategy, which does not feed a forecast back
as an input and so does not compound its errors).

Four bodies between the same two ends:

- `lstm_forecaster`, `gru_forecaster`: a recurrent layer reads the window step by step and its
  last state forecasts (Hochreiter and Schmidhuber 1997; Cho et al. 2014).
- `tcn_forecaster`: a temporal convolutional network, residual blocks of dilated causal 1-D
  convolutions whose dilations double until the last step sees the whole window (Bai, Kolter
  and Koltun 2018; the dilations are WaveNet's, van den Oord et al. 2016).
- `transformer_forecaster`: the window cut into patches, each patch a token, Transformer
  encoder blocks over the patches and a linear head on all of them (PatchTST, Nie et al. 2023).

Every forecaster takes raw values (batch, input_length, 1) and scales each window by itself
(`zoo.layers.forecasting`: the last value subtracted, divided by the window's standard
deviation), so the same model serves any level of a trending series, and a zero network
output is the naive forecast. Their recipe trains on the mean absolute error, the figure
they are judged by against the naive and seasonal-naive forecasts
(`benchmarks/forecasting.py`).
"""

from __future__ import annotations

from zoo import _validate
from zoo._lazy import keras
from zoo.registry import Recipe, Reference, register, search_space

CO2_WINDOW = 104  # two years of weeks: the default series' input, see zoo.data.series

LSTM = Reference("Long Short-Term Memory", "Hochreiter, S. and Schmidhuber, J.", 1997,
                 "https://doi.org/10.1162/neco.1997.9.8.1735")
GRU = Reference("Learning Phrase Representations using RNN Encoder-Decoder for Statistical "
                "Machine Translation", "Cho, K. et al.", 2014, "https://arxiv.org/abs/1406.1078")
TCN = Reference("An Empirical Evaluation of Generic Convolutional and Recurrent Networks for "
                "Sequence Modeling", "Bai, S., Kolter, J. Z. and Koltun, V.", 2018,
                "https://arxiv.org/abs/1803.01271")
PATCH_TST = Reference("A Time Series is Worth 64 Words: Long-term Forecasting with "
                      "Transformers", "Nie, Y. et al.", 2023, "https://arxiv.org/abs/2211.14730")

FORECASTING_RECIPE = Recipe(loss="mae", metrics=("mae",), learning_rate=1e-3, epochs=60,
                            batch_size=32, patience=10)


def _card(family):
    return dict(family=family, task="forecasting", api="functional",
                input_shape=(CO2_WINDOW, 1), input_name="history", dataset="co2",
                recipe=FORECASTING_RECIPE)


def check_window(input_length, horizon):
    _validate.positive_int("input_length", input_length)
    _validate.positive_int("horizon", horizon)


def forecaster(body, input_length, horizon, name):
    """`history` (batch, input_length, 1) -> `forecast` (batch, horizon): the window scaled by
    itself, `body` (scaled window -> one feature vector per window), a linear forecast in the
    window's units, and that forecast mapped back to the series' unit."""
    from zoo.layers.forecasting import WindowScaling, WindowUnscaling

    history = keras.Input((input_length, 1), name="history")
    scaled, center, scale = WindowScaling(name="window_scaling")(history)
    forecast = keras.layers.Dense(horizon, name="forecast")(body(scaled))
    return keras.Model(history, WindowUnscaling(name="window_unscaling")(
        [forecast, center, scale]), name=name)


def recurrent_forecaster_space(hp) -> dict:
    """Width, depth and dropout of the recurrent layers, the capacity and regularisation
    knobs of an LSTM or GRU (Greff et al., 2017, "LSTM: a search space odyssey", found the
    hidden size and the learning rate the ones that matter most). The cell is the
    registered variant's."""
    return {"units": hp.Choice("units", [32, 64, 128], default=64),
            "num_layers": hp.Int("num_layers", 1, 3),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1)}


@search_space(recurrent_forecaster_space)
def recurrent_forecaster(input_length=CO2_WINDOW, horizon=1, cell="lstm", units=64,
                         num_layers=1, dropout=0.0, name="lstm_forecaster"):
    """`num_layers` recurrent layers of `cell` ("lstm" or "gru") over the scaled window; the
    last one's final state forecasts.

    Args:
        input_length: past steps the model reads.
        horizon: future steps it forecasts at once.
        dropout: dropout on the final state.
    """
    check_window(input_length, horizon)
    _validate.choice("cell", cell, ("lstm", "gru"))
    _validate.positive_int("units", units)
    _validate.positive_int("num_layers", num_layers)
    dropout = _validate.fraction("dropout", dropout)
    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]

    def body(x):
        for index in range(1, num_layers + 1):
            x = layer(units, return_sequences=index < num_layers, name=f"{cell}_{index}")(x)
        return keras.layers.Dropout(dropout, name="dropout")(x) if dropout else x

    return forecaster(body, input_length, horizon, name)


register("lstm_forecaster", **_card("recurrent_forecaster"), reference=LSTM,
         defaults={"cell": "lstm", "name": "lstm_forecaster"})(recurrent_forecaster)
register("gru_forecaster", **_card("recurrent_forecaster"), reference=GRU,
         defaults={"cell": "gru", "name": "gru_forecaster"})(recurrent_forecaster)


def tcn_dilations(input_length, kernel_size):
    """Dilations 1, 2, 4, ... until one causal convolution per dilation lets the last step
    see the whole window: receptive field `1 + (kernel_size - 1) * sum(dilations)`."""
    dilations, seen = [1], kernel_size
    while seen < input_length:
        dilations.append(2 * dilations[-1])
        seen += (kernel_size - 1) * dilations[-1]
    return tuple(dilations)


def tcn_space(hp) -> dict:
    """The channels, kernel size and dropout of the TCN, the knobs Bai, Kolter and Koltun
    (2018) set task by task; the dilations follow from the kernel size, so that the last
    step still sees the whole window."""
    return {"filters": hp.Choice("filters", [16, 32, 64], default=32),
            "kernel_size": hp.Int("kernel_size", 2, 5, default=3),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}


@search_space(tcn_space)
@register("tcn_forecaster", **_card("conv_forecaster"), reference=TCN)
def tcn_forecaster(input_length=CO2_WINDOW, horizon=1, filters=32, kernel_size=3, dropout=0.0,
                   name="tcn_forecaster"):
    """A temporal convolutional network: residual blocks (causal dilated convolution, ReLU,
    causal dilated convolution, ReLU, plus the block's input), one per dilation of
    `tcn_dilations`; the features of the last step forecast.

    Args:
        filters: channels of every convolution.
        kernel_size: taps of every convolution (at least 2, or nothing reaches back).
        dropout: dropout after each convolution.
    """
    check_window(input_length, horizon)
    _validate.positive_int("filters", filters)
    if _validate.positive_int("kernel_size", kernel_size) < 2:
        raise ValueError(f"kernel_size={kernel_size!r} must be at least 2: a causal "
                         "convolution of one tap sees only its own step.")
    dropout = _validate.fraction("dropout", dropout)

    def body(x):
        x = keras.layers.Conv1D(filters, 1, name="stem")(x)
        for dilation in tcn_dilations(input_length, kernel_size):
            shortcut = x
            for index in (1, 2):
                x = keras.layers.Conv1D(filters, kernel_size, padding="causal",
                                        dilation_rate=dilation, activation="relu",
                                        name=f"dilation{dilation}_conv{index}")(x)
                if dropout:
                    x = keras.layers.Dropout(dropout, name=f"dilation{dilation}_drop{index}")(x)
            x = keras.layers.Add(name=f"dilation{dilation}_add")([shortcut, x])
        x = keras.layers.Cropping1D((input_length - 1, 0), name="last_step")(x)
        return keras.layers.Flatten(name="flatten")(x)

    return forecaster(body, input_length, horizon, name)


def transformer_forecaster_space(hp) -> dict:
    """The patch length and the encoder's width, heads, depth and dropout: the knobs of
    PatchTST (Nie et al., 2023), which shrinks its encoder for small data sets like this
    one. The feed-forward layer stays twice the width, as by default; every head count
    divides every width."""
    embedding_dim = hp.Choice("embedding_dim", [32, 64, 128], default=64)
    return {"patch_length": hp.Choice("patch_length", [4, 8, 16], default=8),
            "embedding_dim": embedding_dim, "feed_forward_dim": 2 * embedding_dim,
            "num_heads": hp.Choice("num_heads", [2, 4, 8], default=4),
            "num_layers": hp.Int("num_layers", 1, 3, default=2),
            "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1, default=0.1)}


@search_space(transformer_forecaster_space)
@register("transformer_forecaster", **_card("transformer_forecaster"), reference=PATCH_TST)
def transformer_forecaster(input_length=CO2_WINDOW, horizon=1, patch_length=8,
                           embedding_dim=64, num_heads=4, feed_forward_dim=128, num_layers=2,
                           dropout=0.1, name="transformer_forecaster"):
    """PatchTST's channel-independent Transformer: the window cut into non-overlapping
    patches of `patch_length` steps (the oldest `input_length % patch_length` steps dropped,
    so the newest patch ends at the last step), each patch embedded linearly with a learned
    position, `num_layers` encoder blocks, and a linear head on all patch vectors flattened.

    Args:
        patch_length: steps per token; the window must hold at least two patches.
        embedding_dim, num_heads, feed_forward_dim, num_layers, dropout: the encoder's.
    """
    from zoo.layers.transformer import PositionEmbedding, TransformerEncoder

    check_window(input_length, horizon)
    for arg, value in (("patch_length", patch_length), ("embedding_dim", embedding_dim),
                       ("num_heads", num_heads), ("feed_forward_dim", feed_forward_dim),
                       ("num_layers", num_layers)):
        _validate.positive_int(arg, value)
    dropout = _validate.fraction("dropout", dropout)
    if embedding_dim % num_heads:
        raise ValueError(f"embedding_dim={embedding_dim!r} must be divisible by "
                         f"num_heads={num_heads!r}.")
    patches = input_length // patch_length
    if patches < 2:
        raise ValueError(f"input_length={input_length} holds {patches} patch(es) of "
                         f"patch_length={patch_length}; attention needs at least two.")

    def body(x):
        x = keras.layers.Cropping1D((input_length % patch_length, 0), name="whole_patches")(x)
        x = keras.layers.Conv1D(embedding_dim, patch_length, strides=patch_length,
                                name="patch_embedding")(x)
        x = PositionEmbedding(patches, name="positions")(x)
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
        for index in range(1, num_layers + 1):
            x = TransformerEncoder(num_heads, feed_forward_dim, dropout,
                                   name=f"encoder_{index}")(x)
        return keras.layers.Flatten(name="flatten")(x)

    return forecaster(body, input_length, horizon, name)
