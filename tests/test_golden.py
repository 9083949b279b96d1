"""Golden tests: each folder of tests/golden holds one letter, the graph it builds
(expected.nt, vocabulary left out) and every named query's CSV over that graph plus the
vocabulary (expected/<query>.csv).  Graphs are compared isomorphically; on a mismatch the test
prints the missing and extra N-Triples.  ``pytest --update-golden`` rewrites the files from the
current code so a change in output is reviewed as a diff (see tests/golden/README.md)."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT
from rdflib import Graph
from rdflib.compare import isomorphic

from imrgraph import api
from imrgraph.sparql import format_result

GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())
QUERIES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))


def letter_of(case: Path) -> Path:
    letters = sorted(case.glob("*.txt")) + sorted(case.glob("*.pdf"))
    assert len(letters) == 1, f"{case.name}: expected exactly one letter (.txt or .pdf)"
    return letters[0]


@cache
def built(case: Path) -> api.BuildResult:
    """The case's letter built alone, without the vocabulary (once per case per run)."""
    return api.build([str(letter_of(case))], include_vocabulary=False)


@cache
def with_vocabulary(case: Path) -> Graph:
    return built(case).graph + api.vocabulary_graph()


def params_for(case: Path, query: str) -> dict[str, str]:
    """A query's parameters for this case: params.json's entry, else the query's defaults."""
    path = case / "params.json"
    chosen = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return dict(chosen.get(query, {}))


def canonical_csv(text: str) -> str:
    """The CSV with each "; "-joined cell's parts sorted: SPARQL's GROUP_CONCAT has no order,
    and the engine's order varies between runs (party-agreement's guideline lists)."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([[("; ".join(sorted(c.split("; "))) if "; " in c else c) for c in row]
                      for row in rows])
    return out.getvalue()


def ntriples_diff(expected: Graph, actual: Graph) -> str:
    want, got = set(api.sorted_ntriples(expected)), set(api.sorted_ntriples(actual))
    lines = [f"- {t}" for t in sorted(want - got)] + [f"+ {t}" for t in sorted(got - want)]
    return "\n".join(["(- missing from the built graph, + extra in it)", *lines])


def text_diff(expected: str, actual: str, name: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(expected.splitlines(keepends=True),
                                        actual.splitlines(keepends=True),
                                        f"expected/{name}", f"actual/{name}"))


def check_text(path: Path, actual: str, update: bool) -> None:
    """Compare with the golden text, or (with --update-golden) rewrite it."""
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"{path} missing: run pytest tests/test_golden.py --update-golden"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        pytest.fail(f"{path.relative_to(ROOT)} differs (rerun with --update-golden if the change "
                    f"is intended):\n{text_diff(expected, actual, path.name)}", pytrace=False)


def test_cases_are_present() -> None:
    assert len(CASES) >= 5
    assert len(QUERIES) >= 13


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_graph(case: Path, update_golden: bool) -> None:
    result = built(case)
    assert result.report.summary()["letters"] == 1, result.report.to_json()
    assert result.validation.conforms
    path = case / "expected.nt"
    if update_golden:
        check_text(path, "\n".join(api.sorted_ntriples(result.graph)) + "\n", update=True)
        return
    assert path.is_file(), f"{path} missing: run pytest tests/test_golden.py --update-golden"
    expected = Graph().parse(path, format="nt")
    if not isomorphic(expected, result.graph):
        pytest.fail(f"{case.name}: the built graph differs from expected.nt (rerun with "
                    f"--update-golden if the change is intended):\n"
                    f"{ntriples_diff(expected, result.graph)}", pytrace=False)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_query(case: Path, query: str, update_golden: bool) -> None:
    result = api.run_query(query, with_vocabulary(case), params_for(case, query))
    check_text(case / "expected" / f"{query}.csv", canonical_csv(format_result(result, "csv")),
               update_golden)


def test_no_stray_golden_files() -> None:
    """Every expected CSV belongs to a named query (a removed query leaves no stale file)."""
    for case in CASES:
        stray = {p.stem for p in (case / "expected").glob("*.csv")} - set(QUERIES)
        assert not stray, f"{case.name}: expected CSVs of no named query: {sorted(stray)}"
