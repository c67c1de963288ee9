#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test: unit tests and the node-level tests
# (real mosaic-node binaries driven through @polkadot/api), all under cargo-nextest so the
# summary at the end lists them all. Exits non-zero if anything fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"
# One house style (rustfmt.toml): an unformatted tree fails before anything is built.
cargo fmt --all --check
"$ROOT/scripts/build.sh"
# Clippy with warnings denied (scripts/lint.sh); about 2 min on a fresh clone once the
# dependencies have been checked (docs/building.md).
"$ROOT/scripts/lint.sh"
# The committed training fixtures must be exactly what their generator makes.
"$ROOT/scripts/training/gen_training.sh" --check
# Benches are built by build.sh but not run here: they are benchmarks, not tests.
cargo nextest run --locked --release --workspace --no-fail-fast "$@"
