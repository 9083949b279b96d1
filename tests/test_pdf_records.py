"""A letter read from its PDF gives the same record as the letter read from its text.

Every engine (pypdfium2, the default, and pypdf) and ``pdftotext -layout`` output are held to
the same standard on the 72 real letters: the same record as the corpus' text file, and no
body word lost (the corpus' text files are pypdf's raw text, before any cleaning).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS, SEEDS
from test_pdf import make_pdf, seed_lines, split_pages
from variants import essence

from imrgraph.ingest import LetterText, letter_from_string, pdf_text, read_letter
from imrgraph.pdf import ENGINES, layout_text_normalise
from imrgraph.pipeline import determination_of
from imrgraph.records import Determination


def _record(letter: LetterText) -> Determination:
    """A letter as the pipeline reads it: parsed, then resolved against the vocabularies."""
    return determination_of(letter)


PDFS = sorted((CORPUS / "real" / "pdf").glob("*.pdf"))
needs_corpus = pytest.mark.corpus
#: Page furniture a reader may drop from the raw text, a line of its own: "Page 2 of 3",
#: "2 of 3", "- 2 -" or a bare page number.
PAGE_NUMBER_RE = re.compile(
    r"\s*(?:page \d+(?: (?:of|/) \d+)?|\d+ of \d+|- \d+ -|\d{1,3})\s*", re.IGNORECASE
)


def _text_record(pdf: Path) -> dict:
    return essence(_record(read_letter(CORPUS / "real" / "text" / f"{pdf.stem}.txt")))


def lost_words(raw: str, got: str) -> Counter[str]:
    """Words of ``raw`` missing from ``got`` (a multiset), page numbers and rejoined hyphens
    ("medi-" "cation" -> "medication") aside."""
    words = [w for line in raw.splitlines() if not PAGE_NUMBER_RE.fullmatch(line)
             for w in line.split()]
    have = Counter(got.split())
    lost = Counter(words) - have
    for first, second in zip(words, words[1:], strict=False):
        if lost[first] and first.endswith("-") and have[first[:-1] + second]:
            lost[first] -= 1
            lost[second] -= 1
    return +lost


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdf_record_equals_text_record(pdf: Path, engine: str) -> None:
    assert essence(_record(read_letter(pdf, engine=engine))) == _text_record(pdf)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_every_word_of_the_raw_text_survives(pdf: Path, engine: str) -> None:
    raw = (CORPUS / "real" / "text" / f"{pdf.stem}.txt").read_text(encoding="utf-8")
    assert not lost_words(raw, pdf_text(pdf, engine=engine))


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_engines_give_the_same_text(pdf: Path) -> None:
    """Same text, so the same record with the same spans, whichever engine reads the PDF."""
    first, *others = (pdf_text(pdf, engine=engine) for engine in ENGINES)
    assert others and all(text == first for text in others)


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_env_variable_picks_the_engine(engine: str, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from imrgraph.errors import UsageError
    from imrgraph.pdf import ENGINE_ENV, pdf_engine

    monkeypatch.setenv(ENGINE_ENV, engine)
    assert pdf_engine() == engine
    assert pdf_engine("pypdf") == "pypdf"  # a parameter wins over the environment
    monkeypatch.setenv(ENGINE_ENV, "mupdf")
    with pytest.raises(UsageError, match="IMRGRAPH_PDF_ENGINE"):
        read_letter(make_pdf(tmp_path / "a.pdf", [["Case Number: CM15-0000001"]]))
    monkeypatch.delenv(ENGINE_ENV)
    assert pdf_engine() == "pypdfium2"


@needs_corpus
@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_pdftotext_layout_record_equals_text_record(pdf: Path) -> None:
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                            check=True, timeout=60).stdout.decode("utf-8")
    text = layout_text_normalise(layout)
    raw = (CORPUS / "real" / "text" / f"{pdf.stem}.txt").read_text(encoding="utf-8")
    assert not lost_words(raw, text)
    assert essence(_record(letter_from_string(text, pdf.name))) == _text_record(pdf)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
@pytest.mark.parametrize("pages", [1, 2, 3])
def test_generated_seed_pdf_parses_like_the_seed(seed: Path, pages: int, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / f"{seed.stem}.pdf", split_pages(seed_lines(seed), pages),
                   header="IMR Final Determination" if pages > 1 else None)
    assert essence(_record(read_letter(pdf))) == essence(_record(read_letter(seed)))


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus) is absent")
def test_corpus_pdfs_present() -> None:
    assert len(PDFS) == 72

