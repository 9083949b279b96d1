"""Do synthetic letters cost what real ones cost?  Parse + map per letter, extraction per page.

Why: the benchmark runs on synthetic letters (``imrgraph.testing.synth``, rendered to PDF by
``imrgraph.testing.pdfs``); its rates only tell users what they will get if a synthetic letter
costs what a real one costs.  This measures both, side by side in one process, in CPU time
(a shared machine's other work does not count), real and synthetic inputs shuffled together
in each round:

- text: read + parse (with resolve) + map, ms per letter, real texts vs N synthetic letters
  (target: the ratio synthetic / real within 1 +- 0.20);
- PDF: text extraction, ms per page, real PDFs vs synthetic PDFs, with ``imrgraph.ingest.pdf_text``
  (whatever extractor it uses) and with pypdf and pypdfium2 directly (target: within 1 +- 0.25).

    python bench/calibrate.py --synthetic 500 --pdf-synthetic 100
    python bench/calibrate.py --real /path/to/corpus/real --json calib.json

The real corpus is a folder with ``text/*.txt`` and ``pdf/*.pdf`` (default: ``../shared/corpus/
real`` beside the checkout, or ``$IMRGRAPH_REAL_CORPUS``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEXT_TOLERANCE = 0.20
PDF_TOLERANCE = 0.25


def default_real() -> Path:
    """The real letters: ``$IMRGRAPH_REAL_CORPUS`` or ``../shared/corpus/real``."""
    env = os.environ.get("IMRGRAPH_REAL_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus" / "real"


# ------------------------------------------------------------------------------------ text


def _interleaved(sets: dict[str, Sequence[Any]], round_no: int) -> list[tuple[str, Any]]:
    """Both sets' inputs in one shuffled order, so a change in the machine's load during a
    round (other work, frequency, caches) falls on both sets alike."""
    import random

    order = [(name, x) for name, xs in sets.items() for x in xs]
    random.Random(round_no).shuffle(order)
    return order


def _parse_map_one(path: Path) -> tuple[float, float, float]:
    """CPU seconds reading, parsing (with resolving: the vocabulary and reasons readers) and
    mapping one letter: what a build's worker spends before validation."""
    from imrgraph.ingest import read_letter
    from imrgraph.mapping import determination_triples
    from imrgraph.parse import parse_letter
    from imrgraph.resolve import resolve_determination

    clock = time.process_time  # CPU time: other work on a shared machine does not count
    t0 = clock()
    letter = read_letter(path)
    t1 = clock()
    det = resolve_determination(parse_letter(letter), letter.text)
    t2 = clock()
    determination_triples(det)
    t3 = clock()
    return t1 - t0, t2 - t1, t3 - t2


def text_costs(real: Sequence[Path], synthetic: Sequence[Path], rounds: int = 3
               ) -> dict[str, Any]:
    """ms per letter (read, parse, map, total) of both sets; medians over the rounds."""
    sets = {"real": list(real), "synthetic": list(synthetic)}
    for path in real[:2]:  # load vocabularies and compile patterns outside the timings
        _parse_map_one(path)
    samples: dict[str, list[list[float]]] = {name: [] for name in sets}
    for round_no in range(rounds):
        sums = {name: [0.0, 0.0, 0.0] for name in sets}
        for name, path in _interleaved(sets, round_no):
            for k, part in enumerate(_parse_map_one(path)):
                sums[name][k] += part
        for name in sets:
            samples[name].append(sums[name])
    out: dict[str, Any] = {"rounds": rounds, "clock": "CPU time (process_time)"}
    for name, paths in sets.items():
        rows = samples[name]
        per = {part: 1000 * statistics.median(r[k] for r in rows) / len(paths)
               for k, part in enumerate(("read_ms", "parse_ms", "map_ms"))}
        per["total_ms"] = sum(per.values())
        out[name] = {"letters": len(paths), "chars_per_letter":
                     sum(p.stat().st_size for p in paths) / len(paths), **per}
    out["ratio"] = out["synthetic"]["total_ms"] / out["real"]["total_ms"]
    out["ratio_parse_map"] = ((out["synthetic"]["parse_ms"] + out["synthetic"]["map_ms"])
                              / (out["real"]["parse_ms"] + out["real"]["map_ms"]))
    out["within"] = abs(out["ratio"] - 1) <= TEXT_TOLERANCE
    return out


# ------------------------------------------------------------------------------------ PDF


def _pypdf(data: bytes) -> int:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    return sum(len(p.extract_text() or "") for p in reader.pages)


def _pypdfium2(data: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data, password="")
    try:
        size = 0
        for page in doc:
            textpage = page.get_textpage()
            size += len(textpage.get_text_range())
            textpage.close()
            page.close()
        return size
    finally:
        doc.close()


