#!/usr/bin/env bash
# Clippy on the whole workspace with warnings denied, in the release profile build.sh uses
# so it shares the dependency builds. Run by scripts/test.sh (CI); see docs/building.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"
cargo clippy --locked --release --workspace --all-targets "$@" -- -D warnings
