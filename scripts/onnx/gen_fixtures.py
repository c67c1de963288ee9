#!/usr/bin/env python3
"""Generate the ONNX test fixtures for Mosaic's ONNX executor (tract-onnx).

Usage:  gen_fixtures.py --out DIR

Normally run through scripts/onnx/gen_fixtures.sh, which sets up the pinned
Python environment (scripts/onnx/requirements.txt) and caches the result.

Everything written is deterministic: weights and inputs come from fixed seeds,
reference outputs come from onnxruntime on one thread. (Outputs are bit-exact
for the same pins on the same kind of CPU; BLAS/MLAS kernels chosen for another
CPU may change the last bits of a float, never more than the tolerances below.)

Layout of DIR:

  models/<name>/model.onnx          models built here with onnx.helper (opset 17)
  models/<name>/input_<i>.pb        inputs as TensorProto (name = graph input name)
  models/<name>/input_<i>.npy       the same as NumPy arrays
  models/<name>/input.json          {"inputs": [{"name","dtype","shape","data"}]}
  models/<name>/output_<i>.pb|.npy  onnxruntime's outputs (1 intra-op thread)
  models/<name>/output.json         {"outputs": [...]} in the same form as input.json
  models/mlp/batch4/...             a second data set for mlp (symbolic batch dim N = 4)
  models/INDEX.json                 signature, data sets and tolerances of each model
  backend/<case>/model.onnx         ONNX backend node test cases, layout as in onnx's
  backend/<case>/test_data_set_0/{input,output}_<i>.pb   own test data
  backend/INDEX.json                kept cases (with op names) and rejected ones (why)
  large/big_mlp/...                 a ~117 MB MLP (models/<name> layout) for real-size
                                    models: registered by URI, fetched, shared by nodes
  large/INDEX.json                  its signature, size and parameter count
  hostile/*.onnx                    broken or hostile models for the error paths
  hostile/<name>.input_<i>.pb       inputs for the hostile models that have inputs
  hostile/README.md, INDEX.json     what each hostile model is meant to trigger
  MANIFEST.json                     sha256 and size of every file above
"""
from __future__ import annotations

import os

# Single-threaded BLAS: deterministic and kind to a busy machine. Must be set
# before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import contextlib
import hashlib
import io
import json
import math
import re
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

OPSET = 17  # opset of the models built here
IR_VERSION = 8  # the IR version that goes with opset 17 (onnx 1.12)
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
BOOL = TensorProto.BOOL

# Tolerance for accepting a backend case: onnxruntime vs the expected output.
BACKEND_RTOL, BACKEND_ATOL = 1e-4, 1e-5
# dtypes allowed in backend cases (what the executor's tensor codec handles).
ALLOWED_DTYPES = {np.dtype(t) for t in (np.float32, np.int64, np.int32, np.bool_)}

# ONNX backend node cases to try, roughly one or two per common op. Each is
# kept only if its tensors use ALLOWED_DTYPES and onnxruntime reproduces the
# expected outputs; the rest are reported as rejected, with the reason.
BACKEND_CANDIDATES = [
    "test_add", "test_add_bcast", "test_sub", "test_mul", "test_div_bcast",
    "test_matmul_2d", "test_matmul_4d", "test_gemm_all_attributes",
    "test_gemm_default_vector_bias", "test_relu", "test_sigmoid", "test_tanh",
    "test_softmax_axis_1", "test_softmax_large_number",
    "test_basic_conv_with_padding", "test_conv_with_strides_padding",
    "test_maxpool_2d_default", "test_maxpool_2d_pads",
    "test_averagepool_2d_default", "test_averagepool_2d_pads_count_include_pad",
    "test_globalaveragepool", "test_batchnorm_example", "test_concat_3d_axis_1",
    "test_reshape_negative_dim", "test_reshape_reordered_all_dims",
    "test_transpose_all_permutations_2", "test_flatten_axis1", "test_squeeze",
    "test_unsqueeze_axis_1", "test_slice", "test_slice_neg_steps",
    "test_gather_0", "test_reduce_mean_keepdims_random",
    "test_reduce_sum_do_not_keepdims_random", "test_exp", "test_log",
    "test_sqrt", "test_pow", "test_clip", "test_leakyrelu",
    "test_argmax_keepdims_random", "test_where_example", "test_equal",
    "test_less", "test_greater", "test_cast_FLOAT_to_DOUBLE",
    "test_layer_normalization_3d_axis_negative_1_epsilon",
    "test_gelu_default_1", "test_gelu_tanh_2", "test_erf", "test_abs",
    "test_neg", "test_max_two_inputs", "test_expand_dim_changed", "test_tile",
    "test_split_equal_parts_2d", "test_prelu_broadcast",
    "test_constant_pad", "test_hardsigmoid",
]

