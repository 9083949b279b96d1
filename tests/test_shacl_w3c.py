"""The W3C SHACL core test suite, run through the engine imrgraph validates with.

The suite ships in pySHACL's source distribution on PyPI; ``scripts/test.sh`` unpacks its
``core`` folder into ``.cache/shacl-w3c/core`` (or set ``IMRGRAPH_SHACL_SUITE``).  Every
``sht:Validate`` case must give, through :func:`imrgraph.validate.validate_graph`, the results
the suite expects and the results pySHACL (the reference engine) gives.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from imrgraph.validate import SH, ValidationReport, has_ill_typed_literal, validate_graph

ROOT = Path(__file__).resolve().parent.parent
SUITE = Path(os.environ.get("IMRGRAPH_SHACL_SUITE", ROOT / ".cache" / "shacl-w3c" / "core"))
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

#: Cases where pySHACL itself does not give the suite's expected report (so neither engine is
#: held to it); both engines must still agree with each other there.
REFERENCE_DIFFERS = {"property/uniqueLang-002.ttl"}

Row = tuple[str, str, str, str, str, str]


def _cases() -> list[tuple[str, Path, Path, Path, URIRef | BNode]]:
    if not SUITE.is_dir():
        return []
    cases = []
    for path in sorted(SUITE.rglob("*.ttl")):
        if path.name == "manifest.ttl":
            continue
        graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
        for test in graph.subjects(RDF.type, SHT.Validate):
            action = graph.value(test, MF.action)
            data = Path(str(graph.value(action, SHT.dataGraph)).removeprefix("file://"))
            shapes = Path(str(graph.value(action, SHT.shapesGraph)).removeprefix("file://"))
            cases.append((str(path.relative_to(SUITE)), path, data, shapes, test))
    return cases


CASES = _cases()


def _load(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=path.as_uri())


def _node(graph: Graph, node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return "[]"
    return str(node)


def _expected(manifest: Graph, test: URIRef | BNode) -> tuple[bool, list[Row]]:
    result = manifest.value(test, MF.result)
    conforms = manifest.value(result, SH.conforms)
    rows = []
    for r in manifest.objects(result, SH.result):
        rows.append(tuple(_node(manifest, manifest.value(r, p)) for p in (
            SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceConstraintComponent,
            SH.sourceShape, SH.value)))
    return bool(conforms.toPython()) if conforms is not None else True, sorted(rows)


def _rows(report: ValidationReport, data: Graph) -> list[Row]:
    """imrgraph's report as the suite's rows (full IRIs, blank nodes as [])."""
    def full(text: str) -> str:
        if not text or text.startswith("_:"):
            return "[]" if text else ""
        if text.startswith("<") and text.endswith(">") and ":" in text and " " not in text:
            return text[1:-1]
        if ":" in text and not text.startswith("http"):
            try:
                return str(data.namespace_manager.expand_curie(text))
            except ValueError:
                return text
        return text

    sh = str(SH)
    def severity(text: str) -> str:
        return sh + text if text in ("Violation", "Warning", "Info") else full(text)

    def path(text: str) -> str:
        # The suite writes a complex path as a blank node; ours is its SPARQL path text.
        complex_path = text and (text[0] in "^(" or text[-1] in "*+?")
        return "[]" if complex_path else full(text)

    rows = [(full(v.focus_node), path(v.path), severity(v.severity), sh + v.constraint,
             full(v.source_shape), full(v.value)) for v in report.results]
    return sorted(rows)


@pytest.mark.skipif(not CASES, reason=f"W3C SHACL core suite not found at {SUITE} "
                    "(scripts/test.sh unpacks it from pySHACL's sdist)")
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_w3c_core_case(case: tuple[str, Path, Path, Path, URIRef | BNode]) -> None:
    name, manifest_path, data_path, shapes_path, test = case
    data, shapes = _load(data_path), _load(shapes_path)
    ours = validate_graph(data, engine="auto", shapes=shapes)
    reference = validate_graph(data, engine="pyshacl", shapes=shapes)
    assert ours.conforms == reference.conforms
    assert _rows(ours, data) == _rows(reference, data)
    if name in REFERENCE_DIFFERS:
        return
    conforms, expected = _expected(_load(manifest_path), test)
    # SHACL conforms only without any result; imrgraph's report conforms without Violations
    # (warnings and infos are reported, not failed).
    assert (not ours.results) == conforms
    assert ours.conforms == (not ours.violations)
    assert [r[:5] for r in _rows(ours, data)] == [r[:5] for r in expected]
    assert len(ours.results) == len(expected)


def test_suite_is_available_in_ci() -> None:
    if os.environ.get("CI_REQUIRE_SHACL_SUITE") and not CASES:
        pytest.fail(f"W3C SHACL core suite missing at {SUITE}")


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
  sh:property [ sh:path ex:flag ; sh:datatype xsd:boolean ] .
"""


def test_ill_typed_boolean_is_a_violation_on_every_engine() -> None:
    """rdflib parses "yes"^^xsd:boolean as false; validation must still refuse it."""
    data = Graph().parse(data='@prefix ex: <http://example.org/> . '
                         '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . '
                         'ex:x a ex:C ; ex:flag "yes"^^xsd:boolean .', format="turtle")
    shapes = Graph().parse(data=SHAPES, format="turtle")
    assert has_ill_typed_literal(data)
    for engine in ("auto", "pyshacl"):
        report = validate_graph(data, engine=engine, shapes=shapes)
        assert not report.conforms
        assert [v.constraint for v in report.results] == ["DatatypeConstraintComponent"]
    good = Graph().parse(data='@prefix ex: <http://example.org/> . ex:x a ex:C ; ex:flag true .',
                         format="turtle")
    assert not has_ill_typed_literal(good)
    assert validate_graph(good, shapes=shapes).conforms
    assert Literal("true", datatype=XSD.boolean).ill_typed is False


def test_nested_details_are_not_counted_as_results() -> None:
    """A broken text span fails the item's sh:node; the report holds one result per failure,
    as pySHACL's ``sh:result`` list does, not its nested ``sh:detail`` too."""
    import pyshacl

    from imrgraph import api
    from imrgraph.validate import shapes_graph

    built = api.build([str(ROOT / "examples" / "letters" / "CM16-0248698.txt")],
                      include_vocabulary=False, validate=False)
    graph = built.graph
    oa = Namespace("http://www.w3.org/ns/oa#")
    item_span = URIRef(str(built.letters[0].determination) + "/item/1/span")
    graph.remove((item_span, oa.start, None))
    _, reference, _ = pyshacl.validate(graph, shacl_graph=shapes_graph(), advanced=True,
                                       allow_warnings=True, inference="none")
    top = len(list(reference.objects(None, SH.result)))
    assert len(list(reference.objects(None, SH.detail))) >= 1  # the case has nested details
    for engine in ("auto", "pyshacl"):
        report = validate_graph(graph, engine=engine)
        assert len(report.results) == top
        assert not report.conforms
