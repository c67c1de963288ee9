#!/usr/bin/env bash
# Sets up the machine, builds, and starts a development chain: one validator (Alice),
# blocks every 6 s, finalized by GRANDPA, RPC on 127.0.0.1:9944. Extra arguments go to
# the node. State is temporary: every start is a fresh chain.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
exec "$MOSAIC_NODE_BIN" --dev --rpc-port 9944 "$@"
