#!/usr/bin/env bash
# Generates the ONNX test fixtures (see gen_fixtures.py) into
#   ${MOSAIC_FIXTURES:-$HOME/.cache/mosaic/onnx-fixtures}
# using a Python virtualenv at ${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv} with the
# pinned packages of requirements.txt.
#
# Idempotent and quiet on success:
#   - the venv is created only if missing or broken, and packages are installed
#     only when requirements.txt changed since the last install;
#   - the fixtures are regenerated only if MANIFEST.json is missing or the hash of
#     gen_fixtures.py + requirements.txt differs from the one stored with them
#     (.generator-sha256 in the output directory);
#   - generation goes to a temporary directory that replaces the old output only
#     when complete, under a lock, so concurrent callers are safe.
# The generator's own log is kept in <output>/.generate.log.
#
# Options: --force       regenerate even if up to date
#          --print-dir   print the output directory on stdout when done
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${MOSAIC_PYENV:-$HOME/.cache/mosaic/pyenv}"
OUT="${MOSAIC_FIXTURES:-$HOME/.cache/mosaic/onnx-fixtures}"
REQS="$HERE/requirements.txt"
GEN="$HERE/gen_fixtures.py"
PYTHON="${PYTHON:-python3}"

FORCE=0
PRINT_DIR=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen_fixtures.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

die() { echo "gen_fixtures.sh: $*" >&2; exit 1; }

OUT="${OUT%/}"
[ -n "$OUT" ] && [ "$OUT" != "/" ] || die "refusing to use '/' as the output directory"
mkdir -p "$(dirname "$OUT")" "$(dirname "$VENV")"

# One generator at a time (per output directory).
exec 9>"$OUT.lock"
flock 9

# --- virtualenv -------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 \
    || die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
fi
REQS_HASH="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.mosaic-requirements.sha256" 2>/dev/null)" != "$REQS_HASH" ]; then
  pip_log="$(mktemp)"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQS" >"$pip_log" 2>&1; then
    cat "$pip_log" >&2; rm -f "$pip_log"
    die "pip install -r $REQS failed"
  fi
  rm -f "$pip_log"
  echo "$REQS_HASH" >"$VENV/.mosaic-requirements.sha256"
fi

# --- fixtures ---------------------------------------------------------------
GEN_HASH="$(cat "$GEN" "$REQS" | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -f "$OUT/MANIFEST.json" ] \
   && [ "$(cat "$OUT/.generator-sha256" 2>/dev/null)" = "$GEN_HASH" ]; then
  [ "$PRINT_DIR" = 1 ] && echo "$OUT"
  exit 0
fi

# Only ever delete a directory that this script made.
if [ -e "$OUT" ] && [ ! -f "$OUT/.generator-sha256" ] && [ ! -f "$OUT/MANIFEST.json" ] \
   && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
  die "$OUT exists and does not look like a fixtures directory; not touching it"
fi

TMP="$OUT.tmp.$$"
LOG="$(mktemp)"
rm -rf "$TMP"
trap 'rm -rf "$TMP" "$LOG"' EXIT
if ! "$VENV/bin/python" "$GEN" --out "$TMP" >"$LOG" 2>&1; then
  cat "$LOG" >&2
  die "generator failed"
fi
mv "$LOG" "$TMP/.generate.log"
echo "$GEN_HASH" >"$TMP/.generator-sha256"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
[ "$PRINT_DIR" = 1 ] && echo "$OUT"
exit 0
