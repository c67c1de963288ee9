#!/usr/bin/env python3
"""A minimal reproducer, for tract's maintainers, of two things measured on Mosaic's
machines (docs/performance.md, "Reproducer for tract"): tract 0.23.9's direct spatial
convolution is 2-5x slower than im2col + matmul on one 3x3 conv at output width 128, and on
an AMD Zen 4 its AVX-512 kernels are slower than its AVX2 ones.

Writes DIR/conv.onnx (one Conv, 64->64 channels, 3x3, pad 1, on 1x64x128x128, opset 17) and
DIR/input.npy, then prints onnxruntime's median latency on one thread as JSON.
The tract side is `cargo bench -p mosaic-executor --bench conv_reproducer -- DIR/conv.onnx`
(scripts/bench-conv.sh runs both).
"""
import argparse
import json
import pathlib
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--iterations", type=int, default=30)
parser.add_argument("--width", type=int, default=128)
args = parser.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(7)
channels, width = 64, args.width
weights = (rng.standard_normal((channels, channels, 3, 3)) * (2 / (channels * 9)) ** 0.5).astype(np.float32)
bias = rng.standard_normal(channels).astype(np.float32) * 0.1
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
    "conv",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, width, width])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels, width, width])],
    [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, out / "conv.onnx")
x = rng.random((1, channels, width, width), dtype=np.float32)
np.save(out / "input.npy", x)

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(str(out / "conv.onnx"), options, providers=["CPUExecutionProvider"])
session.run(None, {"x": x})
samples = []
for _ in range(args.iterations):
    started = time.perf_counter()
    session.run(None, {"x": x})
    samples.append(time.perf_counter() - started)
ms = statistics.median(samples) * 1e3
flops = 2 * channels * channels * 9 * width * width
print(json.dumps({"engine": "onnxruntime", "ms": ms, "gflops": flops / ms / 1e6}))
