#!/usr/bin/env bash
# Measures Mosaic's ONNX executor against onnxruntime on the same machine, in the same run,
# on the fixture models, and prints a Markdown table of latencies and ratios (the figures
# in docs/performance.md come from this script).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"
FIXTURES="$("$ROOT/scripts/onnx/gen_fixtures.sh" --print-dir)"
ITERATIONS="${ITERATIONS:-50}"
cargo build --locked --release -p mosaic-executor --bins --benches >&2
bench_bin=$(ls -t "$CARGO_TARGET_DIR"/release/deps/latency-* | grep -v '\.d$' | head -1)
mosaic_json=$(MOSAIC_FIXTURES="$FIXTURES" "$bench_bin" --json --iterations "$ITERATIONS")
mosaic_json2=$(MOSAIC_FIXTURES="$FIXTURES" "$bench_bin" --json --iterations "$ITERATIONS" --threads 2)
ort_py="${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv}/bin/python"
ort_json=$("$ort_py" "$ROOT/scripts/onnx/bench_ort.py" --fixtures "$FIXTURES" --iterations "$ITERATIONS")
ort_json2=$("$ort_py" "$ROOT/scripts/onnx/bench_ort.py" --fixtures "$FIXTURES" --iterations "$ITERATIONS" --threads 2)
python3 - "$mosaic_json" "$ort_json" "$mosaic_json2" "$ort_json2" <<'PY'
import json, sys, platform
mosaic, ort, mosaic2, ort2 = ({r["model"]: r for r in json.loads(a)} for a in sys.argv[1:5])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"CPU: {cpu}; one thread each; medians.\n")
print("| model | tract warm ms | onnxruntime warm ms | warm ratio | tract cold ms | onnxruntime cold ms | cold ratio | sandbox warm ms | sandbox overhead ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, m in mosaic.items():
    o = ort[name]
    print(f"| {name} | {m['warm_ms']:.3f} | {o['warm_ms']:.3f} | {m['warm_ms']/o['warm_ms']:.2f}x | "
          f"{m['cold_ms']:.2f} | {o['cold_ms']:.2f} | {m['cold_ms']/o['cold_ms']:.2f}x | "
          f"{m['sandbox_warm_ms']:.3f} | {m['sandbox_warm_ms']-m['warm_ms']:.3f} |")
print("\nTwo threads (tract: `--executor-threads 2`; onnxruntime: two intra-op threads); ratios against onnxruntime on one thread and on two.\n")
print("| model | tract 2 threads ms | onnxruntime 1 thread ms | ratio | onnxruntime 2 threads ms | ratio | sandbox 2 threads ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, m in mosaic2.items():
    o1, o2 = ort[name], ort2[name]
    print(f"| {name} | {m['warm_ms']:.3f} | {o1['warm_ms']:.3f} | {m['warm_ms']/o1['warm_ms']:.2f}x | "
          f"{o2['warm_ms']:.3f} | {m['warm_ms']/o2['warm_ms']:.2f}x | {m['sandbox_warm_ms']:.3f} |")
PY

# Training: the same training loop on the committed training fixtures, tract against
# onnxruntime (docs/training.md).
TRAINING="$ROOT/primitives/executor/fixtures/training"
train_bin=$(ls -t "$CARGO_TARGET_DIR"/release/deps/training_speed-* | grep -v '\.d$' | head -1)
mosaic_train=$("$train_bin" --json --iterations "${TRAIN_ITERATIONS:-20}")
ort_train=$("${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv}/bin/python" "$ROOT/scripts/training/bench_ort_training.py" \
  --fixtures "$TRAINING" --iterations "${TRAIN_ITERATIONS:-20}")
python3 - "$mosaic_train" "$ort_train" <<'PY'
import json, sys
mosaic = {r["model"]: r for r in json.loads(sys.argv[1])}
ort = {r["model"]: r for r in json.loads(sys.argv[2])}
print("\nTraining run: 5 epochs over 398 rows in batches of 32; warm medians.\n")
print("| model | steps | tract ms | onnxruntime ms | ratio | tract µs/step | sandbox ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, m in mosaic.items():
    o = ort[name]
    print(f"| {name} | {m['steps']} | {m['train_ms']:.2f} | {o['train_ms']:.2f} | {m['train_ms']/o['train_ms']:.2f}x | "
          f"{m['train_ms']*1e3/m['steps']:.1f} | {m['sandbox_train_ms']:.2f} |")
PY

# The host-function path an off-chain worker uses, against the sandbox and the executor
# called directly, in one run per model (needs the node: scripts/build.sh).
node_bin="$CARGO_TARGET_DIR/release/mosaic-node"
if [ -x "$node_bin" ]; then
  echo
  echo "| model | executor in process ms | sandbox ms | host functions ms | host path over direct call |"
  echo "|---|---:|---:|---:|---:|"
  for model in mlp cnn attention big_cnn; do
    row=$("$node_bin" onnx bench-host --json --iterations "$ITERATIONS" \
      --model "$FIXTURES/models/$model/model.onnx" --input "$FIXTURES/models/$model/input_0.pb")
    python3 - "$model" "$row" <<'PY'
import json, sys
r = json.loads(sys.argv[2])
print(f"| {sys.argv[1]} | {r['in_process_ms']:.3f} | {r['sandbox_ms']:.3f} | {r['host_path_ms']:.3f} | "
      f"{r['host_path_ms'] - r['in_process_ms']:+.3f} ms |")
PY
  done
fi
