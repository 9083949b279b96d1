"""PDF text engines side by side on real letters: wall time per letter and letters/s.

Why: the state publishes letters as AES-encrypted Word-export PDFs, so reading the PDF is a
large part of building from them; imrgraph's default engine is chosen by this measurement
(docs/design.md, "PDF text"). Every engine reads every letter in each round, rounds
interleave the engines so that load from other work on a shared machine falls on all of them,
and the text each engine gives is checked to be the same words before any time is reported.

    python bench/pdf_extract.py                       # the shared corpus' 72 real PDFs
    python bench/pdf_extract.py examples/pdf --rounds 5
    python bench/pdf_extract.py --layout              # also `pdftotext -layout` (a process each)

Times are of :func:`imrgraph.pdf.read_pdf` on bytes already in memory (opening, decrypting,
extracting and cleaning the text), so the disk is not measured; CPU time is shown too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from imrgraph.pdf import ENGINES, layout_text_normalise, read_pdf  # noqa: E402


def default_folder() -> Path:
    corpus = Path(os.environ.get("IMRGRAPH_CORPUS") or ROOT.parent / "shared" / "corpus")
    return corpus / "real" / "pdf"


def _layout(path: Path, _data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=60).stdout.decode("utf-8")
    return layout_text_normalise(out)


def _engine(name: str) -> Callable[[Path, bytes], str]:
    return lambda path, data: read_pdf(data, path.name, engine=name).text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None,
                    help="folder of PDF letters (default: the shared corpus' real PDFs)")
    ap.add_argument("--rounds", type=int, default=3, help="times each engine reads each letter")
    ap.add_argument("--layout", action="store_true", help="also time `pdftotext -layout`")
    args = ap.parse_args(argv)
    folder = args.folder or default_folder()
    pdfs = sorted(folder.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {folder}", file=sys.stderr)
        return 2
    data = {p: p.read_bytes() for p in pdfs}
    readers = {name: _engine(name) for name in ENGINES}
    if args.layout:
        if shutil.which("pdftotext") is None:
            print("pdftotext (poppler-utils) is not installed; --layout ignored", file=sys.stderr)
        else:
            readers["pdftotext -layout"] = _layout
    texts = {name: {p: fn(p, data[p]) for p in pdfs} for name, fn in readers.items()}  # warm-up
    first = next(iter(texts))
    for name, got in texts.items():
        differ = [p.name for p in pdfs if got[p].split() != texts[first][p].split()]
        if differ:
            print(f"{name}: words differ from {first} on {len(differ)} letter(s): "
                  f"{', '.join(differ[:5])}", file=sys.stderr)
    wall: dict[str, list[float]] = {name: [] for name in readers}
    cpu: dict[str, float] = dict.fromkeys(readers, 0.0)
    for _ in range(args.rounds):
        for name, fn in readers.items():
            c0 = time.process_time()
            for p in pdfs:
                t0 = time.perf_counter()
                fn(p, data[p])
                wall[name].append(time.perf_counter() - t0)
            cpu[name] += time.process_time() - c0
    print(f"{len(pdfs)} letters in {folder}, {args.rounds} round(s), "
          f"load average {os.getloadavg()[0]:.2f} (CPU ms: this process only, so not "
          "pdftotext's own)")
    header = f"{'engine':<20}{'letters/s':>10}{'median ms':>11}{'p95 ms':>9}{'CPU ms':>9}"
    print(header + f"{'median vs ' + first:>22}")
    base = statistics.median(wall[first])
    for name, times in wall.items():
        n = len(times)
        median = statistics.median(times)
        p95 = sorted(times)[min(n - 1, int(0.95 * n))]
        print(f"{name:<20}{n / sum(times):>10.1f}{median * 1e3:>11.1f}{p95 * 1e3:>9.1f}"
              f"{cpu[name] / n * 1e3:>9.1f}{median / base:>21.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
