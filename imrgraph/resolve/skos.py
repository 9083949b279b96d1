"""One SKOS vocabulary file, indexed: concepts, labels, hierarchy, levels, notations, cues.

Both resolvers (guideline citations and treatment labels) read their vocabularies through this
class, so there is one place that knows how ontology/*.ttl states a concept: its labels
(skos:prefLabel, altLabel, hiddenLabel), its place (skos:broader, imr:level, skos:notation) and
the annotations that drive recognition (imr:matchPriority, imr:countUnit, imr:CitationCue ...).
Indexes are built once per file and process; they are read-only afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from imrgraph.resources import data_dir
from imrgraph.vocab import IMR, RDF, SKOS

__all__ = ["Concept", "SkosIndex", "load_index"]


@dataclass(frozen=True)
class Concept:
    """A SKOS concept as the matchers need it."""

    iri: str
    pref: str
    #: the preferred label first, then the alternative labels (sorted)
    labels: tuple[str, ...]
    hidden: tuple[str, ...]
    broader: tuple[str, ...]
    level: str | None
    notation: str | None

    @property
    def parent(self) -> str | None:
        return self.broader[0] if self.broader else None


class SkosIndex:
    """The concepts of one vocabulary graph, with their hierarchy and annotations."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.concepts: dict[str, Concept] = {}
        typed = list(graph.subjects(RDF.type, SKOS.Concept))
        members = list(graph.subjects(SKOS.inScheme, None))
        for s in dict.fromkeys([*typed, *members]):
            if not isinstance(s, URIRef) or not self._is_concept(s):
                continue
            pref = graph.value(s, SKOS.prefLabel)
            level = graph.value(s, IMR.level)
            notation = graph.value(s, SKOS.notation)
            self.concepts[str(s)] = Concept(
                iri=str(s),
                pref=str(pref) if pref is not None else "",
                labels=(
                    *([str(pref)] if pref is not None else []),
                    *sorted(str(a) for a in graph.objects(s, SKOS.altLabel)),
                ),
                hidden=tuple(sorted(str(h) for h in graph.objects(s, SKOS.hiddenLabel))),
                broader=tuple(str(b) for b in graph.objects(s, SKOS.broader)),
                level=str(level) if level is not None else None,
                notation=str(notation) if notation is not None else None,
            )
        self.narrower: dict[str, list[str]] = {}
        for iri, c in self.concepts.items():
            for b in c.broader:
                self.narrower.setdefault(b, []).append(iri)

    def _is_concept(self, s: URIRef) -> bool:
        return (s, RDF.type, SKOS.Concept) in self.graph or (
            self.graph.value(s, SKOS.inScheme) is not None
            and (s, RDF.type, SKOS.ConceptScheme) not in self.graph
        )

    # ---- hierarchy

    def in_scheme(self, scheme: str) -> list[str]:
        """Members of a concept scheme, in file order."""
        return [str(c) for c in self.graph.subjects(SKOS.inScheme, URIRef(scheme))
                if str(c) in self.concepts]

    def parents(self, iri: str) -> Iterator[str]:
        """The chain of first skos:broader parents, nearest first (a tree's path to its root)."""
        parent = self.concepts[iri].parent
        while parent is not None and parent in self.concepts:
            yield parent
            parent = self.concepts[parent].parent

    def lineage(self, iri: str) -> list[str]:
        """The concept and everything broader (all skos:broader paths), nearest first."""
        seen: list[str] = []
        todo = [iri]
        while todo:
            c = todo.pop(0)
            if c not in seen:
                seen.append(c)
                todo.extend(self.concepts[c].broader if c in self.concepts else ())
        return seen

    def is_under(self, iri: str, ancestor: str) -> bool:
        return ancestor in self.lineage(iri)

    def top(self, iri: str) -> str:
        """The top concept above ``iri`` (for a guideline: its work)."""
        return self.lineage(iri)[-1]

    def at_level(self, iri: str, level: str) -> Concept | None:
        """The concept itself or the nearest one above it at ``level`` ("chapter")."""
        for c in [iri, *self.parents(iri)]:
            if self.concepts[c].level == level:
                return self.concepts[c]
        return None

    def by_notation(self, top: str, notation: str) -> str | None:
        """The concept below the top concept ``top`` whose skos:notation is ``notation``."""
        for iri, c in self.concepts.items():
            if c.notation == notation and self.top(iri) == top:
                return iri
        return None

    # ---- annotations

    def value(self, subject: str, prop: URIRef) -> Node | None:
        """One value of an annotation property (imr:countUnit, imr:mtus, ...), or None."""
        return self.graph.value(URIRef(subject), prop)

    def integer(self, subject: str, prop: URIRef, default: int = 0) -> int:
        """An integer annotation (imr:matchPriority), or ``default`` when it is not stated."""
        value = self.graph.value(URIRef(subject), prop)
        return int(value) if isinstance(value, Literal) else default

    def members(self, collection: str) -> set[str]:
        """Members of a skos:Collection (tx:drugs)."""
        return {str(o) for o in self.graph.objects(URIRef(collection), SKOS.member)}

    def instances(self, cls: URIRef) -> list[str]:
        """Resources of a class (imr:CitationCue), in file order."""
        return [str(s) for s in self.graph.subjects(RDF.type, cls)]


@cache
def vocabulary_graph(name: str) -> Graph:
    """One vocabulary file of ontology/ (guidelines.ttl, treatments.ttl), parsed once."""
    graph = Graph()
    graph.parse(data_dir("ontology") / name, format="turtle")
    return graph


@cache
def load_index(name: str) -> SkosIndex:
    """The index of one vocabulary file of ontology/, built once per process."""
    return SkosIndex(vocabulary_graph(name))
