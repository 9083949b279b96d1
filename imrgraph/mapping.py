"""Resolved records -> RDF triples.

``determination_triples`` is a pure function of one resolved record (``imrgraph.resolve``): the
citations name their guideline concepts or minted nodes (with the concept above them) and the
items carry their treatment classification, so a letter's triples do not depend on what else
is in the batch or in which order letters come.  IRIs are minted from the letter's stable key
(case number, else content hash) and the item's position, so building the same letters twice
gives the same graph, and no blank nodes are used (blank nodes would make graphs impossible to
diff or to update letter by letter).  Guideline and treatment nodes come from the shared
vocabularies, so one guideline connects to every item that cited it across letters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef

from imrgraph import __version__
from imrgraph.records import (
    Determination,
    DisputedItem,
    Fact,
    GuidelineCitation,
    GuidelineStatement,
    ItemReasons,
    Span,
    TreatmentClassification,
)
from imrgraph.vocab import (
    DCTERMS,
    GL_SCHEME,
    ID,
    IMR,
    OA,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    XSD,
    bind_prefixes,
)

OUTCOME_CONCEPTS = {"Upheld": IMR.Upheld, "Overturned": IMR.Overturned}
PARTY_CONCEPTS = {
    "claims-administrator": IMR.ClaimsAdministratorParty,
    "expert-reviewer": IMR.ExpertReviewerParty,
}
SOFTWARE_AGENT = ID[f"agent/imrgraph-{__version__}"]

Triple = tuple[URIRef, URIRef, URIRef | Literal]


@dataclass
class LetterTriples:
    """A letter's own triples (its named graph) and the shared nodes it introduced."""

    key: str
    determination: URIRef
    triples: list[Triple] = field(default_factory=list)
    shared: list[Triple] = field(default_factory=list)


def determination_iri(key: str) -> URIRef:
    return ID[f"determination/{quote(key, safe='-._~')}"]


def letter_graph_iri(key: str) -> URIRef:
    """Name of the graph holding one letter's triples in a quad store."""
    return ID[f"graph/{quote(key, safe='-._~')}"]


SHARED_GRAPH = ID["graph/shared"]


_SHORT = 40


def _literal(value: object, datatype: URIRef | None) -> Literal:
    """``Literal(value, datatype=datatype)``, the same term, made once per short value."""
    if type(value) not in (str, int, bool) or (isinstance(value, str) and len(value) > _SHORT):
        return Literal(value, datatype=datatype)  # texts (rationales, summaries) are unique
    return _short_literal(value, datatype)


#: Short values (numbers, booleans, dates, names) recur from letter to letter, and rdflib's
#: Literal constructor costs more than the rest of a triple; typed, so 1 and True differ.
@lru_cache(maxsize=50_000, typed=True)
def _short_literal(value: object, datatype: URIRef | None) -> Literal:
    return Literal(value, datatype=datatype)


class _Emitter:
    def __init__(self, out: list[Triple]) -> None:
        self.out = out

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal | None) -> None:
        if o is not None:
            self.out.append((s, p, o))

    def lit(self, s: URIRef, p: URIRef, value: object, datatype: URIRef | None = None) -> None:
        if value is None or value == "":
            return
        self.out.append((s, p, _literal(value, datatype)))

    def span(self, node: URIRef, span: Span) -> None:
        sel = URIRef(f"{node}/span")
        self.add(node, IMR.textSpan, sel)
        self.add(sel, RDF.type, OA.TextPositionSelector)
        self.lit(sel, OA.start, span.start, XSD.integer)
        self.lit(sel, OA.end, span.end, XSD.integer)


def _value(fact: Fact | None) -> object | None:
    return fact.value if fact is not None else None


