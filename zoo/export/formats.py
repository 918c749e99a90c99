"""Formats beside the SavedModel, each run in its own runtime: TFLite (LiteRT) in float or
with int8 post-training quantisation, and ONNX.

Keras writes both (`model.export(path, format="litert" | "onnx")`; ONNX through tf2onnx);
zoo adds what a deployment needs around that: int8 quantisation calibrated on real examples,
an atomic write (a half-converted file never appears under the final name), and runners that
execute a file in the runtime users deploy it with, LiteRT's interpreter (`ai-edge-litert`)
and ONNX Runtime, so that tests and `benchmarks/serving.py` compare their outputs with the
Keras model's.

Post-training quantisation is Jacob et al. (2018), "Quantization and training of neural
networks for efficient integer-arithmetic-only inference": weights and activations become
8-bit integers with a scale and zero point per tensor (per channel for convolution weights),
the activations' ranges read from a representative dataset. The model's input and output stay
float32, so an int8 file is a drop-in for the float one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

FORMATS = {"tflite": ".tflite", "tflite_int8": ".tflite", "onnx": ".onnx"}
CALIBRATION_EXAMPLES = 256  # TensorFlow's guide suggests ~100-500 for stable activation ranges


def export_format(model: keras.Model, path, format: str, *, representative_data=None) -> Path:
    """Write `model` to `path` in `format` ("tflite", "tflite_int8" or "onnx") and return the
    path. "tflite_int8" needs `representative_data`: real inputs (an array, or a
    `tf.data.Dataset` of input batches or of (input, label) batches) to calibrate on."""
    if format not in FORMATS:
        hint = ("; a TF.js model is a folder: zoo.export.tfjs.export_tfjs(model, directory)"
                if format == "tfjs" else "")
        raise ValueError(f"format={format!r} is not one of {sorted(FORMATS)}{hint}.")
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    path = Path(path)
    if path.suffix != FORMATS[format]:
        raise ValueError(f"a {format} file is named *{FORMATS[format]}, not {path.name!r}.")
    inputs = getattr(model, "inputs", None) or ()  # a subclassed model has none
    if len(inputs) > 1:
        raise ValueError(f"{model.name} takes {len(inputs)} inputs; the TFLite and ONNX "
                         "exports here take models with one.")
    if format == "tflite_int8" and representative_data is None:
        raise ValueError("format='tflite_int8' calibrates on real inputs: pass "
                         "representative_data= (e.g. a few hundred training images).")
    options = {}
    if format == "tflite_int8":
        options = dict(
            optimizations=[tf.lite.Optimize.DEFAULT],
            representative_dataset=_calibration(representative_data),
            # Integer kernels wherever TFLite has them, float ones where it has not.
            target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                                           tf.lite.OpsSet.TFLITE_BUILTINS]})
    elif format == "tflite":
        options = dict(target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]})
    if inputs:  # the Keras inputs say the signature; Keras infers one only after a call
        options["input_signature"] = [tf.TensorSpec(inputs[0].shape, inputs[0].dtype,
                                                     name=inputs[0].name)]
    with _atomic(path) as staging:
        try:
            model.export(str(staging), format="onnx" if format == "onnx" else "litert",
                         verbose=False, **options)
            # tf2onnx writes a file even when it could not convert every op: only the
            # runtime's own loader says whether the file runs.
            (ONNXRunner if format == "onnx" else LiteRTRunner)(staging)
        except Exception as error:  # the converters raise many types; name what failed
            raise ValueError(f"{model.name} could not be converted to {format}: "
                             f"{_reason(error)}") from error
    return path


class LiteRTRunner:
    """A `.tflite` file loaded once in LiteRT's interpreter, called on batches of any size
    (its input is resized when the batch changes). `num_threads` defaults to every core, as
    TensorFlow and ONNX Runtime use them."""

    def __init__(self, path, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path),
                                       num_threads=num_threads or os.cpu_count())
        self.interpreter.allocate_tensors()  # fails here for an op the runtime lacks
        (self._input,) = self.interpreter.get_input_details()
        (self._output,) = self.interpreter.get_output_details()
        self._shape = tuple(self._input["shape"])

    def __call__(self, inputs) -> np.ndarray:
        inputs = np.asarray(inputs, dtype=np.float32)
        if inputs.shape != self._shape:
            self.interpreter.resize_tensor_input(self._input["index"], inputs.shape)
            self.interpreter.allocate_tensors()
            self._shape = inputs.shape
        self.interpreter.set_tensor(self._input["index"], inputs)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"])


class ONNXRunner:
    """An `.onnx` file loaded once in an ONNX Runtime session (CPU), called on batches."""

    def __init__(self, path):
        import onnxruntime

        self.session = onnxruntime.InferenceSession(str(path),
                                                    providers=["CPUExecutionProvider"])
        (entry,) = self.session.get_inputs()
        self._input = entry.name

    def __call__(self, inputs) -> np.ndarray:
        return self.session.run(None, {self._input: np.asarray(inputs, dtype=np.float32)})[0]


def run_tflite(path, inputs) -> np.ndarray:
    """Outputs of a `.tflite` file on a batch, in LiteRT's interpreter."""
    return LiteRTRunner(path)(inputs)


def run_onnx(path, inputs) -> np.ndarray:
    """Outputs of an `.onnx` file on a batch, in ONNX Runtime (CPU)."""
    return ONNXRunner(path)(inputs)


def _reason(error: Exception) -> str:
    """The line of a converter's error that says why: the TensorFlow ops the TFLite runtime
    lacks (text preprocessing's string ops, for one), else the message's last line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    missing = next((line for line in lines if line.startswith("TF Select ops:")), None)
    if missing:
        return f"LiteRT has no kernels for {missing.removeprefix('TF Select ops:').strip()}"
    return lines[-1] if lines else type(error).__name__


def _calibration(data):
    """TFLite's representative dataset: one example at a time, at most CALIBRATION_EXAMPLES."""
    def examples() -> Iterable[list[np.ndarray]]:
        seen = 0
        for batch in _batches(data):
            for example in batch:
                if seen == CALIBRATION_EXAMPLES:
                    return
                seen += 1
                yield [np.asarray(example, dtype=np.float32)[None]]

    return examples


def _batches(data):
    if isinstance(data, tf.data.Dataset):
        for batch in data.as_numpy_iterator():
            yield batch[0] if isinstance(batch, tuple) else batch
    else:
        yield np.asarray(data)


@contextlib.contextmanager
def _atomic(path: Path):
    """A staging name beside `path`, renamed onto it only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix,
                                       dir=path.parent)
    os.close(handle)
    try:
        yield Path(staging)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o666 & ~umask)  # as a plain open() would have made it
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
