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
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

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

    def __str__(self) -> str:
        value = f" (value: {self.value})" if self.value else ""
        return f"[{self.severity}] {self.focus_node} {self.path}: {self.message}{value}"


@dataclass
class ValidationReport:
    conforms: bool
    results: list[Violation] = field(default_factory=list)

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
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # pragma: no cover - rdflib raises various errors for odd IRIs
            return str(node)
    return str(node)


ENGINES = ("auto", "pyshacl", "turbo")


@cache
def _turbo_shapes() -> Any | None:
    try:
        import pyshacl_turbo
    except ImportError:
        return None
    return pyshacl_turbo.compile_shapes(shapes_graph(), advanced=True)


def engine_in_use(engine: str = "auto") -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} ({', '.join(ENGINES)})")
    if engine == "auto":
        return "turbo" if _turbo_shapes() is not None else "pyshacl"
    if engine == "turbo" and _turbo_shapes() is None:
        raise ValueError("SHACL engine 'turbo' needs the pyshacl-turbo package")
    return engine


def validate_graph(data: Graph, engine: str = "auto") -> ValidationReport:
    """Validate one graph; results sorted so reports are stable."""
    if engine_in_use(engine) == "turbo":
        conforms, report, _ = _turbo_shapes().validate(
            data, inference="none", allow_warnings=True, abort_on_first=False)
    else:
        conforms, report, _ = shacl_validate(
            data,
            shacl_graph=shapes_graph(),
            inference="none",
            allow_warnings=True,
            abort_on_first=False,
            advanced=True,
        )
    results: list[Violation] = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        component = report.value(result, SH.sourceConstraintComponent)
        path = report.value(result, SH.resultPath)
        results.append(
            Violation(
                focus_node=_short(report.value(result, SH.focusNode), data),
                path=_short(path, data) if isinstance(path, URIRef) else "",
                message=str(report.value(result, SH.resultMessage) or ""),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                constraint=str(component).rsplit("#", 1)[-1] if component else "",
                source_shape=_short(report.value(result, SH.sourceShape), data),
                value=_short(report.value(result, SH.value), data),
            )
        )
    results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    has_violation = any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms=bool(conforms) or not has_violation, results=results)


def validate_letters(letter_graphs: Iterable[Graph], engine: str = "auto") -> ValidationReport:
    """Validate each letter's graph on its own and merge the reports."""
    merged = ValidationReport(conforms=True)
    for graph in letter_graphs:
        report = validate_graph(graph, engine)
        merged.results.extend(report.results)
        merged.conforms = merged.conforms and report.conforms
    merged.results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value))
    return merged
