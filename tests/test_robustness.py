"""Messy text, partial letters and hostile input: the same records, clear errors, nothing lost."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import LETTERS, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from variants import ENCODINGS, TEXT_VARIANTS, essence, write_hostile, write_variants

from imrgraph import api
from imrgraph.errors import ImrgraphError, IngestError
from imrgraph.ingest import LetterText, letter_from_string, read_letter
from imrgraph.pipeline import determination_of
from imrgraph.records import Determination


def _record(letter: LetterText) -> Determination:
    """A letter as the pipeline reads it: parsed, then resolved against the vocabularies."""
    return determination_of(letter)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
@pytest.mark.parametrize("variant", sorted(TEXT_VARIANTS))
def test_text_variant_gives_the_same_record(seed: Path, variant: str) -> None:
    original = _record(read_letter(seed))
    text = TEXT_VARIANTS[variant](seed.read_text())
    changed = _record(letter_from_string(text, f"{seed.stem}.{variant}.txt"))
    assert essence(changed) == essence(original)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem[:3])
def test_encodings_give_the_same_record(seed: Path, tmp_path: Path) -> None:
    original = essence(_record(read_letter(seed)))
    for path in write_variants(seed, tmp_path):
        if any(path.name.endswith(f".{e}.txt") for e in ENCODINGS):
            assert essence(_record(read_letter(path))) == original, path.name


# ----------------------------------------------------------------------------- partial letters

def _real() -> str:
    return (LETTERS / "CM16-0230651.txt").read_text()


def _without_header(text: str) -> str:
    return text[text.index("HOW THE IMR FINAL DETERMINATION"):]


def _without_credentials(text: str) -> str:
    return re.sub(r"The Expert Reviewer has the following credentials:.*?(?=CLINICAL CASE)", "",
                  text, flags=re.S)


def _cut_rationale(text: str) -> str:
    last = text.rindex("Decision rationale:")
    return text[: last + 120]


def _no_guideline_lines(text: str) -> str:
    first = text.index("Claims Administrator guideline:")
    rationale = text.index("Decision rationale:", first)
    return text[:first] + text[rationale:]


PARTIALS = {
    "no-header": (_without_header, "no header table"),
    "no-credentials": (_without_credentials, "no expert reviewer credentials"),
    "cut-rationale": (_cut_rationale, None),
    "no-guideline-lines": (_no_guideline_lines, "no Claims Administrator guideline statement"),
}


@pytest.mark.parametrize("name", sorted(PARTIALS))
def test_partial_letter_builds_with_warning_and_valid_shacl(name: str, tmp_path: Path) -> None:
    make, warning = PARTIALS[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(make(_real()))
    result = api.build([str(path)], include_vocabulary=False)
    entry = result.report.inputs[0]
    assert entry.status in ("built", "built-with-warnings"), entry.reason
    if warning:
        assert entry.status == "built-with-warnings"
        assert any(warning in w for w in entry.warnings), entry.warnings
    assert result.validation.conforms, [str(v) for v in result.validation.violations]
    assert len(result.determinations[0].items) == 10
    if name == "cut-rationale":
        assert result.determinations[0].items[-1].rationale is not None


# ----------------------------------------------------------------------------- hostile input

def test_mixed_folder_every_input_accounted_for(tmp_path: Path) -> None:
    folder = tmp_path / "in put ü"
    folder.mkdir()
    from test_pdf import make_pdf, seed_lines, split_pages

    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
        write_variants(seed, folder)
        make_pdf(folder / f"{seed.stem}.pdf", split_pages(seed_lines(seed), 2))
    for pdf in sorted((LETTERS.parent / "pdf").glob("*.pdf"))[:3]:
        shutil.copy(pdf, folder / pdf.name)
    expected = write_hostile(folder)
    result = api.build([str(folder)], include_vocabulary=False)
    report = result.report
    s = report.summary()
    assert s["built"] + s["built-with-warnings"] + s["duplicate"] + s["rejected"] == s["inputs"]
    by_name = {Path(i.path).name: i for i in report.inputs}
    for name, words in expected.items():
        assert by_name[name].status == "rejected", name
        assert words in by_name[name].reason, (name, by_name[name].reason)
    assert by_name["back-to-parent"].status == "rejected"
    letters = [i for i in report.inputs if i.status.startswith("built")]
    assert len(letters) == 3 + len(SEEDS) * (2 + len(TEXT_VARIANTS) + len(ENCODINGS)) - sum(
        1 for i in report.inputs if i.status == "duplicate")
    # No triples from a rejected file: every source in the graph is a built input.
    titles = {str(o) for o in result.graph.objects(None, api_title())}
    assert titles == {Path(i.path).name for i in letters}
    # The JSON report round-trips with the same accounting.
    data = json.loads(report.to_json())
    assert len(data["inputs"]) == s["inputs"]


def api_title():  # noqa: ANN201
    from rdflib.namespace import DCTERMS

    return DCTERMS.title


def test_unreadable_file_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 really blocks a normal user; root reads anything, so there (only) the
    permission error the OS would raise is simulated on open()."""
    shutil.copy(SEEDS[1], tmp_path / "readable.txt")
    secret = tmp_path / "secret.txt"
    shutil.copy(SEEDS[0], secret)
    secret.chmod(0o000)
    if os.geteuid() == 0:
        real_open = os.open

        def denied(path: str, *args: object, **kwargs: object) -> int:
            if os.fspath(path).endswith("secret.txt"):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", denied)
    result = api.build([str(tmp_path)], include_vocabulary=False)
    by_name = {Path(i.path).name: i for i in result.report.inputs}
    assert by_name["secret.txt"].status == "rejected"
    assert by_name["secret.txt"].reason == "cannot read: Permission denied"
    assert by_name["readable.txt"].status.startswith("built")
    secret.chmod(0o600)


