"""PDF letters -> plain text that reads like the corpus' pypdf text files.

Two engines read the text layer (see docs/design.md, "PDF text"): ``pypdfium2`` (PDFium, the
default: about ten times faster than pypdf on the state's AES-encrypted Word exports, and
line-for-line the same text once its line-end hyphen marker is written back as a hyphen) and
``pypdf`` (pure Python, the tool the corpus' reference texts were made with). Choose with the
``engine=`` parameter or the ``IMRGRAPH_PDF_ENGINE`` environment variable. ``pdftotext -layout``
output is read by :func:`layout_text_normalise`. Both licences are permissive (pypdfium2:
Apache-2.0 / BSD-3-Clause, PDFium itself BSD-3-Clause; pypdf: BSD-3-Clause), unlike PyMuPDF
(AGPL).

What the published letters contain (checked on the 72 real PDFs, PDFMaker for Word, AESV2
encryption with an empty user password): 2 to 10 pages, the MAXIMUS logo as an image on
page 1, the header table as a Word table (its "Application Received:" label wraps inside its
cell, so pypdf gives "Priority: Standard Application / Received: / <date>" on three lines, and
each label and value survives), no running header or footer, no page numbers, and no
automatic hyphenation: every hyphen at a line end in those letters is a real one
("non-\\ncertified", "x-\\nray", "hand-\\nwrist"). Letters from other years or re-rendered copies
can carry "Page 2 of 3" footers and a running header line, which :func:`clean_pages` drops by
position (a page's first or last lines) and form (a page number, the case number, a short
title), never a body sentence that happens to repeat.

Every failure is an :class:`imrgraph.errors.IngestError` naming the file and the reason; no
other exception type escapes :func:`read_pdf`. What an engine says on the way (pypdf's log
messages, Python warnings) becomes the letter's warnings (:class:`PdfText`), never raw stderr.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from imrgraph.errors import IngestError, UsageError

#: Refuse larger files: letters are a few tens of kB; this bounds memory and parse time.
MAX_PDF_BYTES = 50 * 1024 * 1024
#: Refuse longer documents: the longest real letter has 10 pages.
MAX_PDF_PAGES = 200
#: Lines at each end of a page that may be a running header/footer or a page number.
_EDGE_LINES = 2

_PAGE_NUMBER_RE = re.compile(
    r"""^\s*(?:
        page\s*\d+(?:\s*(?:of|/)\s*\d+)?    # Page 2 | Page 2 of 3 | Page 2/3
      | \d+\s*(?:of|/)\s*\d+                # 2 of 3 | 2/3
      | [-\u2013\u2014]\s*\d+\s*[-\u2013\u2014] # - 2 -
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_BARE_NUMBER_RE = re.compile(r"^\s*(\d{1,3})\s*$")

# --- soft hyphens -------------------------------------------------------------------------
# A line-end hyphen is rejoined only when all of these hold (conservative: keeping a hyphen
# that was soft costs a parser little, deleting a real one changes a treatment's name):
#   * the word before it is all lowercase ASCII letters (no digits, capitals, slashes, other
#     hyphens), so "Non-\nMTUS", "L4-\n5", "X-\nray", "range-of-\nmotion" and URLs stay;
#   * the word after it starts with lowercase letters (so "7-\n10 days" stays);
#   * the first half is not a known compound prefix (non, anti, self, follow, x, ...) and the
#     second half is not a known compound tail (up, based, related, sided, ...);
#   * the text does not use the hyphenated form elsewhere ("follow-up" mid-line);
#   * and either the joined word occurs elsewhere in the text, or neither half is a word of
#     the text on its own (nor a common word): "medi-\ncation" joins, "shoulder-\nupper" and
#     "hand-\nwrist" stay because the letter says "shoulder" or "hand" elsewhere.
# U+00AD (the soft hyphen character) always joins.


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_COMPOUND_PREFIXES = _wordset(
    """
    anti auto bi co counter cross de double electro ex extra follow full half high home hyper hypo
    inter intra long low mid multi neuro non off on out over part post pre pro re right left
    semi self short single sub super trans tri ultra un under upper well x
    """
)
_COMPOUND_TAILS = _wordset(
    """
    up ups in ins out on off over based related sided term time type like free induced
    specific approved certified dependent directed established release weighted
    bearing day days week weeks month months year years old care level line
    """
)
_COMMON_WORDS = _wordset(
    """
    a an and are as at be by for from has have in is it of on or the to was were with
    arm back body care day foot hand head hip knee leg neck pain side time up wrist
    upper lower left right mid front rear inner outer top bottom early late new old
    all any not no one two three four five six ten per via
    """
)
_HYPHEN_BREAK_RE = re.compile(
    r"(?P<pre>(?<![^\s(\"'])[a-z]+)(?P<hy>[-\u00ad\u2010])[ \t]*\n[ \t]*"
    r"(?P<post>[a-z]+)(?P<punct>[^\sA-Za-z0-9-]*)(?P<sp>[ \t]*)(?P<nl>\n?)"
)
#: What every match of ``_HYPHEN_BREAK_RE`` contains: a text without it has nothing to rejoin,
#: and finding it is quicker than trying the full pattern at every word.
_HYPHEN_BREAK_HINT_RE = re.compile(r"[-\u00ad\u2010][ \t]*\n")
_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def rejoin_soft_hyphens(text: str) -> str:
    """Rejoin words a typesetter split with a hyphen at a line break, keeping real hyphens.

    See the rules above ``_COMPOUND_PREFIXES``: only lowercase-letter halves are candidates,
    and evidence from the letter itself decides. The joined word ends the first line and the
    rest of the second line stays on its own line ("medi-\\ncation is" -> "medication\\nis").
    On the 72 real letters this changes nothing, because Word did not hyphenate them.
    """
    if not _HYPHEN_BREAK_HINT_RE.search(text):
        return text
    counted: list[Counter[str]] = []  # the text's words and word parts, once a break needs them

    def tally() -> list[Counter[str]]:
        if not counted:  # most letters have no candidate break: their words are never counted
            words = Counter(map(str.lower, _WORD_RE.findall(text)))
            singles: Counter[str] = Counter()
            for w, n in words.items():
                for part in w.split("-"):
                    singles[part] += n
            counted.extend((words, singles))
        return counted

    def soft(pre: str, hy: str, post: str) -> bool:
        if hy == "\u00ad":
            return True
        if pre in _COMPOUND_PREFIXES or post in _COMPOUND_TAILS:
            return False
        words, singles = tally()
        # Mid-line "pre-post" anywhere (this occurrence spans a line break, so is not counted).
        if words.get(f"{pre}-{post}", 0) > 0:
            return False
        if words.get(pre + post, 0) > 0:
            return True
        # ">1": the halves themselves were counted once here.
        pre_is_word = singles.get(pre, 0) > 1 or pre in _COMMON_WORDS
        post_is_word = singles.get(post, 0) > 1 or post in _COMMON_WORDS
        return not (pre_is_word or post_is_word)

    def join(m: re.Match[str]) -> str:
        if not soft(m.group("pre"), m.group("hy"), m.group("post")):
            return m.group(0)
        word = m.group("pre") + m.group("post") + m.group("punct")
        return word + (m.group("nl") if m.group("nl") or not m.group("sp") else "\n")

    return _HYPHEN_BREAK_RE.sub(join, text)


# --- page furniture -----------------------------------------------------------------------
#: A case number as the state writes it (CM16-0213037) names the letter, never a body sentence.
_CASE_NUMBER_RE = re.compile(r"\b[A-Z]{2}\d{2}-\d{7}\b")
#: A page reference inside a longer line: "Page 2", "page 2 of 3", "2 of 3".
_PAGE_REF_RE = re.compile(r"\bpage\s*\d+\b|\b\d+\s+of\s+\d+\b", re.IGNORECASE)
#: Punctuation that ends or continues a sentence or labels a field: a line with it is prose.
_PROSE_RE = re.compile(r"[.,;:!?](?:\s|$)")
#: Words a running title may have; body lines that wrap are longer.
_TITLE_WORDS = 10
_NAMED_LINE_WORDS = 16


def _edge_indices(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indices of the first and last ``_EDGE_LINES`` non-blank lines of a page."""
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    return nonblank[:_EDGE_LINES], nonblank[-_EDGE_LINES:]


def _furniture_key(line: str) -> str:
    """A line with digits masked, so "CM15-0028659 page 2" and "... page 3" compare equal."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def furniture_form(line: str) -> bool:
    """Whether a line reads like a running header/footer rather than body text.

    Furniture names the letter or the page (a case number, "Page 2 of 3") in a short line, or
    is a short title: at most ten words, not starting lowercase, with no sentence or field
    punctuation (". ", ", ", ": "...). A rationale sentence a reviewer repeats for two items
    ("... would not be supported at this time. As / such, the request is not medically
    necessary.") fails every test, so repeating at the foot of two pages cannot delete it.
    """
    words = line.split()
    if not words:
        return False
    flat = " ".join(words)
    if _CASE_NUMBER_RE.search(flat) or _PAGE_REF_RE.search(flat):
        return len(words) <= _NAMED_LINE_WORDS
    return len(words) <= _TITLE_WORDS and not flat[0].islower() and not _PROSE_RE.search(flat)


def page_number_line(line: str, page: int) -> bool:
    """A page number by form: "Page 2 of 3", "2 of 3", "- 2 -", or the page's bare number."""
    bare = _BARE_NUMBER_RE.match(line)
    return bool(_PAGE_NUMBER_RE.match(line) or (bare and int(bare.group(1)) == page))


def furniture_lines(pages: list[list[str]]) -> list[set[int]]:
    """Per page, the indices of the lines that are page furniture (see :func:`clean_pages`)."""
    edges = [_edge_indices(lines) for lines in pages]
    drop: list[set[int]] = [set() for _ in pages]
    for n, (lines, (top, bottom)) in enumerate(zip(pages, edges, strict=True)):
        drop[n].update(i for i in {*top, *bottom} if page_number_line(lines[i], n + 1))
    if len(pages) < 2:
        return drop
    need = max(2, len(pages) - 1)
    for side in (0, 1):
        seen: Counter[str] = Counter()
        for lines, edge in zip(pages, edges, strict=True):
            seen.update({_furniture_key(lines[i]) for i in edge[side] if furniture_form(lines[i])})
        running = {k for k, c in seen.items() if c >= need and any(ch.isalpha() for ch in k)}
        for n, (lines, edge) in enumerate(zip(pages, edges, strict=True)):
            drop[n].update(i for i in edge[side]
                           if furniture_form(lines[i]) and _furniture_key(lines[i]) in running)
    return drop


def clean_pages(pages: list[str]) -> str:
    """Join page texts, dropping page numbers and running headers/footers, nothing else.

    Page furniture is told by position and form together. Position: only the first or last
    two non-blank lines of a page. Form: a page number ("Page 2 of 3", "2 of 3", "- 2 -", or a
    bare number equal to the page's index) is dropped there on any page; a running
    header/footer is a line of :func:`furniture_form` found, digits masked, at the same end of
    every page (or every page but the first), at least two of them: a one-page letter can only
    lose its page number, and a body sentence is never dropped however often it repeats.
    Then soft hyphens are rejoined and spacing normalised (:func:`normalise_whitespace`).
    """
    split = [p.splitlines() for p in pages]
    drop = furniture_lines(split)
    kept = [
        "\n".join(ln for i, ln in enumerate(lines) if i not in drop[n])
        for n, lines in enumerate(split)
    ]
    return normalise_whitespace(rejoin_soft_hyphens("\n".join(kept)))


def normalise_whitespace(text: str) -> str:
    """One space between words, no leading or trailing spaces, no blank lines.

    The engines agree on the words and the line breaks of a letter but not on spacing: pypdf
    writes "Date of Injury:  10/13/2016" and a blank line between paragraphs, PDFium one space
    and no blank lines. Keeping only what they agree on makes the text, and so every span of
    the record, the same whichever engine read the PDF (checked on the real letters).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [" ".join(ln.split()) for ln in text.split("\n")]
    return "".join(ln + "\n" for ln in lines if ln)


# --- reading PDFs -------------------------------------------------------------------------
#: The engines that read a PDF's text layer; the first is the default.
ENGINES = ("pypdfium2", "pypdf")
#: Environment variable that picks the engine when ``engine=`` is not given.
ENGINE_ENV = "IMRGRAPH_PDF_ENGINE"
#: At most this many distinct engine messages are kept as a letter's warnings.
_MAX_WARNINGS = 5
# PDFium is not thread-safe, and capturing pypdf's log and Python warnings swaps process-wide
# state: one extraction at a time per process (parallel builds use processes).
_LOCK = threading.RLock()


@dataclass(frozen=True)
class PdfText:
    """A PDF letter's cleaned text and what the engine complained about while reading it."""

    text: str
    engine: str
    warnings: tuple[str, ...] = ()


def pdf_engine(engine: str | None = None) -> str:
    """The engine to use: ``engine`` if given, else ``$IMRGRAPH_PDF_ENGINE``, else pypdfium2."""
    chosen = (engine or os.environ.get(ENGINE_ENV) or ENGINES[0]).strip().lower()
    if chosen not in ENGINES:
        source = "engine" if engine else ENGINE_ENV
        raise UsageError(f"unknown PDF engine {chosen!r} ({source}); choose one of "
                         + ", ".join(ENGINES))
    return chosen


def read_pdf(
    data: bytes, name: str, *, engine: str | None = None, max_pages: int = MAX_PDF_PAGES
) -> PdfText:
    """A PDF letter's bytes -> its cleaned text and the engine's warnings; ``name`` for errors."""
    chosen = pdf_engine(engine)
    if not data:
        raise IngestError(name, "empty file (0 bytes), not a PDF")
    if b"%PDF-" not in data[:1024]:
        raise IngestError(name, "not a PDF: no %PDF- header")
    if b"%%EOF" not in data[-1024:]:
        raise IngestError(name, "truncated or corrupt PDF: no %%EOF marker at the end")
    extract = _pdfium_pages if chosen == "pypdfium2" else _pypdf_pages
    with _LOCK, _engine_messages() as messages:
        pages = extract(name, data, max_pages)
    if not any(p.strip() for p in pages):
        raise IngestError(name, "no extractable text (scanned image?)")
    return PdfText(clean_pages(pages), chosen, _summarise(chosen, messages))


class _Collect(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@contextlib.contextmanager
def _engine_messages() -> Iterator[list[str]]:
    """Collect pypdf's log records and Python warnings instead of letting them reach stderr."""
    sink: list[str] = []
    logger = logging.getLogger("pypdf")
    handler = _Collect(sink)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield sink
        sink.extend(str(w.message) for w in caught)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _summarise(engine: str, messages: list[str]) -> tuple[str, ...]:
    """Distinct engine messages, one line each, a bounded number of them."""
    distinct = list(dict.fromkeys(" ".join(m.split())[:200] for m in messages if m.strip()))
    out = [f"PDF reader ({engine}): {m}" for m in distinct[:_MAX_WARNINGS]]
    if len(distinct) > _MAX_WARNINGS:
        out.append(f"PDF reader ({engine}): {len(distinct) - _MAX_WARNINGS} more message(s)")
    return tuple(out)


def _check_pages(name: str, n_pages: int, max_pages: int) -> None:
    if n_pages > max_pages:
        raise IngestError(name, f"too many pages: {n_pages} exceeds the {max_pages}-page limit")
    if n_pages == 0:
        raise IngestError(name, "corrupt PDF: no pages")


def _pdfium_pages(name: str, data: bytes, max_pages: int) -> list[str]:
    """Page texts via PDFium; its line-end hyphen marker (U+0002) becomes "-" and a line break.

    PDFium reports a hyphen that ends a line as U+0002 and joins the two lines; pypdf (and the
    corpus' reference texts) keep the hyphen and the break, and :func:`rejoin_soft_hyphens`
    decides from the letter whether the hyphen was soft, so the break is written back here.
    """
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise IngestError(name, "encrypted PDF: a password is required") from None
        raise IngestError(name, f"truncated or corrupt PDF: {exc}") from None
    try:
        _check_pages(name, len(doc), max_pages)
        pages = []
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_bounded()
            finally:
                textpage.close()
                page.close()
            pages.append(text.replace("\r\n", "\n").replace("\x02", "-\n"))
        return pages
    except IngestError:
        raise
    except Exception as exc:  # PdfiumError and friends on malformed pages
        raise IngestError(name, f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    finally:
        doc.close()


def _pypdf_pages(name: str, data: bytes, max_pages: int) -> list[str]:
    """Page texts via pypdf; every pypdf failure becomes an ``IngestError``."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                result = reader.decrypt("")
            except DependencyError as exc:
                raise IngestError(
                    name, f"AES-encrypted PDF needs the 'cryptography' package: {exc}"
                ) from exc
            if result == PasswordType.NOT_DECRYPTED:
                raise IngestError(name, "encrypted PDF: a password is required")
        _check_pages(name, len(reader.pages), max_pages)
        return [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except FileNotDecryptedError as exc:
        raise IngestError(name, "encrypted PDF: a password is required") from exc
    except DependencyError as exc:
        raise IngestError(name, f"PDF needs a missing package: {exc}") from exc
    except PdfReadError as exc:
        raise IngestError(name, f"truncated or corrupt PDF: {exc}") from exc
    except (RecursionError, MemoryError) as exc:
        raise IngestError(name, f"corrupt PDF: {type(exc).__name__}") from exc
    except Exception as exc:  # pypdf raises many types on malformed input
        raise IngestError(name, f"corrupt PDF: {type(exc).__name__}: {exc}") from exc


# --- pdftotext -layout --------------------------------------------------------------------
_GAP_RE = re.compile(r"[ \t]{2,}")


def _cells(line: str) -> list[tuple[int, str]]:
    """(column, text) of the runs of a layout line separated by two or more spaces."""
    return [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: \S+)*", line)]


def _merge_wrapped_labels(lines: list[str], limit: int = 12) -> list[str]:
    """Put a table label that wrapped in its cell back after its first part.

    ``pdftotext -layout`` prints the header table's "Application / Received:" cell as
    "Priority: Standard   Application   11/03/2016" then an indented "Received:" alone in the
    label's column; this makes "Priority: Standard   Application Received:   11/03/2016".
    Only an indented lone fragment of at most three words ending in ":" among the first
    ``limit`` non-blank lines (the table is at the top of page 1) is moved, and only under a
    cell of the line above that starts in the same column (+-3) and is followed by another
    cell.
    """
    out: list[str] = []
    seen = 0
    for line in lines:
        cells = _cells(line)
        seen += bool(cells)
        if seen <= limit and out and len(cells) == 1 and cells[0][0] > 8:
            col, frag = cells[0]
            above = _cells(out[-1])
            if frag.endswith(":") and len(frag.split()) <= 3:
                for acol, atext in above[:-1]:
                    if abs(acol - col) <= 3 and not atext.endswith(":"):
                        end = acol + len(atext)
                        prev = out[-1]
                        out[-1] = prev[:end] + " " + frag + "  " + prev[end:].lstrip()
                        break
                else:
                    out.append(line)
                continue
        out.append(line)
    return out


def layout_text_normalise(text: str) -> str:
    """Make ``pdftotext -layout`` output read like pypdf text.

    Pages (separated by form feeds) are cleaned like pypdf pages: page numbers and running
    headers/footers dropped. Within lines, leading indentation is removed and column gaps
    (two or more spaces) become one space; a header-table label that wrapped in its cell is
    put back beside its first half first (see ``_merge_wrapped_labels``).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    cleaned: list[str] = []
    for n, page in enumerate(pages):
        lines = page.split("\n")
        if n == 0:
            lines = _merge_wrapped_labels(lines)
        cleaned.append("\n".join(_GAP_RE.sub(" ", ln.strip()) for ln in lines))
    return clean_pages(cleaned)


__all__ = [
    "ENGINES",
    "ENGINE_ENV",
    "MAX_PDF_BYTES",
    "MAX_PDF_PAGES",
    "PdfText",
    "clean_pages",
    "furniture_form",
    "layout_text_normalise",
    "normalise_whitespace",
    "pdf_engine",
    "read_pdf",
    "rejoin_soft_hyphens",
]
