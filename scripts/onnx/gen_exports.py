#!/usr/bin/env python3
"""Generate Mosaic's corpus of ONNX models as real exporters write them.

Output (committed): primitives/executor/fixtures/exports/
  <case>/model.onnx        the model, as the converter wrote it (or as built here with
                           onnx.helper to reproduce what a named exporter writes; INDEX.json
                           says which)
  <case>/input_<i>.pb      inputs as TensorProto, in graph-input order; their `name` is the
                           graph input's name, or empty for the cases about unnamed inputs
  <case>/output_<i>.pb     onnxruntime's outputs (CPUExecutionProvider, 1 intra-op thread),
                           named after the graph outputs
  INDEX.json               per case: converter and version, the quirk it exercises, the
                           graph inputs as declared (exact dim fields), the data's shapes,
                           whether the input .pb files carry names, sha256 of every file

Every model uses only the default ONNX domain, an opset within
primitives/core/src/onnx.rs's MIN_OPSET..=MAX_OPSET, operators of
primitives/executor/src/limits.rs's DEFAULT_ALLOWED_OPS (both read from the sources at run
time), no Scan/If/Loop, no external data, no string tensors; each is < 300 KB. Every
case's onnxruntime outputs are also checked against the source framework's own prediction.

How to run (the converters live in their own virtualenvs, never in ~/.cache/mosaic/pyenv):

  python3 -m venv ~/.cache/mosaic/exporters-venv
  ~/.cache/mosaic/exporters-venv/bin/pip install -r scripts/onnx/exporters-requirements.txt
  # paddle2onnx pins onnx==1.17.0, so PaddlePaddle gets a venv of its own:
  python3 -m venv ~/.cache/mosaic/exporters-venv-paddle
  ~/.cache/mosaic/exporters-venv-paddle/bin/pip install -r scripts/onnx/exporters-paddle-requirements.txt
  ~/.cache/mosaic/exporters-venv/bin/python scripts/onnx/gen_exports.py \
      [--out DIR] [--paddle-python ~/.cache/mosaic/exporters-venv-paddle/bin/python]

(python3 was CPython 3.11.7.) The paddle cases run in a child process with the paddle venv's
python (this same script, `--paddle-export DIR`); without that venv they are skipped with a
warning and INDEX.json lists them as skipped. Pins used (full lists in the two requirements
files): scikit-learn 1.9.1, skl2onnx 1.20.0, tensorflow-cpu 2.21.0, keras 3.15.1,
tf2onnx 1.17.0, onnx 1.23.2, onnxruntime 1.32.0 (same as scripts/onnx/requirements.txt);
paddlepaddle 3.3.1, paddle2onnx 2.1.0 (with onnx 1.17.0, polygraphy 0.53.6).

Deterministic: fixed seeds, single-threaded, PYTHONHASHSEED=0; four runs gave
byte-identical files. Two converter behaviours are avoided for that: skl2onnx's
convert_sklearn names the graph with a random uuid4 unless given `name`, and tf2onnx 1.17.0
writes one of several equivalent graphs at random for a Keras Flatten (tf_keras_cnn uses
GlobalAveragePooling2D instead).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("POLYGRAPHY_AUTOINSTALL_DEPS", "0")

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "primitives/executor/fixtures/exports"
DEFAULT_PADDLE_PYTHON = Path.home() / ".cache/mosaic/exporters-venv-paddle/bin/python"
MAX_MODEL_BYTES = 300 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024
ORT_VERSION = "1.32.0"
OPSET = 17  # asked of every converter (skl2onnx would write 22 by default, over MAX_OPSET)


def log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------
# paddle side (runs in the paddle venv, in a child process)
# --------------------------------------------------------------------------

def paddle_export(out: Path) -> None:
    """Export the paddle models into out/<case>/ as model.onnx + x.npy + y.npy + meta.json."""
    import paddle
    import paddle2onnx

    paddle.set_device("cpu")

    class Cnn(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.conv = paddle.nn.Conv2D(1, 4, 3, padding=1)
            self.fc = paddle.nn.Linear(4 * 4 * 4, 3)

        def forward(self, x):
            y = paddle.nn.functional.relu(self.conv(x))
            y = paddle.nn.functional.max_pool2d(y, 2)
            y = paddle.flatten(y, 1)
            return paddle.nn.functional.softmax(self.fc(y))

    class Mlp(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.fc1 = paddle.nn.Linear(6, 16)
            self.fc2 = paddle.nn.Linear(16, 2)

        def forward(self, x):
            return self.fc2(paddle.nn.functional.relu(self.fc1(x)))

    cases = [
        # (case, layer class, input spec shape, data shape, optimize_tool)
        ("paddle_cnn", Cnn, [None, 1, 8, 8], (3, 1, 8, 8), "polygraphy"),
        ("paddle_mlp_unoptimized", Mlp, [None, 6], (5, 6), "None"),
    ]
    for case, cls, spec_shape, data_shape, tool in cases:
        paddle.seed(1234)
        net = cls()
        net.eval()
        rng = np.random.default_rng(4321)
        x = rng.standard_normal(data_shape).astype(np.float32)
        y = net(paddle.to_tensor(x)).numpy()
        d = out / case
        d.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as tmp:
            spec = [paddle.static.InputSpec(spec_shape, "float32", "x")]
            paddle.jit.save(net, os.path.join(tmp, "m"), input_spec=spec)
            prog = next(f for f in sorted(os.listdir(tmp)) if f.endswith((".json", ".pdmodel")))
            paddle2onnx.export(os.path.join(tmp, prog), os.path.join(tmp, "m.pdiparams"),
                               str(d / "model.onnx"), opset_version=OPSET,
                               optimize_tool=tool)
        np.save(d / "x.npy", x)
        np.save(d / "y.npy", y)
        (d / "meta.json").write_text(json.dumps({
            "framework": f"paddlepaddle {paddle.__version__}",
            "converter": "paddle2onnx", "converter_version": paddle2onnx.__version__,
            "spec_shape": [-1 if s is None else s for s in spec_shape],
            "optimize_tool": tool,
        }))


# --------------------------------------------------------------------------
# rules of the executor, read from the Rust sources
# --------------------------------------------------------------------------

def executor_rules() -> tuple[int, int, set[str]]:
    onnx_rs = (REPO / "primitives/core/src/onnx.rs").read_text()
    lo = int(re.search(r"pub const MIN_OPSET: u32 = (\d+);", onnx_rs).group(1))
    hi = int(re.search(r"pub const MAX_OPSET: u32 = (\d+);", onnx_rs).group(1))
    limits_rs = (REPO / "primitives/executor/src/limits.rs").read_text()
    body = re.search(r"DEFAULT_ALLOWED_OPS: &\[&str\] = &\[(.*?)\];", limits_rs, re.S).group(1)
    ops = set(re.findall(r'"([A-Za-z0-9]+)"', body))
    assert len(ops) > 50, ops
    return lo, hi, ops


# --------------------------------------------------------------------------
# helpers (exporters venv)
# --------------------------------------------------------------------------

def dims_json(vi) -> list[dict]:
    """The dims of a value info exactly as written: which oneof field is set, and its value."""
    out = []
    for d in vi.type.tensor_type.shape.dim:
        which = d.WhichOneof("value")
        if which == "dim_value":
            out.append({"dim_value": d.dim_value})
        elif which == "dim_param":
            out.append({"dim_param": d.dim_param})
        else:
            out.append({})
    return out


def np_dtype_name(elem_type: int) -> str:
    from onnx import helper
    return str(np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)))


def ort_run(model_bytes: bytes, feeds: list[np.ndarray]) -> tuple[list[str], list[np.ndarray]]:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert len(names) == len(feeds), (names, len(feeds))
    outs = sess.run(None, dict(zip(names, feeds)))
    return [o.name for o in sess.get_outputs()], outs


def check_model(model, rules) -> list[str]:
    """The executor's static rules; returns the ops used. Raises if a rule is broken."""
    lo, hi, allowed = rules
    from onnx import TensorProto
    default = [i.version for i in model.opset_import if i.domain in ("", "ai.onnx")]
    assert default and lo <= default[-1] <= hi, f"opset {default} not in {lo}..={hi}"
    ops = set()
    for n in model.graph.node:
        assert n.domain in ("", "ai.onnx"), f"{n.op_type} in domain {n.domain!r}"
        assert n.op_type in allowed, f"{n.op_type} not allowed"
        for a in n.attribute:
            assert not a.HasField("g") and not a.graphs, f"{n.op_type} carries a subgraph"
            if a.HasField("t"):
                assert a.t.data_type != TensorProto.STRING
        ops.add(n.op_type)
    for t in model.graph.initializer:
        assert t.data_location != TensorProto.EXTERNAL and not t.external_data, t.name
        assert t.data_type != TensorProto.STRING, t.name
    return sorted(ops)


