"""SHACL validation of imrgraph data with the shapes in ``shapes/``.

Two engines run the same shapes: pySHACL (the reference) and pyshacl-turbo (a Rust engine with
pySHACL's interface, about eight times faster per letter here).  ``engine="auto"`` uses turbo
when it is installed; the tests check that both report exactly the same results, on the corpus
and on deliberately broken graphs.

pySHACL is given an rdflib in-memory graph (never a store-backed one, which is slow and wrong
with ``sh:in``, see shared/notes/performance.md).  The shapes only look inside one letter, so
validating letter by letter (``validate_letters``) reports the same results as validating the
merged graph, in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, NamespaceManager
from rdflib.term import Node

from imrgraph.errors import MissingDependencyError, UsageError
from imrgraph.resources import files
from imrgraph.vocab import SH, bind_prefixes

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in terms a person can read."""

    focus_node: str
    path: str
    message: str
    severity: str  # Violation | Warning | Info
    constraint: str  # e.g. MinCountConstraintComponent
    source_shape: str
    value: str = ""
    #: the nested results (``sh:detail``) that explain a failing ``sh:node``: why the node
    #: does not conform.  Not counted as results of their own.
    details: tuple[Violation, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        value = f" (value: {self.value})" if self.value else ""
        return f"[{self.severity}] {self.focus_node} {self.path}: {self.message}{value}"


@dataclass
class ValidationReport:
    conforms: bool
    results: list[Violation] = field(default_factory=list)
    #: the SHACL validation report graph as the engine wrote it (``sh:ValidationReport``), for
    #: those who read reports as RDF (``imrgraph validate --format turtle``, as pySHACL's
    #: ``-f turtle``); None when the report was merged from letters validated elsewhere.
    graph: Graph | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Reports cross process boundaries (parallel builds) without their graph: the
        results are what the caller merges, and pickling a graph per letter costs time."""
        return {**self.__dict__, "graph": None}

    @property
    def violations(self) -> list[Violation]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [r for r in self.results if r.severity != "Violation"]


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    for path in files("shapes", "*.ttl"):
        graph.parse(path, format="turtle")
    return graph


def _short(node: Node | None, names: NamespaceManager) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, URIRef):
        try:
            return names.normalizeUri(node)
        except Exception:  # pragma: no cover - rdflib raises various errors for odd IRIs
            return str(node)
    return str(node)


def _violation(result: Node, report: Graph, data: NamespaceManager) -> Violation:
    value = report.value
    return Violation(
        focus_node=_short(value(result, SH.focusNode), data),
        path=_path(value(result, SH.resultPath), report, data),
        message=str(value(result, SH.resultMessage) or ""),
        severity=_severity(value(result, SH.resultSeverity), data),
        constraint=_local(value(result, SH.sourceConstraintComponent)),
        source_shape=_short(value(result, SH.sourceShape), data),
        value=_short(value(result, SH.value), data),
        details=tuple(_violation(d, report, data) for d in report.objects(result, SH.detail)),
    )


def _local(node: Node | None) -> str:
    return str(node).rsplit("#", 1)[-1] if node is not None else ""


def _path(node: Node | None, report: Graph, data: NamespaceManager) -> str:
    """A result path as SPARQL property-path text (``^ex:p``, ``ex:a/ex:b``, ``ex:p*``)."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return _short(node, data)
    first = report.value(node, RDF.first)
    if first is not None:  # a sequence path is an RDF list
        return "(" + "/".join(_path(step, report, data)
                              for step in Collection(report, node)) + ")"
    for predicate, text in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                            (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = report.value(node, predicate)
        if inner is not None:
            return text.format(_path(inner, report, data))
    alternatives = report.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(a, report, data)
                              for a in Collection(report, alternatives)) + ")"
    return _short(node, data)


def _severity(node: Node | None, graph: NamespaceManager) -> str:
    """SHACL's own severities by name (Violation, Warning, Info); a custom one as its IRI."""
    if node is None:
        return "Violation"
    if str(node).startswith(str(SH)):
        return str(node)[len(str(SH)):]
    return _short(node, graph)


ENGINES = ("auto", "pyshacl", "turbo")


@cache
def _turbo_shapes() -> Any | None:
    try:
        return _compile_turbo(shapes_graph())
    except ImportError:
        return None


def _compile_turbo(shapes: Graph) -> Any:
    import pyshacl_turbo

    return pyshacl_turbo.compile_shapes(shapes, advanced=True)


def _top_level_results(report: Graph) -> list[Node]:
    """The results a validation report states (``sh:result``), not their nested details."""
    return [result for rep in report.subjects(RDF.type, SH.ValidationReport)
            for result in report.objects(rep, SH.result)]


def engine_in_use(engine: str = "auto") -> str:
    if engine not in ENGINES:
        raise UsageError(f"unknown SHACL engine {engine!r} ({', '.join(ENGINES)})", "engine")
    if engine == "auto":
        return "turbo" if _turbo_shapes() is not None else "pyshacl"
    if engine == "turbo" and _turbo_shapes() is None:
        raise MissingDependencyError("SHACL engine 'turbo' needs the pyshacl-turbo package "
                                     "(pip install pyshacl-turbo)", "pyshacl-turbo")
    return engine


def has_ill_typed_literal(data: Graph) -> bool:
    """True when a literal's lexical form is not valid for its datatype ("yes"^^xsd:boolean).

    rdflib normalises such a literal when it parses it ("yes" becomes "false") and only keeps a
    flag; pySHACL reads the flag, pyshacl-turbo sees the normalised form and would let the
    value pass, so graphs holding one are checked by pySHACL.
    """
    return any(isinstance(o, Literal) and o.ill_typed for o in data.objects())


def validate_graph(data: Graph, engine: str = "auto", shapes: Graph | None = None
                   ) -> ValidationReport:
    """Validate one graph (against imrgraph's shapes unless ``shapes`` is given).

    Results are the report's top-level ``sh:result`` values only: the ``sh:detail`` results
    nested under a failing ``sh:node`` explain that one result and are not counted again.
    Sorted so reports are stable.
    """
    chosen = engine_in_use(engine)
    if chosen == "turbo" and engine == "auto" and has_ill_typed_literal(data):
        chosen = "pyshacl"
    if chosen == "turbo":
        compiled = _turbo_shapes() if shapes is None else _compile_turbo(shapes)
        assert compiled is not None  # engine_in_use chose turbo: it is installed
        conforms, report, _ = compiled.validate(
            data, inference="none", allow_warnings=True, abort_on_first=False)
    else:
        conforms, report, _ = shacl_validate(
            data,
            shacl_graph=shapes if shapes is not None else shapes_graph(),
            inference="none",
            allow_warnings=True,
            abort_on_first=False,
            advanced=True,
        )
    return _report(conforms, report, lambda: data.namespace_manager)


def _report(conforms: object, report: Graph, names: Callable[[], NamespaceManager]
            ) -> ValidationReport:
    """The engine's report as ours; ``names`` gives the data's prefixes, asked for only when
    there is a result to name (most letters have none)."""
    results: list[Violation] = []
    top = _top_level_results(report)
    if top:
        manager = names()
        results = [_violation(result, report, manager) for result in top]
    results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    has_violation = any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms=bool(conforms) or not has_violation, results=results,
                            graph=report)


