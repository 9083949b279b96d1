"""ontology/guideline-labels.ttl: generated from guidelines.ttl, unique, self-explaining."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from imrgraph.resolve.labels import IMR, LABELS_FILE, generate, minted_display_label

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"
GL = "https://w3id.org/imrgraph/guideline/"


def _vocabulary() -> Graph:
    graph = Graph()
    for name in ("guidelines.ttl", LABELS_FILE):
        graph.parse(ONTOLOGY / name, format="turtle")
    return graph


def test_committed_file_equals_a_fresh_generation() -> None:
    committed = (ONTOLOGY / LABELS_FILE).read_text(encoding="utf-8")
    assert committed == generate(ONTOLOGY / "guidelines.ttl", ONTOLOGY / LABELS_FILE), (
        "ontology/guideline-labels.ttl is stale: run python scripts/make_guideline_labels.py")


def test_every_concept_has_one_unique_display_label() -> None:
    graph = _vocabulary()
    concepts = set(graph.subjects(SKOS.inScheme, URIRef(GL + "scheme")))
    labels = {c: [str(v) for v in graph.objects(c, IMR.displayLabel)] for c in concepts}
    assert all(len(v) == 1 for v in labels.values()), [c for c, v in labels.items() if len(v) != 1]
    flat = [v[0] for v in labels.values()]
    assert len(set(flat)) == len(flat)
    # Preferred labels alone are not unique: that is why display labels exist.
    prefs = [str(graph.value(c, SKOS.prefLabel)) for c in concepts]
    assert len(set(prefs)) < len(prefs)


def test_display_labels_are_paths_from_the_works_short_name() -> None:
    graph = _vocabulary()

    def label(slug: str) -> str:
        return str(graph.value(URIRef(GL + slug), IMR.displayLabel))

    assert label("odg/low-back/physical-therapy") == "ODG › Low Back › Physical therapy (PT)"
    assert label("mtus-acoem/ch12") == "MTUS ACOEM ch. 12 › Low Back Complaints"
    assert label("mtus-chronic-pain/compound-drugs") == "MTUS Chronic Pain › Compound drugs"
    assert label("mtus-opioid/3-3-6") == "MTUS Opioid § 3.3.6 › Use of Urine Drug Testing (UDT)"
    assert label("odg") == str(graph.value(URIRef(GL + "odg"), SKOS.prefLabel))
    # the three shoulders of the issue no longer look alike
    shoulders = {label(s) for s in ("mtus-acoem/ch9", "odg/shoulder", "mtus-postsurgical/shoulder")}
    assert shoulders == {"MTUS ACOEM ch. 9 › Shoulder Complaints", "ODG › Shoulder",
                         "MTUS Postsurgical › Shoulder"}


def test_ancestors_materialised_for_roll_ups() -> None:
    graph = _vocabulary()
    topic = URIRef(GL + "mtus-opioid/3-3-1-2")
    assert graph.value(topic, IMR.inWork) == URIRef(GL + "mtus-opioid")
    assert graph.value(topic, IMR.inChapter) == URIRef(GL + "mtus-opioid/3")
    # a topic right below a work has a work and no chapter; a chapter is in itself
    assert graph.value(URIRef(GL + "mtus-chronic-pain/opioids"), IMR.inChapter) is None
    assert graph.value(URIRef(GL + "odg/pain"), IMR.inChapter) == URIRef(GL + "odg/pain")


def test_minted_concepts_are_labelled_with_their_work() -> None:
    graph = _vocabulary()
    assert minted_display_label(graph, GL + "odg/pain", "Ketamine") == "ODG › Ketamine"
    assert minted_display_label(graph, None, "Some Guideline") == "Some Guideline"
