#!/usr/bin/env bash
# The main job on the bundled example letters: build + validate, run guideline-outcomes,
# write Turtle, draw the guideline-usage pictures.  Output goes to ./out/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
BIN="$ROOT/.venv/bin"
OUT="${OUT:-$ROOT/out}"
mkdir -p "$OUT"
cd "$ROOT"
"$BIN/imrgraph" build examples/letters -o "$OUT/graph.ttl"
"$BIN/imrgraph" validate "$OUT/graph.ttl"
"$BIN/imrgraph" query guideline-outcomes --graph "$OUT/graph.ttl" --param level=chapter
"$BIN/imrgraph" export "$OUT/graph.ttl" --format nt -o "$OUT/graph.nt"
"$BIN/imrgraph" report "$OUT/graph.ttl" -o "$OUT/report"
"$BIN/imrgraph" viz "$OUT/graph.ttl" -o "$OUT/pictures"
echo "done: $OUT"
