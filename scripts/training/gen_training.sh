#!/usr/bin/env bash
# Regenerates the committed training fixtures (see gen_training.py) into
#   primitives/executor/fixtures/training/
# with the pinned Python environment of scripts/onnx/ (created if missing) and the
# pinned scikit-learn wheel the dataset is read from (downloaded into the cache once,
# checked by sha256; nothing of it is installed).
#
# Options: --check   generate into a temporary directory and fail if it differs from
#                    the committed files (what a reviewer runs after changing the script)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv}"
OUT="$ROOT/primitives/executor/fixtures/training"
WHEEL_NAME="scikit_learn-1.7.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
WHEEL_SHA256="89877e19a80c7b11a2891a27c21c4894fb18e2c2e077815bcade10d34287b20d"
WHEEL_DIR="$HOME/.cache/mosaic/wheels"

die() { echo "gen_training.sh: $*" >&2; exit 1; }

# The pinned environment (numpy, onnx, onnxruntime) is the fixtures' one.
"$ROOT/scripts/onnx/gen_fixtures.sh" >/dev/null

mkdir -p "$WHEEL_DIR"
if ! echo "$WHEEL_SHA256  $WHEEL_DIR/$WHEEL_NAME" | sha256sum -c --quiet >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip download --disable-pip-version-check -q --no-deps \
    --only-binary :all: --python-version 3.11 --platform manylinux2014_x86_64 \
    scikit-learn==1.7.2 -d "$WHEEL_DIR" || die "could not download scikit-learn 1.7.2"
  echo "$WHEEL_SHA256  $WHEEL_DIR/$WHEEL_NAME" | sha256sum -c --quiet || die "wheel hash mismatch"
fi

case "${1:-}" in
  --check)
    TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
    "$VENV/bin/python" "$ROOT/scripts/training/gen_training.py" --out "$TMP" \
      --dataset-wheel "$WHEEL_DIR/$WHEEL_NAME"
    diff -r "$OUT" "$TMP" >/dev/null || die "committed fixtures differ from the generator's output"
    echo "training fixtures are up to date" ;;
  "")
    "$VENV/bin/python" "$ROOT/scripts/training/gen_training.py" --out "$OUT" \
      --dataset-wheel "$WHEEL_DIR/$WHEEL_NAME" ;;
  *) die "unknown argument: $1" ;;
esac
