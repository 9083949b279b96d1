"""Hostile files and file names at the ingest boundary: nothing hangs, nothing is printed raw.

A FIFO or /dev/zero (or a symlink to it) in a letters folder must be refused before it is
opened, with a one-line reason, in bounded time; every read is bounded by the size limit; a
file name that is not UTF-8 or carries control characters is kept losslessly for reading and
shown escaped (``ls -b``) in every message; what a PDF engine says goes into the letter's
warnings, not onto stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LETTERS, ROOT
from test_pdf import make_pdf

from imrgraph.errors import IngestError
from imrgraph.ingest import (
    Skipped,
    discover,
    display_name,
    read_bytes_bounded,
    read_letter,
    source_digest,
)
from imrgraph.pdf import ENGINES

LETTER = sorted(LETTERS.glob("CM*.txt"))[0]

#: Runs in a child process so that a hang is a failed test, not a stuck suite.
_PROBE = r"""
import json, sys
from imrgraph.errors import IngestError
from imrgraph.ingest import Skipped, discover, read_letter, source_digest
out = {"skipped": {}, "read": {}, "errors": {}}
for entry in discover([sys.argv[1]]):
    if isinstance(entry, Skipped):
        out["skipped"][entry.path.rsplit("/", 1)[-1]] = entry.reason
    else:
        out["read"][entry.name] = len(read_letter(entry).text)
for name in sys.argv[2:]:
    for fn in (read_letter, source_digest):
        try:
            fn(sys.argv[1] + "/" + name)
            out["errors"][name + fn.__name__] = None
        except IngestError as exc:
            out["errors"][name + fn.__name__] = str(exc)
