"""SHACL shapes fail on deliberately broken graphs, naming the rule that was broken."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import SEEDS
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from imrgraph import api
from imrgraph.validate import (
    Violation,
    read_predicates,
    shapes_graph,
    validate_graph,
    validate_triples,
)
from imrgraph.vocab import IMR, SDO, SH, bind_prefixes

OA_START = URIRef("http://www.w3.org/ns/oa#start")


@pytest.fixture(scope="module")
def letter_graph() -> Graph:
    result = api.build([str(SEEDS[1])], include_vocabulary=False, validate=False)
    return result.graph


def _copy(g: Graph) -> Graph:
    out = bind_prefixes(Graph())
    for t in g:
        out.add(t)
    return out


def _one(g: Graph, cls: URIRef) -> URIRef:
    return sorted(g.subjects(RDF.type, cls))[0]


def _drop_items(g: Graph) -> None:
    g.remove((None, IMR.disputedItem, None))


def _second_outcome(g: Graph) -> None:
    g.add((_one(g, IMR.DisputedItem), IMR.outcome, IMR.Overturned))


def _foreign_outcome(g: Graph) -> None:
    item = _one(g, IMR.DisputedItem)
    g.remove((item, IMR.outcome, None))
    g.add((item, IMR.outcome, URIRef("https://example.org/Maybe")))


def _no_outcome(g: Graph) -> None:
    g.remove((_one(g, IMR.DisputedItem), IMR.outcome, None))


def _no_label(g: Graph) -> None:
    g.remove((_one(g, IMR.DisputedItem), RDFS.label, None))


def _two_parties(g: Graph) -> None:
    c = _one(g, IMR.GuidelineCitation)
    g.add((c, IMR.citingParty, IMR.ClaimsAdministratorParty))
    g.add((c, IMR.citingParty, IMR.ExpertReviewerParty))


def _no_guideline(g: Graph) -> None:
    g.remove((_one(g, IMR.GuidelineCitation), IMR.guideline, None))


def _pages_backwards(g: Graph) -> None:
    pr = _one(g, IMR.PageRange)
    g.set((pr, SDO.pageStart, Literal(315)))
    g.set((pr, SDO.pageEnd, Literal(287)))


def _date_as_string(g: Graph) -> None:
    d = _one(g, IMR.Determination)
    g.set((d, IMR.decisionDate, Literal("04/07/2015")))


def _age_implausible(g: Graph) -> None:
    g.set((_one(g, IMR.InjuredWorker), IMR.age, Literal(7)))


def _age_not_integer(g: Graph) -> None:
    g.set((_one(g, IMR.InjuredWorker), IMR.age, Literal("thirty-one")))


def _bad_case_number(g: Graph) -> None:
    g.set((_one(g, IMR.Determination), IMR.caseNumber, Literal("CM15-28659")))


def _span_backwards(g: Graph) -> None:
    sel = sorted(g.subjects(RDF.type, URIRef("http://www.w3.org/ns/oa#TextPositionSelector")))[0]
    g.set((sel, OA_START, Literal(10**9, datatype=XSD.integer)))


def _no_category(g: Graph) -> None:
    g.remove((_one(g, IMR.DisputedItem), IMR.treatmentCategory, None))


def _bad_side(g: Graph) -> None:
    g.set((_one(g, IMR.DisputedItem), IMR.laterality, Literal("middle")))


def _foreign_guideline(g: Graph) -> None:
    g.set((_one(g, IMR.GuidelineCitation), IMR.guideline, URIRef("https://example.org/g")))


def _bad_pages_text(g: Graph) -> None:
    g.set((_one(g, IMR.GuidelineCitation), IMR.pages, Literal("pages 48 to 49")))


CASES: list[tuple[str, Callable[[Graph], None], str, str]] = [
    ("no items", _drop_items, "imr:disputedItem", "MinCountConstraintComponent"),
    ("two outcomes", _second_outcome, "imr:outcome", "MaxCountConstraintComponent"),
    ("outcome outside scheme", _foreign_outcome, "imr:outcome", "InConstraintComponent"),
    ("no outcome", _no_outcome, "imr:outcome", "MinCountConstraintComponent"),
    ("no label", _no_label, "rdfs:label", "MinCountConstraintComponent"),
    ("two citing parties", _two_parties, "imr:citingParty", "MaxCountConstraintComponent"),
    ("no guideline", _no_guideline, "imr:guideline", "MinCountConstraintComponent"),
    ("pages backwards", _pages_backwards, "schema:pageStart",
     "LessThanOrEqualsConstraintComponent"),
    ("date as string", _date_as_string, "imr:decisionDate", "DatatypeConstraintComponent"),
    ("age 7", _age_implausible, "imr:age", "MinInclusiveConstraintComponent"),
    ("age not integer", _age_not_integer, "imr:age", "DatatypeConstraintComponent"),
    ("bad case number", _bad_case_number, "imr:caseNumber", "PatternConstraintComponent"),
    ("span backwards", _span_backwards, "oa:start", "LessThanOrEqualsConstraintComponent"),
    ("no treatment category", _no_category, "imr:treatmentCategory",
     "MinCountConstraintComponent"),
    ("side not in list", _bad_side, "imr:laterality", "InConstraintComponent"),
    ("guideline outside vocabulary namespace", _foreign_guideline, "imr:guideline",
     "PatternConstraintComponent"),
    ("pages text malformed", _bad_pages_text, "imr:pages", "PatternConstraintComponent"),
]


def test_unbroken_letter_conforms(letter_graph: Graph) -> None:
    report = validate_graph(letter_graph)
    assert report.conforms, [str(v) for v in report.violations]


@pytest.mark.parametrize(("name", "breaker", "path", "component"), CASES,
                         ids=[c[0] for c in CASES])
def test_broken_graph_reports_the_specific_violation(
    letter_graph: Graph, name: str, breaker: Callable[[Graph], None], path: str, component: str
) -> None:
    g = _copy(letter_graph)
    breaker(g)
    report = validate_graph(g)
    assert not report.conforms
    # A broken node below a citation or item fails that node's sh:node: the specific
    # violation is then one of the result's details.
    found = [*report.violations, *(d for v in report.violations for d in v.details)]
    hits = [v for v in found if v.path == path and v.constraint == component]
    assert hits, f"{name}: expected {path} {component}, got {[str(v) for v in report.results]}"
    assert all(h.message for h in hits)


@pytest.mark.parametrize(("name", "breaker", "path", "component"), CASES,
                         ids=[c[0] for c in CASES])
def test_fast_engine_reports_exactly_what_pyshacl_reports(
    letter_graph: Graph, name: str, breaker: Callable[[Graph], None], path: str, component: str
) -> None:
    g = _copy(letter_graph)
    breaker(g)
    reference = validate_graph(g, engine="pyshacl")
    fast = validate_graph(g, engine="turbo")
    assert fast.conforms == reference.conforms
    assert fast.results == reference.results


def test_fast_engine_agrees_on_every_bundled_letter() -> None:
    from conftest import LETTERS

    result = api.build([str(LETTERS)], include_vocabulary=False, validate=False)
    assert validate_graph(result.graph, "turbo").results == validate_graph(
        result.graph, "pyshacl").results


def _explained(results: list[Violation]) -> list[tuple[Violation, list[Violation]]]:
    """Results with their details (which equality leaves out), in a comparable order."""
    return [(v, sorted(v.details, key=str)) for v in results]


def _ill_typed_date(g: Graph) -> None:
    g.set((_one(g, IMR.Determination), IMR.decisionDate, Literal("July 4", datatype=XSD.date)))


@pytest.mark.parametrize(("name", "breaker"),
                         [(c[0], c[1]) for c in CASES] + [("ill-typed date", _ill_typed_date)],
                         ids=[c[0] for c in CASES] + ["ill-typed date"])
@pytest.mark.parametrize("engine", ["auto", "turbo", "pyshacl"])
def test_triples_are_validated_as_their_graph_is(
    letter_graph: Graph, name: str, breaker: Callable[[Graph], None], engine: str
) -> None:
    """The letter path (validate_triples: no rdflib graph for turbo) reports what validating
    the letter's graph reports, details and conformance included."""
    g = _copy(letter_graph)
    breaker(g)
    triples = list(g)
    via_graph = validate_graph(g, engine)
    direct = validate_triples(triples + triples[:5], engine)  # a repeated triple counts once
    assert not via_graph.conforms and via_graph.results, name
    assert direct.conforms == via_graph.conforms
    assert _explained(direct.results) == _explained(via_graph.results)


