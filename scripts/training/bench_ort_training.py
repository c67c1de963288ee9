"""onnxruntime running the same training loop as Mosaic's executor, for comparison.

The training-step graph of each model over the committed training set, 5 epochs in
batches of 32, parameters fed back each step; one intra-op and one inter-op thread. Warm:
median of N whole runs on a ready session. Prints JSON: [{"model", "train_ms"}].
"""
import argparse
import json
import pathlib
import statistics
import struct
import time

import numpy as np
import onnxruntime as ort

EPOCHS = 5
BATCH = 32


def read_compact(b, i):
    mode = b[i] & 3
    if mode == 0:
        return b[i] >> 2, i + 1
    if mode == 1:
        return struct.unpack_from("<H", b, i)[0] >> 2, i + 2
    if mode == 2:
        return struct.unpack_from("<I", b, i)[0] >> 2, i + 4
    raise ValueError("big compact")


def read_tensors(path):
    """SCALE Vec<InputTensor> of f32 tensors -> {name: array}."""
    b = path.read_bytes()
    count, i = read_compact(b, 0)
    out = {}
    for _ in range(count):
        n, i = read_compact(b, i)
        name = b[i:i + n].decode(); i += n
        assert b[i] == 0, "float32"; i += 1
        rank, i = read_compact(b, i)
        shape = struct.unpack_from(f"<{rank}Q", b, i); i += 8 * rank
        n, i = read_compact(b, i)
        out[name] = np.frombuffer(b[i:i + n], dtype="<f4").reshape(shape); i += n
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    root = pathlib.Path(args.fixtures)
    data = read_tensors(root / "train.scale")
    x, y = data["x"], data["y"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    results = []
    for model in ("logreg", "mlp"):
        sess = ort.InferenceSession(str(root / f"{model}_step.onnx"), options, providers=["CPUExecutionProvider"])
        init = read_tensors(root / f"{model}_init.scale")
        names = list(init)

        def train():
            params = dict(init)
            for _ in range(EPOCHS):
                for start in range(0, len(y), BATCH):
                    out = sess.run(None, {**params, "x": x[start:start + BATCH], "y": y[start:start + BATCH]})
                    params = dict(zip(names, out[:-1]))

        train()
        samples = []
        for _ in range(args.iterations):
            started = time.perf_counter()
            train()
            samples.append((time.perf_counter() - started) * 1e3)
        results.append({"model": model, "train_ms": statistics.median(samples)})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
