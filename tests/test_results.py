"""The one-call entry point and what a query result offers an analyst (issue 15 item 1).

``imrgraph.query`` on every kind of source gives the same rows; a result has a length, rows
as named tuples, typed values, pandas, CSV, JSON and an escaped HTML view; records turn into
JSON with one call.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import SEEDS
from rdflib import Dataset, Graph, URIRef

import imrgraph
from imrgraph import api
from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.sparql import QueryResult, query_form

TYPED = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?day ?rate ?n ?name WHERE {
  VALUES (?day ?rate ?n ?name) { ("2015-03-02"^^xsd:date "0.25"^^xsd:decimal 3 "x") }
}"""
OUTCOMES = """PREFIX imr: <https://w3id.org/imrgraph/ontology#>
CONSTRUCT { ?item imr:outcome ?o } WHERE { ?item imr:outcome ?o }"""


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory, seed_build) -> Path:
    path = tmp_path_factory.mktemp("results") / "graph.ttl"
    api.serialize(seed_build.graph, path, "ttl")
    return path


def _rows(result: QueryResult) -> list[tuple]:
    return sorted(tuple(r) for r in result)


def test_query_gives_the_same_rows_on_every_kind_of_source(graph_file: Path, seed_build,
                                                           tmp_path: Path) -> None:
    """A graph file path (str and Path), an rdflib Graph, a Dataset holding the letters in a
    named graph (both engines), and a store folder answer alike."""
    expected = _rows(imrgraph.query("decisions", seed_build.graph))
    assert len(expected) == 11
    assert _rows(imrgraph.query("decisions", str(graph_file))) == expected
    assert _rows(imrgraph.query("decisions", graph_file, engine="rdflib")) == expected
    dataset = Dataset()
    dataset.graph(URIRef("urn:example:letters")).parse(graph_file)
    assert _rows(imrgraph.query("decisions", dataset)) == expected
    assert _rows(imrgraph.query("decisions", dataset, engine="rdflib")) == expected
    api.build_store([str(p) for p in SEEDS], tmp_path / "store", jobs=1)
    assert _rows(imrgraph.query("decisions", tmp_path / "store")) == expected


def test_run_query_takes_a_relative_graph_file_path(graph_file: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(graph_file.parent)
    assert len(api.run_query("decisions", "graph.ttl")) == 11


def test_a_missing_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no-such.ttl: no such graph file"):
        imrgraph.query("decisions", str(tmp_path / "no-such.ttl"))


def test_rows_are_named_tuples_and_values_typed(graph_file: Path) -> None:
    result = imrgraph.query("decisions", graph_file)
    first = next(iter(result))
    assert first._fields == ("document", "case_number", "item", "outcome")
    assert first.outcome in ("Upheld", "Overturned")
    for engine in ("oxigraph", "rdflib"):
        (row,) = list(imrgraph.query(TYPED, graph_file, engine=engine))
        assert row == (date(2015, 3, 2), 0.25, 3, "x")
        assert [type(v) for v in row] == [date, float, int, str]


def test_pandas_reads_a_result_both_ways(graph_file: Path) -> None:
    pd = pytest.importorskip("pandas")
    result = imrgraph.query("guideline-outcomes", graph_file, {"level": "work"})
    frame = pd.DataFrame(result)
    assert list(frame.columns) == result.columns
    assert len(frame) == len(result) > 0
    assert frame.equals(result.to_pandas())
    assert frame["citations"].dtype.kind == "i"
    empty = imrgraph.query("cases-citing", graph_file, {"guideline": "no such guideline"})
    assert len(empty) == 0
    assert list(empty.to_pandas().columns) == empty.columns


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an install without pandas sees
    with pytest.raises(ImrgraphError, match=r"pip install 'imrgraph\[pandas\]'"):
        QueryResult(["a"], [[1]]).to_pandas()


def test_csv_json_and_html(graph_file: Path, tmp_path: Path) -> None:
    result = imrgraph.query("decisions", graph_file)
    rows = list(csv.DictReader(io.StringIO(result.to_csv() or "")))
    assert [tuple(r.values()) for r in rows] == [tuple("" if v is None else v for v in row)
                                                 for row in result.rows]
    assert json.loads(result.to_json() or "") == result.as_dicts()
    result.to_json(tmp_path / "rows.json")
    assert json.loads((tmp_path / "rows.json").read_text()) == result.as_dicts()
    typed = imrgraph.query(TYPED, graph_file)
    assert json.loads(typed.to_json() or "")[0]["day"] == "2015-03-02"
    tricky = QueryResult(["<b>"], [["<script>alert(1)</script> & co"], [None]])
    page = tricky._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "<th>&lt;b&gt;</th>" in page and "2 row(s)" in page


def test_construct_answers_triples(graph_file: Path) -> None:
    answer = imrgraph.query(OUTCOMES, graph_file)
    assert not isinstance(answer, QueryResult)
    assert len(answer) == 11
    for fmt, parser in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")):
        parsed = Graph().parse(data=answer.serialize(fmt), format=parser)
        assert len(parsed) == 11, fmt
    assert b"@prefix imr:" in answer.serialize("ttl")
    assert len(imrgraph.query(OUTCOMES, graph_file, engine="rdflib").graph()) == 11
    with pytest.raises(UsageError, match="CONSTRUCT: it answers triples"):
        api.run_query(OUTCOMES, graph_file)


def test_query_form_sees_past_prefixes_with_hashes_and_comments() -> None:
    assert query_form("# a comment\nPREFIX imr: <https://w3id.org/imrgraph/ontology#> "
                      "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert query_form("BASE <http://x/#> describe <http://x/#a>") == "DESCRIBE"
    assert query_form("ASK {}") == "ASK"


def test_a_record_is_json_in_one_call() -> None:
    record = api.parse_file(SEEDS[1])
    data = json.loads(record.to_json())
    assert data["header"]["case_number"]["value"] == record.case_number
    assert json.loads(api.to_json(record)) == data
    dates = [v for v in _leaves(data) if isinstance(v, str) and len(v) == 10 and v[4] == "-"]
    assert dates, "a letter states dates; they must come out as ISO text"
    assert all(date.fromisoformat(d) for d in dates)


def _leaves(data: object) -> list[object]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _leaves(v)]
    if isinstance(data, list):
        return [x for v in data for x in _leaves(v)]
    return [data]
