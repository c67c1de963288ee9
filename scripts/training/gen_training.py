#!/usr/bin/env python3
"""Generate Mosaic's training fixtures: ONNX training-step graphs, their forward models,
initial parameters and a real dataset split into shards.

Usage:  gen_training.py --out DIR [--dataset-wheel WHEEL]

Normally run through scripts/training/gen_training.sh, which uses the pinned Python
environment of scripts/onnx/ and the pinned scikit-learn wheel the dataset is read from.
The output is committed (primitives/executor/fixtures/training/); `gen_training.sh --check`
regenerates it into a temporary directory and fails if anything differs.

A training-step graph takes the current parameters and one batch (`x`, `y`) and returns
the updated parameters (`<name>_next`, same shapes) and the batch's mean loss (`loss`,
a scalar): one step of gradient descent, with the gradients written out by hand in plain
ONNX operators and the learning rate baked in. The forward graph takes the same parameters
and `x` and returns `prob`, the probability of class 1. Both are checked here against a
NumPy reference with onnxruntime.

Dataset: the Wisconsin diagnostic breast cancer data (569 samples, 30 features, label
1 = benign), as scikit-learn ships it in its package. Fixed-seed split into a held-out
test set (114), a public validation set (57) and three training shards; features are
standardised with the training set's mean and deviation.

Files (SCALE `Vec<InputTensor>`, the executor's `Scale` input format):
  <model>_step.onnx, <model>_forward.onnx, <model>_init.scale
  shard_<i>.scale, train.scale, validation.scale, test.scale   tensors x [N,30], y [N]
  INDEX.json   what each file is, hyper-parameters, onnxruntime's reference losses
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import hashlib
import io
import json
import math
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
FLOAT = TensorProto.FLOAT
FEATURES = 30
HIDDEN = 16
SHARDS = 3
TEST_SIZE = 114
VALIDATION_SIZE = 57
SPLIT_SEED = 7
DATASET_MEMBER = "sklearn/datasets/data/breast_cancer.csv"
DATASET_SHA256 = "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"
HYPER = {
    "logreg": {"learning_rate": 0.5},
    "mlp": {"learning_rate": 0.3},
}
# Reference training run (also what the Rust tests use).
EPOCHS = 5
BATCH = 32

# ElementType::F32's SCALE index in mosaic_primitives::digest.
SCALE_F32 = 0


# --------------------------------------------------------------------------
# SCALE Vec<InputTensor>
# --------------------------------------------------------------------------

def compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return struct.pack("<H", (n << 2) | 1)
    if n < 1 << 30:
        return struct.pack("<I", (n << 2) | 2)
    raise ValueError("too large")


def scale_tensors(tensors: list[tuple[str, np.ndarray]]) -> bytes:
    out = bytearray(compact(len(tensors)))
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr, dtype="<f4")
        raw = name.encode()
        out += compact(len(raw)) + raw
        out += bytes([SCALE_F32])
        out += compact(arr.ndim) + b"".join(struct.pack("<Q", d) for d in arr.shape)
        data = arr.tobytes()
        out += compact(len(data)) + data
    return bytes(out)


# --------------------------------------------------------------------------
# graphs
# --------------------------------------------------------------------------

def make_model(graph: onnx.GraphProto) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="mosaic-training",
                              producer_version="1")
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, FLOAT, shape)


def const(name: str, value) -> TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def n(op: str, inputs: list[str], outputs: list[str], **attrs) -> onnx.NodeProto:
    return helper.make_node(op, inputs, outputs, name=outputs[0], **attrs)


def loss_and_dz(z: str) -> list[onnx.NodeProto]:
    """Mean binary cross-entropy of logits `z` [N] against `y` [N], and dz = (p - y) / N.

    loss = mean(softplus(z) - y*z), which is BCE(sigmoid(z), y) without log(0)."""
    return [
        n("Shape", ["x"], ["x_shape"]),
        n("Gather", ["x_shape", "zero_i"], ["n_i"], axis=0),
        n("Cast", ["n_i"], ["n_f"], to=FLOAT),
        n("Softplus", [z], ["sp"]),
        n("Mul", ["y", z], ["yz"]),
        n("Sub", ["sp", "yz"], ["bce"]),
        n("ReduceMean", ["bce"], ["loss"], keepdims=0),
        n("Sigmoid", [z], ["p"]),
        n("Sub", ["p", "y"], ["p_minus_y"]),
        n("Div", ["p_minus_y", "n_f"], ["dz"]),
    ]


def sgd(param: str, grad: str) -> list[onnx.NodeProto]:
    return [
        n("Mul", [grad, "lr"], [f"{param}_step"]),
        n("Sub", [param, f"{param}_step"], [f"{param}_next"]),
    ]


def common_inits(lr: float, hidden_layer: bool) -> list[TensorProto]:
    inits = [const("lr", lr), numpy_helper.from_array(np.asarray(0, dtype=np.int64), "zero_i"),
             numpy_helper.from_array(np.asarray([0], dtype=np.int64), "axis0")]
    if hidden_layer:
        inits.append(numpy_helper.from_array(np.asarray([1], dtype=np.int64), "axis1"))
    return inits


LOGREG_PARAMS = [("w", [FEATURES]), ("b", [1])]
MLP_PARAMS = [("w1", [FEATURES, HIDDEN]), ("b1", [HIDDEN]), ("w2", [HIDDEN]), ("b2", [1])]


def logreg_graphs() -> tuple[bytes, bytes]:
    lr = HYPER["logreg"]["learning_rate"]
    logits = [n("MatMul", ["x", "w"], ["xw"]), n("Add", ["xw", "b"], ["z"])]
    step = logits + loss_and_dz("z") + [
        # grad_w = x^T dz ; grad_b = sum(dz)
        n("MatMul", ["dz", "x"], ["grad_w"]),
        n("ReduceSum", ["dz", "axis0"], ["grad_b"], keepdims=1),
    ] + sgd("w", "grad_w") + sgd("b", "grad_b")
    params_in = [vi(p, s) for p, s in LOGREG_PARAMS]
    params_out = [vi(f"{p}_next", s) for p, s in LOGREG_PARAMS]
    g = helper.make_graph(step, "logreg_step", params_in + [vi("x", ["N", FEATURES]), vi("y", ["N"])],
                          params_out + [vi("loss", [])], common_inits(lr, False))
    fwd = logits + [n("Sigmoid", ["z"], ["prob"])]
    f = helper.make_graph(fwd, "logreg_forward", params_in + [vi("x", ["N", FEATURES])],
                          [vi("prob", ["N"])])
    return make_model(g), make_model(f)


def mlp_graphs() -> tuple[bytes, bytes]:
    lr = HYPER["mlp"]["learning_rate"]
    forward = [
        n("MatMul", ["x", "w1"], ["xw1"]),
        n("Add", ["xw1", "b1"], ["pre"]),
        n("Relu", ["pre"], ["h"]),
        n("MatMul", ["h", "w2"], ["hw2"]),
        n("Add", ["hw2", "b2"], ["z"]),
    ]
    step = forward + loss_and_dz("z") + [
        # output layer
        n("MatMul", ["dz", "h"], ["grad_w2"]),
        n("ReduceSum", ["dz", "axis0"], ["grad_b2"], keepdims=1),
        # back through the hidden layer: dpre = (dz ⊗ w2) * [pre > 0]
        n("Unsqueeze", ["dz", "axis1"], ["dz_col"]),
        n("Unsqueeze", ["w2", "axis0"], ["w2_row"]),
        n("Mul", ["dz_col", "w2_row"], ["dh"]),
        n("Sign", ["h"], ["relu_mask"]),
        n("Mul", ["dh", "relu_mask"], ["dpre"]),
        n("Transpose", ["x"], ["x_t"], perm=[1, 0]),
        n("MatMul", ["x_t", "dpre"], ["grad_w1"]),
        n("ReduceSum", ["dpre", "axis0"], ["grad_b1"], keepdims=0),
    ] + sgd("w1", "grad_w1") + sgd("b1", "grad_b1") + sgd("w2", "grad_w2") + sgd("b2", "grad_b2")
    params_in = [vi(p, s) for p, s in MLP_PARAMS]
    params_out = [vi(f"{p}_next", s) for p, s in MLP_PARAMS]
    g = helper.make_graph(step, "mlp_step", params_in + [vi("x", ["N", FEATURES]), vi("y", ["N"])],
                          params_out + [vi("loss", [])], common_inits(lr, True))
    fwd = forward + [n("Sigmoid", ["z"], ["prob"])]
    f = helper.make_graph(fwd, "mlp_forward", params_in + [vi("x", ["N", FEATURES])],
                          [vi("prob", ["N"])])
    return make_model(g), make_model(f)


# --------------------------------------------------------------------------
# NumPy reference
# --------------------------------------------------------------------------

def softplus(z):
    return np.logaddexp(0, z)


def np_forward(kind: str, p: dict, x):
    if kind == "logreg":
        return x @ p["w"] + p["b"], None
    pre = x @ p["w1"] + p["b1"]
    h = np.maximum(pre, 0)
    return h @ p["w2"] + p["b2"], h


def np_step(kind: str, p: dict, x, y):
    lr = HYPER[kind]["learning_rate"]
    z, h = np_forward(kind, p, x)
    loss = np.mean(softplus(z) - y * z)
    dz = (1 / (1 + np.exp(-z)) - y) / len(y)
    if kind == "logreg":
        g = {"w": dz @ x, "b": np.sum(dz, keepdims=True)}
    else:
        dpre = np.outer(dz, p["w2"]) * np.sign(h)
        g = {"w2": dz @ h, "b2": np.sum(dz, keepdims=True), "w1": x.T @ dpre, "b1": dpre.sum(0)}
    return {k: (v - lr * g[k]).astype(np.float32) for k, v in p.items()}, float(loss)


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------

def load_dataset(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        raw = z.read(DATASET_MEMBER)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATASET_SHA256:
        sys.exit(f"{DATASET_MEMBER}: sha256 {digest}, expected {DATASET_SHA256}")
    rows = raw.decode().strip().splitlines()[1:]
    table = np.array([[float(v) for v in r.split(",")] for r in rows], dtype=np.float64)
    return table[:, :FEATURES], table[:, FEATURES]


def batches(x, y, batch):
    for start in range(0, len(y), batch):
        yield x[start:start + batch], y[start:start + batch]


def session(model: bytes) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def ort_train(kind, step_bytes, params, x, y):
    sess = session(step_bytes)
    names = [p for p, _ in (LOGREG_PARAMS if kind == "logreg" else MLP_PARAMS)]
    losses = []
    for _ in range(EPOCHS):
        for bx, by in batches(x, y, BATCH):
            out = sess.run(None, {**params, "x": bx, "y": by})
            params = dict(zip(names, out[:-1]))
            losses.append(float(out[-1]))
    return params, losses


def accuracy(kind, fwd_bytes, params, x, y) -> float:
    prob = session(fwd_bytes).run(None, {**params, "x": x})[0]
    return float(np.mean((prob > 0.5) == (y > 0.5)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--dataset-wheel", required=True, type=Path)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    features, labels = load_dataset(args.dataset_wheel)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    test_idx = order[:TEST_SIZE]
    val_idx = order[TEST_SIZE:TEST_SIZE + VALIDATION_SIZE]
    train_idx = order[TEST_SIZE + VALIDATION_SIZE:]
    mean = features[train_idx].mean(0)
    std = features[train_idx].std(0)
    std[std == 0] = 1
    x_all = ((features - mean) / std).astype(np.float32)
    y_all = labels.astype(np.float32)

    index = {"generator": "scripts/training/gen_training.py", "features": FEATURES,
             "reference": {"epochs": EPOCHS, "batch_size": BATCH}, "models": {}, "data": {}}

    def write_data(name, idx):
        (out / f"{name}.scale").write_bytes(scale_tensors([("x", x_all[idx]), ("y", y_all[idx])]))
        index["data"][name] = {"file": f"{name}.scale", "samples": int(len(idx)),
                               "positive": int(y_all[idx].sum())}

    write_data("train", train_idx)
    write_data("validation", val_idx)
    write_data("test", test_idx)
    for i, shard in enumerate(np.array_split(train_idx, SHARDS)):
        write_data(f"shard_{i}", shard)

    x_tr, y_tr = x_all[train_idx], y_all[train_idx]
    x_te, y_te = x_all[test_idx], y_all[test_idx]
    rng = np.random.default_rng(2024)
    inits = {
        "logreg": {"w": np.zeros(FEATURES, np.float32), "b": np.zeros(1, np.float32)},
        "mlp": {
            "w1": (rng.standard_normal((FEATURES, HIDDEN)) * math.sqrt(2 / FEATURES)).astype(np.float32),
            "b1": np.zeros(HIDDEN, np.float32),
            "w2": (rng.standard_normal(HIDDEN) * math.sqrt(1 / HIDDEN)).astype(np.float32),
            "b2": np.zeros(1, np.float32),
        },
    }
    for kind, build in (("logreg", logreg_graphs), ("mlp", mlp_graphs)):
        step_bytes, fwd_bytes = build()
        (out / f"{kind}_step.onnx").write_bytes(step_bytes)
        (out / f"{kind}_forward.onnx").write_bytes(fwd_bytes)
        spec = LOGREG_PARAMS if kind == "logreg" else MLP_PARAMS
        params = inits[kind]
        (out / f"{kind}_init.scale").write_bytes(scale_tensors([(p, params[p]) for p, _ in spec]))

        # The graph computes what the NumPy reference computes.
        bx, by = x_tr[:BATCH], y_tr[:BATCH]
        got = session(step_bytes).run(None, {**params, "x": bx, "y": by})
        want, want_loss = np_step(kind, params, bx.astype(np.float64), by.astype(np.float64))
        for (p, _), g in zip(spec, got[:-1]):
            np.testing.assert_allclose(g, want[p], rtol=1e-4, atol=1e-5, err_msg=f"{kind} {p}")
        np.testing.assert_allclose(got[-1], want_loss, rtol=1e-5, err_msg=f"{kind} loss")

        trained, losses = ort_train(kind, step_bytes, params, x_tr, y_tr)
        before = accuracy(kind, fwd_bytes, params, x_te, y_te)
        after = accuracy(kind, fwd_bytes, trained, x_te, y_te)
        if not (losses[-1] < losses[0] and after > before):
            sys.exit(f"{kind} does not learn: loss {losses[0]} -> {losses[-1]}, acc {before} -> {after}")
        index["models"][kind] = {
            "step": f"{kind}_step.onnx", "forward": f"{kind}_forward.onnx",
            "init": f"{kind}_init.scale", "learning_rate": HYPER[kind]["learning_rate"],
            "parameters": [{"name": p, "shape": s} for p, s in spec],
            "onnxruntime": {"first_loss": losses[0], "last_loss": losses[-1],
                            "test_accuracy_before": before, "test_accuracy_after": after},
        }
        print(f"{kind}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
              f"held-out accuracy {before:.3f} -> {after:.3f}")

    (out / "INDEX.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
