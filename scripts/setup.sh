#!/usr/bin/env bash
# Installs everything Mosaic needs on a fresh Debian 12 machine. Idempotent: every
# step checks whether it is already done. See docs/building.md for why each step exists.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

WASM_TARGETS=(wasm32v1-none wasm32-unknown-unknown)
APT_PACKAGES=(build-essential pkg-config git curl ca-certificates clang libclang-dev
  lld protobuf-compiler nodejs npm python3 python3-venv)
DEBIAN_RUST_PACKAGES=(rustc-web cargo-web rust-web-src)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

apt_install() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  # npm comes with nodesource's nodejs; do not fight it.
  if command -v npm >/dev/null; then missing=$(echo "$missing" | grep -vx npm || true); fi
  if command -v node >/dev/null; then missing=$(echo "$missing" | grep -vx nodejs || true); fi
  [ -z "$missing" ] && return 0
  log "installing Debian packages: $(echo $missing)"
  if [ ! -f /tmp/.mosaic-apt-updated ]; then
    $SUDO apt-get update -qq && touch /tmp/.mosaic-apt-updated
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
}

ensure_rustup_toolchain() {
  if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
    log "installing rustup stable"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
}

rustup_has_wasm() {
  local t
  for t in "${WASM_TARGETS[@]}"; do
    rustup target list --installed 2>/dev/null | grep -qx "$t" || return 1
  done
  rustup component list --installed 2>/dev/null | grep -q '^rust-src' || return 1
}

write_wasm_env() {
  mkdir -p "$(dirname "$MOSAIC_WASM_ENV")"
  printf '%s\n' "$@" >"$MOSAIC_WASM_ENV"
}

# The Debian way (docs/building.md): Debian's rustc-web ships the wasm targets' std sources
# but no prebuilt core/alloc; build them once with -Zbuild-std and install them into its sysroot.
debian_wasm_toolchain() {
  apt_install "${DEBIAN_RUST_PACKAGES[@]}"
  local sysroot=/usr/lib/rustlib version stamp
  version=$(/usr/bin/rustc --version)
  stamp="$HOME/.cache/mosaic/debian-wasm-sysroot.stamp"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
    local work t
    work=$(mktemp -d)
    mkdir -p "$work/src"
    cat >"$work/Cargo.toml" <<'TOML'
[package]
name = "mosaic-wasm-sysroot"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"
[profile.release]
panic = "abort"
[workspace]
TOML
    cat >"$work/src/lib.rs" <<'RS'
#![no_std]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
RS
    for t in "${WASM_TARGETS[@]}"; do
      log "building core/alloc for $t with Debian's rustc ($version)"
      local linker_var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_LINKER"
      (cd "$work" && env RUSTFLAGS="-C embed-bitcode=yes" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        "$linker_var=wasm-ld" CARGO_TARGET_DIR="$work/target" \
        /usr/bin/cargo build -q --release --target "$t" -Zbuild-std=core,alloc)
      $SUDO mkdir -p "$sysroot/$t/lib"
      $SUDO rm -f "$sysroot/$t/lib/"*.rlib
      find "$work/target/$t/release/deps" -name 'lib*.rlib' ! -name 'libmosaic_wasm_sysroot*' \
        -exec $SUDO cp {} "$sysroot/$t/lib/" \;
    done
    rm -rf "$work"
    # Crates built against a previous core fail with "can't find crate": start the
    # runtime's Wasm build afresh when this replaced an earlier sysroot.
    if [ -f "$stamp" ] && grep -q debian-web "$MOSAIC_WASM_ENV" 2>/dev/null; then
      rm -rf "$CARGO_TARGET_DIR"/*/wbuild
    fi
    echo "$version" >"$stamp"
  fi
  # rustc asks for a linker named rust-lld; lld is the multi-flavour driver.
  $SUDO mkdir -p "$sysroot/x86_64-unknown-linux-gnu/bin"
  [ -e "$sysroot/x86_64-unknown-linux-gnu/bin/rust-lld" ] ||
    $SUDO ln -sf /usr/bin/lld "$sysroot/x86_64-unknown-linux-gnu/bin/rust-lld"
  # substrate-wasm-builder drives rustup: expose Debian's toolchain to it under a name.
  local tc="$HOME/.cache/mosaic/debian-web-toolchain"
  mkdir -p "$tc/bin"
  local tool
  for tool in rustc cargo rustdoc; do
    if [ -x "/usr/bin/$tool" ]; then ln -sf "/usr/bin/$tool" "$tc/bin/$tool"; fi
  done
  ln -sfn /usr/lib "$tc/lib"
  rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web "$tc"
  write_wasm_env "export WASM_BUILD_TOOLCHAIN=debian-web"
}

ensure_wasm_toolchain() {
  # MOSAIC_WASM_TOOLCHAIN=debian forces the Debian way, to exercise it where rustup works.
  if [ "${MOSAIC_WASM_TOOLCHAIN:-}" = debian ]; then
    debian_wasm_toolchain
    return 0
  fi
  if rustup_has_wasm; then
    write_wasm_env "# rustup's own wasm targets are installed"
    return 0
  fi
  log "trying rustup's wasm targets (30 s limit; blocked on machines without internet)"
  if timeout 30 rustup target add "${WASM_TARGETS[@]}" >/dev/null 2>&1 &&
    timeout 30 rustup component add rust-src >/dev/null 2>&1; then
    write_wasm_env "# rustup's own wasm targets are installed"
    return 0
  fi
  log "rustup cannot download the wasm targets; using Debian's rustc-web"
  debian_wasm_toolchain
}

# npm ci in $1 (tests/: @polkadot/api for the node-level tests; zombienet/: the zombienet CLI;
# client/: the command-line client)
# unless its node_modules is newer than its lockfile.
ensure_npm_packages() {
  local dir="$ROOT/$1"
  if [ ! -d "$dir/node_modules" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing $1 dependencies (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

apt_install "${APT_PACKAGES[@]}"
ensure_rustup_toolchain
ensure_wasm_toolchain
ensure_npm_packages tests
ensure_npm_packages zombienet
ensure_npm_packages client
# ONNX fixtures (models, reference outputs from onnxruntime, hostile models) for the tests.
"$ROOT/scripts/onnx/gen_fixtures.sh"
log "done"
