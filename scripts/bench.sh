#!/usr/bin/env bash
# Runs the FRAME benchmarks of Mosaic's pallets on this machine and regenerates each
# pallet's src/weights.rs (template: scripts/frame-weight-template.hbs).
# Usage: scripts/bench.sh [pallet ...]   (default: every Mosaic pallet)
# STEPS and REPEAT may be set in the environment (defaults 20 and 10).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"

declare -A PALLET_DIRS=(
  [pallet_mosaic_blobs]=pallets/blobs
  [pallet_mosaic_models]=pallets/models
  [pallet_mosaic_jobs]=pallets/jobs
  [pallet_mosaic_attestations]=pallets/attestations
  [pallet_mosaic_rewards]=pallets/rewards
  [pallet_mosaic_rounds]=pallets/rounds
)
pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=("${!PALLET_DIRS[@]}")

cargo build --locked --release -p mosaic-node --features runtime-benchmarks
for pallet in "${pallets[@]}"; do
  dir="${PALLET_DIRS[$pallet]:?unknown pallet $pallet}"
  echo "[bench] $pallet -> $dir/src/weights.rs" >&2
  "$MOSAIC_NODE_BIN" benchmark pallet \
    --chain dev \
    --pallet "$pallet" \
    --extrinsic '*' \
    --steps "${STEPS:-20}" \
    --repeat "${REPEAT:-10}" \
    --wasm-execution compiled \
    --template scripts/frame-weight-template.hbs \
    --output "$dir/src/weights.rs"
done
# The node binary now carries the benchmarking runtime: rebuild the normal one.
"$ROOT/scripts/build.sh"