def prefixed_graph(triples: Iterable[Triple]) -> Graph:
    """Triples as an rdflib graph with imrgraph's prefixes bound (how results name nodes)."""
    graph = bind_prefixes(Graph())
    for t in triples:
        graph.add(t)
    return graph


@cache
def _prefixes() -> dict[str, URIRef]:
    return dict(bind_prefixes(Graph()).namespaces())


@cache
def _turbo_input_type() -> Any | None:
    """pyshacl-turbo's input record type; it is not public API, so a version without it
    makes :func:`validate_triples` build the graph instead (slower, same results)."""
    try:
        from pyshacl_turbo.rdf import Input
    except ImportError:
        return None
    return Input


#: The parameters of SHACL Core that read a focus node's triples only along the predicates
#: they name (paths, targets, property pairs) or its classes: every SHACL Core parameter but
#: sh:closed (which reads all of a node's predicates), and no SPARQL or SHACL-AF feature.
_LOCAL_PARAMETERS = frozenset(SH[name] for name in [
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "property", "path",
    "inversePath", "alternativePath", "zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath",
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "flags", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or",
    "xone", "node", "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint", "hasValue", "in", "message", "severity", "deactivated",
    "name", "description", "order", "group", "defaultValue",
])


def read_predicates(shapes: Graph) -> frozenset[URIRef] | None:
    """The predicates whose triples the shapes can read in data: every IRI the shapes graph
    names (paths, targets, compared properties among them) and rdf:type, rdfs:subClassOf (class
    targets, sh:class); None when a shape uses a parameter outside ``_LOCAL_PARAMETERS`` and so
    may read any triple.  Triples with other predicates cannot change a validation result."""
    if any(str(p).startswith(str(SH)) and p not in _LOCAL_PARAMETERS
           for p in set(shapes.predicates())):
        return None
    named = {node for triple in shapes for node in triple if isinstance(node, URIRef)}
    return frozenset(named | {RDF.type, RDFS.subClassOf})