print(json.dumps(out))
"""


def _probe(folder: Path, *names: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(folder), *names], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                    reason="needs FIFOs and /dev/zero (POSIX)")
def test_fifo_and_dev_zero_are_refused_without_reading(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    shutil.copy(LETTER, folder / "letter.txt")
    os.mkfifo(folder / "pipe.txt")  # nobody ever writes to it: a read would block forever
    os.symlink("/dev/zero", folder / "zero.txt")  # a read would never end
    os.symlink("/dev/zero", tmp_path / "zero.pdf")  # outside: one folder lists /dev/zero once
    out = _probe(folder, "pipe.txt", "zero.txt", "../zero.pdf")
    assert out["read"] == {"letter.txt": len(read_letter(folder / "letter.txt").text)}
    assert out["skipped"] == {"pipe.txt": "not a regular file: a FIFO (named pipe)",
                              "zero.txt": "not a regular file: a character device"}
    for key, message in out["errors"].items():
        name = key.removesuffix("read_letter").removesuffix("source_digest")
        assert message is not None and "\n" not in message, key
        assert re.fullmatch(rf".*/{re.escape(name)}: not a regular file: a "
                            r"(FIFO \(named pipe\)|character device)", message), message


def test_reads_are_bounded_by_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(8 * 1024 * 1024)  # sparse: refused from its size, never read
    with pytest.raises(IngestError, match=r"big\.txt: too large for one letter \(8\.4 MB > 5\."):
        read_letter(big)
    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 101)
    with pytest.raises(IngestError, match=r"too large for one letter \(101 bytes > 100 bytes\)"):
        read_bytes_bounded(small, 100)
    assert read_bytes_bounded(small, 101) == b"x" * 101
    with pytest.raises(IngestError, match=r"is a directory"):
        read_bytes_bounded(tmp_path, 100)


def test_source_digest_is_the_sha256_reading_gives(tmp_path: Path) -> None:
    assert source_digest(LETTER) == read_letter(LETTER).source.sha256
    assert source_digest(LETTER) == hashlib.sha256(LETTER.read_bytes()).hexdigest()
    with pytest.raises(IngestError, match="empty file"):
        (tmp_path / "empty.txt").write_bytes(b"")
        source_digest(tmp_path / "empty.txt")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"bad\xff.txt", "bad\\377.txt"),
        (b"ev\x1b[2Kil\nname.txt", "ev\\033[2Kil\\nname.txt"),
        (b"cr\rforged: built.txt", "cr\\rforged: built.txt"),
        (b"back\\slash.txt", "back\\\\slash.txt"),
        ("bidi\u202eoverride.txt".encode(), "bidi\\342\\200\\256override.txt"),
        ("caf\u00e9 letter.txt".encode(), "caf\u00e9 letter.txt"),
    ],
)
def test_display_name_escapes_like_ls_b(raw: bytes, shown: str) -> None:
    assert display_name(os.fsdecode(raw)) == shown
    assert display_name(raw) == shown
    assert shown.isprintable() and shown.encode("utf-8")  # no controls, no lone surrogates


HOSTILE_NAMES = [b"bad\xff.txt", b"ev\x1b[2Kil\nname.txt", b"cr\rforged: built.txt"]


@pytest.mark.skipif(sys.platform != "linux", reason="arbitrary bytes in names (Linux)")
def test_names_not_utf8_or_with_controls_are_read_losslessly(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    for raw in HOSTILE_NAMES:
        shutil.copy(LETTER, os.path.join(folder, raw))
        open(os.path.join(folder, b"empty-" + raw), "wb").close()  # noqa: SIM115
    found = [e for e in discover([tmp_path]) if not isinstance(e, Skipped)]
    assert sorted(os.fsencode(p.name) for p in found) == sorted(
        [*HOSTILE_NAMES, *(b"empty-" + r for r in HOSTILE_NAMES)])
    expected_text = read_letter(LETTER).text
    for path in found:
        if path.name.startswith("empty-"):
            with pytest.raises(IngestError) as info:
                read_letter(path)
            message = str(info.value)
            assert message.isprintable() and message.encode("utf-8")
            assert message.endswith(display_name(path.name) + ": empty file")
            continue
        letter = read_letter(path)
        assert letter.text == expected_text
        assert os.fsencode(letter.source.path) == os.path.join(folder, os.fsencode(path.name))
        assert letter.source.name == display_name(path.name)
        assert letter.source.name.isprintable()


@pytest.mark.skipif(sys.platform != "linux", reason="arbitrary bytes in names (Linux)")
def test_a_batch_with_such_names_builds(tmp_path: Path) -> None:
    """The whole pipeline: the name that is not UTF-8 no longer aborts the batch."""
    from rdflib.namespace import DCTERMS

    from imrgraph import api

    shutil.copy(LETTER, os.path.join(os.fsencode(tmp_path), b"bad\xff.txt"))
    result = api.build([str(tmp_path)], include_vocabulary=False)
    assert [i.status for i in result.report.inputs] in (["built"], ["built-with-warnings"])
    titles = {str(o) for o in result.graph.objects(None, DCTERMS.title)}
    assert "bad\\377.txt" in titles


def _xref_broken_pdf(tmp_path: Path) -> Path:
    """A letter PDF whose startxref pointer is off: pypdf recovers and logs warnings."""
    pdf = make_pdf(tmp_path / "good.pdf", [["Case Number: CM15-0000001", "Some text"]])
    data = re.sub(rb"startxref\s+(\d+)",
                  lambda m: b"startxref\n" + str(int(m.group(1)) + 7).encode(), pdf.read_bytes())
    broken = tmp_path / "xref.pdf"
    broken.write_bytes(data)
    return broken


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_messages_become_the_letters_warnings(tmp_path: Path, engine: str) -> None:
    broken = _xref_broken_pdf(tmp_path)
    code = ("import sys; from imrgraph.ingest import read_letter; "
            "l = read_letter(sys.argv[1], engine=sys.argv[2]); print(repr(l.warnings))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code, str(broken), engine], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stderr == ""  # nothing raw on stderr
    warnings = eval(done.stdout)  # noqa: S307 - our own repr of a tuple of str
    if engine == "pypdf":  # pypdf logs its repair; PDFium repairs silently
        assert warnings and all(w.startswith("PDF reader (pypdf): ") for w in warnings)
        assert any("startxref" in w for w in warnings)
    assert "Some text" in read_letter(broken, engine=engine).text


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                    reason="needs FIFOs and /dev/zero (POSIX)")
def test_store_build_of_a_folder_with_a_fifo_and_dev_zero_finishes(tmp_path: Path) -> None:
    """`build --store` (a real process, bounded by a timeout) reports the FIFO and the device
    and builds the letter; names with control characters are printed escaped."""
    folder = tmp_path / "letters"
    folder.mkdir()
    shutil.copy(LETTER, folder / "letter.txt")
    os.mkfifo(folder / "pipe.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    (folder / "evil\n\x1b[2Kname.txt").write_text("not a letter", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "imrgraph", "build", str(folder), "--store",
                           str(tmp_path / "store"), "--jobs", "1"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # some inputs rejected
    report = json.loads((tmp_path / "store" / "last-build.report.json").read_text())
    by_name = {Path(i["path"]).name: i for i in report["inputs"]}
    assert by_name["letter.txt"]["status"].startswith("built")
    assert "FIFO" in by_name["pipe.txt"]["reason"]
    assert "character device" in by_name["zero.txt"]["reason"]
    assert by_name["evil\\n\\033[2Kname.txt"]["status"] == "rejected"
    assert "\x1b" not in done.stderr and "evil\\n\\033[2Kname.txt" in done.stderr
