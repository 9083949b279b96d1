"""Records -> triples: declared terms, determinism, stable IRIs, shared guideline nodes, SHACL."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LETTERS, SEEDS, corpus_letters
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from imrgraph import api
from imrgraph.ingest import letter_from_string
from imrgraph.mapping import determination_triples, graph_of
from imrgraph.parse import parse_letter
from imrgraph.resources import files
from imrgraph.vocab import GL, IMR

DECLARING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   OWL.NamedIndividual, RDFS.Class, RDF.Property, SKOS.Concept,
                   SKOS.ConceptScheme}


def _ontology() -> Graph:
    g = Graph()
    for path in files("ontology", "*.ttl"):
        g.parse(path)
    return g


def test_every_class_and_property_used_is_declared(fixture_build: api.BuildResult) -> None:
    onto = _ontology()
    declared = {s for s, o in onto.subject_objects(RDF.type) if o in DECLARING_TYPES}
    data = Graph()
    for letter in fixture_build.letters:
        for t in letter.triples + letter.shared:
            data.add(t)
    predicates = set(data.predicates()) - {RDF.type}
    classes = set(data.objects(None, RDF.type))
    missing = sorted(str(t) for t in (predicates | classes) if t not in declared)
    assert not missing, f"used but not declared in ontology/: {missing}"


def test_ontology_terms_have_label_and_comment() -> None:
    g = Graph().parse(files("ontology", "imr.ttl")[0])
    for term in set(g.subjects(RDF.type, OWL.Class)) | set(
            g.subjects(RDF.type, OWL.ObjectProperty)) | set(
            g.subjects(RDF.type, OWL.DatatypeProperty)):
        assert g.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert g.value(term, RDFS.comment) is not None, f"{term} has no rdfs:comment"


def test_building_twice_gives_the_same_graph() -> None:
    first = api.build([str(LETTERS)], include_vocabulary=False)
    second = api.build([str(LETTERS)], include_vocabulary=False)
    assert api.sorted_ntriples(first.graph) == api.sorted_ntriples(second.graph)
    assert len(first.graph) > 1000


def test_no_blank_nodes(fixture_build: api.BuildResult) -> None:
    from rdflib import BNode

    for letter in fixture_build.letters:
        for s, _, o in letter.triples:
            assert not isinstance(s, BNode) and not isinstance(o, BNode)


def test_letter_without_case_number_gets_stable_content_iri() -> None:
    text = SEEDS[0].read_text()
    a = parse_letter(letter_from_string(text, "a.txt"))
    b = parse_letter(letter_from_string(text, "b.txt"))
    assert a.case_number is None
    assert a.key == b.key and a.key.startswith("sha256-")
    changed = parse_letter(letter_from_string(text + "\n \n", "c.txt"))
    assert changed.key != a.key


def test_case_number_names_the_determination(fixture_build: api.BuildResult) -> None:
    iris = {str(lt.determination) for lt in fixture_build.letters}
    assert "https://w3id.org/imrgraph/id/determination/CM16-0248698" in iris
    assert "https://w3id.org/imrgraph/id/determination/CM15-0028659" in iris


def test_source_file_and_sha256_recorded(fixture_build: api.BuildResult) -> None:
    import hashlib

    g = fixture_build.graph
    rows = list(g.query("""
        PREFIX imr: <https://w3id.org/imrgraph/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?name ?sha WHERE { ?d a imr:Determination ; prov:wasDerivedFrom ?s .
                                  ?s dcterms:title ?name ; imr:sha256 ?sha }"""))
    assert len(rows) == len(list(LETTERS.glob("*.txt")))
    for name, sha in rows:
        assert hashlib.sha256((LETTERS / str(name)).read_bytes()).hexdigest() == str(sha)


def test_items_and_citations_carry_spans(fixture_build: api.BuildResult) -> None:
    g = fixture_build.graph
    OA = "http://www.w3.org/ns/oa#"
    for node_class in (IMR.DisputedItem, IMR.GuidelineCitation):
        nodes = list(g.subjects(RDF.type, node_class))
        assert nodes
        for node in nodes:
            sel = g.value(node, IMR.textSpan)
            assert sel is not None, node
            start = g.value(sel, URIRef(OA + "start")).toPython()
            end = g.value(sel, URIRef(OA + "end")).toPython()
            assert 0 <= start < end


def test_guideline_node_shared_across_letters(seed_build: api.BuildResult) -> None:
    """MTUS ACOEM Chapter 12 Low Back Complaints, cited in three seed letters, is one node."""
    g = seed_build.graph
    ch12 = GL["mtus-acoem/ch12"]
    q = """
        PREFIX imr: <https://w3id.org/imrgraph/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT DISTINCT ?name WHERE {
          ?d imr:disputedItem/imr:statement/imr:citation/imr:guideline ?g ;
             prov:wasDerivedFrom/dcterms:title ?name . }"""
    names = {str(r[0]) for r in g.query(q, initBindings={"g": ch12})}
    assert {"000_0a410e5aa90ad013.txt", "001_9c78cd4ffcf5a619.txt",
            "003_7cc401d07c694c1e.txt"} <= names
    labels = {str(o) for o in g.objects(ch12, SKOS.prefLabel)}
    assert len(labels) == 1


def test_explicit_no_citation_fact(seed_build: api.BuildResult) -> None:
    g = seed_build.graph
    q = """PREFIX imr: <https://w3id.org/imrgraph/ontology#>
           SELECT (COUNT(?s) AS ?n) WHERE { ?s imr:citedNoEvidence true }"""
    assert int(next(iter(g.query(q)))[0]) == 3  # seed 003: analgesic, anti-inflammatory, relaxant


def test_seeds_validate(seed_build: api.BuildResult) -> None:
    assert seed_build.validation.conforms, seed_build.validation.violations
    assert not seed_build.report.rejected


@pytest.mark.corpus
@pytest.mark.parametrize("letter", corpus_letters(), ids=lambda p: p.name)
def test_every_corpus_letter_builds_and_passes_shacl(letter: Path) -> None:
    result = api.build([str(letter)], include_vocabulary=False)
    assert [i.status for i in result.report.inputs] in (["built"], ["built-with-warnings"])
    assert result.validation.conforms, [str(v) for v in result.validation.violations]
    assert result.determinations[0].items


def test_merged_graph_validates_like_per_letter(fixture_build: api.BuildResult) -> None:
    from imrgraph.validate import validate_graph

    data = graph_of(fixture_build.letters)
    whole = validate_graph(data)
    assert whole.conforms == fixture_build.validation.conforms
    assert {(r.focus_node, r.path, r.constraint) for r in whole.results} == {
        (r.focus_node, r.path, r.constraint) for r in fixture_build.validation.results}


def test_mapping_literal_types(seed_build: api.BuildResult) -> None:
    g = seed_build.graph
    for o in g.objects(None, IMR.age):
        assert isinstance(o, Literal) and o.datatype == XSD.integer
    for o in g.objects(None, IMR.dateOfInjury):
        assert o.datatype == XSD.date


def test_determination_triples_are_grouped_by_letter() -> None:
    det = api.parse_file(SEEDS[1])
    letter = determination_triples(det)
    assert letter.key == "CM15-0028659"
    subjects = {str(s) for s, _, _ in letter.triples}
    prefix = str(letter.determination)
    own = [s for s in subjects if s.startswith(prefix)]
    assert len(own) > 10
