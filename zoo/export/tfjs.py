"""TensorFlow.js: a model's SavedModel converted to a TF.js graph model (`model.json` and
weight shards) and run in Node with the pure-JavaScript TensorFlow.js, the code a browser
runs.

The converter is TensorFlow.js' own (`tensorflowjs` 4.22 on PyPI), which cannot live beside
zoo's TensorFlow: it imports TensorFlow Decision Forests, which pins TensorFlow 2.19, and
TensorFlow's legacy `tensorflow.python.keras`, gone from later releases. It therefore runs in
its own Python environment, and the model crosses over as a SavedModel, the format both
TensorFlows read. Node runs the result with `@tensorflow/tfjs-core`, its CPU backend and
`@tensorflow/tfjs-converter` (no native binding), through `tfjs_runner.js` beside this file.

Where the two live (`bash .ci/install-tfjs` makes both under `.tfjs/` of a checkout):

- `ZOO_TFJS_PYTHON`: the Python of the converter's environment (default
  `<checkout>/.tfjs/venv/bin/python`);
- `ZOO_TFJS_NODE_MODULES`: a `node_modules` folder holding those packages (default
  `<checkout>/.tfjs/node_modules`); `node` is found on the PATH.

The converted graph takes and returns the serving signature's tensors by name, as TF Serving
does: `TFJSRunner(path)({"image": batch})["probabilities"]`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from zoo import _io

CHECKOUT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("tfjs_runner.js")
NODE_PACKAGES = ("@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu",
                 "@tensorflow/tfjs-converter")
# tensorflowjs_converter's entry point, run in the converter's environment. Its SavedModel
# module imports TensorFlow Decision Forests at the top, for forest models only (zoo has
# none); every TFDF release pins its own TensorFlow and ships protobuf code newer than
# TensorFlow 2.19 accepts, so the environment leaves it out and the import finds an empty
# module in its place.
CONVERTER = ("import sys, types; "
             "sys.modules['tensorflow_decision_forests'] = "
             "types.ModuleType('tensorflow_decision_forests'); "
             "from tensorflowjs.converters.converter import pip_main; sys.exit(pip_main())")
SETUP = "bash .ci/install-tfjs (in a zoo checkout) or set ZOO_TFJS_PYTHON and " \
        "ZOO_TFJS_NODE_MODULES"


def converter_python() -> Path:
    """The Python of the TF.js converter's environment, checked to be there."""
    python = Path(os.environ.get("ZOO_TFJS_PYTHON") or CHECKOUT / ".tfjs/venv/bin/python")
    if not python.exists():
        raise FileNotFoundError(f"the TensorFlow.js converter's Python {python} is missing: "
                                f"{SETUP}.")
    return python