def determination_triples(det: Determination) -> LetterTriples:
    """All triples for one resolved letter (``imrgraph.resolve.resolve_determination``)."""
    node = determination_iri(det.key)
    result = LetterTriples(key=det.key, determination=node)
    e = _Emitter(result.triples)
    e.add(node, RDF.type, IMR.Determination)
    e.lit(node, RDFS.label, f"IMR determination {det.key}")
    h = det.header
    e.lit(node, IMR.caseNumber, _value(h.case_number))
    e.lit(node, IMR.dateAssigned, _value(h.date_assigned), XSD.date)
    e.lit(node, IMR.decisionDate, _value(h.decision_date), XSD.date)
    e.lit(node, IMR.urDenialDate, _value(h.ur_denial_date), XSD.date)
    e.lit(node, IMR.applicationReceived, _value(h.application_received), XSD.date)
    e.lit(node, IMR.priority, _value(h.priority))
    for warning in det.warnings:
        e.lit(node, IMR.warning, warning)

    source = ID[f"source/{det.source.sha256}"]
    e.add(node, PROV.wasDerivedFrom, source)
    e.add(node, PROV.wasAttributedTo, SOFTWARE_AGENT)
    e.add(source, RDF.type, PROV.Entity)
    e.lit(source, DCTERMS.title, det.source.name)
    e.lit(source, IMR.sha256, det.source.sha256)
    e.lit(source, DCTERMS.format, det.source.media_type)
    agent = _Emitter(result.shared)  # one agent node for all letters
    agent.add(SOFTWARE_AGENT, RDF.type, PROV.SoftwareAgent)
    agent.lit(SOFTWARE_AGENT, RDFS.label, f"imrgraph {__version__}")

    worker = URIRef(f"{node}/worker")
    e.add(node, IMR.injuredWorker, worker)
    e.add(worker, RDF.type, IMR.InjuredWorker)
    w = det.worker
    e.lit(worker, IMR.age, _value(w.age), XSD.integer)
    if w.sex is not None:
        e.add(worker, SDO.gender, SDO.Female if w.sex.value == "female" else SDO.Male)
    e.lit(worker, IMR.dateOfInjury, _value(w.date_of_injury), XSD.date)
    e.lit(worker, IMR.injuryMechanism, _value(w.injury_mechanism))

    reviewer = URIRef(f"{node}/reviewer")
    e.add(node, IMR.expertReviewer, reviewer)
    e.add(reviewer, RDF.type, IMR.ExpertReviewer)
    for spec in det.reviewer.specialties:
        e.lit(reviewer, IMR.specialty, spec.value)
    for state in det.reviewer.licensure_states:
        e.lit(reviewer, IMR.licensedIn, state.value)

    e.lit(node, IMR.caseSummary, _value(det.summary.text))
    for dx in det.summary.diagnoses:
        e.lit(node, IMR.diagnosis, dx.value)
    for tx in det.summary.treatments_to_date:
        e.lit(node, IMR.treatmentToDate, tx.value)

    shared = _Emitter(result.shared)
    for item in det.items:
        item_node = URIRef(f"{node}/item/{item.number}")
        e.add(node, IMR.disputedItem, item_node)
        _item(e, shared, item_node, item)
        if item.treatment is not None:
            result.triples.extend(classification_triples(item_node, item.treatment))
        if item.reasons is not None:
            _reasons(e, item_node, item.reasons)
        for statement in item.statements:
            for citation in statement.citations:
                if not citation.in_vocabulary:
                    result.shared.extend(out_of_vocabulary_triples(citation))
    return result


def _reasons(e: _Emitter, item_node: URIRef, reasons: ItemReasons) -> None:
    """item imr:reason finding; the finding's reason concept, evidence words and span; the
    guideline's recommended visits and whether the request exceeds them."""
    for k, finding in enumerate(reasons.findings, start=1):
        node = URIRef(f"{item_node}/reason/{k}")
        e.add(item_node, IMR.reason, node)
        e.add(node, RDF.type, IMR.ReasonFinding)
        e.add(node, IMR.reasonConcept, URIRef(finding.reason))
        e.lit(node, IMR.evidence, finding.evidence.value)
        e.span(node, finding.evidence.span)
    c = reasons.comparison
    if c is not None:
        e.lit(item_node, IMR.recommendedVisits, c.recommended_visits, XSD.integer)
        if c.exceeds is not None:
            e.lit(item_node, IMR.exceedsRecommendedVisits, c.exceeds, XSD.boolean)


def _item(e: _Emitter, shared: _Emitter, node: URIRef, item: DisputedItem) -> None:
    e.add(node, RDF.type, IMR.DisputedItem)
    e.lit(node, RDFS.label, item.label.value)
    e.lit(node, IMR.itemNumber, item.number, XSD.integer)
    e.lit(node, IMR.heading, item.heading.value)
    e.add(node, IMR.outcome, OUTCOME_CONCEPTS[item.outcome.value])
    e.lit(node, IMR.originalRequest, _value(item.original_request))
    e.lit(node, IMR.authorizedPortion, _value(item.authorized_portion))
    e.lit(node, IMR.rationale, _value(item.rationale))
    e.span(node, item.label.span)
    for statement in item.statements:
        _statement(e, node, statement)


def _statement(e: _Emitter, item_node: URIRef, statement: GuidelineStatement) -> None:
    node = URIRef(f"{item_node}/{statement.party}")
    party = PARTY_CONCEPTS[statement.party]
    e.add(item_node, IMR.statement, node)
    e.add(node, RDF.type, IMR.GuidelineStatement)
    e.add(node, IMR.party, party)
    e.lit(node, DCTERMS.bibliographicCitation, statement.text.value)
    e.lit(node, IMR.citedNoEvidence, statement.cited_no_evidence, XSD.boolean)
    e.lit(node, IMR.outsideMTUS, statement.outside_mtus, XSD.boolean)
    e.span(node, statement.text.span)
    for number, citation in enumerate(statement.citations, start=1):
        _citation(e, URIRef(f"{node}/citation/{number}"), node, party, citation)


