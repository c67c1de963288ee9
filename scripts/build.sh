#!/usr/bin/env bash
# Builds everything (node, runtime Wasm, tests) with the one release profile that
# run-dev.sh and test.sh share, so nothing is compiled twice.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"
cargo build --locked --release --workspace --all-targets "$@"