def _basis_missing(g: Graph) -> None:
    """A statement that neither cites nor says it cites no evidence: a warning only."""
    statement = _one(g, IMR.GuidelineStatement)
    for citation in list(g.objects(statement, IMR.citation)):
        g.remove((statement, IMR.citation, citation))
    g.set((statement, IMR.citedNoEvidence, Literal(False)))


@pytest.mark.parametrize("breaker", [None, _basis_missing], ids=["unbroken", "warning only"])
def test_triples_without_violations_are_validated_as_their_graph_is(
    letter_graph: Graph, breaker: Callable[[Graph], None] | None
) -> None:
    """The letter path's shortcut for a report with no result (no report graph is built) gives
    what validating the graph gives, and a warning still goes through the full report."""
    g = _copy(letter_graph)
    if breaker is not None:
        breaker(g)
    via_graph = validate_graph(g, "turbo")
    direct = validate_triples(list(g), "turbo")
    assert via_graph.conforms and direct.conforms
    assert bool(via_graph.results) == (breaker is not None)
    assert [r.severity for r in via_graph.results] == ["Warning"] * len(via_graph.results)
    assert _explained(direct.results) == _explained(via_graph.results)


def test_read_predicates_leave_out_only_what_no_shape_reads(letter_graph: Graph) -> None:
    """The letter path gives the engine only triples a shape can read: the shapes' paths and
    targets and rdf:type stay, a rationale's text goes; a shape that may read any triple
    (sh:closed, SPARQL) keeps them all."""
    read = read_predicates(shapes_graph())
    assert read is not None
    assert {RDF.type, IMR.outcome, IMR.textSpan, IMR.inVocabulary, IMR.reason} <= read
    assert IMR.rationale not in read
    assert {p for _, p, _ in letter_graph} - read  # some triples of a real letter are left out
    for extra in ("closed", "sparql", "rule"):
        shapes = _copy(shapes_graph())
        shapes.add((URIRef("https://example.org/S"), SH[extra], Literal(True)))
        assert read_predicates(shapes) is None, extra