def _citation(
    e: _Emitter, node: URIRef, statement: URIRef, party: URIRef, c: GuidelineCitation
) -> None:
    e.add(statement, IMR.citation, node)
    e.add(node, RDF.type, IMR.GuidelineCitation)
    e.add(node, IMR.citingParty, party)
    e.add(node, IMR.guideline, URIRef(c.guideline))
    if c.work:
        e.add(node, IMR.guidelineWork, URIRef(c.work))
    e.lit(node, IMR.isMTUS, c.mtus, XSD.boolean)
    e.lit(node, DCTERMS.bibliographicCitation, c.text.value)
    e.lit(node, IMR.edition, c.edition)
    e.lit(node, IMR.chapterNumber, c.chapter_number, XSD.integer)
    e.lit(node, IMR.chapterTitle, c.chapter)
    e.lit(node, IMR.section, c.section)
    e.lit(node, IMR.url, c.url, XSD.anyURI)
    if c.pages:
        e.lit(node, IMR.pages, "; ".join(str(p) for p in c.pages))
    for i, pages in enumerate(c.pages, start=1):
        pr = URIRef(f"{node}/pages/{i}")
        e.add(node, IMR.pageRange, pr)
        e.add(pr, RDF.type, IMR.PageRange)
        e.lit(pr, SDO.pageStart, pages.start, XSD.integer)
        e.lit(pr, SDO.pageEnd, pages.end, XSD.integer)
    e.span(node, c.text.span)


def out_of_vocabulary_triples(citation: GuidelineCitation) -> list[Triple]:
    """Triples describing a citation's minted node (empty for vocabulary concepts).

    The minted node hangs below the deepest concept the resolver recognised above the cited
    words (``citation.broader``), so queries that roll up along skos:broader still count it
    under its chapter or work; that concept is part of the node's IRI, so it has one parent.
    """
    if citation.in_vocabulary:
        return []
    node = URIRef(citation.guideline)
    triples: list[Triple] = [
        (node, RDF.type, SKOS.Concept),
        (node, SKOS.prefLabel, Literal(citation.guideline_label, lang="en")),
        (node, IMR.inVocabulary, Literal(False)),
        (node, SKOS.inScheme, GL_SCHEME),
    ]
    if citation.broader:
        triples.append((node, SKOS.broader, URIRef(citation.broader)))
    if citation.display_label:
        triples.append((node, IMR.displayLabel, Literal(citation.display_label)))
    if citation.work:  # the roll-ups that ontology/guideline-labels.ttl gives other concepts
        triples.append((node, IMR.inWork, URIRef(citation.work)))
    if citation.chapter_concept:
        triples.append((node, IMR.inChapter, URIRef(citation.chapter_concept)))
    return triples


def _integer(value: int) -> Literal:
    return _literal(value, XSD.integer)


def classification_triples(item: URIRef, c: TreatmentClassification) -> list[Triple]:
    """The triples stating one item's classification (the item node itself is _item's).

    ``in_vocabulary`` is not stated on the item: imr:inVocabulary describes concepts, and an item
    outside the vocabulary is visible as imr:treatmentCategory tx:other (or a medication without
    imr:drugClass).
    """
    triples: list[Triple] = [(item, IMR.treatmentCategory, URIRef(c.category))]
    if c.drug_class:
        triples.append((item, IMR.drugClass, URIRef(c.drug_class)))
    triples += [(item, IMR.drug, URIRef(d)) for d in c.drugs]
    triples += [(item, IMR.bodyRegion, URIRef(r)) for r in c.regions]
    strings: Iterable[tuple[URIRef, str | None]] = (
        (IMR.laterality, c.side), (IMR.quantityUnit, c.unit if c.quantity is not None else None),
        (IMR.medicationName, c.medication_name), (IMR.strength, c.strength))
    triples += [(item, p, _literal(v, None)) for p, v in strings if v]
    integers: Iterable[tuple[URIRef, int | None]] = (
        (IMR.quantity, c.quantity), (IMR.sessionsPerWeek, c.sessions_per_week),
        (IMR.weeks, c.weeks), (IMR.totalVisits, c.total_visits), (IMR.dispensedCount, c.count))
    triples += [(item, p, _integer(v)) for p, v in integers if v is not None]
    return triples


def graph_of(letters: Iterable[LetterTriples], graph: Graph | None = None) -> Graph:
    """Merge letters' triples (and their shared nodes) into one rdflib graph."""
    graph = bind_prefixes(graph if graph is not None else Graph())
    for letter in letters:
        for t in letter.triples:
            graph.add(t)
        for t in letter.shared:
            graph.add(t)
    return graph