# Where the deep_recursion model nests If subgraphs this many levels deep
# (each level is 4 nested protobuf messages: Graph > Node > Attribute > Graph).
DEEP_RECURSION_LEVELS = 2000


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, flush=True)


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path: Path, obj, compact: bool = False) -> None:
    # allow_nan=False: JSON has no NaN/Inf; a tensor holding one must not be
    # written as JSON (the hostile nan model only gets .pb files).
    if compact:
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    else:
        text = json.dumps(obj, indent=1, allow_nan=False)
    write_bytes(path, (text + "\n").encode())


def write_npy(path: Path, arr: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    write_bytes(path, buf.getvalue())


def tensor_pb(arr: np.ndarray, name: str) -> bytes:
    return numpy_helper.from_array(arr, name).SerializeToString()


def tensor_json(arr: np.ndarray, name: str) -> dict:
    # float32 -> Python float is exact, so parsing "data" as f64 and casting
    # back to f32 gives the original bits.
    return {"name": name, "dtype": str(arr.dtype), "shape": list(arr.shape),
            "data": arr.reshape(-1).tolist()}


def write_tensor_set(d: Path, kind: str, tensors: list[tuple[str, np.ndarray]]) -> None:
    """Write tensors as <kind>_<i>.pb / .npy and all of them as <kind>.json."""
    for i, (name, arr) in enumerate(tensors):
        write_bytes(d / f"{kind}_{i}.pb", tensor_pb(arr, name))
        write_npy(d / f"{kind}_{i}.npy", arr)
    write_json(d / f"{kind}.json", {f"{kind}s": [tensor_json(a, n) for n, a in tensors]},
               compact=True)


def make_model(graph: onnx.GraphProto, opset: int = OPSET, extra_opsets=()) -> onnx.ModelProto:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset), *extra_opsets],
        ir_version=IR_VERSION,
        producer_name="mosaic-fixtures",
        producer_version="1",
    )
    return model


