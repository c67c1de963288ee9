#!/usr/bin/env bash
# Multi-validator network tests with zombienet (native provider, our mosaic-node as the
# relaychain command).
#   scripts/test-network.sh                     run every zombienet/*.zndsl test
#   scripts/test-network.sh zombienet/x.zndsl   run the given tests
#   scripts/test-network.sh spawn zombienet/local-testnet.toml
#                                               start a network and keep it running
# Needs a built node (scripts/build.sh); installs the zombienet CLI from zombienet/'s lockfile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
cd "$ROOT"

# zombienet silently runs `polkadot` when the template variable is unset: refuse instead.
if [ -z "${MOSAIC_NODE_BIN:-}" ] || [ ! -x "$MOSAIC_NODE_BIN" ]; then
  echo "test-network: MOSAIC_NODE_BIN (${MOSAIC_NODE_BIN:-unset}) is not an executable mosaic-node; run scripts/build.sh" >&2
  exit 1
fi
export MOSAIC_NODE_BIN

if [ ! -d zombienet/node_modules ] ||
  [ zombienet/package-lock.json -nt zombienet/node_modules/.package-lock.json ]; then
  echo "test-network: installing the zombienet CLI (npm ci)" >&2
  (cd zombienet && npm ci --no-audit --no-fund --loglevel=error)
fi
ZOMBIENET="$ROOT/zombienet/node_modules/.bin/zombienet"
# The js-scripts use the node-level tests' @polkadot/api and fixtures.
[ -d tests/node_modules/@polkadot/api ] || (cd tests && npm ci --no-audit --no-fund --loglevel=error)

if [ "${1:-}" = spawn ]; then
  exec "$ZOMBIENET" spawn -p native "${2:?usage: test-network.sh spawn <network.toml>}"
fi

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(zombienet/*.zndsl)
for test in "${tests[@]}"; do
  echo "test-network: $test" >&2
  "$ZOMBIENET" test -p native "$test"
done
