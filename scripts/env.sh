# Shared environment for Mosaic's scripts. Source it; do not execute it.
# Build output lives outside the work tree so fresh clones reuse earlier work.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mosaic/target}"
export MOSAIC_NODE_BIN="${MOSAIC_NODE_BIN:-$CARGO_TARGET_DIR/release/mosaic-node}"
export PATH="$HOME/.cargo/bin:$PATH"
# The target dir is outside the work tree, so tell the runtime's Wasm build where the
# workspace (and its Cargo.lock) is; otherwise it resolves dependencies on its own.
WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WASM_BUILD_WORKSPACE_HINT
# setup.sh writes the wasm toolchain it chose here (rustup target or Debian's rustc-web).
MOSAIC_WASM_ENV="${MOSAIC_WASM_ENV:-$HOME/.cache/mosaic/wasm-toolchain.env}"
if [ -f "$MOSAIC_WASM_ENV" ]; then
  # shellcheck disable=SC1090
  . "$MOSAIC_WASM_ENV"
fi