def checker_verdict(model) -> str:
    import onnx
    try:
        onnx.checker.check_model(model, full_check=True)
        return "ok"
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:200]}"


class Case:
    def __init__(self, name, model, inputs, *, converter, converter_version, quirk,
                 framework=None, generated_by="converter", reference=None, pb_names=True,
                 notes="", ort_model=None):
        self.name = name
        self.model = model            # onnx.ModelProto
        self.inputs = inputs          # list[np.ndarray], graph-input order
        self.converter = converter
        self.converter_version = converter_version
        self.quirk = quirk
        self.framework = framework
        self.generated_by = generated_by
        self.reference = reference    # framework's own outputs, list[np.ndarray] or None
        self.pb_names = pb_names
        self.notes = notes
        # (model, why): when onnxruntime refuses the model as written, the expected outputs
        # come from this variant of it instead (INDEX.json says so).
        self.ort_model = ort_model


# --------------------------------------------------------------------------
# skl2onnx
# --------------------------------------------------------------------------

def skl2onnx_cases() -> list[Case]:
    import sklearn
    import skl2onnx
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LinearRegression
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import convert_sklearn, to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    fw = f"scikit-learn {sklearn.__version__}"
    cv = skl2onnx.__version__
    target = {"": OPSET, "ai.onnx.ml": 3}
    rng = np.random.default_rng(7)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y1 = X @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.3 * X[:, 0] * X[:, 1]
    y2 = np.stack([y1, np.tanh(X[:, 2]) - X[:, 3]], axis=1)
    Xq = rng.standard_normal((5, 4)).astype(np.float32)
    cases = []

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a few iterations are enough
        mlp = MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, random_state=0).fit(X, y1)
        pipe = make_pipeline(StandardScaler(),
                             MLPRegressor(hidden_layer_sizes=(8,), max_iter=60,
                                          random_state=0)).fit(X, y1)
        pca = make_pipeline(PCA(n_components=3, random_state=0),
                            MLPRegressor(hidden_layer_sizes=(8,), max_iter=60,
                                         random_state=0)).fit(X, y1)
    lin = LinearRegression().fit(X.astype(np.float64), y2.astype(np.float64))

    m = to_onnx(mlp, X[:1], target_opset=target)
    cases.append(Case(
        "skl_mlp_regressor", m, [Xq], converter="skl2onnx", converter_version=cv, framework=fw,
        quirk="batch dim with neither dim_value nor dim_param set (skl2onnx's default for "
              "None); an unused ai.onnx.ml opset import; output 'variable' [?,1]",
        reference=[mlp.predict(Xq).astype(np.float32).reshape(-1, 1)]))

    # Without `name`, convert_sklearn names the graph with a random uuid4.
    m = convert_sklearn(mlp, initial_types=[("input", FloatTensorType([-1, 4]))],
                        target_opset=target, name="mlp_regressor")
    cases.append(Case(
        "skl_mlp_regressor_dim_neg1", m, [Xq], converter="skl2onnx", converter_version=cv,
        framework=fw,
        quirk="batch dim written as dim_value -1 (initial_types FloatTensorType([-1, 4])), "
              "in the input and the output",
        reference=[mlp.predict(Xq).astype(np.float32).reshape(-1, 1)]))

    m = to_onnx(pipe, X[:1], target_opset=target, options={StandardScaler: {"div": "div"}})
    cases.append(Case(
        "skl_scaler_mlp_pipeline", m, [Xq], converter="skl2onnx", converter_version=cv,
        framework=fw,
        quirk="pipeline; StandardScaler with option div='div' (Sub/Div instead of "
              "ai.onnx.ml Scaler); unset batch dim. (Not two targets: skl2onnx 1.20.0 "
              "reshapes a 2-target MLPRegressor's output to [-1, 1], giving [2N, 1].)",
        reference=[pipe.predict(Xq).astype(np.float32).reshape(-1, 1)]))

    m = to_onnx(pca, X[:1], target_opset=target)
    cases.append(Case(
        "skl_pca_mlp_pipeline", m, [Xq], converter="skl2onnx", converter_version=cv,
        framework=fw, quirk="pipeline PCA -> MLPRegressor; unset batch dim",
        reference=[pca.predict(Xq).astype(np.float32).reshape(-1, 1)]))

    Xd = Xq.astype(np.float64)
    m = to_onnx(lin, Xd[:1], target_opset=target)
    cases.append(Case(
        "skl_linear_regression_f64", m, [Xd], converter="skl2onnx", converter_version=cv,
        framework=fw,
        quirk="float64 input, weights and output (for float32 input skl2onnx writes the "
              "ai.onnx.ml LinearRegressor instead); unset batch dim",
        reference=[lin.predict(Xd)]))
    return cases