@cache
def _read_predicates() -> frozenset[URIRef] | None:
    return read_predicates(shapes_graph())


def _turbo_input(triples: Iterable[Triple]) -> Any:
    """Triples as pyshacl-turbo's term records, exactly what it makes of a graph holding them
    (``pyshacl_turbo.rdf._term_input``: one record per distinct term, each triple once) but
    without building the graph: adding triples to an rdflib graph costs more than validating.
    Only triples imrgraph's shapes can read are passed (:func:`read_predicates`): the engine's
    time grows with the triples it is given, and the rest (texts, headings) cannot change a
    result."""
    Input = _turbo_input_type()
    assert Input is not None  # validate_triples checked it
    read = _read_predicates()
    index: dict[Node, int] = {}  # term -> its record's number, numbered as first seen
    number = index.setdefault
    quads: dict[tuple[int, int, int, None], None] = {}
    for s, p, o in triples:
        if read is None or p in read:  # (len(index) is read after the term before is added)
            quads[(number(s, len(index)), number(p, len(index)), number(o, len(index)),
                   None)] = None
    records: list[tuple[int, str, str | None, str | None]] = []
    blank_nodes: dict[str, BNode] = {}
    for term in index:
        if isinstance(term, URIRef):
            records.append((0, str(term), None, None))
        elif isinstance(term, Literal):
            records.append((2, str(term), str(term.datatype)
                            if term.datatype and not term.language else None, term.language))
        elif isinstance(term, BNode):
            blank_nodes[str(term)] = term
            records.append((1, str(term), None, None))
        else:
            raise TypeError(f"not an RDF term: {term!r}")
    return Input((records, list(quads)), "terms", None, blank_nodes, dict(_prefixes()))


def validate_triples(triples: Iterable[Triple], engine: str = "auto") -> ValidationReport:
    """``validate_graph(prefixed_graph(triples), engine)``, with the same results, without
    the graph when pyshacl-turbo validates: the triples go to it as term records."""
    triples = list(triples)
    chosen = engine_in_use(engine)
    if chosen != "turbo" or _turbo_input_type() is None or (engine == "auto" and any(
            isinstance(o, Literal) and o.ill_typed for _, _, o in triples)):
        return validate_graph(prefixed_graph(triples), engine)
    compiled = _turbo_shapes()
    assert compiled is not None  # engine_in_use chose turbo: it is installed
    data = _turbo_input(triples)
    if _turbo_finds_nothing(compiled, data):
        return ValidationReport(conforms=True)
    conforms, report, _ = compiled.validate(
        data, inference="none", allow_warnings=True, abort_on_first=False)
    return _report(conforms, report, lambda: bind_prefixes(Graph()).namespace_manager)


_RESULT_RECORD = (0, str(SH.result), None, None)


def _turbo_finds_nothing(compiled: Any, data: Any) -> bool:
    """True when pyshacl-turbo's engine reports no result at all for ``data`` (most letters),
    asked without the rdflib report graph ``compiled.validate`` builds from its answer (which
    costs a third of a letter's validation).

    The engine (``compiled._native.validate``, not public API, like ``_turbo_input``'s
    records) answers with the report as term records; a report stating no ``sh:result`` and
    no recursion warning is exactly the empty report.  Any other answer, or an engine that
    cannot be asked so, gives False: the caller then validates through the public path, which
    builds the report and raises what it raises.
    """
    native = getattr(compiled, "_native", None)
    if native is None:
        return False
    try:
        _, (records, _), _, _, recursion_warnings = native.validate(
            data.source, data.format, data.base, False, 100, 15, False, False, True, False,
            [], [], _turbo_namespaces())
    except Exception:  # noqa: BLE001 - the public path repeats the call and reports it
        return False
    return not recursion_warnings and _RESULT_RECORD not in records


@cache
def _turbo_namespaces() -> list[tuple[str, str]]:
    """The data's prefixes as pyshacl-turbo's engine takes them (what ``compiled.validate``
    passes for the records ``_turbo_input`` makes)."""
    return [(prefix, str(namespace)) for prefix, namespace in _prefixes().items()]


def validate_letters(letter_graphs: Iterable[Graph], engine: str = "auto") -> ValidationReport:
    """Validate each letter's graph on its own and merge the reports."""
    merged = ValidationReport(conforms=True)
    for graph in letter_graphs:
        report = validate_graph(graph, engine)
        merged.results.extend(report.results)
        merged.conforms = merged.conforms and report.conforms
    merged.results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    return merged