def extractors() -> dict[str, Callable[[Path, bytes], int]]:
    """The extractors to time: imrgraph's own reader, and each library that is installed."""
    from imrgraph.ingest import pdf_text

    out: dict[str, Callable[[Path, bytes], int]] = {
        "imrgraph.ingest.pdf_text": lambda path, _data: len(pdf_text(path))}
    for name, fn in (("pypdf", _pypdf), ("pypdfium2", _pypdfium2)):
        try:
            __import__(name)
        except ImportError:
            continue
        out[name] = lambda _path, data, fn=fn: fn(data)
    return out


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    return len(reader.pages)


def pdf_costs(real: Sequence[Path], synthetic: Sequence[Path], rounds: int = 3
              ) -> dict[str, Any]:
    """CPU ms per page of each extractor on both sets; medians over the rounds."""
    sets = {"real": list(real), "synthetic": list(synthetic)}
    pages = {name: sum(page_count(p) for p in paths) for name, paths in sets.items()}
    blobs = {name: [(p, p.read_bytes()) for p in paths] for name, paths in sets.items()}
    out: dict[str, Any] = {"rounds": rounds}
    for name, paths in sets.items():
        out[name] = {"letters": len(paths), "pages": pages[name],
                     "pages_per_letter": pages[name] / len(paths),
                     "kb_per_letter": sum(len(b) for _, b in blobs[name]) / len(paths) / 1e3}
    for label, fn in extractors().items():
        fn(*blobs["real"][0])  # import and warm up outside the timings
        times: dict[str, list[float]] = {"real": [], "synthetic": []}
        for round_no in range(rounds):
            sums = dict.fromkeys(sets, 0.0)
            for name, (path, data) in _interleaved(blobs, round_no):
                t = time.process_time()
                fn(path, data)
                sums[name] += time.process_time() - t
            for name in sets:
                times[name].append(sums[name])
        row = {name: 1000 * statistics.median(times[name]) / pages[name] for name in sets}
        row["ratio"] = row["synthetic"] / row["real"]
        row["within"] = abs(row["ratio"] - 1) <= PDF_TOLERANCE
        row["ms_per_letter_real"] = 1000 * statistics.median(times["real"]) / len(real)
        row["ms_per_letter_synthetic"] = (1000 * statistics.median(times["synthetic"])
                                          / len(synthetic))
        out[label] = row
    return out


# ------------------------------------------------------------------------------------ command


def calibrate(real_dir: Path, n_text: int, n_pdf: int, seed: int = 1, rounds: int = 3,
              text_dir: Path | None = None, pdf_dir: Path | None = None) -> dict[str, Any]:
    """Both measures; synthetic letters are generated (or taken from the folders given)."""
    from imrgraph.testing.pdfs import write_pdf_corpus
    from imrgraph.testing.synth import VERSION, write_corpus

    real_text = sorted((real_dir / "text").glob("*.txt"))
    real_pdf = sorted((real_dir / "pdf").glob("*.pdf"))
    if not real_text:
        raise SystemExit(f"{real_dir}: no text/*.txt (give --real)")
    out: dict[str, Any] = {"generator_version": VERSION, "seed": seed,
                           "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                           "load_avg_1min_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="imrgraph-calibrate-") as tmp:
        if text_dir is None:
            synth_text = write_corpus(Path(tmp) / "text", n_text, seed)
        else:
            synth_text = sorted(text_dir.glob("*.txt"))[:n_text]
        out["text"] = text_costs(real_text, synth_text, rounds)
        if n_pdf and real_pdf:
            if pdf_dir is None:
                synth_pdf = write_pdf_corpus(Path(tmp) / "pdf", n_pdf, seed)
            else:
                synth_pdf = sorted(pdf_dir.glob("*.pdf"))[:n_pdf]
            out["pdf"] = pdf_costs(real_pdf, synth_pdf, rounds)
    out["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return out


def summary_lines(result: dict[str, Any]) -> list[str]:
    t = result["text"]
    lines = [f"text, read + parse + map, ms/letter: real {t['real']['total_ms']:.2f} "
             f"({t['real']['letters']} letters), synthetic {t['synthetic']['total_ms']:.2f} "
             f"({t['synthetic']['letters']}): ratio {t['ratio']:.2f} "
             f"({'within' if t['within'] else 'OUTSIDE'} +-{TEXT_TOLERANCE:.0%})"]
    for label, row in result.get("pdf", {}).items():
        if isinstance(row, dict) and "ratio" in row:
            lines.append(f"PDF extraction, {label}, ms/page: real {row['real']:.2f}, synthetic "
                         f"{row['synthetic']:.2f}: ratio {row['ratio']:.2f} "
                         f"({'within' if row['within'] else 'OUTSIDE'} +-{PDF_TOLERANCE:.0%})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--real", type=Path, default=default_real(),
                   help="folder with text/*.txt and pdf/*.pdf of real letters")
    p.add_argument("--synthetic", type=int, default=500, help="synthetic text letters")
    p.add_argument("--pdf-synthetic", type=int, default=100, help="synthetic PDFs (0: skip)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)
    result = calibrate(args.real, args.synthetic, args.pdf_synthetic, args.seed, args.rounds)
    print("\n".join(summary_lines(result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
