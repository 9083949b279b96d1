"""rdflib <-> pyoxigraph: terms, quads, N-Quads, in-memory copies, and plain Python values.

The store, the query runner and the tests all cross between the two libraries; this module is
the one place that knows how, so a value reads the same whichever engine answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

Triple = tuple[Node, Node, Node]


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """rdflib term -> pyoxigraph term (raises ValueError for an invalid IRI)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise ValueError(f"cannot store RDF term {term!r}")


def to_rdflib(term: Any) -> Node | None:
    """pyoxigraph term -> rdflib term, so results normalise exactly as rdflib's do."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(str(term))


def to_quads(triples: Iterable[Triple], graph: URIRef | str | None = None) -> Iterator[ox.Quad]:
    """rdflib triples as pyoxigraph quads in ``graph`` (None: the default graph)."""
    g = ox.NamedNode(str(graph)) if graph is not None else ox.DefaultGraph()
    for s, p, o in triples:
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), g)  # type: ignore[arg-type]


@lru_cache(maxsize=100_000)  # IRIs (predicates, classes, concepts) repeat a lot; bounded
def nt_text(term: Node) -> str:
    """A term as N-Triples text, exactly as pyoxigraph serialises it and checked as pyoxigraph
    checks it (ValueError for an invalid IRI or language tag), converted once per distinct
    term."""
    return str(to_oxigraph(term))


def nquads(triples: Iterable[Triple], graph: URIRef | str) -> bytes:
    """Triples in one named graph as N-Quads bytes, the lines ``ox.serialize`` writes for
    them (pyoxigraph escapes and checks IRIs), without making a pyoxigraph quad per triple."""
    g = str(ox.NamedNode(str(graph)))
    return "".join([f"{nt_text(s)} {nt_text(p)} {nt_text(o)} {g} .\n"
                    for s, p, o in triples]).encode()



def memory_store(graph: Graph) -> ox.Store:
    """An in-memory pyoxigraph copy of an rdflib graph, to query it with Oxigraph's engine."""
    store = ox.Store()
    store.bulk_extend(to_quads(graph))
    return store


def python_value(term: Node | None) -> Any:
    """An RDF term as a plain value: booleans, integers as int, decimals and doubles as float,
    xsd:date / xsd:dateTime as ``datetime.date`` / ``datetime.datetime``, everything else
    (IRIs, strings, ill-typed literals) as str."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal | float):
            return round(float(value), 6)
        if isinstance(value, date):
            return value
        return str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def oxigraph_value(term: Any) -> Any:
    """``python_value`` of a pyoxigraph term, without building an rdflib term for the common
    cases (IRIs, strings, integers): a listing at 100,000 letters has millions of cells."""
    kind = type(term)
    if kind is ox.NamedNode:
        return term.value
    if kind is ox.Literal:
        datatype = term.datatype.value
        if datatype == _XSD_STRING or term.language:
            return term.value
        if datatype == _XSD_INTEGER and term.value.isdigit():
            return int(term.value)
    return python_value(to_rdflib(term))



def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A term's lexical value (an IRI's text, a literal's lexical form); "" for none."""
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def solutions(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
              ) -> ox.QuerySolutions:
    """The rows of a SELECT query's answer (a store's own SELECT: never a boolean or triples)."""
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"a SELECT query was expected, not {type(result).__name__}")
    return result
