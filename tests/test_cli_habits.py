"""Unix habits of the command line (issue 15 item 2): SPARQL from stdin or inline, RDF answers,
``-`` for standard output and input, JSON from the describing commands, -q/-v, completion of
query names, and the guideline vocabulary search.

In-process with click's CliRunner, except where the process boundary is the point (a pipe).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner
from conftest import ROOT, SEEDS
from rdflib import Graph

from imrgraph.cli import main

COUNT = ("PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
         "SELECT (COUNT(?i) AS ?n) WHERE { ?i imr:outcome ?o }")
OUTCOMES = ("PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
            "CONSTRUCT { ?i imr:outcome ?o } WHERE { ?i imr:outcome ?o }")


def _invoke(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("habits")
    code, out, err = _invoke("build", *map(str, SEEDS), "-o", str(work / "graph.ttl"))
    assert code == 0, err
    code, out, err = _invoke("build", *map(str, SEEDS), "--store", str(work / "store"),
                             "-j", "1")
    assert code == 0, err
    return work


def test_sparql_from_stdin_and_inline_match(built: Path) -> None:
    graph = str(built / "graph.ttl")
    code, piped, err = _invoke("query", "-", "--graph", graph, "--format", "csv", stdin=COUNT)
    assert code == 0, err
    code, inline, err = _invoke("query", "--sparql", COUNT, "--graph", graph, "--format", "csv")
    assert code == 0, err
    assert piped == inline == "n\n11\n"
    code, _, err = _invoke("query", "decisions", "--sparql", COUNT, "--graph", graph)
    assert code == 2 and "not both" not in err and "NAME" in err


def test_construct_answers_rdf_on_graph_and_store(built: Path) -> None:
    for source in (["--graph", str(built / "graph.ttl")], ["--store", str(built / "store")]):
        code, out, err = _invoke("query", "--sparql", OUTCOMES, *source)
        assert code == 0, err
        assert len(Graph().parse(data=out, format="turtle")) == 11
        code, out, err = _invoke("query", "--sparql", OUTCOMES, *source, "--format", "nt")
        assert code == 0 and len(out.splitlines()) == 11
        code, out, err = _invoke("query", "--sparql", OUTCOMES, *source, "--format", "jsonld")
        assert len(Graph().parse(data=out, format="json-ld")) == 11
    code, _, err = _invoke("query", "--sparql", OUTCOMES, "--graph", str(built / "graph.ttl"),
                           "--format", "csv")
    assert code == 2 and "a CONSTRUCT answers RDF" in err


def test_dash_is_standard_output_for_every_writer(built: Path, tmp_path: Path) -> None:
    graph = str(built / "graph.ttl")
    code, out, err = _invoke("export", graph, "--format", "nt", "-o", "-")
    assert code == 0, err
    assert len(Graph().parse(data=out, format="nt")) == len(Graph().parse(graph))
    assert "triples -> -" in err  # the note goes to stderr, the data alone to stdout
    code, out, err = _invoke("export", "--store", str(built / "store"), "--format", "nq")
    assert code == 0 and out.count("\n") > 1000
    code, out, err = _invoke("build", str(SEEDS[0]), "-o", "-")
    assert code == 0, err
    assert len(Graph().parse(data=out, format="turtle")) > 1000
    assert "1 letter(s) built" in err
    code, out, err = _invoke("query", "decisions", "--graph", graph, "-o",
                             str(tmp_path / "d.csv"), "--format", "csv")
    assert code == 0 and out == "" and (tmp_path / "d.csv").read_text().count("\n") == 12


def test_validate_formats(built: Path, tmp_path: Path) -> None:
    graph = str(built / "graph.ttl")
    code, out, err = _invoke("validate", graph, "--format", "json")
    assert code == 0 and json.loads(out)["conforms"] is True
    code, out, err = _invoke("validate", graph, "--format", "turtle")
    assert code == 0, err
    report = Graph().parse(data=out, format="turtle")
    assert "true" in {str(o) for o in report.objects(
        None, Graph().namespace_manager.expand_curie("sh:conforms"))}
    # A graph breaking a shape: the turtle report holds the result the text report names.
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix imr: <https://w3id.org/imrgraph/ontology#> .\n"
                      "<urn:x:d> a imr:Determination .\n")
    code, text_out, text_err = _invoke("validate", str(broken))
    assert code == 1
    code, out, err = _invoke("validate", str(broken), "--format", "turtle")
    assert code == 1 and "sh:ValidationReport" in out and "urn:x:d" in out
    code, out, err = _invoke("validate", "-", stdin=broken.read_text())
    assert code == 1 and "<stdin>: " in out
    code, out, err = _invoke("validate", "--store", str(built / "store"), "--format", "json")
    assert code == 0 and json.loads(out)["conforms"] is True


def test_json_from_queries_store_info_and_build(built: Path) -> None:
    code, out, _ = _invoke("queries", "--format", "json")
    queries = {q["name"]: q for q in json.loads(out)}
    assert "decisions" in queries and queries["decisions"]["columns"][0] == "document"
    assert {p["name"] for p in queries["cases-citing"]["parameters"]} >= {"guideline", "party"}
    code, out, _ = _invoke("store-info", "--store", str(built / "store"), "--format", "json",
                           "--letters")
    info = json.loads(out)
    assert info["letters"] == 5 and len(info["letter_list"]) == 5 and info["quads"] > 0
    assert info["last_build"]["letters"] == 5
    code, out, err = _invoke("build", *map(str, SEEDS), "-o", str(built / "again.ttl"),
                             "--format", "json")
    summary = json.loads(out)
    assert code == 0 and summary["letters"] == 5 and summary["items"] == 11
    assert summary["conforms"] is True


def test_quiet_is_quiet_and_verbose_tells_more(built: Path, tmp_path: Path) -> None:
    seeds = [str(p) for p in SEEDS]
    code, out, err = _invoke("build", *seeds, "-o", str(tmp_path / "g.ttl"), "-q")
    assert code == 0 and out == "" and err == ""
    def per_input(err: str) -> int:
        return sum(line.startswith(("built", "warning:")) for line in err.splitlines())

    code, out, normal = _invoke("build", *seeds, "-o", str(tmp_path / "g.ttl"))
    code, out, verbose = _invoke("build", *seeds, "-o", str(tmp_path / "g.ttl"), "-v")
    assert code == 0 and per_input(verbose) == len(seeds) > per_input(normal)
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, out, err = _invoke("build", str(bad), seeds[0], "-o", str(tmp_path / "h.ttl"), "-q")
    assert code == 1 and out == "" and f"rejected: {bad}" in err  # errors still on stderr


def test_completion_knows_query_names_and_parameters() -> None:
    def complete(args: list[str], incomplete: str) -> list[str]:
        shell = ShellComplete(main, {}, "imrgraph", "_IMRGRAPH_COMPLETE")
        return [c.value for c in shell.get_completions(args, incomplete)]

    assert {"cases-citing", "citations"} <= set(complete(["query"], "c"))
    assert "decisions" not in complete(["query"], "c")
    assert complete(["query", "cases-citing", "--param"], "gu") == ["guideline="]


def test_completion_script_for_bash() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_IMRGRAPH_COMPLETE": "bash_source"}
    run = subprocess.run([sys.executable, "-c", "from imrgraph.cli import main; "
                          "main(prog_name='imrgraph')"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert "_IMRGRAPH_COMPLETE=bash_complete" in run.stdout


def test_guidelines_lists_searches_and_counts(built: Path) -> None:
    code, out, _ = _invoke("guidelines", "--format", "json", "--level", "work")
    works = json.loads(out)
    assert {"Official Disability Guidelines", "MTUS Chronic Pain Medical Treatment Guidelines"
            } <= {w["guideline"] for w in works}
    code, out, _ = _invoke("guidelines", "low back complaints", "--format", "json",
                           "--graph", str(built / "graph.ttl"))
    found = json.loads(out)
    assert found[0]["guideline"] == "Low Back Complaints"
    # The counts agree with the query that lists the citing items.
    code, listed, _ = _invoke("query", "cases-citing", "--param", f"guideline={found[0]['name']}",
                              "--graph", str(built / "graph.ttl"), "--format", "json")
    items = {(r["document"], r["item"]) for r in json.loads(listed)}
    assert found[0]["items"] == len(items) > 0


def test_a_guideline_that_names_nothing_gets_the_closest_names(built: Path) -> None:
    code, out, err = _invoke("query", "cases-citing", "--param", "guideline=MTUS", "--graph",
                             str(built / "graph.ttl"))
    assert code == 0 and "(0 rows)" in out
    assert "no guideline is named 'MTUS'; closest names:" in err
    assert "MTUS Chronic Pain Medical Treatment Guidelines" in err


def test_pipes_between_processes(built: Path) -> None:
    """A real pipe: a query read from stdin answers RDF that the next command validates."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "imrgraph"]
    first = subprocess.run([*cmd, "query", "-", "--store", str(built / "store"), "--format",
                            "nt"], input=OUTCOMES, capture_output=True, text=True, env=env,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([*cmd, "query", "--graph", "-", "--sparql", COUNT, "--format",
                             "csv"], input=first.stdout, capture_output=True, text=True,
                            env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "n\n11\n"