def init(name: str, arr: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(arr, name)


def he(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    """He-normal weights: keeps activations O(1) through ReLU layers."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)


def bias(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-0.1, 0.1, n).astype(np.float32)


def ort_session(model: bytes) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3  # errors only
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def vi_json(v: onnx.ValueInfoProto) -> dict:
    t = v.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]
    return {"name": v.name, "dtype": str(helper.tensor_dtype_to_np_dtype(t.elem_type)),
            "shape": dims}


# --------------------------------------------------------------------------
# a. models built here
# --------------------------------------------------------------------------

def build_mlp() -> onnx.ModelProto:
    """x[N,16] -> Gemm(16->32) -> Relu -> Gemm(32->8) -> Softmax -> probs[N,8]."""
    r = np.random.default_rng(1001)
    inits = [init("fc1.W", he(r, (16, 32), 16)), init("fc1.b", bias(r, 32)),
             init("fc2.W", he(r, (32, 8), 32)), init("fc2.b", bias(r, 8))]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.W", "fc1.b"], ["fc1"], name="fc1"),
        helper.make_node("Relu", ["fc1"], ["relu1"], name="relu1"),
        helper.make_node("Gemm", ["relu1", "fc2.W", "fc2.b"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    g = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("probs", FLOAT, ["N", 8])], inits)
    return make_model(g)


def build_cnn() -> onnx.ModelProto:
    """image[1,3,32,32] -> Conv3x3(3->8) -> Relu -> MaxPool2 -> Conv3x3(8->16) -> Relu
    -> GlobalAveragePool -> Flatten -> Gemm(16->10) -> logits[1,10]."""
    r = np.random.default_rng(1002)
    inits = [init("conv1.W", he(r, (8, 3, 3, 3), 27)), init("conv1.b", bias(r, 8)),
             init("conv2.W", he(r, (16, 8, 3, 3), 72)), init("conv2.b", bias(r, 16)),
             init("fc.W", he(r, (16, 10), 16)), init("fc.b", bias(r, 10))]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.W", "conv1.b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.W", "conv2.b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.W", "fc.b"], ["logits"], name="fc"),
    ]
    g = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("image", FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", FLOAT, [1, 10])], inits)
    return make_model(g)


def build_attention() -> onnx.ModelProto:
    """Single-head self-attention on tokens[1,4,8]:
    Q,K,V = tokens @ Wq|Wk|Wv;  context = Softmax(Q @ Transpose(K) / sqrt(8)) @ V."""
    r = np.random.default_rng(1003)
    d = 8
    inits = [init("Wq", he(r, (d, d), d)), init("Wk", he(r, (d, d), d)),
             init("Wv", he(r, (d, d), d)),
             init("scale", np.array(1.0 / math.sqrt(d), dtype=np.float32))]
    nodes = [
        helper.make_node("MatMul", ["tokens", "Wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["tokens", "Wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", ["tokens", "Wv"], ["v"], name="v_proj"),
        helper.make_node("Transpose", ["k"], ["kt"], name="k_t", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["scores_raw"], name="qk"),
        helper.make_node("Mul", ["scores_raw", "scale"], ["scores"], name="scale"),
        helper.make_node("Softmax", ["scores"], ["attn"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["attn", "v"], ["context"], name="av"),
    ]
    g = helper.make_graph(
        nodes, "attention",
        [helper.make_tensor_value_info("tokens", FLOAT, [1, 4, d])],
        [helper.make_tensor_value_info("context", FLOAT, [1, 4, d])], inits)
    return make_model(g)


# big_cnn layers: (in_channels, out_channels), all 3x3 pad 1 stride 1 at 128x128.
BIG_CNN_LAYERS = [(3, 32), (32, 32), (32, 64), (64, 64)]


def build_big_cnn() -> onnx.ModelProto:
    """Compute-bound benchmark: image[1,3,128,128] -> 4 x (Conv3x3 + Relu) at full
    resolution (3->32->32->64->64 channels) -> GlobalAveragePool -> Flatten ->
    Gemm(64->10) -> logits[1,10]. About 1.07 GMAC (2.1 GFLOP) per inference."""
    r = np.random.default_rng(1004)
    inits, nodes, x = [], [], "image"
    for i, (cin, cout) in enumerate(BIG_CNN_LAYERS, start=1):
        inits += [init(f"conv{i}.W", he(r, (cout, cin, 3, 3), cin * 9)),
                  init(f"conv{i}.b", bias(r, cout))]
        nodes += [
            helper.make_node("Conv", [x, f"conv{i}.W", f"conv{i}.b"], [f"c{i}"],
                             name=f"conv{i}", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"),
        ]
        x = f"r{i}"
    cout = BIG_CNN_LAYERS[-1][1]
    inits += [init("fc.W", he(r, (cout, 10), cout)), init("fc.b", bias(r, 10))]
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.W", "fc.b"], ["logits"], name="fc"),
    ]
    g = helper.make_graph(
        nodes, "big_cnn",
        [helper.make_tensor_value_info("image", FLOAT, [1, 3, 128, 128])],
        [helper.make_tensor_value_info("logits", FLOAT, [1, 10])], inits)
    return make_model(g)


def big_cnn_macs() -> int:
    return sum(128 * 128 * cout * cin * 9 for cin, cout in BIG_CNN_LAYERS) + 64 * 10


# name -> (builder, data sets {subdir: {input name: array}}, (rtol, atol),
#          check against onnx's numpy reference evaluator too?)
def model_specs():
    r = np.random.default_rng(2000)
    x1 = r.standard_normal((1, 16)).astype(np.float32)
    x4 = r.standard_normal((4, 16)).astype(np.float32)
    image32 = r.random((1, 3, 32, 32), dtype=np.float32)
    tokens = r.standard_normal((1, 4, 8)).astype(np.float32)
    image128 = r.random((1, 3, 128, 128), dtype=np.float32)
    return {
        "mlp": (build_mlp, {"": {"x": x1}, "batch4": {"x": x4}}, (1e-4, 1e-6), True),
        "cnn": (build_cnn, {"": {"image": image32}}, (1e-4, 1e-5), True),
        "attention": (build_attention, {"": {"tokens": tokens}}, (1e-4, 1e-5), True),
        "big_cnn": (build_big_cnn, {"": {"image": image128}}, (1e-3, 1e-4), False),
    }


def gen_models(out: Path) -> dict[str, bytes]:
    index = {"opset": OPSET, "ir_version": IR_VERSION,
             "reference": f"onnxruntime {ort.__version__}, CPUExecutionProvider, "
                          "1 intra-op thread", "models": {}}
    built = {}
    for name, (builder, data_sets, (rtol, atol), check_ref) in model_specs().items():
        t0 = time.monotonic()
        model = builder()
        onnx.checker.check_model(model, full_check=True)
        data = model.SerializeToString()
        built[name] = data
        mdir = out / "models" / name
        write_bytes(mdir / "model.onnx", data)
        sess = ort_session(data)
        out_names = [o.name for o in sess.get_outputs()]
        ref = ReferenceEvaluator(model) if check_ref else None
        sets = []
        for sub, feeds in data_sets.items():
            d = mdir / sub if sub else mdir
            outs = sess.run(out_names, feeds)
            if ref is not None:
                # Cross-check onnxruntime against onnx's own numpy evaluator so a
                # runtime bug cannot slip into the reference outputs.
                for got, want in zip(outs, ref.run(None, feeds)):
                    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
            write_tensor_set(d, "input", list(feeds.items()))
            write_tensor_set(d, "output", list(zip(out_names, outs)))
            sets.append({"dir": str(d.relative_to(out)),
                         "inputs": {k: list(v.shape) for k, v in feeds.items()},
                         "outputs": {k: list(v.shape) for k, v in zip(out_names, outs)}})
        entry = {
            "path": f"models/{name}/model.onnx",
            "inputs": [vi_json(v) for v in model.graph.input],
            "outputs": [vi_json(v) for v in model.graph.output],
            "data_sets": sets,
            "tolerance": {"rtol": rtol, "atol": atol},
            "ops": sorted({n.op_type for n in model.graph.node}),
        }
        if name == "big_cnn":
            entry["macs"] = big_cnn_macs()
            # Benchmark baseline for the log only (timings are not written: the
            # output must be deterministic).
            feeds = data_sets[""]
            times = []
            for _ in range(3):
                t = time.perf_counter()
                sess.run(out_names, feeds)
                times.append(time.perf_counter() - t)
            ms = sorted(times)[1] * 1e3
            log(f"  big_cnn: onnxruntime 1 thread {ms:.1f} ms/inference "
                f"({2 * big_cnn_macs() / ms / 1e6:.1f} GFLOP/s)")
        index["models"][name] = entry
        log(f"  model {name:10s} {len(data):>9,} bytes, {len(sets)} data set(s), "
            f"{time.monotonic() - t0:.2f}s")
    write_json(out / "models" / "INDEX.json", index)
    return built


# big_mlp widths: input, hidden layers, output. 256*3072 + 3*3072^2 + 3072*16 weights and
# their biases: 29.1 M float32 values, about 117 MB, as large as a ResNet-50.
BIG_MLP_WIDTHS = [256, 3072, 3072, 3072, 3072, 16]


def build_big_mlp() -> onnx.ModelProto:
    """x[1,256] -> 4 x (Gemm -> Relu) at width 3072 -> Gemm -> logits[1,16]."""
    r = np.random.default_rng(5001)
    inits, nodes, prev = [], [], "x"
    layers = list(zip(BIG_MLP_WIDTHS, BIG_MLP_WIDTHS[1:]))
    for i, (fan_in, fan_out) in enumerate(layers):
        inits += [init(f"fc{i}.W", he(r, (fan_in, fan_out), fan_in)),
                  init(f"fc{i}.b", bias(r, fan_out))]
        last = i == len(layers) - 1
        out_name = "logits" if last else f"fc{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"fc{i}.W", f"fc{i}.b"], [out_name],
                                      name=f"fc{i}"))
        prev = out_name
        if not last:
            nodes.append(helper.make_node("Relu", [out_name], [f"relu{i}"], name=f"relu{i}"))
            prev = f"relu{i}"
    g = helper.make_graph(
        nodes, "big_mlp",
        [helper.make_tensor_value_info("x", FLOAT, [1, BIG_MLP_WIDTHS[0]])],
        [helper.make_tensor_value_info("logits", FLOAT, [1, BIG_MLP_WIDTHS[-1]])], inits)
    return make_model(g)


def gen_large(out: Path) -> None:
    """large/big_mlp in the models/<name> layout; apart so that tests going over every
    model do not load 117 MB each."""
    t0 = time.monotonic()
    model = build_big_mlp()
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    mdir = out / "large" / "big_mlp"
    write_bytes(mdir / "model.onnx", data)
    feeds = {"x": np.random.default_rng(5002).standard_normal(
        (1, BIG_MLP_WIDTHS[0])).astype(np.float32)}
    t = time.perf_counter()
    sess = ort_session(data)
    load_ms = (time.perf_counter() - t) * 1e3
    out_names = [o.name for o in sess.get_outputs()]
    outs = sess.run(out_names, feeds)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        sess.run(out_names, feeds)
        times.append(time.perf_counter() - t)
    write_tensor_set(mdir, "input", list(feeds.items()))
    write_tensor_set(mdir, "output", list(zip(out_names, outs)))
    write_json(out / "large" / "INDEX.json", {"models": {"big_mlp": {
        "path": "large/big_mlp/model.onnx",
        "bytes": len(data),
        "inputs": [vi_json(v) for v in model.graph.input],
        "outputs": [vi_json(v) for v in model.graph.output],
        "parameters": int(sum(np.prod(i.dims) for i in model.graph.initializer)),
    }}})
    # Timings go to the log only: the output must be deterministic.
    log(f"  large big_mlp {len(data):>11,} bytes; onnxruntime 1 thread: load {load_ms:.0f} ms, "
        f"{sorted(times)[2] * 1e3:.2f} ms/inference ({time.monotonic() - t0:.2f}s)")


# --------------------------------------------------------------------------
# b. ONNX backend node test cases
# --------------------------------------------------------------------------

def collect_node_cases() -> dict:
    """The backend node cases of the installed onnx package, by name.

    onnx's wheels no longer ship onnx/backend/test/data/node/ (1.23 ships only
    the pytorch-*/simple/light sets), but they do ship the Python case
    definitions that data is generated from (onnx.backend.test.case.node, each
    exporter seeded with np.random.seed(0)). Collecting them gives the same
    models and test data that `backend-test-tools generate-data` writes."""
    data_dir = Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
    if data_dir.is_dir():  # older onnx wheels ship the data itself
        return {p.name: p for p in sorted(data_dir.iterdir()) if (p / "model.onnx").is_file()}
    from onnx.backend.test.case import node as node_cases
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases()
    return {c.name: c for c in cases}


def case_files(case) -> tuple[bytes, list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """(model bytes, [(input name, TensorProto bytes)], [(output name, ...)])."""
    if isinstance(case, Path):  # shipped data directory
        model = onnx.load_model_from_string((case / "model.onnx").read_bytes())
        ds = case / "test_data_set_0"
        ins = [p.read_bytes() for p in sorted(ds.glob("input_*.pb"), key=lambda p: int(p.stem[6:]))]
        outs = [p.read_bytes() for p in sorted(ds.glob("output_*.pb"), key=lambda p: int(p.stem[7:]))]
        return ((case / "model.onnx").read_bytes(),
                list(zip([v.name for v in model.graph.input], ins)),
                list(zip([v.name for v in model.graph.output], outs)))
    model = case.model
    inputs, outputs = case.data_sets[0]

    def ser(values, infos):
        res = []
        for v, info in zip(values, infos):
            if not info.type.HasField("tensor_type"):
                raise ValueError(f"non-tensor value {info.name}")
            if isinstance(v, TensorProto):
                t = TensorProto()
                t.CopyFrom(v)
                t.name = info.name
            else:
                t = numpy_helper.from_array(np.asarray(v), info.name)
            res.append((info.name, t.SerializeToString()))
        return res

    return model.SerializeToString(), ser(inputs, model.graph.input), ser(outputs, model.graph.output)


def check_backend_case(model_bytes, inputs, outputs):
    """Return None if onnxruntime reproduces the case, else the reason why not."""
    model = onnx.load_model_from_string(model_bytes)
    if len(model.graph.node) != 1:
        return f"{len(model.graph.node)} nodes (want single-op cases)"
    ins = [numpy_helper.to_array(TensorProto.FromString(b)) for _, b in inputs]
    want = [numpy_helper.to_array(TensorProto.FromString(b)) for _, b in outputs]
    for (name, _), arr in zip(inputs + outputs, ins + want):
        if arr.dtype not in ALLOWED_DTYPES:
            return f"dtype {arr.dtype} of {name!r} not in float32/int64/int32/bool"
    try:
        sess = ort_session(model_bytes)
        got = sess.run([n for n, _ in outputs], {n: a for (n, _), a in zip(inputs, ins)})
    except Exception as e:  # noqa: BLE001 - any onnxruntime failure rejects the case
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"onnxruntime failed: {msg[:200]}"
    for (name, _), g, w in zip(outputs, got, want):
        if g.dtype != w.dtype or g.shape != w.shape:
            return f"{name!r}: onnxruntime gave {g.dtype}{list(g.shape)}, expected {w.dtype}{list(w.shape)}"
        if w.dtype.kind == "f":
            if not np.allclose(g, w, rtol=BACKEND_RTOL, atol=BACKEND_ATOL, equal_nan=True):
                err = float(np.max(np.abs(g.astype(np.float64) - w)))
                return f"{name!r}: max abs diff {err:.3g} beyond rtol {BACKEND_RTOL} atol {BACKEND_ATOL}"
        elif not np.array_equal(g, w):
            return f"{name!r}: values differ"
    return None


def gen_backend(out: Path) -> None:
    t0 = time.monotonic()
    cases = collect_node_cases()
    kept, rejected = [], []
    for name in BACKEND_CANDIDATES:
        if name not in cases:
            rejected.append({"name": name, "reason": f"no such case in onnx {onnx.__version__}"})
            continue
        try:
            model_bytes, inputs, outputs = case_files(cases[name])
        except ValueError as e:
            rejected.append({"name": name, "reason": str(e)})
            continue
        reason = check_backend_case(model_bytes, inputs, outputs)
        if reason:
            rejected.append({"name": name, "reason": reason})
            continue
        cdir = out / "backend" / name
        write_bytes(cdir / "model.onnx", model_bytes)
        for kind, tensors in (("input", inputs), ("output", outputs)):
            for i, (_, b) in enumerate(tensors):
                write_bytes(cdir / "test_data_set_0" / f"{kind}_{i}.pb", b)
        model = onnx.load_model_from_string(model_bytes)
        node = model.graph.node[0]
        kept.append({
            "name": name,
            "op": node.op_type,
            "domain": node.domain or "ai.onnx",
            "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
            "ir_version": model.ir_version,
            "inputs": [vi_json(v) for v in model.graph.input],
            "outputs": [vi_json(v) for v in model.graph.output],
        })
    write_json(out / "backend" / "INDEX.json", {
        "source": f"onnx {onnx.__version__} backend node test cases (onnx.backend.test.case.node)",
        "checked_with": f"onnxruntime {ort.__version__}, rtol {BACKEND_RTOL}, atol {BACKEND_ATOL}",
        "cases": kept,
        "ops": sorted({c["op"] for c in kept}),
        "rejected": rejected,
    })
    log(f"  backend: kept {len(kept)}, rejected {len(rejected)} of {len(BACKEND_CANDIDATES)} "
        f"candidates ({time.monotonic() - t0:.2f}s)")
    log(f"    ops kept: {', '.join(sorted({c['op'] for c in kept}))}")
    for r in rejected:
        log(f"    rejected {r['name']}: {r['reason']}")


# --------------------------------------------------------------------------
# c. hostile / broken models
# --------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def deep_if_model(levels: int) -> bytes:
    """y = If(c, then=If(c, then=If(c, ...Identity(x)...), else=x), else=x), nested
    `levels` deep. Valid ONNX, but the protobuf nests 4*levels messages deep.

    Python's protobuf (upb) refuses to build or parse messages nested deeper
    than 100, so the nesting is assembled at the wire level: serialized
    protobuf messages concatenate (merge), which lets us append the nested
    then_branch attribute / node to each shallowly serialized level."""
    # GraphProto.node = 1; NodeProto.attribute = 5; AttributeProto.g = 6;
    # ModelProto.graph = 7.
    inner = helper.make_graph([helper.make_node("Identity", ["x"], ["o0"])], "level0", [],
                              [helper.make_tensor_value_info("o0", FLOAT, [1])]).SerializeToString()
    for k in range(1, levels + 1):
        out_name = "y" if k == levels else f"o{k}"
        else_g = helper.make_graph([helper.make_node("Identity", ["x"], [f"e{k}"])], f"else{k}",
                                   [], [helper.make_tensor_value_info(f"e{k}", FLOAT, [1])])
        node = helper.make_node("If", ["c"], [out_name], name=f"if{k}", else_branch=else_g)
        then_attr = onnx.AttributeProto(name="then_branch", type=onnx.AttributeProto.GRAPH)
        attr_bytes = then_attr.SerializeToString() + _field(6, inner)
        node_bytes = node.SerializeToString() + _field(5, attr_bytes)
        if k == levels:
            shell = helper.make_graph(
                [], "deep_recursion",
                [helper.make_tensor_value_info("x", FLOAT, [1]),
                 helper.make_tensor_value_info("c", BOOL, [])],
                [helper.make_tensor_value_info("y", FLOAT, [1])])
        else:
            shell = helper.make_graph([], f"level{k}", [],
                                      [helper.make_tensor_value_info(out_name, FLOAT, [1])])
        inner = _field(1, node_bytes) + shell.SerializeToString()
    model = make_model(helper.make_graph([], "placeholder", [], []))
    model.ClearField("graph")
    return model.SerializeToString() + _field(7, inner)


def huge_shape_model(shape: list[int]) -> bytes:
    """y = ConstantOfShape(shape, value=1) + x, with `shape` a constant initializer
    (x is added so that the constant is not dead code)."""
    g = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["shape"], ["big"], name="cos",
                          value=numpy_helper.from_array(np.array([1.0], np.float32), "value")),
         helper.make_node("Add", ["big", "x"], ["y"], name="add")],
        "huge_shape", [helper.make_tensor_value_info("x", FLOAT, [1])],
        [helper.make_tensor_value_info("y", FLOAT, shape)],
        [init("shape", np.array(shape, dtype=np.int64))])
    return make_model(g).SerializeToString()


def loop_model(trip_count: int) -> bytes:
    """y = x + trip_count, as a Loop whose condition is always true and whose
    body adds 1 to a loop-carried value (no scan outputs: memory stays flat)."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
         helper.make_node("Add", ["v_in", "one"], ["v_out"], name="increment")],
        "loop_body",
        [helper.make_tensor_value_info("iter", INT64, []),
         helper.make_tensor_value_info("cond_in", BOOL, []),
         helper.make_tensor_value_info("v_in", FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", BOOL, []),
         helper.make_tensor_value_info("v_out", FLOAT, [1])])
    g = helper.make_graph(
        [helper.make_node("Loop", ["trip_count", "cond", "x"], ["y"], name="loop", body=body)],
        "infinite_loop", [helper.make_tensor_value_info("x", FLOAT, [1])],
        [helper.make_tensor_value_info("y", FLOAT, [1])],
        [init("trip_count", np.array(trip_count, np.int64)), init("cond", np.array(True)),
         init("one", np.array([1.0], np.float32))])
    return make_model(g).SerializeToString()


