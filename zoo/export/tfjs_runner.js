// Runs a TF.js graph model (tensorflowjs_converter's model.json and weight shards) in Node
// with the pure-JavaScript TensorFlow.js: @tensorflow/tfjs-core on its CPU backend, and
// @tensorflow/tfjs-converter's GraphModel. No native binding (tfjs-node) is used, so this is
// the code path of a browser without WebGL.
//
//   node tfjs_runner.js MODEL_DIR < request.json > response.json
//
// request:  {"inputs": {TENSOR: {"shape": [...], "dtype": "float32", "data": [...]}},
//            "outputs": [TENSOR, ...]}   (graph tensor names, e.g. "image:0", "Identity_1:0")
// response: {"outputs": [{"shape": [...], "data": [...]}, ...]} in the order asked,
//           or {"error": "..."} with exit status 1.
// With "timing": {"calls": N} in the request, the model instead runs N more times on the
// inputs after one warm-up call, and the response is {"milliseconds": [...]}, one per call
// (each waits for its outputs' values, as a caller reading them would).
// The model directory is read with `fs` and handed over in memory (tf.io.fromMemory): the
// pure-JS packages have no file:// loader of their own.
"use strict";

const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");
const tfconv = require("@tensorflow/tfjs-converter");

function readModel(directory) {
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, "model.json"), "utf8"));
  const weightSpecs = [];
  const shards = [];
  for (const group of manifest.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) shards.push(fs.readFileSync(path.join(directory, shard)));
  }
  const joined = Buffer.concat(shards);
  return {
    modelTopology: manifest.modelTopology,
    format: manifest.format,
    generatedBy: manifest.generatedBy,
    convertedBy: manifest.convertedBy,
    signature: manifest.signature,
    userDefinedMetadata: manifest.userDefinedMetadata,
    weightSpecs,
    weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length),
  };
}

async function main() {
  await tf.setBackend("cpu");
  const model = await tfconv.loadGraphModel(tf.io.fromMemory(readModel(process.argv[2])));
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  const feeds = {};
  for (const [name, input] of Object.entries(request.inputs)) {
    feeds[name] = tf.tensor(input.data, input.shape, input.dtype || "float32");
  }
  // Every output's values read back, as a caller reading them would wait for them.
  const run = () => {
    const results = model.execute(feeds, request.outputs);
    const tensors = Array.isArray(results) ? results : [results];
    return tensors.map((tensor) => ({shape: tensor.shape, data: tensor.dataSync(), tensor}));
  };
  if (request.timing) {
    tf.dispose(run().map((output) => output.tensor));  // warm-up: kernels and buffers
    const milliseconds = [];
    for (let call = 0; call < request.timing.calls; call++) {
      const started = process.hrtime.bigint();
      const outputs = run();
      milliseconds.push(Number(process.hrtime.bigint() - started) / 1e6);
      tf.dispose(outputs.map((output) => output.tensor));
    }
    process.stdout.write(JSON.stringify({milliseconds}));
    return;
  }
  const outputs = run().map(({shape, data}) => ({shape, data: Array.from(data)}));
  process.stdout.write(JSON.stringify({outputs}));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({error: String(error && error.message || error)}));
  process.exitCode = 1;
});
