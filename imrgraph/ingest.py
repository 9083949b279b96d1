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
from imrgraph.pdf import MAX_PDF_BYTES, MAX_PDF_PAGES, read_pdf
from imrgraph.records import SourceDocument

#: A real letter is a few kB to ~60 kB of text; anything this large is not one letter.
MAX_TEXT_BYTES = 5 * 1024 * 1024
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
    #: What the PDF engine complained about while reading (one line each), for the letter's
    #: warnings; never printed to stderr by ingest.
    warnings: tuple[str, ...] = ()


def normalise_text(text: str) -> str:
    """Unify line ends, spaces, quotes and dashes; keep everything else as written."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_TRANSLATE)


#: Control characters that no text letter has many of (all below 32 but line ends and tabs).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


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
    controls = len(_CONTROL.findall(text, 0, 65536))
    if controls > max(8, len(text[:65536]) // 100):
        raise IngestError(
            name, f"binary content ({controls} control characters), not a text letter"
        )
    return text


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v", "\x1b": "\\033"}


def display_name(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A file name fit to print: escaped as ``ls -b`` does, with no control characters.

    File names are bytes; Python keeps an undecodable byte as a lone surrogate
    (``os.fsdecode``), which cannot be printed or stored as RDF, and a newline, CR or ANSI
    escape in a name could forge or erase lines of a report. Such characters become C-style
    escapes (``\\n``, ``\\033``), undecodable bytes and other non-printable characters octal
    escapes of their bytes (``\\377``), and a backslash ``\\\\``, so the display is unambiguous
    and reversible; an ordinary name is returned unchanged.
    """
    text = os.fsdecode(path) if not isinstance(path, str) else path
    if text.isprintable() and "\\" not in text:
        return text
    out: list[str] = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif "\udc80" <= ch <= "\udcff":  # an undecodable byte kept by surrogateescape
            out.append(f"\\{ord(ch) - 0xDC00:03o}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogatepass"))
    return "".join(out)


def _kind(mode: int) -> str:
    """What a non-regular file is, for a rejection reason."""
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "an unknown file type"


def _regular_file_size(path: str | os.PathLike[str], name: str) -> int:
    """The size of a regular file (symlinks followed); IngestError for anything else."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise IngestError(name, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(name, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(name, f"not a regular file: {_kind(st.st_mode)}")
    return st.st_size


def read_bytes_bounded(
    path: str | os.PathLike[str], limit: int, *, what: str = "letter"
) -> bytes:
    """A regular file's bytes, never more than ``limit``: the one way imrgraph reads an input.

    The file type is checked before the file is opened (a FIFO, a device such as /dev/zero,
    or a symlink to one is refused, never read), the file is opened non-blocking and checked
    again on the open descriptor (it may have been swapped), and at most ``limit + 1`` bytes
    are read, so a file that grows is refused too. Raises IngestError naming the file.
    """
    name = display_name(path)
    size = _regular_file_size(path, name)
    if size > limit:
        raise IngestError(name, f"too large for one {what} ({_size(size)} > {_size(limit)})")
    if size == 0:
        raise IngestError(name, "empty file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise IngestError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise IngestError(name, f"not a regular file: {_kind(mode)}")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise IngestError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise IngestError(name, f"too large for one {what} (grew past {_size(limit)} as read)")
    if not data:
        raise IngestError(name, "empty file")
    return data


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n} bytes"


def input_limit(path: str | os.PathLike[str]) -> int:
    """The size limit for an input: a PDF may be larger than a text letter."""
    return MAX_PDF_BYTES if os.fspath(path).lower().endswith(".pdf") else MAX_TEXT_BYTES


def source_digest(path: str | os.PathLike[str]) -> str:
    """The sha256 that :func:`read_letter` gives the file, read the same bounded way.

    For a store that skips letters it already holds: the same checks as reading (regular
    file, size limits), so a FIFO, a device or an over-large file raises IngestError at once
    instead of hanging or being hashed whole.
    """
    return hashlib.sha256(read_bytes_bounded(path, input_limit(path))).hexdigest()


def pdf_text(
    path: str | os.PathLike[str],
    *,
    engine: str | None = None,
    max_bytes: int = MAX_PDF_BYTES,
    max_pages: int = MAX_PDF_PAGES,
) -> str:
    """The cleaned text of a PDF file (see :func:`imrgraph.pdf.read_pdf`), read bounded.

    Encrypted PDFs are opened with the empty user password (the state's letters only restrict
    permissions); a PDF that needs a real password, a truncated or corrupt file, one over the
    size or page limits, one that is not a regular file, or one without a text layer raises
    ``IngestError``.
    """
    data = read_bytes_bounded(path, max_bytes, what="PDF")
    return read_pdf(data, display_name(path), engine=engine, max_pages=max_pages).text


def read_letter(path: Path | str, *, engine: str | None = None) -> LetterText:
    """Read one letter file; raise IngestError with the reason when it cannot be a letter.

    ``engine`` picks the PDF engine (see :func:`imrgraph.pdf.pdf_engine`). The path is kept
    losslessly (a name that is not UTF-8 stays as ``os.fsdecode`` gives it); messages and the
    recorded file name use :func:`display_name`.
    """
    path = Path(path)
    name = display_name(path)
    is_pdf = path.suffix.lower() == ".pdf"
    data = read_bytes_bounded(path, input_limit(path), what="PDF" if is_pdf else "letter")
    digest = hashlib.sha256(data).hexdigest()
    warnings: tuple[str, ...] = ()
    if is_pdf or data.startswith(b"%PDF"):
        pdf = read_pdf(data, name, engine=engine)
        text, warnings = pdf.text, pdf.warnings
        media_type = "application/pdf"
    else:
        text = decode_text(data, name)
        media_type = "text/plain"
    text = normalise_text(text)
    if not text.strip():
        raise IngestError(name, "no text (only whitespace)")
    return LetterText(
        text=text,
        source=SourceDocument(name=display_name(path.name), sha256=digest,
                              media_type=media_type, path=str(path)),
        warnings=warnings,
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
    """An input that is not read: a symlink loop, an unreadable folder, a FIFO or device...

    ``path`` is kept losslessly (print it with :func:`display_name`).
    """

    path: str
    reason: str


def discover(inputs: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Expand files, folders (recursively) and glob patterns into letter paths.

    Folders contribute only files with a letter suffix; a file named explicitly is always tried.
    Symlink loops, unreadable folders and files that are not regular files (FIFOs, devices,
    symlinks to them) are reported as :class:`Skipped` with the reason, never opened.
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
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            yield Skipped(str(path), f"cannot read: {exc.strerror or exc}")
            return
        if stat.S_ISREG(mode):
            yield path
        else:  # a FIFO or a device would block or never end: refused before any read
            yield Skipped(str(path), f"not a regular file: {_kind(mode)}")


_WS = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Whitespace-collapsed words; a hyphen at a line break keeps the word joined."""
    text = re.sub(r"(?<=\w-)[ ]*\n\s*(?=\w)", "", text)
    return _WS.sub(" ", text).strip()