def ort_error(e: Exception) -> str:
    """onnxruntime's message on one line, without the C++ source location."""
    msg = " ".join(str(e).split())
    msg = re.sub(r"/onnxruntime_src/\S+ .*?\) (?=[A-Z])", "", msg)
    return msg[:600]


def gen_hostile(out: Path, mlp_bytes: bytes) -> None:
    t0 = time.monotonic()
    hdir = out / "hostile"
    entries = {}  # name -> INDEX entry

    def add(name, data: bytes, purpose: str, inputs=(), run_ort=True, expect=None):
        """Write hostile/<name>.onnx (+ inputs) and note what onnxruntime makes of it."""
        write_bytes(hdir / f"{name}.onnx", data)
        for i, (iname, arr) in enumerate(inputs):
            write_bytes(hdir / f"{name}.input_{i}.pb", tensor_pb(arr, iname))
        entry = {"file": f"hostile/{name}.onnx", "size": len(data), "purpose": purpose,
                 "inputs": [{"file": f"hostile/{name}.input_{i}.pb", "name": n,
                             "dtype": str(a.dtype), "shape": list(a.shape)}
                            for i, (n, a) in enumerate(inputs)]}
        if not run_ort:
            entry["onnxruntime"] = "not run (would not terminate or would exhaust memory)"
        else:
            try:
                sess = ort_session(data)
            except Exception as e:  # noqa: BLE001
                entry["onnxruntime"] = "load error: " + ort_error(e)
            else:
                try:
                    outs = sess.run(None, dict(inputs))
                    entry["onnxruntime"] = "ok"
                    for i, (o, arr) in enumerate(zip(sess.get_outputs(), outs)):
                        write_bytes(hdir / f"{name}.output_{i}.pb", tensor_pb(arr, o.name))
                    entry["outputs"] = [{"file": f"hostile/{name}.output_{i}.pb", "name": o.name,
                                         "dtype": str(a.dtype), "shape": list(a.shape),
                                         "all_nan": bool(np.isnan(a).all()) if a.dtype.kind == "f" else False}
                                        for i, (o, a) in enumerate(zip(sess.get_outputs(), outs))]
                except Exception as e:  # noqa: BLE001
                    entry["onnxruntime"] = "run error: " + ort_error(e)
        if expect is not None:
            assert entry["onnxruntime"].startswith(expect), (name, entry["onnxruntime"])
        entries[name] = entry

    x4 = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    x1 = np.array([1.0], dtype=np.float32)

    # truncated: the first half of a valid model (mlp).
    add("truncated", mlp_bytes[: len(mlp_bytes) // 2],
        "the first half of models/mlp/model.onnx: protobuf decoding must fail cleanly",
        expect="load error")

    # garbage: random bytes from a fixed seed; make sure they do not happen to
    # decode as a ModelProto.
    garbage = np.random.default_rng(3001).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    try:
        onnx.ModelProto.FromString(garbage)
    except DecodeError:
        pass
    else:
        raise AssertionError("garbage.onnx decodes as a ModelProto; pick another seed")
    add("garbage", garbage, "4096 random bytes (seed 3001), not a protobuf: decoding must fail",
        expect="load error")

    # unsupported_op: an op in a custom domain that no runtime implements.
    g = helper.make_graph(
        [helper.make_node("NoSuchOp", ["x"], ["y"], name="nosuch", domain="com.mosaic.hostile")],
        "unsupported_op", [helper.make_tensor_value_info("x", FLOAT, [4])],
        [helper.make_tensor_value_info("y", FLOAT, [4])])
    add("unsupported_op",
        make_model(g, extra_opsets=[helper.make_opsetid("com.mosaic.hostile", 1)]).SerializeToString(),
        "node NoSuchOp in domain com.mosaic.hostile: must be rejected at load with an "
        "'unsupported operator' error naming the op", [("x", x4)], expect="load error")

    # huge_shape: ConstantOfShape of a constant shape [1e5, 1e5, 100] -> 1e12
    # floats (4 TB). The same model with a small shape must run fine.
    small = ort_session(huge_shape_model([2, 3, 4])).run(None, {"x": x1})[0]
    assert small.shape == (2, 3, 4) and np.all(small == 2.0), small
    add("huge_shape", huge_shape_model([100_000, 100_000, 100]),
        "ConstantOfShape of constant shape [100000,100000,100] = 1e12 float32 (4 TB): "
        "the executor must refuse by its tensor-size/memory limit, at load (constant "
        "folding) or run time, without trying to allocate (a Rust allocation failure "
        "aborts the process)", [("x", x1)], run_ort=False)

    # nan: 0/0 and log(-1) on constants, added to the input -> all-NaN outputs.
    g = helper.make_graph(
        [helper.make_node("Div", ["zero", "zero"], ["q"], name="zero_div_zero"),
         helper.make_node("Add", ["x", "q"], ["nan_div"], name="add_div"),
         helper.make_node("Log", ["minus_one"], ["l"], name="log_negative"),
         helper.make_node("Add", ["x", "l"], ["nan_log"], name="add_log")],
        "nan", [helper.make_tensor_value_info("x", FLOAT, [4])],
        [helper.make_tensor_value_info("nan_div", FLOAT, [4]),
         helper.make_tensor_value_info("nan_log", FLOAT, [4])],
        [init("zero", np.array(0.0, np.float32)), init("minus_one", np.array(-1.0, np.float32))])
    add("nan", make_model(g).SerializeToString(),
        "outputs nan_div = x + 0/0 and nan_log = x + log(-1): every output value is NaN. "
        "The executor must either reject non-finite outputs or encode NaN faithfully "
        "(never panic, never turn it into JSON, which has no NaN)", [("x", x4)], expect="ok")

    # infinite_loop: Loop with trip count 2^62 and a condition that stays true.
    # The same model with trip count 3 must give x + 3.
    small = ort_session(loop_model(3)).run(None, {"x": x1})[0]
    assert np.array_equal(small, x1 + 3), small
    add("infinite_loop", loop_model(2 ** 62),
        "Loop with trip count 2^62 and a condition that is always true, body y = y + 1 "
        "(no scan outputs, so memory stays flat): runs for ever unless the executor "
        "enforces a time/step budget, or rejects Loop as unsupported",
        [("x", x1)], run_ort=False)

    # deep_recursion: If nested in If's then_branch, DEEP_RECURSION_LEVELS deep.
    # The encoder is checked on a shallow copy that onnx and onnxruntime can read.
    shallow = deep_if_model(5)
    onnx.checker.check_model(onnx.load_model_from_string(shallow), full_check=True)
    res = ort_session(shallow).run(None, {"x": x1, "c": np.array(True)})
    assert np.array_equal(res[0], x1), res
    add("deep_recursion", deep_if_model(DEEP_RECURSION_LEVELS),
        f"a valid model whose If nodes nest {DEEP_RECURSION_LEVELS} deep through then_branch "
        f"({4 * DEEP_RECURSION_LEVELS} nested protobuf messages); y = x when c is true. "
        "Recursive decoding/graph building must hit a depth limit and fail with an error "
        "(prost's default limit is 100), never overflow the stack",
        [("x", x1), ("c", np.array(True))], expect="load error")

    # opset_too_new: a trivial Relu model that claims the default-domain opset 99.
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "opset_too_new",
                          [helper.make_tensor_value_info("x", FLOAT, [4])],
                          [helper.make_tensor_value_info("y", FLOAT, [4])])
    add("opset_too_new", make_model(g, opset=99).SerializeToString(),
        "a Relu model importing the default-domain opset 99 (no such opset): should be "
        "rejected with a clear 'unsupported opset' error rather than guessed at",
        [("x", np.array([-1.0, 0.0, 1.0, 2.0], np.float32))], expect="load error")

    # big_initializer: y = x @ W with W a 4096x4096 float32 initializer (64 MiB).
    n = 4096
    w = (np.random.default_rng(3002).standard_normal((n, n), dtype=np.float32)
         * np.float32(1.0 / math.sqrt(n)))
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="matmul")],
                          "big_initializer", [helper.make_tensor_value_info("x", FLOAT, [1, n])],
                          [helper.make_tensor_value_info("y", FLOAT, [1, n])], [init("W", w)])
    xb = np.random.default_rng(3003).standard_normal((1, n), dtype=np.float32)
    add("big_initializer", make_model(g).SerializeToString(),
        "a valid model (y = x @ W) whose initializer W is 4096x4096 float32 = 64 MiB: for "
        "model-size limits (upload, storage, load). onnxruntime's output is included",
        [("x", xb)], expect="ok")

    write_json(hdir / "INDEX.json", entries)
    readme = ["# Hostile ONNX models", "",
              "Generated by `scripts/onnx/gen_fixtures.py`; each model is meant to drive one "
              "error path of the ONNX executor. Where a model has inputs they are in "
              "`<name>.input_<i>.pb` (TensorProto, named after the graph input). "
              "`INDEX.json` has the same facts in machine-readable form, with what "
              "onnxruntime makes of each model.", ""]
    for name, e in entries.items():
        readme.append(f"## `{name}.onnx` ({e['size']:,} bytes)")
        readme.append("")
        readme.append(e["purpose"][0].upper() + e["purpose"][1:] + ".")
        if e["inputs"]:
            readme.append("")
            readme.append("Inputs: " + ", ".join(
                f"`{i['name']}` {i['dtype']}{i['shape']}" for i in e["inputs"]) + ".")
        readme.append("")
        readme.append(f"onnxruntime {ort.__version__}: {e['onnxruntime']}.")
        readme.append("")
    write_bytes(hdir / "README.md", "\n".join(readme).encode())
    log(f"  hostile: {len(entries)} models ({time.monotonic() - t0:.2f}s)")