def node_modules() -> Path:
    """The `node_modules` folder with TensorFlow.js' packages, checked to hold them."""
    folder = Path(os.environ.get("ZOO_TFJS_NODE_MODULES") or CHECKOUT / ".tfjs/node_modules")
    missing = [p for p in NODE_PACKAGES if not (folder / p / "package.json").exists()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {missing}: {SETUP}.")
    if shutil.which("node") is None:
        raise FileNotFoundError("node is not on the PATH; TF.js models run in Node.js.")
    return folder


def convert_saved_model(saved_model, directory, *, signature: str = "serving_default",
                        overwrite: bool = False) -> Path:
    """Convert the SavedModel at `saved_model` (e.g. a version `zoo.export` wrote) to a TF.js
    graph model in `directory`, keeping `signature`'s input and output names. The result is
    loaded and run once in Node before it takes its name, so a model TF.js cannot run never
    appears there (an op TF.js lacks is named in the error)."""
    saved_model = Path(saved_model)
    if not (saved_model / "saved_model.pb").exists():
        raise FileNotFoundError(f"{saved_model} is not a SavedModel (no saved_model.pb).")
    python = converter_python()
    with _io.staged_directory(directory, overwrite=overwrite) as staging:
        done = subprocess.run(
            [str(python), "-c", CONVERTER,
             "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
             f"--signature_name={signature}", "--saved_model_tags=serve",
             str(saved_model), str(staging)],
            capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        if done.returncode != 0:
            raise ValueError(f"tensorflowjs_converter could not convert {saved_model}: "
                             f"{_last_line(done.stderr)}")
        TFJSRunner(staging).check()
    return Path(directory)


def export_tfjs(model, directory, *, overwrite: bool = False) -> Path:
    """Export a Keras `model` with zoo's serving signature (`zoo.export`) and convert that
    SavedModel to a TF.js graph model in `directory`."""
    from zoo.export.saved_model import export

    strings = [i.name for i in getattr(model, "inputs", None) or () if i.dtype == "string"]
    if strings:
        raise ValueError(f"{model.name} takes text ({strings}) and prepares it with "
                         "TensorFlow's string ops, which TF.js does not have: export the "
                         "model after its text vectorisation, on token ids.")
    with tempfile.TemporaryDirectory() as scratch:
        version = export(model, name="model", root=scratch)
        try:
            return convert_saved_model(version, directory, overwrite=overwrite)
        except ValueError as error:
            raise ValueError(f"{model.name} could not be converted to TF.js: {error}") \
                from error


class TFJSRunner:
    """A TF.js graph model run in Node (one Node process per call): called with a dict of
    input batches by signature name, it returns a dict of output arrays by name."""

    def __init__(self, directory):
        self.directory = Path(directory)
        manifest = self.directory / "model.json"
        if not manifest.exists():
            raise FileNotFoundError(f"{self.directory} is not a TF.js model (no model.json).")
        signature = json.loads(manifest.read_text()).get("signature", {})
        # Signature keys ("image", "probabilities") to their specs, whose "name" is the
        # graph tensor's ("image:0", "Identity_1:0").
        self.inputs = dict(signature.get("inputs", {}))
        self.outputs = dict(signature.get("outputs", {}))
        self._node_modules = node_modules()

    def __call__(self, inputs: dict) -> dict[str, np.ndarray]:
        """The model's outputs on `inputs` ({signature input name: batch}), by output name."""
        keys = sorted(self.outputs)
        response = self._node(self._request(inputs, keys))
        return {key: np.asarray(out["data"], dtype=_DTYPES.get(self.outputs[key].get("dtype"),
                                                                 np.float32)).reshape(out["shape"])
                for key, out in zip(keys, response["outputs"], strict=True)}

    def milliseconds(self, inputs: dict, calls: int) -> list[float]:
        """Wall milliseconds of each of `calls` runs on `inputs` inside one Node process,
        after a warm-up run (outputs read back each time; Node's start-up and the model's
        loading are not in them)."""
        request = self._request(inputs, sorted(self.outputs))
        return self._node({**request, "timing": {"calls": calls}})["milliseconds"]

    def _request(self, inputs: dict, keys) -> dict:
        if set(inputs) != set(self.inputs):
            raise ValueError(f"inputs {sorted(inputs)} are not the model's; it takes "
                             f"{sorted(self.inputs)}.")
        return {"inputs": {self.inputs[key]["name"]: _tensor(value)
                           for key, value in inputs.items()},
                "outputs": [self.outputs[key]["name"] for key in keys]}

    def _node(self, request: dict) -> dict:
        done = subprocess.run(
            ["node", str(RUNNER), str(self.directory)], input=json.dumps(request),
            capture_output=True, text=True,
            env={**os.environ, "NODE_PATH": str(self._node_modules)})
        try:
            response = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(f"Node failed to run {self.directory}: "
                               f"{_last_line(done.stderr)}") from None
        if "error" in response:
            raise ValueError(f"TF.js could not run {self.directory}: {response['error']}")
        return response

    def check(self) -> None:
        """Run the model once on zeros of its inputs' shapes (a free batch dimension as 1)."""
        example = {}
        for key, spec in self.inputs.items():
            dims = [int(d.get("size", -1)) for d in spec.get("tensorShape", {}).get("dim", [])]
            example[key] = np.zeros([d if d > 0 else 1 for d in dims],
                                    _DTYPES.get(spec.get("dtype"), np.float32))
        self(example)


# The signature's dtypes as NumPy's; TF.js computes integers as int32.
_DTYPES = {"DT_FLOAT": np.float32, "DT_UINT8": np.uint8, "DT_INT32": np.int32,
           "DT_INT64": np.int64}


def _tensor(value) -> dict:
    array = np.asarray(value)
    dtype = "int32" if np.issubdtype(array.dtype, np.integer) else "float32"
    return {"shape": list(array.shape), "dtype": dtype, "data": array.ravel().tolist()}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
