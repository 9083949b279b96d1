"""imrgraph.pdf: real letters, pdftotext -layout output, generated letters, hostile files."""

from __future__ import annotations

import difflib
import functools
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, EXAMPLES, ROOT, SEEDS

from imrgraph.errors import IngestError
from imrgraph.ingest import pdf_text
from imrgraph.pdf import (
    ENGINES,
    clean_pages,
    furniture_form,
    layout_text_normalise,
    rejoin_soft_hyphens,
)

REAL_PDF = CORPUS / "real" / "pdf"
REAL_TEXT = CORPUS / "real" / "text"
PDFS = sorted(REAL_PDF.glob("*.pdf"))

needs_corpus = pytest.mark.corpus


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Every PDF engine imrgraph offers is held to the same tests."""
    return request.param

DATE = r"\d{2}/\d{2}/\d{4}"
#: Header table as a whitespace-collapsed reading of the text: (label, value pattern).
HEADER_FIELDS = [
    ("Case Number:", r"CM\d{2}-\d{7}"),
    ("Date Assigned:", DATE),
    ("Date of Injury:", DATE),
    ("Decision Date:", DATE),
    ("UR Denial Date:", DATE),
    ("Priority:", r"[A-Z][a-z]+"),
    ("Application Received:", DATE),
]
#: Words pdf_text may drop from a reference text: a page number such as "Page 2 of 3".
PAGE_NUMBER_RE = re.compile(r"page \d+(?: (?:of|/) \d+)?|\d+ of \d+|- \d+ -", re.IGNORECASE)


def collapse(text: str) -> str:
    return " ".join(text.split())


def header_values(text: str) -> dict[str, str]:
    """Label -> value found right after it in the collapsed text (labels may wrap in pypdf)."""
    flat = collapse(text)
    found: dict[str, str] = {}
    for label, value in HEADER_FIELDS:
        m = re.search(re.escape(label) + r" (" + value + r")\b", flat)
        if m:
            found[label] = m.group(1)
    return found


def item_headings(reference: str) -> list[str]:
    """Each 'item: Upheld|Overturned' heading of a reference letter, whitespace-collapsed."""
    lines = reference.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not re.search(r"\b(Upheld|Overturned)\s*$", line):
            continue
        text = line
        if re.fullmatch(r"\s*(Upheld|Overturned)\s*", line) and i > 0:
            text = lines[i - 1] + " " + line  # "... is: \nUpheld"
        if ":" in text:
            out.append(collapse(text))
    return out


@functools.cache
def reference(stem: str) -> str:
    return (REAL_TEXT / f"{stem}.txt").read_text(encoding="utf-8")


def allowed_difference(ref_words: list[str], got_words: list[str]) -> bool:
    """The differences pdf_text makes on purpose: page furniture dropped, soft hyphens joined."""
    if not got_words and PAGE_NUMBER_RE.fullmatch(" ".join(ref_words)):
        return True
    # "medi-" "cation" -> "medication" (possibly several in a row).
    joined, i = [], 0
    while i < len(ref_words):
        w = ref_words[i]
        if re.fullmatch(r"[a-z]+-", w) and i + 1 < len(ref_words):
            joined.append(w[:-1] + ref_words[i + 1])
            i += 2
        else:
            joined.append(w)
            i += 1
    return joined == got_words and joined != ref_words


# --- the real letters ----------------------------------------------------------------------
@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_real_pdf_text_matches_reference(pdf: pathlib.Path, engine: str) -> None:
    got = pdf_text(pdf, engine=engine)
    ref = reference(pdf.stem)
    ref_words, got_words = ref.split(), got.split()
    assert len(got_words) > 300
    matcher = difflib.SequenceMatcher(None, ref_words, got_words, autojunk=False)
    bad = [
        (ref_words[a0:a1], got_words[b0:b1])
        for op, a0, a1, b0, b1 in matcher.get_opcodes()
        if op != "equal" and not allowed_difference(ref_words[a0:a1], got_words[b0:b1])
    ]
    assert not bad, f"{pdf.name}: text differs from the pypdf reference: {bad[:5]}"
    # Cleaned: one space between words, no blank lines, no leading or trailing spaces.
    assert not re.search(r"[ \t]\n|\n[ \t]|\n\n|  ", got)
    assert got.strip() and not got.startswith(("\n", " "))
    # Every header-table label survives with its value (the "Application / Received:" label
    # wraps in its cell, so it is read across the line break).
    if "Case Number:" in ref:
        assert header_values(got) == header_values(ref)
        assert len(header_values(got)) == len(HEADER_FIELDS)


@needs_corpus
@pytest.mark.corpus
def test_real_pdfs_are_aes_encrypted_with_empty_password() -> None:
    from pypdf import PdfReader

    reader = PdfReader(PDFS[0])
    assert reader.is_encrypted
    assert reader.trailer["/Encrypt"]["/CF"]["/StdCF"]["/CFM"] == "/AESV2"


@needs_corpus
@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_layout_text_normalised_keeps_header_and_items(pdf: pathlib.Path) -> None:
    raw = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "\f" in raw and "  " in raw  # the artefacts are really there to remove
    got = layout_text_normalise(raw)
    assert "\f" not in got and "  " not in got
    assert not re.search(r"^[ \t]", got, re.MULTILINE)
    ref = reference(pdf.stem)
    if "Case Number:" in ref:
        assert header_values(got) == header_values(ref)
        assert len(header_values(got)) == len(HEADER_FIELDS)
        # The wrapped label is put back together, so the line reads like the table row.
        assert re.search(r"^Priority: \w+ Application Received: " + DATE + "$", got, re.M)
    flat = collapse(got)
    headings = item_headings(ref)
    assert headings or pdf.stem == "CM16-0237844"  # one letter states no outcome line
    for heading in headings:
        assert heading in flat, heading
    assert got.split() == ref.split()  # on these letters, nothing but layout differs


def test_layout_text_normalise_synthetic() -> None:
    raw = (
        "      Running Header CM15-0000001\n"
        "Case Number:          CM15-0000001\n"
        "Priority:             Standard                 Application          02/17/2015\n"
        "                                               Received:\n"
        "\n\n\n"
        "              HOW THE IMR FINAL DETERMINATION WAS MADE\n"
        "The medi-\n"
        "cation was   stopped.\n"
        "                                 Page 1 of 2\n"
        "\f      Running Header CM15-0000001\n"
        "Knee MRI:   Upheld\n"
        "                                   2 of 2\n\f"
    )
    assert layout_text_normalise(raw) == (
        "Case Number: CM15-0000001\n"
        "Priority: Standard Application Received: 02/17/2015\n"
        "HOW THE IMR FINAL DETERMINATION WAS MADE\n"
        "The medication\n"
        "was stopped.\n"
        "Knee MRI: Upheld\n"
    )


# --- soft hyphens and page furniture -----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the medi-\ncation was given\n", "the medication\nwas given\n"),
        ("a hyphen-\nated word\n", "a hyphenated\nword\n"),
        ("Decision based on Non-\nMTUS guidelines\n", None),
        ("facet injection at L4-\n5 and L5-S1\n", None),
        ("Norco 10/325-\nmg\n", None),
        ("negative x-\nray\n", None),
        ("a follow-\nup visit\n", None),
        ("for 7-\n10 days\n", None),
        ("anti-\ninflammatory drugs\n", None),
        ("non-\ncertified by UR\n", None),
        ("a well-\nknown well-known\n", None),
        ("the range-of-\nmotion\n", None),
        ("right hand-\nwrist pain; hand and wrist\n", None),
        ("see https://example.org/skilled-\nnursing\n", None),
        ("the treat-\nment; treatment\n", "the treatment;\ntreatment\n"),
        ("soft\u00ad\nhyphen\n", "softhyphen\n"),
    ],
)
def test_rejoin_soft_hyphens(text: str, expected: str | None) -> None:
    assert rejoin_soft_hyphens(text) == (text if expected is None else expected)


def test_clean_pages_drops_page_numbers_and_running_lines() -> None:
    pages = [
        "IMR Final Determination CM15-0000001\nCase Number: CM15-0000001\nbody one\nPage 1 of 3",
        "IMR Final Determination CM15-0000001\nbody two\n\n\n\nmore\n2",
        "IMR Final Determination CM15-0000001\nbody three\n- 3 -\n",
    ]
    assert clean_pages(pages) == (
        "Case Number: CM15-0000001\nbody one\nbody two\nmore\nbody three\n"
    )
    # One page: the page number goes, a lone header line cannot be told from text and stays.
    assert clean_pages(["Title line\nbody\nPage 1 of 1"]) == "Title line\nbody\n"
    # A bare number that is not the page's number is text.
    assert clean_pages(["body\n2004"]) == "body\n2004\n"


#: A reviewer's closing sentence, repeated word for word for two items of one letter; in a
#: real letter (CM17-0003619) it ends page 2 and page 3, so it repeats at the foot of pages.
RATIONALE = [
    "conservative treatment the requested diagnostic studies would not be supported at this"
    " time. As",
    "such, the request is not medically necessary.",
]


def test_clean_pages_keeps_a_body_sentence_repeated_at_page_ends() -> None:
    pages = [
        "Case Number: CM17-0003619\nItem 1: Upheld\nClaims Administrator guideline: none",
        "MAXIMUS guideline: Decision based on MTUS\nbody of item one\n" + "\n".join(RATIONALE),
        "Item 2: Upheld\nbody of item two\n" + "\n".join(RATIONALE) + "\n",
    ]
    got = clean_pages(pages)
    assert got.count(RATIONALE[1]) == 2 and got.count(RATIONALE[0]) == 2
    assert got.split() == "\n".join(pages).split()
    # The same shape with real furniture: the running footer and the page numbers go.
    footer = "IMR Final Determination CM17-0003619"
    with_furniture = [f"{p}\n{footer}\nPage {n} of 3" for n, p in enumerate(pages, 1)]
    assert clean_pages(with_furniture) == got


@pytest.mark.parametrize(
    ("line", "furniture"),
    [
        ("IMR Final Determination CM15-0000001", True),
        ("Independent Medical Review - Final Determination Letter", True),
        ("Case CM16-0213037 - Page 2 of 4", True),
        ("Page 3", True),
        (RATIONALE[0], False),
        (RATIONALE[1], False),
        ("Nerve Conduction Study of the right upper extremity: Upheld", False),
        ("the medical condition and disputed items/Service.", False),
    ],
)
def test_furniture_form(line: str, furniture: bool) -> None:
    assert furniture_form(line) is furniture


def test_repeated_rationale_survives_a_real_pdf(tmp_path: pathlib.Path, engine: str) -> None:
    """Three pages as in CM17-0003619: the sentence ends pages 2 and 3, a footer on each."""
    body = [["Case Number: CM17-0003619", "Item 1: Upheld", "Claims Administrator guideline:"],
            ["MAXIMUS guideline: Decision based on MTUS", "body of item one", *RATIONALE],
            ["Item 2: Upheld", "body of item two", *RATIONALE]]
    pdf = make_pdf(tmp_path / "repeat.pdf", body)
    got = pdf_text(pdf, engine=engine)
    assert got.split() == " ".join(" ".join(p) for p in body).split()


# --- letters generated from the seed texts -------------------------------------------------
RUNNING_HEADER = "Independent Medical Review - Final Determination Letter"


def seed_lines(seed: pathlib.Path) -> list[str]:
    return [ln.strip() for ln in seed.read_text(encoding="utf-8").splitlines() if ln.strip()]


def make_pdf(
    path: pathlib.Path,
    pages: list[list[str]],
    *,
    header: str | None = None,
    footer: bool = True,
    furniture_first: bool = False,
) -> pathlib.Path:
    """A letter PDF: body lines per page, optional running header and 'Page i of n' footer."""
    from reportlab.pdfgen import canvas

    height = max(792.0, 72 + 10.0 * max(len(p) for p in pages) + 72)
    c = canvas.Canvas(str(path), pagesize=(612, height))
    n = len(pages)
    for i, lines in enumerate(pages, start=1):

        def furniture(i: int = i) -> None:
            c.setFont("Helvetica", 8)
            if header:
                c.drawString(36, height - 30, header)
            if footer:
                c.drawCentredString(306, 24, f"Page {i} of {n}")

        if furniture_first:
            furniture()
        c.setFont("Helvetica", 8)
        y = height - 60
        for line in lines:
            c.drawString(36, y, line)
            y -= 10
        if not furniture_first:
            furniture()
        c.showPage()
    c.save()
    return path


def split_pages(lines: list[str], n: int) -> list[list[str]]:
    size = -(-len(lines) // n)
    return [lines[k : k + size] for k in range(0, len(lines), size)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    ("n_pages", "header", "furniture_first"),
    [(1, None, False), (3, RUNNING_HEADER, False), (3, RUNNING_HEADER, True), (4, None, True)],
    ids=["one-page", "three-pages", "three-pages-furniture-first", "four-pages-no-header"],
)
def test_generated_letters_round_trip(
    engine: str,
    tmp_path: pathlib.Path,
    seed: pathlib.Path,
    n_pages: int,
    header: str | None,
    furniture_first: bool,
) -> None:
    lines = seed_lines(seed)
    pages = split_pages(lines, n_pages)
    assert len(pages) == n_pages
    pdf = make_pdf(
        tmp_path / f"{seed.stem}.pdf", pages, header=header, furniture_first=furniture_first
    )
    got = pdf_text(pdf, engine=engine)
    assert got.split() == " ".join(lines).split()
    assert not re.search(r"Page \d+ of \d+", got)
    assert RUNNING_HEADER not in got


# --- hostile files -------------------------------------------------------------------------
def assert_ingest_error(path: pathlib.Path, reason: str, engine: str) -> None:
    with pytest.raises(IngestError) as info:
        pdf_text(path, engine=engine)
    assert path.name in str(info.value)
    assert re.search(reason, info.value.reason, re.IGNORECASE), info.value.reason


def test_password_protected_pdf(tmp_path: pathlib.Path, engine: str) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [["Case Number: CM15-0000001", "some text"]])
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    assert_ingest_error(locked, "encrypted PDF: a password is required", engine)
    # The same file with an empty user password reads.
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    open_pdf = tmp_path / "open.pdf"
    with open_pdf.open("wb") as fh:
        writer.write(fh)
    assert "CM15-0000001" in pdf_text(open_pdf, engine=engine)


@needs_corpus
@pytest.mark.corpus
def test_truncated_real_pdf(tmp_path: pathlib.Path, engine: str) -> None:
    data = PDFS[0].read_bytes()
    half = tmp_path / "half.pdf"
    half.write_bytes(data[: len(data) // 2])
    assert_ingest_error(half, "truncated or corrupt", engine)
    # Cut short but given a fake end marker: pypdf's own failure is still an IngestError.
    faked = tmp_path / "faked.pdf"
    faked.write_bytes(data[: len(data) // 2] + b"\n%%EOF\n")
    assert_ingest_error(faked, "corrupt", engine)


def test_random_bytes_with_pdf_header(tmp_path: pathlib.Path, engine: str) -> None:
    rng = random.Random(7)
    for k in range(5):
        body = bytes(rng.getrandbits(8) for _ in range(4000))
        junk = tmp_path / f"junk{k}.pdf"
        junk.write_bytes(b"%PDF-1.7\n" + body + (b"\n%%EOF\n" if k % 2 else b""))
        assert_ingest_error(junk, "corrupt|truncated|no extractable text", engine)


def test_zero_bytes_and_not_a_pdf(tmp_path: pathlib.Path, engine: str) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert_ingest_error(empty, "empty file", engine)
    text = tmp_path / "letter.pdf"
    text.write_text("Case Number: CM15-0000001\n")
    assert_ingest_error(text, "not a PDF", engine)
    assert_ingest_error(tmp_path / "missing.pdf", "cannot read: no such file", engine)


def test_image_only_pdf(tmp_path: pathlib.Path, engine: str) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.rect(72, 72, 400, 600, fill=1)
    c.showPage()
    c.save()
    assert_ingest_error(path, r"no extractable text \(scanned image\?\)", engine)


def test_size_and_page_limits(tmp_path: pathlib.Path, engine: str) -> None:
    pdf = make_pdf(tmp_path / "long.pdf", [["a"], ["b"], ["c"]])
    with pytest.raises(IngestError, match=r"long\.pdf: too many pages: 3 exceeds the 2-page limit"):
        pdf_text(pdf, max_pages=2, engine=engine)
    too_large = r"long\.pdf: too large for one PDF \(\d+ bytes > 100 bytes\)"
    with pytest.raises(IngestError, match=too_large):
        pdf_text(pdf, max_bytes=100, engine=engine)
    assert pdf_text(pdf, engine=engine).split() == ["a", "b", "c"]


#: Mutates the bundled letters' PDFs (as published, and decrypted so that mutations reach the
#: page content) and reads each; run in a child so a native crash or a hang fails the test.
_FUZZ = r"""
import io, json, random, sys
from pathlib import Path
from pypdf import PdfReader, PdfWriter
from imrgraph.errors import IngestError
from imrgraph.pdf import read_pdf
engine, folder, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
sources = []
for path in sorted(folder.glob("*.pdf"))[:4]:
    sources.append(path.read_bytes())
    reader = PdfReader(path)
    reader.decrypt("")
    plain = io.BytesIO()
    PdfWriter(clone_from=reader).write(plain)
    sources.append(plain.getvalue())
rng = random.Random(16)
seen = {"text": 0, "refused": 0}
for k in range(n):
    data = bytearray(rng.choice(sources))
    for _ in range(rng.randint(1, 12)):
        i, op = rng.randrange(len(data)), rng.random()
        if op < 0.6:
            data[i] = rng.randrange(256)
        elif op < 0.8:
            del data[i : i + rng.randint(1, 200)]
        else:
            data[i:i] = data[rng.randrange(len(data)):][: rng.randint(1, 200)]
    try:
        read_pdf(bytes(data), f"mutant{k}.pdf", engine=engine)
        seen["text"] += 1
    except IngestError as exc:
        assert str(exc).startswith(f"mutant{k}.pdf: ") and "\n" not in str(exc), str(exc)
        seen["refused"] += 1
print(json.dumps(seen))
"""


def test_mutated_real_pdfs_give_text_or_a_reason(engine: str) -> None:
    """Hostile PDFs: every mutant is read or refused with a one-line reason, in bounded time,
    and nothing the engine says reaches stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _FUZZ, engine, str(EXAMPLES / "pdf"), "120"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    seen = json.loads(done.stdout)
    assert seen["text"] > 0 and seen["refused"] > 0, seen