# --------------------------------------------------------------------------
# d. manifest
# --------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out: Path) -> tuple[int, int]:
    files = {}
    total = 0
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "MANIFEST.json":
            rel = p.relative_to(out).as_posix()
            size = p.stat().st_size
            files[rel] = {"sha256": sha256_file(p), "size": size}
            total += size
    write_json(out / "MANIFEST.json", {
        "generator": "scripts/onnx/gen_fixtures.py",
        "generator_sha256": sha256_file(Path(__file__)),
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "onnx": onnx.__version__, "onnxruntime": ort.__version__},
        "total_bytes": total,
        "files": files,
    })
    return len(files), total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    args = ap.parse_args()
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not (out / "MANIFEST.json").is_file():
            ap.error(f"{out} is not empty and holds no MANIFEST.json; refusing to overwrite it")
        shutil.rmtree(out)  # a previous run's output: start afresh
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.monotonic()
    log(f"onnx fixtures -> {out} (onnx {onnx.__version__}, onnxruntime {ort.__version__}, "
        f"numpy {np.__version__})")
    built = gen_models(out)
    gen_backend(out)
    gen_hostile(out, built["mlp"])
    gen_large(out)
    n, total = write_manifest(out)
    log(f"done: {n} files, {total / 2**20:.1f} MiB, {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
