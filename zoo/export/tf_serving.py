"""What TensorFlow Serving reads beside the SavedModels: the models config that serves
several models from one server, and the warm-up requests a version replays before it takes
traffic.

- `write_models_config(root)`: `root/models.config`, a `ModelServerConfig` in protobuf text
  format listing every model under `root` (`tensorflow_model_server
  --model_config_file=models.config`);
- `write_warmup_requests(version_dir, ...)`: `assets.extra/tf_serving_warmup_requests`, a
  TFRecord file of `PredictionLog`s, so that the first real request does not pay for loading
  and tracing (https://www.tensorflow.org/tfx/serving/saved_model_warmup).

Both are built from TF Serving's own protos (the `tensorflow-serving-api` package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo._io import write_text

CONFIG_FILE = "models.config"
WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"
MAX_WARMUP_REQUESTS = 1000  # TF Serving reads no more than this many records


def served_models(root) -> list[str]:
    """The model folders under `root` that hold at least one integer version, sorted."""
    from zoo.export.saved_model import versions

    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and versions(p))


def models_config(root, base_path: str | None = None) -> str:
    """The `ModelServerConfig` text for every model under `root`. `base_path` is where the
    server sees `root` (e.g. "/models" when `root` is mounted there in the
    tensorflow/serving container); default `root`'s absolute path on this machine."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    names = served_models(root)
    if not names:
        raise ValueError(f"{root} holds no exported model (a folder with integer versions); "
                         "export one with zoo.export first.")
    base = base_path.rstrip("/") if base_path else str(Path(root).resolve())
    config = model_server_config_pb2.ModelServerConfig()
    for name in names:
        entry = config.model_config_list.config.add()
        entry.name, entry.base_path, entry.model_platform = name, f"{base}/{name}", "tensorflow"
    return text_format.MessageToString(config)


def write_models_config(root, path=None, *, base_path: str | None = None) -> Path:
    """Write `models_config(root, base_path)` to `path` (default `root/models.config`),
    atomically, and return the path."""
    return write_text(Path(path) if path else Path(root) / CONFIG_FILE,
                      models_config(root, base_path))


def warmup_requests(model_name: str, inputs: dict, *, signature_name="serving_default",
                    batch_size: int = 1) -> list:
    """`PredictionLog`s that call `signature_name` of `model_name` on `inputs` (input name to
    a batch: the signature's inputs), `batch_size` examples per request."""
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    batches = {name: np.asarray(value) for name, value in inputs.items()}
    sizes = {len(value) for value in batches.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError("inputs must be equally long, non-empty batches; got lengths "
                         f"{ {name: len(value) for name, value in batches.items()} }.")
    (size,) = sizes
    starts = range(0, size, batch_size)
    if len(starts) > MAX_WARMUP_REQUESTS:
        raise ValueError(f"{len(starts)} warm-up requests: TF Serving reads at most "
                         f"{MAX_WARMUP_REQUESTS}.")
    logs = []
    for start in starts:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = signature_name
        for name, value in batches.items():
            request.inputs[name].CopyFrom(
                tf.make_tensor_proto(value[start:start + batch_size]))
        logs.append(prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=request)))
    return logs


def write_warmup_requests(version_dir, model_name: str, inputs: dict, **options) -> Path:
    """Write `warmup_requests(model_name, inputs, **options)` into `version_dir`'s
    `assets.extra/tf_serving_warmup_requests` and return its path. Meant for a version being
    staged by `zoo.export` (its `warmup=`): a served version's files should not change."""
    path = Path(version_dir) / WARMUP_DIR / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    logs = warmup_requests(model_name, inputs, **options)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(version_dir) -> list:
    """The `PredictionLog`s of a version's warm-up file, as TF Serving reads them."""
    from tensorflow_serving.apis import prediction_log_pb2

    path = Path(version_dir) / WARMUP_DIR / WARMUP_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no warm-up requests at {path}")
    return [prediction_log_pb2.PredictionLog.FromString(record.numpy())
            for record in tf.data.TFRecordDataset(str(path))]
