"""The CLI end to end, as a user runs it: in this process through click's CliRunner, and (at
the end) the installed console script in a real process, for what only a process shows."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LETTERS, SEEDS, CliRun, run_cli
from rdflib import DCTERMS, Dataset, Graph
from rdflib.compare import isomorphic


def imrgraph(*args: str, cwd: Path) -> CliRun:
    return run_cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("cli")
    for seed in SEEDS:
        shutil.copy(seed, work / seed.name)
    run = imrgraph("build", *[s.name for s in SEEDS], "-o", "out/graph.ttl", cwd=work)
    assert run.returncode == 0, run.stderr
    assert "5 letter(s) built" in run.stdout
    assert "11 item(s)" in run.stdout
    return work


def test_build_writes_graph_and_report(built: Path) -> None:
    assert (built / "out" / "graph.ttl").stat().st_size > 10_000
    report = json.loads((built / "out" / "graph.report.json").read_text())
    assert report["summary"]["inputs"] == 5
    assert report["summary"]["letters"] == 5
    assert report["summary"]["items"] == 11


def test_validate_conforms(built: Path) -> None:
    run = imrgraph("validate", "out/graph.ttl", cwd=built)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "conforms" in run.stdout


def test_query_decisions_csv(built: Path) -> None:
    run = imrgraph("query", "decisions", "--graph", "out/graph.ttl", "--format", "csv", cwd=built)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert list(rows[0]) == ["document", "case_number", "item", "outcome"]
    assert len(rows) == 11
    assert rows[0] == {"document": "000_0a410e5aa90ad013.txt", "case_number": "",
                       "item": "Physical Therapy 2 x 4 week, Lumbar Spine",
                       "outcome": "Overturned"}
    assert {"document": "001_9c78cd4ffcf5a619.txt", "case_number": "CM15-0028659",
            "item": "Physical therapy 12 sessions", "outcome": "Upheld"} in rows


def test_query_table_and_json(built: Path) -> None:
    run = imrgraph("query", "guideline-outcomes", "--graph", "out/graph.ttl", cwd=built)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].split() == ["guideline", "citations", "upheld",
                                                  "overturned", "overturn_rate"]
    run = imrgraph("query", "citations", "--graph", "out/graph.ttl", "--format", "json",
                   cwd=built)
    rows = json.loads(run.stdout)
    assert set(rows[0]) == {"document", "item", "party", "guideline", "pages"}


def test_user_query_file(built: Path) -> None:
    (built / "mine.rq").write_text(
        "PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
        "SELECT (COUNT(?i) AS ?n) WHERE { ?i imr:outcome imr:Overturned }\n")
    run = imrgraph("query", "mine.rq", "--graph", "out/graph.ttl", "--format", "csv", cwd=built)
    assert run.stdout.splitlines() == ["n", "2"]


def test_unknown_query_is_usage_error(built: Path) -> None:
    run = imrgraph("query", "nope", "--graph", "out/graph.ttl", cwd=built)
    assert run.returncode == 2
    assert "unknown query 'nope'" in run.stderr


@pytest.fixture(scope="module")
def original(built: Path) -> Graph:
    """The built graph file as rdflib reads it (parsed once for the export tests)."""
    return Graph().parse(built / "out" / "graph.ttl")


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig"])
def test_export_round_trips(built: Path, original: Graph, fmt: str) -> None:
    out = built / f"export.{fmt}"
    run = imrgraph("export", "out/graph.ttl", "--format", fmt, "-o", str(out), cwd=built)
    assert run.returncode == 0, run.stderr
    dataset = Dataset()
    dataset.parse(out, format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld",
                               "trig": "trig"}[fmt])
    parsed = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        parsed.add((s, p, o))
    assert isomorphic(original, parsed)


def test_extract_json(built: Path) -> None:
    run = imrgraph("extract", SEEDS[1].name, "--format", "json", cwd=built)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["header"]["case_number"]["value"] == "CM15-0028659"
    assert record["items"][0]["outcome"]["value"] == "Upheld"
    assert record["items"][0]["label"]["span"][1] > record["items"][0]["label"]["span"][0]


def test_bad_inputs_rejected_rest_built(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEEDS[0], folder / "good one.txt")
    shutil.copy(LETTERS / "CM16-0237844.txt", folder / "réal letter.txt")
    (folder / "empty.txt").write_text("")
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (folder / "memo.txt").write_text("Dear colleague,\nplease find the minutes attached.\n")
    run = imrgraph("build", str(folder), "-o", str(tmp_path / "g.ttl"), cwd=tmp_path)
    assert run.returncode == 1
    err = run.stderr
    assert "empty.txt: empty file" in err
    assert "junk.txt: binary content" in err
    assert "picture.txt: binary content: this is a PNG image" in err
    assert "memo.txt" in err and "not an IMR final determination" in err
    assert "2 letter(s) built" in run.stdout and "4 rejected" in run.stdout
    report = json.loads((tmp_path / "g.report.json").read_text())
    assert report["summary"]["inputs"] == 6
    statuses = {Path(i["path"]).name: i["status"] for i in report["inputs"]}
    assert statuses["good one.txt"].startswith("built")
    assert statuses["réal letter.txt"].startswith("built")
    g = Graph().parse(tmp_path / "g.ttl")
    titles = {str(o) for o in g.objects(None, DCTERMS.title)}
    assert titles == {"good one.txt", "réal letter.txt"}


def test_query_page(built: Path) -> None:
    whole = imrgraph("query", "decisions", "--graph", "out/graph.ttl", "--format", "csv",
                     cwd=built)
    page = imrgraph("query", "decisions", "--graph", "out/graph.ttl", "--format", "csv",
                    "--limit", "3", "--offset", "4", cwd=built)
    assert page.returncode == 0, page.stderr
    rows = list(csv.DictReader(io.StringIO(whole.stdout)))
    assert list(csv.DictReader(io.StringIO(page.stdout))) == rows[4:7]
    bad = imrgraph("query", "decisions", "--graph", "out/graph.ttl", "--limit", "-1", cwd=built)
    assert bad.returncode == 2 and "--limit" in bad.stderr


# ----------------------------------------------------------- the installed console script
# Only what a real process shows: the console script's entry point, exit codes as the shell
# sees them, and output piped through stdout with a UTF-8 file name.


def console_script() -> list[str]:
    beside = Path(sys.executable).parent / "imrgraph"
    exe = str(beside) if beside.exists() else shutil.which("imrgraph")
    return [exe] if exe else [sys.executable, "-m", "imrgraph"]


def real_process(*args: str, cwd: Path, command: list[str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run((command or console_script()) + list(args), cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def test_console_script_exit_codes_and_piped_output(tmp_path: Path) -> None:
    shutil.copy(SEEDS[1], tmp_path / "réal letter.txt")
    (tmp_path / "empty.txt").write_text("")
    run = real_process("build", "réal letter.txt", "empty.txt", "-o", "g.ttl", cwd=tmp_path)
    assert run.returncode == 1, run.stderr  # one input rejected
    assert "empty.txt: empty file" in run.stderr and "1 letter(s) built" in run.stdout
    run = real_process("query", "decisions", "--graph", "g.ttl", "--format", "csv",
                       cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert list(csv.DictReader(io.StringIO(run.stdout))) == [
        {"document": "réal letter.txt", "case_number": "CM15-0028659",
         "item": "Physical therapy 12 sessions", "outcome": "Upheld"}]
    run = real_process("query", "nope", "--graph", "g.ttl", cwd=tmp_path)
    assert run.returncode == 2 and "unknown query 'nope'" in run.stderr


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    from imrgraph import __version__

    run = real_process("--version", cwd=tmp_path, command=[sys.executable, "-m", "imrgraph"])
    assert run.returncode == 0 and __version__ in run.stdout
