"""The Python API behind the CLI: build, validate, query, export.

``build`` runs the stages for a batch of inputs and accounts for every input path in an
:class:`IngestReport`: built, built with warnings, duplicate, or rejected with the reason.  One
bad file never stops the batch and contributes no triples.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from imrgraph import __version__
from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.ingest import Skipped, discover, read_letter
from imrgraph.mapping import LetterTriples, determination_triples
from imrgraph.parse import parse_letter
from imrgraph.query import QueryResult, load_query, run_on_graph
from imrgraph.records import Determination
from imrgraph.resolve import resolve_determination
from imrgraph.resources import files
from imrgraph.validate import ValidationReport, validate_graph
from imrgraph.vocab import bind_prefixes

BUILT = "built"
BUILT_WITH_WARNINGS = "built-with-warnings"
DUPLICATE = "duplicate"
REJECTED = "rejected"

RDF_FORMATS = {
    ".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld",
    ".json": "json-ld", ".rdf": "xml", ".xml": "xml", ".n3": "n3",
}
EXPORT_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig",
                  "nq": "nquads", "longturtle": "longturtle"}


@dataclass
class InputOutcome:
    """What became of one input path."""

    path: str
    status: str
    reason: str = ""
    key: str = ""
    items: int = 0
    citations: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    inputs: list[InputOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.inputs if i.status == status)

    @property
    def rejected(self) -> list[InputOutcome]:
        return [i for i in self.inputs if i.status == REJECTED]

    def summary(self) -> dict[str, int]:
        return {
            "inputs": len(self.inputs),
            BUILT: self.count(BUILT),
            BUILT_WITH_WARNINGS: self.count(BUILT_WITH_WARNINGS),
            DUPLICATE: self.count(DUPLICATE),
            REJECTED: self.count(REJECTED),
            "letters": self.count(BUILT) + self.count(BUILT_WITH_WARNINGS),
            "items": sum(i.items for i in self.inputs),
            "citations": sum(i.citations for i in self.inputs),
        }

    def to_json(self) -> str:
        return json.dumps(
            {"imrgraph": __version__, "summary": self.summary(),
             "inputs": [asdict(i) for i in self.inputs]},
            indent=2, ensure_ascii=False,
        ) + "\n"


@dataclass
class BuildResult:
    graph: Graph
    report: IngestReport
    validation: ValidationReport
    determinations: list[Determination] = field(default_factory=list)
    letters: list[LetterTriples] = field(default_factory=list)


@cache
def _vocabulary_triples() -> tuple:
    graph = Graph()
    for path in files("ontology", "*.ttl"):
        graph.parse(path, format="turtle")
    return tuple(graph)


def vocabulary_graph() -> Graph:
    """The ontology and the SKOS vocabularies (outcomes, parties, guidelines, treatments)."""
    graph = bind_prefixes(Graph())
    for t in _vocabulary_triples():
        graph.add(t)
    return graph


def parse_file(path: str | Path) -> Determination:
    """One letter file -> resolved record: read, parse, resolve citations and treatments
    (raises IngestError / NotADeterminationError)."""
    return resolve_determination(parse_letter(read_letter(path)))


def build(
    inputs: Sequence[str | Path],
    *,
    include_vocabulary: bool = True,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Letters (files, folders, globs) -> one validated rdflib graph plus a report."""
    report = IngestReport()
    graph = vocabulary_graph() if include_vocabulary else bind_prefixes(Graph())
    letters: list[LetterTriples] = []
    determinations: list[Determination] = []
    seen_keys: dict[str, str] = {}
    validation = ValidationReport(conforms=True)
    for entry in discover(inputs):
        if isinstance(entry, Skipped):
            report.inputs.append(InputOutcome(entry.path, REJECTED, entry.reason))
            continue
        path = str(entry)
        if progress:
            progress(path)
        outcome = _build_one(path, seen_keys)
        report.inputs.append(outcome[0])
        if outcome[1] is None:
            continue
        det, letter = outcome[1]
        if validate:
            letter_graph = Graph()
            for t in letter.triples:
                letter_graph.add(t)
            for t in letter.shared:
                letter_graph.add(t)
            letter_report = validate_graph(bind_prefixes(letter_graph))
            validation.results.extend(letter_report.results)
            validation.conforms = validation.conforms and letter_report.conforms
        for t in letter.triples:
            graph.add(t)
        for t in letter.shared:
            graph.add(t)
        letters.append(letter)
        determinations.append(det)
    return BuildResult(graph, report, validation, determinations, letters)


