"""Synthetic letters rendered to PDF the way the state publishes them.

Why: users read the state's PDFs, and extracting their text costs more than parsing it, so the
benchmark needs PDF corpora that cost what the real ones cost per page to extract.  The real
letters (72 checked) are Word exports: US Letter pages, 1-inch margins, 13.8 pt line pitch,
every line drawn as one or more ``BT ... ET`` runs placed with ``Tm`` whose text is a ``TJ``
array kerned every few characters (``[(tre)5(a)4(tm)-3(e)4(nt)] TJ``), inside tagged marked
content (``/P <</MCID n>> BDC ... EMC``), WinAnsi fonts, compressed streams, AES-128 (AESV2)
encryption with an empty user password.  :func:`render_pdf` writes the same structure with
reportlab (standard Times fonts instead of embedded TrueType ones) and encrypts it with pypdf,
so ``imrgraph.pdf`` reads it like a state letter.

The text drawn is the letter's text as the generator wrote it (``synth.generate_letter``), so a
rendered letter reads back to the same record as its text.  Bytes are not reproducible (the
encryption draws a random salt); the text layer is.  reportlab and pypdf are test extras.
"""

from __future__ import annotations

import io
import random
import secrets
from pathlib import Path

from imrgraph.testing.synth import generate_letter

__all__ = ["render_pdf", "write_pdf_corpus"]

#: page geometry of the state's letters (points)
PAGE_W, PAGE_H = 612.0, 792.0
MARGIN = 72.024
PITCH = 13.8
FONT_SIZE = 11.04
#: pitch of a blank line between paragraphs (Word's space-after)
GAP = 9.0


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _kerned(rng: random.Random, text: str) -> str:
    """A TJ array as Word writes it: a kerning number every one to four characters."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        step = rng.choice((1, 2, 2, 3, 3))
        parts.append(f"({_escape(text[i:i + step])})")
        i += step
        if i < len(text):
            parts.append(str(rng.choice((-13, -11, -9, -5, -3, 3, 4, 4, 5, 6, 7, 10))))
    return "[" + "".join(parts) + "] TJ"


def _runs(rng: random.Random, line: str) -> list[str]:
    """A line split at spaces into one to three runs (Word starts a run at a format change)."""
    words = line.split(" ")
    if len(words) < 4 or rng.random() < 0.5:
        return [line]
    cuts = sorted(rng.sample(range(1, len(words)), min(len(words) - 1, rng.choice((1, 2)))))
    runs, last = [], 0
    for cut in [*cuts, len(words)]:
        runs.append(" ".join(words[last:cut]) + (" " if cut < len(words) else ""))
        last = cut
    return runs


def _pages(text: str) -> list[list[str | None]]:
    """Lines per page (``None``: a paragraph gap), laid out at the real letters' pitch.

    Extraction artefacts of the text are undone first: the empty line pypdf puts after every
    line of 2015 letters, and empty lines where the generator broke its pages.
    """
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    body = [ln for ln in lines if ln != ""]
    pages: list[list[str | None]] = [[]]
    y = PAGE_H - MARGIN
    for ln in body:
        blank = not ln.strip()
        need = GAP if blank else PITCH
        if y - need < MARGIN:
            pages.append([])
            y = PAGE_H - MARGIN
            if blank:
                continue
        pages[-1].append(None if blank else ln.rstrip())
        y -= need
    return [p for p in pages if any(x is not None for x in p)]


def render_pdf(text: str, path: str | Path, *, seed: int = 0, encrypt: bool = True) -> Path:
    """Draw a letter's text as the state's PDFs are drawn; AES-128 with an empty user password.

    ``seed`` fixes the kerning and run splits (the text layer); encryption adds random bytes.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    path = Path(path)
    rng = random.Random(f"imrgraph-pdf:{seed}:{len(text)}")
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setAuthor("MAXIMUS Federal Services")
    c.setCreator("Microsoft Word (imrgraph synthetic)")
    mcid = 0
    for page in _pages(text):
        c.setFont("Times-Roman", FONT_SIZE)  # puts the fonts in the page's resources
        c.setFont("Times-Bold", FONT_SIZE)
        body = c._doc.getInternalFontName("Times-Roman")
        bold = c._doc.getInternalFontName("Times-Bold")
        ops: list[str] = []
        y = PAGE_H - MARGIN
        for line in page:
            if line is None:
                y -= GAP
                continue
            font, name = (bold, "Times-Bold") if line.isupper() else (body, "Times-Roman")
            ops.append(f"/P <</MCID {mcid}>> BDC")
            mcid += 1
            x = MARGIN
            for run in [*_runs(rng, line), " "]:  # Word ends every line with a space run
                ops.append(f"BT\n{font} {FONT_SIZE} Tf\n1 0 0 1 {x:.2f} {y:.2f} Tm\n0 g\n"
                           f"{_kerned(rng, run)}\nET")
                x += stringWidth(run, name, FONT_SIZE)
            ops.append("EMC")
            y -= PITCH
        # reportlab's public text API writes one Tj per string; Word's kerned TJ runs (what
        # makes the state's PDFs cost what they cost to extract) go in as raw page operators
        c._code.append("\n".join(ops))
        c.showPage()
    c.save()
    data = buffer.getvalue()
    if encrypt:
        from pypdf import PdfReader, PdfWriter
        from pypdf.constants import UserAccessPermissions

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        # /P -1340 as the state's letters have it (pypdf stores it modulo 2**32 either way)
        writer.encrypt(user_password="", owner_password=secrets.token_hex(16),
                       algorithm="AES-128", permissions_flag=UserAccessPermissions(-1340))
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    path.write_bytes(data)
    return path


def write_pdf_corpus(folder: str | Path, n: int, seed: int, start: int = 0) -> list[Path]:
    """Letters ``start`` .. ``start + n - 1`` of synthetic corpus ``seed`` as encrypted PDFs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(start, start + n):
        name, text, _ = generate_letter(seed, index)
        paths.append(render_pdf(text, folder / (Path(name).stem + ".pdf"), seed=seed * 7919
                                + index))
    return paths
