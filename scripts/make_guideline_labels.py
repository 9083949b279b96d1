"""Regenerate ontology/guideline-labels.ttl (display labels, work / chapter ancestors) from
ontology/guidelines.ttl and the short names hand-written at the top of the labels file.

    python scripts/make_guideline_labels.py          # rewrite the file
    python scripts/make_guideline_labels.py --check  # exit 1 when the file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrgraph.resolve.labels import LABELS_FILE, generate  # noqa: E402


def main(argv: list[str]) -> int:
    labels = ROOT / "ontology" / LABELS_FILE
    text = generate(ROOT / "ontology" / "guidelines.ttl", labels)
    if "--check" in argv:
        stale = not labels.exists() or labels.read_text(encoding="utf-8") != text
        print(f"{labels}: {'stale, rerun this script' if stale else 'up to date'}")
        return 1 if stale else 0
    labels.write_text(text, encoding="utf-8")
    print(f"wrote {labels}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
