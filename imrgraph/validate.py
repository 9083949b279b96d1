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

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF
from rdflib.term import Node

from imrgraph.errors import MissingDependencyError, UsageError
from imrgraph.resources import files
from imrgraph.vocab import SH


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


def _short(node: Node | None, graph: Graph) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # pragma: no cover - rdflib raises various errors for odd IRIs
            return str(node)
    return str(node)


def _violation(result: Node, report: Graph, data: Graph) -> Violation:
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


def _path(node: Node | None, report: Graph, data: Graph) -> str:
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


def _severity(node: Node | None, graph: Graph) -> str:
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
    results = [_violation(result, report, data) for result in _top_level_results(report)]
    results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    has_violation = any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms=bool(conforms) or not has_violation, results=results,
                            graph=report)


def validate_letters(letter_graphs: Iterable[Graph], engine: str = "auto") -> ValidationReport:
    """Validate each letter's graph on its own and merge the reports."""
    merged = ValidationReport(conforms=True)
    for graph in letter_graphs:
        report = validate_graph(graph, engine)
        merged.results.extend(report.results)
        merged.conforms = merged.conforms and report.conforms
    merged.results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    return merged
