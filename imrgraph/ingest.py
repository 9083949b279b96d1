"""Files -> letter text.

Reads a letter from a ``.txt`` or ``.pdf`` file, refuses what is not a letter (empty, binary,
too large, unreadable) with an :class:`~imrgraph.errors.IngestError` naming the file and the
reason, and normalises the text so that the parser sees one spelling of spaces, quotes, dashes
and line ends whatever tool produced the text.  Spans in the parsed records are offsets into this
normalised text (``imrgraph extract --text`` prints it).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from imrgraph.errors import IngestError
from imrgraph.pdf import pdf_text
from imrgraph.records import SourceDocument

#: A real letter is a few kB to ~60 kB of text; anything this large is not one letter.
MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_PDF_BYTES = 50 * 1024 * 1024
LETTER_SUFFIXES = (".txt", ".text", ".pdf")

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or Office document)",
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF document",
    b"\x7fELF": "an executable",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}

# One spelling for characters that PDF extractors and word processors vary.
_TRANSLATE = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\t": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\ufeff": None,  # BOM / zero-width no-break space
        "\f": "\n",
        "\v": "\n",
    }
)


@dataclass(frozen=True)
class LetterText:
    """The normalised text of one letter and the document it came from."""

    text: str
    source: SourceDocument


def normalise_text(text: str) -> str:
    """Unify line ends, spaces, quotes and dashes; keep everything else as written."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_TRANSLATE)


def decode_text(data: bytes, name: str) -> str:
    """Decode letter bytes: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise IngestError(name, f"binary content: this is {what}, not a text letter")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(name, f"undecodable UTF-16 text ({exc.reason})") from None
    if b"\x00" in data[:65536]:
        raise IngestError(name, "binary content (NUL bytes), not a text letter")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("latin-1")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls > max(8, len(text[:65536]) // 100):
        raise IngestError(
            name, f"binary content ({controls} control characters), not a text letter"
        )
    return text


def read_letter(path: Path | str) -> LetterText:
    """Read one letter file; raise IngestError with the reason when it cannot be a letter."""
    path = Path(path)
    name = str(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise IngestError(name, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(name, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(name, "not a regular file")
    is_pdf = path.suffix.lower() == ".pdf"
    limit = MAX_PDF_BYTES if is_pdf else MAX_TEXT_BYTES
    if st.st_size > limit:
        raise IngestError(
            name, f"too large for one letter ({st.st_size / 1e6:.1f} MB > {limit / 1e6:.0f} MB)"
        )
    if st.st_size == 0:
        raise IngestError(name, "empty file")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise IngestError(name, f"cannot read: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if is_pdf or data.startswith(b"%PDF"):
        text = pdf_text(path)
        media_type = "application/pdf"
    else:
        text = decode_text(data, name)
        media_type = "text/plain"
    text = normalise_text(text)
    if not text.strip():
        raise IngestError(name, "no text (only whitespace)")
    return LetterText(
        text=text,
        source=SourceDocument(name=path.name, sha256=digest, media_type=media_type, path=name),
    )


def letter_from_string(text: str, name: str = "<string>") -> LetterText:
    """A letter given as a string (tests, API users); hashed like a UTF-8 file."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LetterText(
        text=normalise_text(text),
        source=SourceDocument(name=name, sha256=digest, media_type="text/plain", path=name),
    )


@dataclass(frozen=True)
class Skipped:
    """An input path that could not even be listed (symlink loop, unreadable folder...)."""

    path: str
    reason: str


def discover(inputs: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Expand files, folders (recursively) and glob patterns into letter paths.

    Folders contribute only files with a letter suffix; a file named explicitly is always tried.
    Symlink loops and unreadable folders are reported, not followed forever or ignored.
    """
    seen: set[str] = set()
    for raw in inputs:
        raw = str(raw)
        if not os.path.lexists(raw) and any(ch in raw for ch in "*?["):
            matches = sorted(Path().glob(raw)) if not os.path.isabs(raw) else _abs_glob(raw)
            if not matches:
                yield Skipped(raw, "glob pattern matched no files")
            for m in matches:
                yield from _walk(m, seen, explicit=True)
            continue
        yield from _walk(Path(raw), seen, explicit=True)


def _abs_glob(pattern: str) -> list[Path]:
    p = Path(pattern)
    anchor = Path(p.anchor)
    return sorted(anchor.glob(str(p.relative_to(anchor))))


def _walk(path: Path, seen: set[str], explicit: bool) -> Iterator[Path | Skipped]:
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        reason = "symlink loop" if "loop" in str(exc).lower() or exc.errno == 40 else (
            exc.strerror or str(exc)
        )
        if not os.path.lexists(path):
            reason = "no such file or directory"
        yield Skipped(str(path), reason)
        return
    if real in seen:
        if os.path.isdir(real):
            if path.is_symlink():
                yield Skipped(str(path), "symlink loop (folder already visited)")
            return
        return
    seen.add(real)
    if os.path.isdir(real):
        try:
            children = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(str(path), f"cannot list folder: {exc.strerror or exc}")
            return
        for child in children:
            child_path = Path(child.path)
            if child.is_symlink():
                yield from _walk(child_path, seen, explicit=False)  # resolves or reports loops
                continue
            try:
                is_dir = child.is_dir(follow_symlinks=False)
            except OSError as exc:
                yield Skipped(str(child_path), exc.strerror or str(exc))
                continue
            if is_dir or child_path.suffix.lower() in LETTER_SUFFIXES:
                yield from _walk(child_path, seen, explicit=False)
        return
    if explicit or path.suffix.lower() in LETTER_SUFFIXES:
        yield path


_WS = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Whitespace-collapsed words; a hyphen at a line break keeps the word joined."""
    text = re.sub(r"(?<=\w-)[ ]*\n\s*(?=\w)", "", text)
    return _WS.sub(" ", text).strip()