def test_huge_file_rejected_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    with pytest.raises(IngestError, match="too large"):
        read_letter(big)


# ----------------------------------------------------------------------------- atomic writes

def test_killed_build_leaves_previous_output_intact(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    base_texts = [p.read_text() for p in sorted(LETTERS.glob("*.txt"))]
    for n in range(160):  # distinct content -> distinct letters, a few seconds of work
        text = base_texts[n % len(base_texts)].replace("CM1", "CX1") + f"\n\nCopy {n}\n"
        (folder / f"letter-{n:04d}.txt").write_text(text)
    out = tmp_path / "graph.nt"
    previous = "<https://example.org/a> <https://example.org/b> \"previous build\" .\n"
    out.write_text(previous)
    exe = Path(sys.executable).parent / "imrgraph"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "imrgraph"]
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen([*cmd, "build", str(folder), "-o", str(out), "--no-validate",
                                 "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        content = out.read_text()
        assert content == previous or content.rstrip().endswith("."), delay
        if content != previous:
            from rdflib import Graph

            assert len(Graph().parse(out, format="nt")) > 1000
            out.write_text(previous)


# ----------------------------------------------------------------------------- property-based

def _parse_or_typed_error(text: str) -> None:
    with contextlib.suppress(ImrgraphError):
        _record(letter_from_string(text, "fuzz.txt"))


@settings(deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text_gives_record_or_typed_error(text: str) -> None:
    _parse_or_typed_error(text)


@settings(deadline=4000, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_seeds_give_record_or_typed_error(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS))
    lines = seed.read_text().split("\n")
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "bytes", "truncate"]))
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        j = data.draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[min(i, j):max(i, j) + 1]
        elif op == "duplicate":
            lines[i:i] = lines[min(i, j):max(i, j) + 1]
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "bytes":
            junk = data.draw(st.binary(min_size=1, max_size=40)).decode("latin-1")
            lines[i] = lines[i][: len(lines[i]) // 2] + junk + lines[i][len(lines[i]) // 2:]
        else:
            lines = lines[: i + 1]
    _parse_or_typed_error("\n".join(lines))