# --------------------------------------------------------------------------
# tf2onnx
# --------------------------------------------------------------------------

def tf2onnx_cases() -> list[Case]:
    import tensorflow as tf
    import tf2onnx
    import keras

    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    fw = f"tensorflow-cpu {tf.__version__}, keras {keras.__version__}"
    cv = tf2onnx.__version__
    cases = []
    rng = np.random.default_rng(11)

    keras.utils.set_random_seed(21)
    inp = keras.Input((6,), name="features")
    h = keras.layers.Dense(16, activation="relu", bias_initializer="random_normal")(inp)
    out = keras.layers.Dense(2, bias_initializer="random_normal")(h)
    mlp = keras.Model(inp, out)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    m, _ = tf2onnx.convert.from_keras(
        mlp, input_signature=(tf.TensorSpec((None, 6), tf.float32, name="features"),),
        opset=OPSET)
    cases.append(Case(
        "tf_keras_mlp", m, [x], converter="tf2onnx", converter_version=cv, framework=fw,
        quirk="batch dim as dim_param 'unk__<n>' (tf2onnx's name for an unknown dim); the "
              "output's batch dim gets another unk__ name",
        reference=[np.asarray(mlp(x))]))

    # GlobalAveragePooling2D, not Flatten: with Flatten, tf2onnx 1.17.0 writes one of several
    # equivalent graphs at random (which of two equal constants it keeps and the Transpose
    # names depend on the iteration order of sets of node objects, i.e. on memory addresses).
    keras.utils.set_random_seed(22)
    inp = keras.Input((8, 8, 2), name="image")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(3, activation="softmax", bias_initializer="random_normal")(h)
    cnn = keras.Model(inp, out)
    x = rng.standard_normal((3, 8, 8, 2)).astype(np.float32)
    m, _ = tf2onnx.convert.from_keras(
        cnn, input_signature=(tf.TensorSpec((None, 8, 8, 2), tf.float32, name="image"),),
        opset=OPSET)
    cases.append(Case(
        "tf_keras_cnn", m, [x], converter="tf2onnx", converter_version=cv, framework=fw,
        quirk="NHWC Keras Conv2D/MaxPool/GlobalAveragePooling2D: tf2onnx puts one Transpose "
              "(NHWC to NCHW) in front of the Conv, GlobalAveragePool + Squeeze for the "
              "pooling; unk__ batch dim",
        reference=[np.asarray(cnn(x))]))

    keras.utils.set_random_seed(23)
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    h = keras.layers.Concatenate()([keras.layers.Dense(5, activation="tanh")(a), b])
    out = keras.layers.Dense(2, bias_initializer="random_normal")(h)
    two = keras.Model([a, b], out)
    xa = rng.standard_normal((4, 4)).astype(np.float32)
    xb = rng.standard_normal((4, 3)).astype(np.float32)
    m, _ = tf2onnx.convert.from_keras(
        two, input_signature=(tf.TensorSpec((None, 4), tf.float32, name="a"),
                              tf.TensorSpec((None, 3), tf.float32, name="b")), opset=OPSET)
    cases.append(Case(
        "tf_keras_two_inputs", m, [xa, xb], converter="tf2onnx", converter_version=cv,
        framework=fw,
        quirk="two inputs whose batch dims get different unk__ names although they must be "
              "equal; named .pb files",
        reference=[np.asarray(two([xa, xb]))]))

    w = rng.standard_normal((4, 3)).astype(np.float32)

    @tf.function(input_signature=(tf.TensorSpec((None, None, 4), tf.float32, name="seq"),))
    def pooled(seq):
        return tf.nn.relu(tf.matmul(tf.reduce_mean(seq, axis=1), w))

    x = rng.standard_normal((2, 7, 4)).astype(np.float32)
    m, _ = tf2onnx.convert.from_function(
        pooled, input_signature=(tf.TensorSpec((None, None, 4), tf.float32, name="seq"),),
        opset=OPSET)
    cases.append(Case(
        "tf_function_two_unknown_dims", m, [x], converter="tf2onnx", converter_version=cv,
        framework=fw,
        quirk="tf.function with two unknown dims (batch and sequence length), each its own "
              "unk__ dim_param",
        reference=[np.asarray(pooled(x))]))
    return cases


