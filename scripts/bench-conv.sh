#!/usr/bin/env bash
# The reproducer for tract's maintainers (docs/performance.md, "Reproducer for tract"): one
# 3x3 convolution at output width 128, through tract with its default choices, with the
# direct spatial convolution off, and with AVX-512 kernels removed too, beside onnxruntime.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"
WIDTH="${WIDTH:-128}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ROOT/scripts/onnx/gen_fixtures.sh" --print-dir >/dev/null # the pinned Python environment
"${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv}/bin/python" "$ROOT/scripts/onnx/conv_reproducer.py" \
  --out "$out" --width "$WIDTH"
cargo build --locked --release -p mosaic-executor --bench conv_reproducer >&2
bin=$(ls -t "$CARGO_TARGET_DIR"/release/deps/conv_reproducer-* | grep -v '\.d$' | head -1)
"$bin" "$out/conv.onnx" --direct on
"$bin" "$out/conv.onnx" --direct off
"$bin" "$out/conv.onnx" --direct off --isa -avx512f
"$bin" "$out/conv.onnx" --direct on --isa -avx512f
