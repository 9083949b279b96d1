"""A letter read from its PDF gives the same record as the letter read from its text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, SEEDS
from test_pdf import make_pdf, seed_lines, split_pages
from variants import essence

from imrgraph.ingest import letter_from_string, read_letter
from imrgraph.parse import parse_letter
from imrgraph.pdf import layout_text_normalise

PDFS = sorted((CORPUS / "real" / "pdf").glob("*.pdf"))


def _text_record(pdf: Path) -> dict:
    return essence(parse_letter(read_letter(CORPUS / "real" / "text" / f"{pdf.stem}.txt")))


@pytest.mark.corpus
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdf_record_equals_text_record(pdf: Path) -> None:
    assert essence(parse_letter(read_letter(pdf))) == _text_record(pdf)


@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdftotext_layout_record_equals_text_record(pdf: Path) -> None:
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                            check=True, timeout=60).stdout.decode("utf-8")
    text = layout_text_normalise(layout)
    assert essence(parse_letter(letter_from_string(text, pdf.name))) == _text_record(pdf)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
@pytest.mark.parametrize("pages", [1, 2, 3])
def test_generated_seed_pdf_parses_like_the_seed(seed: Path, pages: int, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / f"{seed.stem}.pdf", split_pages(seed_lines(seed), pages),
                   header="IMR Final Determination" if pages > 1 else None)
    assert essence(parse_letter(read_letter(pdf))) == essence(parse_letter(read_letter(seed)))


@pytest.mark.corpus
def test_corpus_pdfs_present() -> None:
    assert len(PDFS) == 72