def _build_one(
    path: str, seen_keys: dict[str, str]
) -> tuple[InputOutcome, tuple[Determination, LetterTriples] | None]:
    try:
        det = parse_file(path)
        letter = determination_triples(det)
    except ImrgraphError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return InputOutcome(path, REJECTED, reason), None
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        return InputOutcome(path, REJECTED, f"unreadable: {type(exc).__name__}: {exc}"), None
    if det.key in seen_keys:
        return InputOutcome(path, DUPLICATE, f"same case {det.key} as {seen_keys[det.key]}",
                            key=det.key), None
    seen_keys[det.key] = path
    citations = sum(len(s.citations) for i in det.items for s in i.statements)
    status = BUILT_WITH_WARNINGS if det.warnings else BUILT
    return InputOutcome(path, status, key=det.key, items=len(det.items), citations=citations,
                        warnings=list(det.warnings)), (det, letter)


def load_graph(path: str | Path) -> Graph:
    """Read a graph file; the format follows the suffix."""
    path = Path(path)
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: unknown RDF file type (use one of {', '.join(RDF_FORMATS)})")
    if not path.is_file():
        raise UsageError(f"{path}: no such graph file")
    graph = bind_prefixes(Graph())
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise UsageError(f"{path}: not readable as {fmt}: {exc}") from None
    return graph


def validate_file(path: str | Path) -> ValidationReport:
    return validate_graph(load_graph(path))


def run_query(name_or_file: str, graph: Graph, params: dict[str, str] | None = None,
              engine: str | None = None) -> QueryResult:
    """A named query (or .rq file) over an rdflib graph; ``engine`` "oxigraph" (default) or
    "rdflib" (see ``imrgraph.query.GRAPH_ENGINES``)."""
    return run_on_graph(graph, load_query(name_or_file), params, engine)


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def serialize(graph: Graph, path: str | Path, fmt: str) -> None:
    rdflib_format = EXPORT_FORMATS.get(fmt, fmt)
    write_atomic(path, lambda tmp: graph.serialize(destination=str(tmp), format=rdflib_format,
                                                   encoding="utf-8"))


def export(graph: Graph, path: str | Path, fmt: str) -> None:
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r} ({', '.join(EXPORT_FORMATS)})")
    serialize(graph, path, fmt)


def sorted_ntriples(graph: Graph) -> list[str]:
    """Canonical text for comparing graphs built twice (no blank nodes are minted)."""
    return sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())


def iter_inputs(inputs: Iterable[str]) -> list[str]:
    return [str(p) for p in discover(inputs) if not isinstance(p, Skipped)]


# --------------------------------------------------------------------------- store and remote
# Thin entry points to imrgraph.store / imrgraph.remote (imported lazily: they import this
# module), so API users find every way of building and querying here.

if TYPE_CHECKING:
    from imrgraph.store import LetterStore, StoreBuildResult


def build_store(inputs: Sequence[str | Path], store_dir: str | Path | None = None,
                **options: object) -> StoreBuildResult:
    """Letters -> a persistent store (default ``$IMRGRAPH_STORE`` or ``./imrgraph-store``).

    Incremental (unchanged files skipped, changed letters replaced) and parallel; options are
    those of :func:`imrgraph.store.build_store` (jobs, batch_size, validate, force, progress).
    """
    from imrgraph.store import build_store as _build_store

    return _build_store(inputs, store_dir, **options)  # type: ignore[arg-type]


def open_store(store_dir: str | Path | None = None, *, read_only: bool = True) -> LetterStore:
    """A built store (context manager): ``with api.open_store() as s: s.run_query(...)``."""
    from imrgraph.store import LetterStore, default_store_dir

    return LetterStore.open(store_dir if store_dir is not None else default_store_dir(),
                            read_only=read_only)


def run_query_on_store(name_or_file: str, store_dir: str | Path | None = None,
                       params: dict[str, str] | None = None) -> QueryResult:
    """A named query over the union of a store's letter graphs."""
    with open_store(store_dir) as store:
        return store.run_query(load_query(name_or_file), params)


def run_query_remote(name_or_file: str, endpoint: str,
                     params: dict[str, str] | None = None) -> QueryResult:
    """A named query on a SPARQL 1.1 endpoint (auth from IMRGRAPH_ENDPOINT_* variables)."""
    from imrgraph.remote import RemoteEndpoint

    return RemoteEndpoint.from_url(endpoint).run_query(load_query(name_or_file), params)
