"""Generators of text variants and hostile files, shared by the robustness tests.

Each variant keeps a letter's words and changes only what text tools change: line ends, blank
lines, wrapping width, typography, encodings, heading case.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

from imrgraph.records import Determination

_MARKERS = ("Claims Administrator guideline:", "MAXIMUS guideline:", "Decision rationale:",
            "CLINICAL CASE SUMMARY", "Case Number:", "Date Assigned:", "Decision Date:",
            "The Expert Reviewer has the following credentials:")


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def no_blank_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip()) + "\n"


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of a letter: blank-line separated blocks, with item headings on their own."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return [b for b in blocks if b.strip()]


def rewrap(width: int) -> Callable[[str], str]:
    def wrap(text: str) -> str:
        out = []
        for block in _paragraphs(text):
            words = " ".join(block.split())
            out.append(textwrap.fill(words, width=width, break_long_words=False,
                                     break_on_hyphens=False))
        return "\n\n".join(out) + "\n"

    wrap.__name__ = f"rewrap_{width}"
    return wrap


def typography(text: str) -> str:
    text = re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", text)
    text = text.replace("'", "\u2019")
    text = re.sub(r"(?<=\d)-(?=\d)", "\u2013", text)  # page ranges 48-9 -> en dash
    text = text.replace(" - ", " \u2014 ")
    return text


def nbsp_and_tabs(text: str) -> str:
    text = text.replace(": ", ":\u00a0", 3)
    text = re.sub(r"(?m)^ ", "\t", text)
    return text.replace("  ", " \t")


def upper_headings(text: str) -> str:
    for marker in _MARKERS:
        text = re.sub(re.escape(marker), marker.upper(), text, flags=re.IGNORECASE)
    return text


TEXT_VARIANTS: dict[str, Callable[[str], str]] = {
    "crlf": crlf,
    "no-blank-lines": no_blank_lines,
    "rewrap-60": rewrap(60),
    "rewrap-130": rewrap(130),
    "typography": typography,
    "nbsp-tabs": nbsp_and_tabs,
    "upper-headings": upper_headings,
}

ENCODINGS = ("cp1252", "latin-1", "utf-8-sig", "utf-16")


def write_variants(seed: Path, folder: Path) -> list[Path]:
    """All text variants and encodings of one letter, as files in folder."""
    text = seed.read_text(encoding="utf-8")
    paths = []
    for name, make in TEXT_VARIANTS.items():
        path = folder / f"{seed.stem}.{name}.txt"
        path.write_bytes(make(text).encode("utf-8"))
        paths.append(path)
    for encoding in ENCODINGS:
        path = folder / f"{seed.stem}.{encoding}.txt"
        path.write_bytes(typography(text).encode(encoding, errors="strict")
                         if encoding != "latin-1" else text.encode(encoding))
        paths.append(path)
    return paths


def write_hostile(folder: Path) -> dict[str, str]:
    """Hostile inputs; returns file name -> expected words in the rejection reason."""
    import os
    import zlib

    expected: dict[str, str] = {}
    (folder / "empty.txt").write_bytes(b"")
    expected["empty.txt"] = "empty file"
    (folder / "junk.txt").write_bytes(bytes((i * 37 + 11) % 256 for i in range(4096)))
    expected["junk.txt"] = "binary content"
    png = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 13
           + zlib.compress(b"\x00" * 64))
    (folder / "image.txt").write_bytes(png)
    expected["image.txt"] = "PNG image"
    (folder / "memo.txt").write_text("Quarterly memo\n\nThe cafeteria closes at 3pm on Friday.\n")
    expected["memo.txt"] = "not an IMR final determination"
    (folder / "truncated.pdf").write_bytes(b"%PDF-1.6\n1 0 obj\n<< /Type /Catalog")
    expected["truncated.pdf"] = "PDF"
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    plain = folder / ".plain.tmp"
    c = canvas.Canvas(str(plain))
    c.drawString(72, 720, "Case Number: CM16-0000001")
    c.showPage()
    c.save()
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    with (folder / "locked.pdf").open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    expected["locked.pdf"] = "password is required"
    big = folder / "huge.txt"
    with big.open("wb") as fh:
        chunk = b"Physical therapy 12 sessions: Upheld\n" * 1000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
    expected["huge.txt"] = "too large"
    loop = folder / "loop"
    loop.mkdir()
    os.symlink("..", loop / "back-to-parent")
    os.symlink("self-loop", folder / "self-loop")
    expected["self-loop"] = "symlink loop"
    return expected


def essence(det: Determination) -> dict:
    """What a letter says, without where it says it (spans differ between variants)."""
    def v(f):  # noqa: ANN001, ANN202
        return None if f is None else f.value

    h = det.header
    return {
        "header": [v(getattr(h, n)) for n in vars(h)],
        "reviewer": ([f.value for f in det.reviewer.specialties],
                     [f.value for f in det.reviewer.licensure_states]),
        "worker": (v(det.worker.age), v(det.worker.sex), v(det.worker.date_of_injury)),
        "items": [
            (i.label.value.lower(), i.outcome.value, v(i.original_request), v(i.authorized_portion),
             [(s.party, s.cited_no_evidence, s.outside_mtus,
               [(c.guideline, c.mtus, c.edition, [(p.start, p.end) for p in c.pages])
                for c in s.citations]) for s in i.statements],
             bool(i.rationale))
            for i in det.items
        ],
    }
