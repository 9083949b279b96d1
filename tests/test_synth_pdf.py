"""Synthetic letters rendered to PDF read back to the records of their text.

Why: the benchmark's PDF corpora (``imrgraph.testing.pdfs``) stand for the state's PDFs; they
are only worth timing if imrgraph reads them as it reads the letters' text, and if they are
encrypted as the state's are (AES, empty user password).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from variants import essence

pytest.importorskip("reportlab")

from pypdf import PdfReader  # noqa: E402

from imrgraph import api  # noqa: E402
from imrgraph.ingest import letter_from_string  # noqa: E402
from imrgraph.pipeline import determination_of  # noqa: E402
from imrgraph.testing.pdfs import render_pdf, write_pdf_corpus  # noqa: E402
from imrgraph.testing.synth import generate_letter  # noqa: E402


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 8, 13, 21])
def test_rendered_pdf_reads_back_to_the_record_of_its_text(index: int, tmp_path: Path) -> None:
    name, text, truth = generate_letter(11, index)
    pdf = render_pdf(text, tmp_path / "letter.pdf", seed=index)
    from_pdf = api.parse_file(pdf)
    from_text = determination_of(letter_from_string(text, name))
    assert essence(from_pdf) == essence(from_text)
    assert [i.rationale.value for i in from_pdf.items] == [i.rationale for i in truth.items]
    assert from_pdf.warnings == []


def test_rendered_pdfs_are_encrypted_like_the_states(tmp_path: Path) -> None:
    paths = write_pdf_corpus(tmp_path, 3, 5)
    assert [p.stem for p in paths] == [Path(generate_letter(5, i)[0]).stem for i in range(3)]
    reader = PdfReader(paths[0])
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"]
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV2"
    assert reader.decrypt("") != 0  # the empty user password opens it
    assert "Case Number:" in reader.pages[0].extract_text()
