"""onnxruntime latency on the fixture models, for comparison with Mosaic's executor.

Same models, same inputs, `--threads` intra-op threads (1 by default, as Mosaic's
workers) and one inter-op thread. Cold = create the session and run once; warm = median of N runs on a
ready session. Prints JSON: [{"model", "cold_ms", "warm_ms"}].
"""
import argparse
import json
import pathlib
import statistics
import time

import onnx
import onnxruntime as ort
from onnx import numpy_helper


def load_inputs(directory: pathlib.Path):
    inputs = {}
    for path in sorted(directory.glob("input_*.pb")):
        tensor = onnx.TensorProto()
        tensor.ParseFromString(path.read_bytes())
        inputs[tensor.name] = numpy_helper.to_array(tensor)
    return inputs


def session(model_path: pathlib.Path, threads: int):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    root = pathlib.Path(args.fixtures)
    results = []
    models = [("models", "mlp"), ("models", "cnn"), ("models", "attention"),
              ("models", "big_cnn"), ("large", "big_mlp")]
    for group, name in models:
        directory = root / group / name
        model = directory / "model.onnx"
        inputs = load_inputs(directory)
        cold = []
        for _ in range(5):
            started = time.perf_counter()
            session(model, args.threads).run(None, inputs)
            cold.append(time.perf_counter() - started)
        ready = session(model, args.threads)
        ready.run(None, inputs)
        warm = []
        for _ in range(args.iterations):
            started = time.perf_counter()
            ready.run(None, inputs)
            warm.append(time.perf_counter() - started)
        results.append({
            "model": name,
            "cold_ms": statistics.median(cold) * 1e3,
            "warm_ms": statistics.median(warm) * 1e3,
        })
    print(json.dumps(results))


if __name__ == "__main__":
    main()
