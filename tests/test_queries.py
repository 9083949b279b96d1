"""The core named queries on the seed graph, against answers checked by reading the letters."""

from __future__ import annotations

import pytest
from rdflib import RDFS, Graph, Literal

from imrgraph import api
from imrgraph.errors import UsageError
from imrgraph.sparql import GRAPH_ENGINES, bind_parameters, load_query, named_queries, run, runner
from imrgraph.sparql import execute as query_module

S0, S1, S2, S3, S4 = (
    "000_0a410e5aa90ad013.txt", "001_9c78cd4ffcf5a619.txt", "002_1601b313b08aa036.txt",
    "003_7cc401d07c694c1e.txt", "004_1a808298af5f0d86.txt")


@pytest.fixture(autouse=True, params=GRAPH_ENGINES)
def graph_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both engines for in-memory graphs: Oxigraph and rdflib."""
    monkeypatch.setattr(query_module, "DEFAULT_GRAPH_ENGINE", request.param)
    return request.param


def rows(result: api.QueryResult) -> list[dict]:
    return result.as_dicts()


def test_column_contracts() -> None:
    expected = {
        "decisions": ["document", "case_number", "item", "outcome"],
        "citations": ["document", "item", "party", "guideline", "pages"],
        "guideline-outcomes": ["guideline", "citations", "upheld", "overturned", "overturn_rate"],
    }
    queries = named_queries()
    for name, columns in expected.items():
        assert queries[name].columns == columns, name


def test_every_named_query_documents_itself_and_runs(seed_build: api.BuildResult) -> None:
    for query in named_queries().values():
        assert query.purpose and query.columns, query.name
        if any(p.default is None for p in query.parameters.values()):
            continue  # a required parameter: pinned in its own tests
        result = api.run_query(query.name, seed_build.graph)
        assert result.columns == query.columns, query.name


def test_decisions(seed_build: api.BuildResult) -> None:
    got = [(r["document"], r["case_number"], r["item"], r["outcome"])
           for r in rows(api.run_query("decisions", seed_build.graph))]
    assert got == [
        (S0, "", "Physical Therapy 2 x 4 week, Lumbar Spine", "Overturned"),
        (S0, "", "MRI of the Lumbar Spine", "Overturned"),
        (S1, "CM15-0028659", "Physical therapy 12 sessions", "Upheld"),
        (S2, "", "FOLLOW-UP VISIT WITH ANESTHESIOLOGIST FOR THE LUMBAR", "Upheld"),
        (S2, "", "PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR", "Upheld"),
        (S3, "", "Nerve Conduction Studies of the lower extremities", "Upheld"),
        (S3, "", "Physical Therapy, unknown body part", "Upheld"),
        (S3, "", "Analgesic medication", "Upheld"),
        (S3, "", "Anti-inflammatory medication", "Upheld"),
        (S3, "", "Muscle relaxing medication", "Upheld"),
        (S4, "", "Spinal stabilization program 2x4 lumbar", "Upheld"),
    ]


def test_citations(seed_build: api.BuildResult) -> None:
    got = rows(api.run_query("citations", seed_build.graph))
    by = {(r["document"], r["item"][:20], r["party"], r["guideline"], r["pages"]) for r in got}
    # seed 000, item 1: the reviewer's three ACOEM chapters share one page list, then Chronic
    # Pain "Physical Medicine Page(s): 98-9".
    group = "48-49; 90; 299-301; 308-309"
    assert (S0, "Physical Therapy 2 x", "expert-reviewer", "Low Back Complaints", group) in by
    assert (S0, "Physical Therapy 2 x", "expert-reviewer", "Initial Approaches to Treatment",
            group) in by
    assert (S0, "Physical Therapy 2 x", "expert-reviewer", "Physical Medicine", "98-99") in by
    assert (S0, "Physical Therapy 2 x", "claims-administrator", "Physical Medicine", "99") in by
    assert (S0, "MRI of the Lumbar Sp", "expert-reviewer", "Low Back Complaints",
            "303-304; 309") in by
    assert (S2, "FOLLOW-UP VISIT WITH", "expert-reviewer", "Low Back Complaints",
            "127; 300") in by
    assert (S3, "Analgesic medication", "expert-reviewer", "Opioids", "74-80") in by
    assert (S3, "Muscle relaxing medi", "expert-reviewer", "Muscle relaxants (for pain)",
            "63-66") in by
    # "did not cite any medical evidence" gives no citation row for the claims administrator
    assert not [r for r in got if r["document"] == S3 and r["item"] == "Analgesic medication"
                and r["party"] == "claims-administrator"]
    assert len(got) == 35
    assert {r["party"] for r in got} == {"claims-administrator", "expert-reviewer"}


def test_guideline_outcomes_roll_up(seed_build: api.BuildResult) -> None:
    chapter = {r["guideline"]: r for r in rows(api.run_query(
        "guideline-outcomes", seed_build.graph, {"level": "chapter"}))}
    # ACOEM chapter 12 Low Back Complaints: cited for 000/1 (reviewer), 000/2 (both parties),
    # 001 (reviewer), 002/1 (both parties: ACOEM 2nd ed. Low Back Complaints, p. 127 / 127, 300)
    # and 003/1 (reviewer, p. 303) -> 7 citations; items 000/1 and 000/2 overturned, 001,
    # 002/1 and 003/1 upheld.
    assert chapter["Low Back Complaints"] == {
        "guideline": "Low Back Complaints", "citations": 7, "upheld": 3, "overturned": 2,
        "overturn_rate": 0.4}
    work = {r["guideline"]: r for r in rows(api.run_query(
        "guideline-outcomes", seed_build.graph, {"level": "work"}))}
    acoem = work["MTUS ACOEM Practice Guidelines, 2nd Edition (2004)"]
    # + chapters 5 and 3 (000/1), chapter 7 twice (002/1) and the bare "MTUS ACOEM" (001)
    assert (acoem["citations"], acoem["upheld"], acoem["overturned"]) == (12, 3, 2)
    topic = {r["guideline"]: r for r in rows(api.run_query(
        "guideline-outcomes", seed_build.graph))}
    assert topic["Opioids"]["citations"] == 1 and topic["Opioids"]["upheld"] == 1


def test_guideline_outcomes_by_party(seed_build: api.BuildResult) -> None:
    ca = {r["guideline"]: r for r in rows(api.run_query(
        "guideline-outcomes", seed_build.graph,
        {"level": "chapter", "party": "claims-administrator"}))}
    # claims administrator cited Low Back Complaints for 000/2 and 002/1 only
    assert (ca["Low Back Complaints"]["citations"], ca["Low Back Complaints"]["upheld"],
            ca["Low Back Complaints"]["overturned"]) == (2, 1, 1)


HOSTILE = ['"', "' } DROP ALL ; {", "} DROP ALL", "x\"} . ?s ?p ?o {\n", "\\", "a\nb\rc",
           "\"\"\" ; DELETE WHERE { ?s ?p ?o }", "<https://example.org/>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameter_values_stay_literals(seed_build: api.BuildResult, value: str) -> None:
    graph = Graph()
    for t in seed_build.graph:
        graph.add(t)
    before = len(graph)
    result = api.run_query("guideline-outcomes", graph, {"party": value})
    assert result.rows == []
    assert len(graph) == before
    text = bind_parameters(load_query("guideline-outcomes"), {"party": value})
    # The value is one escaped term wherever ?_party was; nothing else of it leaks in.
    assert "?_party" not in text
    assert text.count(Literal(value).n3()) == load_query("guideline-outcomes").text.count("?_party")


def test_unknown_parameter_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no parameter colour"):
        bind_parameters(load_query("decisions"), {"colour": "red"})


def test_user_query_with_parameter(tmp_path, seed_build: api.BuildResult) -> None:  # noqa: ANN001
    path = tmp_path / "by-outcome.rq"
    path.write_text(
        "# purpose: items with a given outcome\n"
        "# param: outcome = Upheld : Upheld | Overturned\n"
        "# columns: item\n"
        "PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?item WHERE { ?i imr:outcome ?o ; rdfs:label ?item .\n"
        "  FILTER(STRAFTER(STR(?o), '#') = ?_outcome) } ORDER BY ?item\n")
    overturned = api.run_query(str(path), seed_build.graph, {"outcome": "Overturned"})
    assert [r[0] for r in overturned.rows] == ["MRI of the Lumbar Spine",
                                               "Physical Therapy 2 x 4 week, Lumbar Spine"]
    assert len(api.run_query(str(path), seed_build.graph).rows) == 9
    assert api.run_query(str(path), seed_build.graph, {"outcome": "'} DROP ALL"}).rows == []


def test_queries_see_a_changed_graph(seed_build: api.BuildResult) -> None:
    # No stale copy: a graph changed in place (here with the same number of triples) is
    # queried as it is now, on either engine.
    graph = Graph()
    for t in seed_build.graph:
        graph.add(t)
    item = next(s for s, o in graph.subject_objects(RDFS.label)
                if str(o) == "MRI of the Lumbar Spine")
    before = {r[2] for r in api.run_query("decisions", graph).rows}
    graph.set((item, RDFS.label, Literal("MRI, lumbar (renamed)")))
    after = {r[2] for r in api.run_query("decisions", graph).rows}
    assert after == (before - {"MRI of the Lumbar Spine"}) | {"MRI, lumbar (renamed)"}


def test_sparql_text_runs_like_a_named_query_and_a_runner_reuses_one_source(
        seed_build: api.BuildResult, graph_engine: str) -> None:
    """``query.run`` takes SPARQL text as well as a name; a runner answers like ``run``."""
    text = ("SELECT ?d WHERE { ?d a <https://w3id.org/imrgraph/ontology#Determination> } "
            "ORDER BY ?d")
    got = run(text, seed_build.graph, engine=graph_engine)
    assert got.columns == ["d"]
    assert len(got.rows) == len(seed_build.determinations) == 5
    assert run(text, seed_build.graph, engine=graph_engine, limit=2, offset=1).rows == \
        got.rows[1:3]
    run_one = runner(seed_build.graph, graph_engine)
    assert run_one("decisions", {}).rows == api.run_query("decisions", seed_build.graph).rows
    with pytest.raises(UsageError, match="unknown query engine"):
        run(text, seed_build.graph, engine="sparql-by-hand")
