#!/usr/bin/env bash
# Create .venv and install imrgraph (as a wheel, not editable) with what its tests need.
# Sourced by demo.sh and test.sh; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PY" -m venv "$ROOT/.venv"
fi
"$ROOT/.venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/.venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$ROOT"
"$ROOT/.venv/bin/python" -m pip install --quiet "$ROOT${IMRGRAPH_EXTRAS:-}"
