"""Export: `zoo.export(model, name)` writes `saved_models/<name>/<version>/` for TF Serving.

The package is callable: `zoo.export(...)` is `zoo.export.export(...)`. TF Serving's models
config and warm-up requests: `zoo.export.tf_serving`; the `image_bytes` signature of image
classifiers (encoded JPEG or PNG in): `zoo.export.image_bytes`. TFLite (float or int8) and
ONNX files, with runners in LiteRT and ONNX Runtime: `zoo.export.formats`. TF.js graph
models, converted by TensorFlow.js' converter and run in Node: `zoo.export.tfjs`.
"""

from zoo._callable_module import make_callable
from zoo.export.formats import (
    FORMATS,
    LiteRTRunner,
    ONNXRunner,
    export_format,
    run_onnx,
    run_tflite,
)
from zoo.export.saved_model import export, load_model, versions
from zoo.export.signatures import input_spec, serving_function
from zoo.export.tf_serving import write_models_config
from zoo.export.tfjs import TFJSRunner, export_tfjs

__all__ = ["FORMATS", "LiteRTRunner", "ONNXRunner", "TFJSRunner", "export", "export_format",
           "export_tfjs", "load_model", "versions", "input_spec", "run_onnx", "run_tflite",
           "serving_function", "write_models_config"]

make_callable(__name__, export)