# --------------------------------------------------------------------------
# paddle2onnx (exported in the paddle venv)
# --------------------------------------------------------------------------

def paddle2onnx_cases(paddle_python: Path | None) -> tuple[list[Case], list[dict]]:
    import onnx
    names = ["paddle_cnn", "paddle_mlp_unoptimized"]
    if paddle_python is None or not paddle_python.exists():
        why = f"no paddle venv python at {paddle_python}"
        log(f"warning: skipping paddle cases: {why}")
        return [], [{"name": n, "skipped": why} for n in names]
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        proc = subprocess.run([str(paddle_python), str(Path(__file__).resolve()),
                               "--paddle-export", tmp], env=env, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("paddle export failed")
        for n in names:
            d = Path(tmp) / n
            meta = json.loads((d / "meta.json").read_text())
            m = onnx.load_from_string((d / "model.onnx").read_bytes())
            if meta["optimize_tool"] == "polygraphy":
                quirk = ("InputSpec [None, ...] (saved as -1) written as dim_param "
                         "'DynamicDimension.0'; polygraphy constant folding (the default) "
                         "leaves weights as initializers; empty producer_name")
            else:
                quirk = ("optimize_tool='None': weights as Constant nodes (no initializers); "
                         "input batch dim_param 'DynamicDimension.0', output's "
                         "'DynamicDimension.1'; empty producer_name")
            cases.append(Case(
                n, m, [np.load(d / "x.npy")], converter="paddle2onnx",
                converter_version=meta["converter_version"], framework=meta["framework"],
                quirk=quirk, reference=[np.load(d / "y.npy")],
                notes=f"optimize_tool={meta['optimize_tool']!r}"))
    return cases, []


# --------------------------------------------------------------------------
# quirks built with onnx.helper, each reproducing what a named exporter writes
# --------------------------------------------------------------------------

def helper_cases() -> list[Case]:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    FLOAT = TensorProto.FLOAT
    cv = f"onnx {onnx.__version__}"
    cases = []
    rng = np.random.default_rng(31)
    W1 = (rng.standard_normal((4, 8)) * 0.5).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    W2 = (rng.standard_normal((8, 3)) * 0.5).astype(np.float32)
    b2 = (rng.standard_normal(3) * 0.1).astype(np.float32)
    x = rng.standard_normal((5, 4)).astype(np.float32)

    def mlp_ref(v):
        h = np.maximum(v @ W1 + b1, 0)
        return h @ W2 + b2

    def mlp_model(graph_name, batch, producer=("pytorch", "2.1.0"), ir=8, opset=OPSET):
        """torch.onnx.export(nn.Sequential(Linear(4,8), ReLU(), Linear(8,3))) shaped graph,
        with the batch dim of input and output replaced by `batch` (a callable on a dim)."""
        inits = [numpy_helper.from_array(W1.T.copy(), "0.weight"),
                 numpy_helper.from_array(b1, "0.bias"),
                 numpy_helper.from_array(W2.T.copy(), "2.weight"),
                 numpy_helper.from_array(b2, "2.bias")]
        nodes = [
            helper.make_node("Gemm", ["input", "0.weight", "0.bias"], ["/0/Gemm_output_0"],
                             name="/0/Gemm", alpha=1.0, beta=1.0, transB=1),
            helper.make_node("Relu", ["/0/Gemm_output_0"], ["/1/Relu_output_0"],
                             name="/1/Relu"),
            helper.make_node("Gemm", ["/1/Relu_output_0", "2.weight", "2.bias"], ["output"],
                             name="/2/Gemm", alpha=1.0, beta=1.0, transB=1),
        ]
        i = helper.make_tensor_value_info("input", FLOAT, [1, 4])
        o = helper.make_tensor_value_info("output", FLOAT, [1, 3])
        batch(i.type.tensor_type.shape.dim[0])
        batch(o.type.tensor_type.shape.dim[0])
        g = helper.make_graph(nodes, graph_name, [i], [o], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=ir, producer_name=producer[0],
                              producer_version=producer[1])
        return m

    def named(d):
        d.Clear()
        d.dim_param = "N"

    def empty_param(d):
        d.Clear()
        d.dim_param = ""  # sets the oneof: serialised as field 2 with length 0

    def zero(d):
        d.Clear()
        d.dim_value = 0

    def neg1(d):
        d.Clear()
        d.dim_value = -1

    cases.append(Case(
        "quirk_batch_dim_param_N", mlp_model("main_graph", named), [x],
        converter="onnx.helper", converter_version=cv, generated_by="onnx.helper",
        quirk="batch dim as dim_param 'N' (what torch.onnx.export writes for dynamic_axes="
              "{'input': {0: 'N'}}, same node and weight names as torch 2.x)",
        reference=[mlp_ref(x)]))
    cases.append(Case(
        "quirk_batch_dim_param_empty", mlp_model("main_graph", empty_param), [x],
        converter="onnx.helper", converter_version=cv, generated_by="onnx.helper",
        quirk="batch dim as dim_param '' explicitly set (oneof present, empty string), as "
              "some exporters and hand edits leave it",
        reference=[mlp_ref(x)]))
    cases.append(Case(
        "quirk_batch_dim_value_0", mlp_model("main_graph", zero), [x],
        converter="onnx.helper", converter_version=cv, generated_by="onnx.helper",
        quirk="batch dim as dim_value 0 (meant as 'unknown' by some older converters); "
              "onnxruntime takes it literally and refuses a batch of 5",
        reference=[mlp_ref(x)],
        ort_model=(mlp_model("main_graph", named),
                   "expected outputs from the same model with dim_param 'N' for the batch")))
    cases.append(Case(
        "quirk_batch_dim_value_neg1", mlp_model("main_graph", neg1), [x],
        converter="onnx.helper", converter_version=cv, generated_by="onnx.helper",
        quirk="batch dim as dim_value -1 in a torch-shaped graph (skl2onnx writes the same "
              "for [-1, n]: see skl_mlp_regressor_dim_neg1)",
        reference=[mlp_ref(x)]))

    # Older torch.onnx.export (IR 3, opset 9): every weight is also a graph input, and the
    # values are numbers.
    inits = [numpy_helper.from_array(W1.T.copy(), "fc1.weight"),
             numpy_helper.from_array(b1, "fc1.bias"),
             numpy_helper.from_array(W2.T.copy(), "fc2.weight"),
             numpy_helper.from_array(b2, "fc2.bias")]
    nodes = [
        helper.make_node("Gemm", ["input.1", "fc1.weight", "fc1.bias"], ["5"],
                         alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["5"], ["6"]),
        helper.make_node("Gemm", ["6", "fc2.weight", "fc2.bias"], ["7"],
                         alpha=1.0, beta=1.0, transB=1),
    ]
    inputs = [helper.make_tensor_value_info("input.1", FLOAT, [5, 4])] + [
        helper.make_tensor_value_info(t.name, FLOAT, list(t.dims)) for t in inits]
    g = helper.make_graph(nodes, "torch-jit-export", inputs,
                          [helper.make_tensor_value_info("7", FLOAT, [5, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)], ir_version=3,
                          producer_name="pytorch", producer_version="1.0")
    cases.append(Case(
        "quirk_initializers_as_inputs_ir3", m, [x], converter="onnx.helper",
        converter_version=cv, generated_by="onnx.helper",
        quirk="IR 3 / opset 9, as torch.onnx.export 1.0 wrote it: every initializer is also "
              "listed as a graph input (fc1.weight ...); fixed batch 5; numeric value names; "
              "only input.1 is fed",
        reference=[mlp_ref(x)]))

    m = mlp_model("main_graph", named)
    m.graph.input.extend([helper.make_tensor_value_info(t.name, FLOAT, list(t.dims))
                          for t in m.graph.initializer])
    cases.append(Case(
        "quirk_initializers_as_inputs_ir8", m, [x], converter="onnx.helper",
        converter_version=cv, generated_by="onnx.helper",
        quirk="IR 8 / opset 17 with keep_initializers_as_inputs=True (torch.onnx.export): "
              "initializers also listed as graph inputs (overridable defaults); only 'input' "
              "is fed",
        reference=[mlp_ref(x)]))

    cases.append(Case(
        "quirk_unnamed_input_pb", mlp_model("main_graph", named), [x],
        converter="onnx.helper", converter_version=cv, generated_by="onnx.helper",
        quirk="input_0.pb has an empty name (as some of ONNX's own backend test data): bind "
              "by position", pb_names=False, reference=[mlp_ref(x)]))

    # Two inputs of the same shape and type, unnamed .pb files: a swap would not fail on
    # shapes, only give other numbers (out = (a - b) @ W).
    W = (rng.standard_normal((4, 2)) * 0.5).astype(np.float32)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    nodes = [helper.make_node("Sub", ["a", "b"], ["/Sub_output_0"], name="/Sub"),
             helper.make_node("MatMul", ["/Sub_output_0", "W"], ["out"], name="/MatMul")]
    g = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("a", FLOAT, ["N", 4]),
         helper.make_tensor_value_info("b", FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("out", FLOAT, ["N", 2])],
        [numpy_helper.from_array(W, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                          producer_name="pytorch", producer_version="2.1.0")
    cases.append(Case(
        "quirk_two_inputs_unnamed", m, [a, b], converter="onnx.helper", converter_version=cv,
        generated_by="onnx.helper",
        quirk="two inputs of equal shape and type, .pb files unnamed: only the position "
              "(input_0 = a, input_1 = b) tells them apart; out = (a - b) @ W",
        pb_names=False, reference=[(a - b) @ W]))
    return cases


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def write_case(out: Path, case: Case, rules) -> dict:
    import onnx
    from onnx import numpy_helper

    model = case.model
    ops = check_model(model, rules)
    data = model.SerializeToString()
    assert len(data) < MAX_MODEL_BYTES, f"{case.name}: {len(data)} bytes"
    init_names = {t.name for t in model.graph.initializer}
    fed = [i for i in model.graph.input if i.name not in init_names]
    assert len(fed) == len(case.inputs), (case.name, [i.name for i in fed])
    if case.ort_model is None:
        out_names, outs = ort_run(data, case.inputs)
        ort_ran = "the model as written"
    else:
        try:
            ort_run(data, case.inputs)
        except Exception as e:  # noqa: BLE001
            refusal = str(e).strip().replace("\n", " ")
        else:
            raise AssertionError(f"{case.name}: onnxruntime now accepts the model as written")
        alt, why = case.ort_model
        out_names, outs = ort_run(alt.SerializeToString(), case.inputs)
        ort_ran = f"{why}; onnxruntime refuses the model as written: {refusal}"

    if case.reference is not None:
        for got, want in zip(outs, case.reference, strict=True):
            assert got.shape == want.shape, (case.name, got.shape, want.shape)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{case.name}: ORT vs framework")

    d = out / case.name
    d.mkdir(parents=True)
    files = {"model.onnx": data}
    for i, (vi, arr) in enumerate(zip(fed, case.inputs)):
        files[f"input_{i}.pb"] = numpy_helper.from_array(
            arr, vi.name if case.pb_names else "").SerializeToString()
    for i, (name, arr) in enumerate(zip(out_names, outs)):
        files[f"output_{i}.pb"] = numpy_helper.from_array(arr, name).SerializeToString()
    for fname, b in files.items():
        (d / fname).write_bytes(b)

    fed_names = {i.name for i in fed}
    entry = {
        "name": case.name,
        "generated_by": case.generated_by,
        "converter": case.converter,
        "converter_version": case.converter_version,
        "framework": case.framework,
        "quirk": case.quirk,
        "producer": [model.producer_name, model.producer_version],
        "ir_version": model.ir_version,
        "opset_import": [[i.domain, i.version] for i in model.opset_import],
        "ops": ops,
        "graph_inputs": [
            {"name": i.name, "dtype": np_dtype_name(i.type.tensor_type.elem_type),
             "dims": dims_json(i), "has_initializer": i.name in init_names,
             "fed": i.name in fed_names} for i in model.graph.input],
        "inputs": [{"file": f"input_{k}.pb", "name": (vi.name if case.pb_names else ""),
                    "graph_input": vi.name, "dtype": str(arr.dtype), "shape": list(arr.shape)}
                   for k, (vi, arr) in enumerate(zip(fed, case.inputs))],
        "input_pb_names": case.pb_names,
        "graph_outputs": [{"name": o.name,
                           "dtype": np_dtype_name(o.type.tensor_type.elem_type),
                           "dims": dims_json(o)} for o in model.graph.output],
        "outputs": [{"file": f"output_{k}.pb", "name": n, "dtype": str(a.dtype),
                     "shape": list(a.shape)} for k, (n, a) in enumerate(zip(out_names, outs))],
        "initializers": len(model.graph.initializer),
        "onnx_checker": checker_verdict(model),
        "checked_against_framework": case.reference is not None,
        "onnxruntime_ran": ort_ran,
        "sha256": {f: sha256(b) for f, b in sorted(files.items())},
    }
    if case.notes:
        entry["notes"] = case.notes
    log(f"{case.name}: {len(data)} bytes, ops {ops}, checker {entry['onnx_checker']}")
    return entry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--paddle-python", type=Path, default=DEFAULT_PADDLE_PYTHON)
    ap.add_argument("--paddle-export", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    # tf2onnx merges equal constants in set order, so its output depends on str hashing:
    # fix the hash seed (re-executing this script if needed).
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])

    if args.paddle_export is not None:
        paddle_export(args.paddle_export)
        return

    import onnx
    import onnxruntime
    assert onnxruntime.__version__ == ORT_VERSION, onnxruntime.__version__
    rules = executor_rules()

    cases = []
    cases += skl2onnx_cases()
    cases += tf2onnx_cases()
    paddle, skipped = paddle2onnx_cases(args.paddle_python)
    cases += paddle
    cases += helper_cases()

    out = args.out.resolve()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    entries = [write_case(tmp, c, rules) for c in cases]
    index = {
        "about": "ONNX models as exporters write them; see scripts/onnx/gen_exports.py and "
                 "docs/executor.md",
        "reference": f"onnxruntime {ORT_VERSION}, CPUExecutionProvider, 1 intra-op thread",
        "onnx": onnx.__version__,
        "executor_rules": {"min_opset": rules[0], "max_opset": rules[1]},
        "determinism": "runs give byte-identical files; avoided: convert_sklearn's random "
                       "uuid4 graph name (name= given), tf2onnx's random choice among "
                       "equivalent graphs for a Keras Flatten (not used)",
        "cases": entries,
        "skipped": skipped,
    }
    (tmp / "INDEX.json").write_text(json.dumps(index, indent=1) + "\n")
    total = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
    assert total < MAX_TOTAL_BYTES, total
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    log(f"{len(entries)} cases, {total} bytes in {out}")


if __name__ == "__main__":
    main()
