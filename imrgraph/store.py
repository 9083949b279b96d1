"""The persistent letter store: one named graph per letter in an on-disk pyoxigraph store.

Why a store: an rdflib graph of 100k letters takes minutes to build and GBs of memory, and every
query re-parses a file.  The store is built once, letter by letter, and later commands read it.

Layout of a store folder ``DIR`` (default ``$IMRGRAPH_STORE``, else ``./imrgraph-store``)::

    DIR/oxigraph/                 the pyoxigraph (RocksDB) database
    DIR/imrgraph-store.json       format, imrgraph version and vocabulary fingerprint
    DIR/last-build.report.json    the ingest report of the last build
    DIR/pending-load.json         only while a batch is being loaded (crash recovery)

Graphs:

- ``mapping.letter_graph_iri(key)`` holds a letter's own nodes: the determination and
  everything under its IRI, and its source document (with the file's ``imr:sha256``).
- ``mapping.SHARED_GRAPH`` holds what letters share: the ontology and SKOS vocabularies, the
  guideline nodes minted for citations outside the vocabulary, and the software agent.  Every
  triple is stored in exactly one graph, so the union of the graphs equals the rdflib graph of
  a file build (Oxigraph's union default graph does not remove duplicates).

Re-building skips a file whose sha256 is already stored (checked before parsing); a changed
letter (same key, new content) replaces only its own graph.  Letters are parsed, mapped and
validated in a process pool; workers return N-Quads bytes, which the parent bulk-loads in
batches (the fast path measured in shared/notes/performance.md).
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV
from rdflib.term import Node

from imrgraph import __version__, api
from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.ingest import MAX_PDF_BYTES, Skipped, discover
from imrgraph.mapping import SHARED_GRAPH, LetterTriples, letter_graph_iri
from imrgraph.query import NamedQuery, QueryResult, bind_parameters, python_value
from imrgraph.validate import ValidationReport, Violation, validate_graph
from imrgraph.vocab import ID, IMR, PREFIXES, bind_prefixes

ENV_STORE = "IMRGRAPH_STORE"
DEFAULT_STORE_DIR = "imrgraph-store"
DB_DIR = "oxigraph"
META_FILE = "imrgraph-store.json"
REPORT_FILE = "last-build.report.json"
PENDING_FILE = "pending-load.json"
STORE_FORMAT = 1

#: Report status of an input whose file (same sha256) is already in the store.
UNCHANGED = "unchanged"
#: Letters per bulk load: memory is bounded by one batch of N-Quads (~20 kB per letter).
DEFAULT_BATCH = 500
#: Below this many inputs a process pool costs more than it saves (unless jobs is explicit).
PARALLEL_MIN_INPUTS = 16

_DETERMINATION_PREFIX = str(ID["determination/"])
_GRAPH_PREFIX = str(ID["graph/"])
_SHARED = ox.NamedNode(str(SHARED_GRAPH))
_SHA256 = ox.NamedNode(str(IMR.sha256))
_IN_VOCABULARY = ox.NamedNode(str(IMR.inVocabulary))
_BROADER = ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader")
_XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_FALSE = ox.Literal("false", datatype=_XSD_BOOLEAN)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: Prefixes for Turtle/TriG dumps.
DUMP_PREFIXES: dict[str, str] = {
    **{name: str(ns) for name, ns in PREFIXES.items()},
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}

#: Export formats a store can write (pyoxigraph serialisers; graphs kept for nq and trig).
STORE_EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "nt": ox.RdfFormat.N_TRIPLES,
    "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
}

Triple = tuple[Node, Node, Node]
T = TypeVar("T")
R = TypeVar("R")


# --------------------------------------------------------------------------- locations


def default_store_dir() -> Path:
    """``$IMRGRAPH_STORE`` if set, else ``./imrgraph-store``."""
    return Path(os.environ.get(ENV_STORE) or DEFAULT_STORE_DIR)


def resolve_store_dir(value: str | None) -> Path | None:
    """A ``--store`` option value: None = not given, "" = given without a folder (default)."""
    if value is None:
        return None
    return Path(value) if value else default_store_dir()


def is_store(directory: str | Path) -> bool:
    return (Path(directory) / DB_DIR).is_dir()


# --------------------------------------------------------------------------- terms


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


def nquads(triples: Iterable[Triple], graph: URIRef | str) -> bytes:
    """Triples in one named graph as N-Quads bytes (pyoxigraph escapes and checks IRIs)."""
    return ox.serialize(list(to_quads(triples, graph)), format=ox.RdfFormat.N_QUADS) or b""


# --------------------------------------------------------------------------- partition


def key_of_graph(graph: str) -> str:
    """The letter key of a letter graph IRI (inverse of ``mapping.letter_graph_iri``)."""
    return unquote(graph[len(_GRAPH_PREFIX):]) if graph.startswith(_GRAPH_PREFIX) else graph


def _determination_of(subject: str) -> str | None:
    """The determination IRI a subject lives under (IRIs are ``determination/{key}/...``)."""
    if not subject.startswith(_DETERMINATION_PREFIX):
        return None
    segment = subject[len(_DETERMINATION_PREFIX):].split("/", 1)[0]
    return _DETERMINATION_PREFIX + segment if segment else None


def partition_letter(letter: LetterTriples) -> tuple[list[Triple], list[Triple]]:
    """A letter's triples split into (its own graph, the shared graph).

    A letter owns its determination, every node under that IRI and its source document; other
    subjects (the software agent, minted guideline nodes) are shared so no triple is stored
    twice.
    """
    det = str(letter.determination)
    sources = {str(o) for s, p, o in letter.triples
               if str(s) == det and p == PROV.wasDerivedFrom}
    own: list[Triple] = []
    shared: list[Triple] = list(letter.shared)
    for t in letter.triples:
        s = str(t[0])
        (own if _determination_of(s) == det or s in sources else shared).append(t)
    return own, shared


def partition_graph(graph: Graph) -> tuple[dict[str, list[Triple]], list[Triple]]:
    """A merged graph (e.g. a file build) split by the same rule: {graph IRI: triples}, shared."""
    sources: dict[str, str] = {}
    for det, src in graph.subject_objects(PROV.wasDerivedFrom):
        if _determination_of(str(det)) == str(det):
            sources[str(src)] = str(det)
    letters: dict[str, list[Triple]] = {}
    shared: list[Triple] = []
    for t in graph:
        s = str(t[0])
        det = _determination_of(s) or sources.get(s)
        if det is None:
            shared.append(t)
        else:
            g = _GRAPH_PREFIX + det[len(_DETERMINATION_PREFIX):]
            letters.setdefault(g, []).append(t)
    return letters, shared


# --------------------------------------------------------------------------- vocabulary


@cache
def vocabulary_nquads() -> bytes:
    """The ontology and SKOS vocabularies as sorted N-Quads in the shared graph."""
    lines = nquads(api.vocabulary_graph(), SHARED_GRAPH).splitlines(keepends=True)
    return b"".join(sorted(set(lines)))


@cache
def vocabulary_subjects() -> frozenset[str]:
    return frozenset(str(s) for s in api.vocabulary_graph().subjects(unique=True))


@cache
def fingerprint() -> str:
    """Changes when imrgraph or its vocabularies change: stored letters are then rebuilt."""
    h = hashlib.sha256(f"imrgraph {__version__}\n".encode())
    h.update(vocabulary_nquads())
    return h.hexdigest()


# --------------------------------------------------------------------------- the store


@dataclass
class LetterInfo:
    """A letter graph as the store (or an endpoint) holds it."""

    graph: str
    sha256: str
    triples: int = 0

    @property
    def key(self) -> str:
        return key_of_graph(self.graph)


class LetterStore:
    """A pyoxigraph store laid out as one graph per letter plus the shared graph.

    Use as a context manager: RocksDB allows one writer per folder, and the database must be
    closed before another process (``oxigraph serve-read-only``) or another open can use it.
    """

    def __init__(self, ox_store: ox.Store, directory: Path | None = None,
                 read_only: bool = False) -> None:
        self.ox = ox_store
        self.directory = directory
        self.read_only = read_only

    # -- opening and closing

    @classmethod
    def open(cls, directory: str | Path, *, create: bool = False,
             read_only: bool = False) -> LetterStore:
        """Open ``DIR/oxigraph``; ``create`` makes a new store, ``read_only`` allows readers
        beside another read-only process (never beside a writer)."""
        directory = Path(directory)
        db = directory / DB_DIR
        if not db.is_dir():
            if not create:
                raise UsageError(f"{directory}: no imrgraph store here (create one with: "
                                 f"imrgraph build LETTERS... --store {directory})")
            db.mkdir(parents=True, exist_ok=True)
        try:
            handle = ox.Store.read_only(str(db)) if read_only else ox.Store(str(db))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise ImrgraphError(f"{directory}: the store is in use by another process "
                                    "(a build or a server); try again when it has finished"
                                    ) from None
            raise ImrgraphError(f"{directory}: cannot open the store: {exc}") from None
        store = cls(handle, directory, read_only)
        if not read_only:
            store._recover()
        return store

    @classmethod
    def in_memory(cls) -> LetterStore:
        return cls(ox.Store())

    @classmethod
    def from_graph(cls, graph: Graph) -> LetterStore:
        """An in-memory store laid out like a built one, from a merged graph file."""
        store = cls.in_memory()
        letters, shared = partition_graph(graph)
        data = [nquads(shared, SHARED_GRAPH)] + [nquads(t, g) for g, t in letters.items()]
        store.ox.bulk_load(b"".join(data), ox.RdfFormat.N_QUADS)
        return store

    def close(self) -> None:
        """Release the database (RocksDB closes when the last reference goes)."""
        if self.ox is not None and not self.read_only and self.directory is not None:
            self.ox.flush()
        self.ox = None  # type: ignore[assignment]
        gc.collect()

    def __enter__(self) -> LetterStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- metadata

    def meta(self) -> dict[str, Any]:
        if self.directory is None:
            return {}
        path = self.directory / META_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_meta(self, stale: Iterable[str] = ()) -> None:
        """Record what built the store; ``stale`` letter graphs were built by an older one."""
        assert self.directory is not None
        meta = {"format": STORE_FORMAT, "imrgraph": __version__, "fingerprint": fingerprint(),
                "stale": sorted(stale)}
        text = json.dumps(meta, indent=2) + "\n"
        api.write_atomic(self.directory / META_FILE,
                         lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def _recover(self) -> None:
        """Drop the graphs of a batch whose load was interrupted (they get rebuilt)."""
        assert self.directory is not None
        pending = self.directory / PENDING_FILE
        if not pending.exists():
            return
        try:
            graphs = json.loads(pending.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            graphs = []
        for g in graphs:
            self.ox.remove_graph(ox.NamedNode(g))
        self.collect_garbage()
        pending.unlink(missing_ok=True)

    # -- reading

    def letters(self) -> dict[str, LetterInfo]:
        """{graph IRI: LetterInfo} for every letter graph (keyed by the stored source sha256)."""
        out: dict[str, LetterInfo] = {}
        for q in self.ox.quads_for_pattern(None, _SHA256, None, None):
            g = q.graph_name
            if isinstance(g, ox.NamedNode) and g != _SHARED:
                out[g.value] = LetterInfo(g.value, q.object.value)
        return out

    def letter_sizes(self) -> dict[str, LetterInfo]:
        """Like :meth:`letters`, with the number of triples in each graph."""
        letters = self.letters()
        text = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        for row in self.ox.query(text):
            g = row["g"].value
            if g in letters:
                letters[g].triples = int(row["n"].value)
        return letters

    def graph_size(self, graph: URIRef | str) -> int:
        return sum(1 for _ in self.ox.quads_for_pattern(None, None, None, ox.NamedNode(str(graph))))

    def has_graph(self, graph: URIRef | str) -> bool:
        return self.ox.contains_named_graph(ox.NamedNode(str(graph)))

    def graph_quads(self, graph: URIRef | str) -> bytes:
        """One graph's quads as N-Quads bytes (for pushing)."""
        g = ox.NamedNode(str(graph))
        return ox.serialize(self.ox.quads_for_pattern(None, None, None, g),
                            format=ox.RdfFormat.N_QUADS) or b""

    def graph_triples(self, graph: URIRef | str) -> bytes:
        """One graph's triples as N-Triples bytes."""
        return self.ox.dump(format=ox.RdfFormat.N_TRIPLES,
                            from_graph=ox.NamedNode(str(graph))) or b""

    def __len__(self) -> int:
        return len(self.ox)

    def quads(self) -> list[str]:
        """Every quad as sorted N-Quads lines (for comparing stores in tests)."""
        data = self.ox.dump(format=ox.RdfFormat.N_QUADS) or b""
        return sorted(data.decode("utf-8").splitlines())

    def unchanged_outcome(self, path: str, info: LetterInfo) -> api.InputOutcome:
        """The report entry of a skipped file, with the counts of the stored letter."""
        g = ox.NamedNode(info.graph)
        items = sum(1 for _ in self.ox.quads_for_pattern(None, _DISPUTED_ITEM, None, g))
        citations = sum(1 for _ in self.ox.quads_for_pattern(None, _CITATION, None, g))
        warnings = sorted(q.object.value
                          for q in self.ox.quads_for_pattern(None, _WARNING, None, g))
        return api.InputOutcome(path, UNCHANGED, "unchanged since it was stored (same sha256)",
                                key=info.key, items=items, citations=citations,
                                warnings=warnings)

    # -- writing

    def refresh_vocabulary(self) -> None:
        """Replace the vocabulary in the shared graph, keeping the minted guideline nodes."""
        minted = self._minted()
        kept = [q for m in minted for q in self.ox.quads_for_pattern(m, None, None, _SHARED)]
        self.ox.remove_graph(_SHARED)
        data = vocabulary_nquads() + (ox.serialize(kept, format=ox.RdfFormat.N_QUADS) or b"")
        self.ox.load(data, ox.RdfFormat.N_QUADS)

    def load_batch(self, graphs: Sequence[str], data: bytes) -> None:
        """Replace the given letter graphs with the N-Quads ``data`` (crash-safe, see module)."""
        pending = self.directory / PENDING_FILE if self.directory is not None else None
        if pending is not None:
            text = json.dumps(list(graphs))
            api.write_atomic(pending, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        for g in graphs:
            node = ox.NamedNode(g)
            if self.ox.contains_named_graph(node):
                self.ox.remove_graph(node)
        if data:
            self.ox.bulk_load(data, ox.RdfFormat.N_QUADS)
        if pending is not None:
            self.ox.flush()
            pending.unlink(missing_ok=True)

    def remove(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Drop letters by key; returns (removed, not found)."""
        removed: list[str] = []
        missing: list[str] = []
        for key in keys:
            g = ox.NamedNode(str(letter_graph_iri(key)))
            if self.ox.contains_named_graph(g) and g != _SHARED:
                self.ox.remove_graph(g)
                removed.append(key)
            else:
                missing.append(key)
        if removed:
            self.collect_garbage()
        return removed, missing

    def _minted(self) -> set[ox.NamedNode]:
        return {q.subject for q in self.ox.quads_for_pattern(None, _IN_VOCABULARY, _FALSE, _SHARED)
                if isinstance(q.subject, ox.NamedNode)}

    def collect_garbage(self) -> int:
        """Remove minted guideline nodes no letter refers to any more; returns how many."""
        minted = self._minted()
        keep = {m for m in minted
                if any(q.graph_name != _SHARED for q in self.ox.quads_for_pattern(None, None, m))}
        todo = list(keep)
        while todo:  # a minted node may hang below another minted node
            node = todo.pop()
            for q in self.ox.quads_for_pattern(node, _BROADER, None, _SHARED):
                if q.object in minted and q.object not in keep:
                    keep.add(q.object)  # type: ignore[arg-type]
                    todo.append(q.object)  # type: ignore[arg-type]
        dropped = minted - keep
        for node in dropped:
            for q in list(self.ox.quads_for_pattern(node, None, None, _SHARED)):
                self.ox.remove(q)
        return len(dropped)

    # -- queries, export, validation

    def run_query(self, query: NamedQuery, values: Mapping[str, str] | None = None
                  ) -> QueryResult:
        """A named query over the union of all graphs; values normalised like rdflib's."""
        return run_on_oxigraph(self.ox, query, values)

    def export(self, path: str | Path, fmt: str) -> int:
        """Write the store: nq/trig keep the graphs, ttl/nt/jsonld merge them.  Returns quads."""
        if fmt not in STORE_EXPORT_FORMATS:
            raise UsageError(f"a store exports as {', '.join(STORE_EXPORT_FORMATS)}, not {fmt!r}")
        rdf_format = STORE_EXPORT_FORMATS[fmt]
        prefixes = DUMP_PREFIXES if fmt in ("ttl", "trig") else None

        def write(tmp: Path) -> None:
            if rdf_format.supports_datasets:
                self.ox.dump(str(tmp), rdf_format, prefixes=prefixes)
            else:  # each triple lives in one graph, so the merge needs no de-duplication
                with open(tmp, "wb") as fh:
                    ox.serialize((q.triple for q in self.ox), fh, rdf_format, prefixes=prefixes)

        api.write_atomic(path, write)
        return len(self.ox)

    def letter_validation_inputs(self) -> Iterator[bytes]:
        """N-Triples per letter graph plus the shared nodes it introduced (minted guideline
        nodes, the software agent): what ``api.build`` validates for that letter."""
        vocabulary = vocabulary_subjects()
        shared_cache: dict[ox.NamedNode, list[ox.Triple]] = {}
        for info in self.letters().values():
            g = ox.NamedNode(info.graph)
            triples = [q.triple for q in self.ox.quads_for_pattern(None, None, None, g)]
            extra: list[ox.Triple] = []
            for obj in {t.object for t in triples if isinstance(t.object, ox.NamedNode)}:
                if obj.value in vocabulary:
                    continue
                if obj not in shared_cache:
                    if len(shared_cache) > 50_000:
                        shared_cache.clear()
                    shared_cache[obj] = [q.triple for q in
                                         self.ox.quads_for_pattern(obj, None, None, _SHARED)]
                extra.extend(shared_cache[obj])
            yield ox.serialize(triples + extra, format=ox.RdfFormat.N_TRIPLES) or b""

    def validate(self, jobs: int = 0) -> ValidationReport:
        """SHACL per letter (shapes look inside one letter) plus the shared graph on its own."""
        merged = ValidationReport(conforms=True)
        inputs = _chain([self.graph_triples(SHARED_GRAPH)], self.letter_validation_inputs())
        count = len(self.letters()) + 1
        for report in parallel_map(_validate_ntriples, inputs, jobs=jobs, total=count):
            merged.results.extend(report.results)
            merged.conforms = merged.conforms and report.conforms
        merged.results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message,
                                           v.value))
        return merged


_DISPUTED_ITEM = ox.NamedNode(str(IMR.disputedItem))
_CITATION = ox.NamedNode(str(IMR.citation))
_WARNING = ox.NamedNode(str(IMR.warning))


def _chain(first: Iterable[T], rest: Iterable[T]) -> Iterator[T]:
    yield from first
    yield from rest


def memory_store(graph: Graph) -> ox.Store:
    """An in-memory pyoxigraph copy of an rdflib graph, to query it with Oxigraph's engine."""
    store = ox.Store()
    store.bulk_extend(to_quads(graph))
    return store


def run_on_oxigraph(store: ox.Store, query: NamedQuery,
                    values: Mapping[str, str] | None = None) -> QueryResult:
    """Run a named query on a pyoxigraph store over the union of its graphs."""
    text = bind_parameters(query, values)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise UsageError(f"query {query.name}: {exc}") from None
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(columns=["ask"], rows=[[bool(result)]])
    if not isinstance(result, ox.QuerySolutions):
        raise UsageError(f"query {query.name}: only SELECT and ASK queries give rows")
    columns = [v.value for v in result.variables]
    rows = [[oxigraph_value(solution[c]) for c in columns] for solution in result]
    return QueryResult(columns=columns, rows=rows)


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


def _validate_ntriples(data: bytes) -> ValidationReport:
    graph = bind_prefixes(Graph())
    graph.parse(data=data.decode("utf-8"), format="nt")
    return validate_graph(graph)


# --------------------------------------------------------------------------- process pool


def worker_count(jobs: int = 0) -> int:
    """``jobs`` processes, 0 = every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver: workers never inherit the parent's RocksDB threads (fork would)."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["imrgraph.store"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def parallel_map(func: Callable[[T], R], items: Iterable[T], *, jobs: int = 0,
                 total: int | None = None, window: int = 2000,
                 initializer: Callable[..., None] | None = None,
                 initargs: tuple = ()) -> Iterator[R]:
    """``map`` in input order over a process pool, with at most ``window`` items in flight.

    The window bounds memory: ``Pool.imap`` alone would read the whole input iterator ahead.
    Small inputs (or ``jobs=1``) run in this process, where a pool only adds start-up time.
    """
    workers = worker_count(jobs)
    small = total is not None and total < (2 if jobs > 1 else PARALLEL_MIN_INPUTS)
    if workers == 1 or small:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, items)
        return
    chunksize = max(1, min(16, (total or window) // (workers * 8)))
    window = max(window, chunksize * workers * 4)
    slots = threading.Semaphore(window)
    stop = threading.Event()

    def feed() -> Iterator[T]:
        for item in items:
            slots.acquire()
            if stop.is_set():
                return
            yield item

    pool = _pool_context().Pool(workers, initializer=initializer, initargs=initargs)
    try:
        for result in pool.imap(func, feed(), chunksize):
            slots.release()
            yield result
        pool.close()
    finally:
        stop.set()
        for _ in range(window):
            slots.release()
        pool.terminate()
        pool.join()


# --------------------------------------------------------------------------- building


@dataclass
class Payload:
    """What a worker sends back for one input path."""

    path: str
    sha256: str
    outcome: api.InputOutcome
    key: str = ""
    letter: bytes = b""
    shared: bytes = b""
    results: list[Violation] = field(default_factory=list)
    conforms: bool = True
    unchanged: bool = False


_KNOWN_SHAS: frozenset[str] = frozenset()
_VALIDATE = True


def _init_worker(known: frozenset[str], validate: bool = True) -> None:
    global _KNOWN_SHAS, _VALIDATE
    _KNOWN_SHAS = known
    _VALIDATE = validate


def file_sha256(path: str) -> str:
    """The file's sha256 as ingest computes it ("" when unreadable or too large to be one)."""
    try:
        if os.path.getsize(path) > MAX_PDF_BYTES:
            return ""
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return ""


def process_letter(path: str) -> Payload:
    """Worker: skip a stored file, else parse, map, validate and serialise one letter."""
    sha = file_sha256(path)
    if sha and sha in _KNOWN_SHAS:
        return Payload(path, sha, api.InputOutcome(path, UNCHANGED), unchanged=True)
    outcome, built = api._build_one(path, {})
    if built is None:
        return Payload(path, sha, outcome)
    _det, letter = built
    payload = Payload(path, sha, outcome, key=letter.key)
    if _VALIDATE:
        graph = bind_prefixes(Graph())
        for t in letter.triples:
            graph.add(t)
        for t in letter.shared:
            graph.add(t)
        report = validate_graph(graph)
        payload.results, payload.conforms = report.results, report.conforms
    own, shared = partition_letter(letter)
    try:
        payload.letter = nquads(own, letter_graph_iri(letter.key))
        payload.shared = nquads(shared, SHARED_GRAPH)
    except ValueError as exc:
        return Payload(path, sha, api.InputOutcome(path, api.REJECTED,
                                                   f"cannot be stored as RDF: {exc}"))
    return payload


@dataclass
class StoreBuildResult:
    """A store build: the ingest report (every input), validation, and what changed."""

    directory: Path
    report: api.IngestReport
    validation: ValidationReport
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    letters_in_store: int = 0
    quads: int = 0
    seconds: float = 0.0
    rebuilt_all: bool = False

    def summary(self) -> dict[str, int]:
        s = self.report.summary()
        s[UNCHANGED] = self.report.count(UNCHANGED)
        s["added"] = len(self.added)
        s["replaced"] = len(self.replaced)
        s["letters_in_store"] = self.letters_in_store
        s["quads"] = self.quads
        return s

    def to_json(self) -> str:
        from dataclasses import asdict

        return json.dumps(
            {"imrgraph": __version__, "store": str(self.directory), "summary": self.summary(),
             "replaced": self.replaced, "stale": self.stale,
             "inputs": [asdict(i) for i in self.report.inputs]},
            indent=2, ensure_ascii=False) + "\n"


def build_store(
    inputs: Sequence[str | Path],
    directory: str | Path | None = None,
    *,
    jobs: int = 0,
    batch_size: int = DEFAULT_BATCH,
    validate: bool = True,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> StoreBuildResult:
    """Letters -> the store in ``directory``, skipping files already stored unchanged.

    Every input is accounted for in the report (``DIR/last-build.report.json``), in input
    order; the first file of a case wins, as in :func:`imrgraph.api.build`.  ``force``
    re-parses every input; a new imrgraph version or vocabulary does so too.
    """
    started = time.monotonic()
    directory = Path(directory) if directory is not None else default_store_dir()
    entries = list(discover(inputs))
    paths = [str(e) for e in entries if not isinstance(e, Skipped)]
    result = StoreBuildResult(directory, api.IngestReport(), ValidationReport(conforms=True))
    with LetterStore.open(directory, create=True) as store:
        builder = _Builder(store, result, batch_size, force)
        results = parallel_map(process_letter, paths, jobs=jobs, total=len(paths),
                               window=max(2 * batch_size, 64), initializer=_init_worker,
                               initargs=(frozenset(builder.by_sha), validate))
        outcomes: dict[str, api.InputOutcome] = {}
        try:
            for payload in results:
                outcomes[payload.path] = builder.take(payload)
                if progress:
                    progress(1)
        finally:
            _init_worker(frozenset())  # in-process runs leave no stale state
        builder.finish()
        for entry in entries:
            if isinstance(entry, Skipped):
                result.report.inputs.append(
                    api.InputOutcome(entry.path, api.REJECTED, entry.reason))
                if progress:
                    progress(1)
            else:
                result.report.inputs.append(outcomes[str(entry)])
    result.seconds = time.monotonic() - started
    text = result.to_json()
    api.write_atomic(directory / REPORT_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return result


class _Builder:
    """The parent's side of a build: duplicates, batches, replacements, bookkeeping."""

    def __init__(self, store: LetterStore, result: StoreBuildResult, batch_size: int,
                 force: bool) -> None:
        self.store, self.result, self.batch_size = store, result, batch_size
        self.stored = store.letters()
        meta = store.meta()
        fresh = meta.get("fingerprint") == fingerprint()
        # Letters built by another imrgraph or vocabulary are never skipped as unchanged.
        self.stale = set(self.stored) if not fresh else set(meta.get("stale", ())) & set(
            self.stored)
        if not fresh:
            store.refresh_vocabulary()
            result.rebuilt_all = bool(self.stored)
        self.by_sha = ({info.sha256: info for g, info in self.stored.items()
                        if g not in self.stale} if not force else {})
        self.seen: dict[str, str] = {}
        self.batch: list[Payload] = []
        self.touched: set[str] = set()

    def take(self, payload: Payload) -> api.InputOutcome:
        """Account for one worker result; queue a built letter for loading."""
        outcome = payload.outcome
        if payload.unchanged:
            outcome = self.store.unchanged_outcome(payload.path, self.by_sha[payload.sha256])
        if not outcome.key or outcome.status not in (UNCHANGED, api.BUILT,
                                                     api.BUILT_WITH_WARNINGS):
            return outcome
        if outcome.key in self.seen:
            return api.InputOutcome(payload.path, api.DUPLICATE,
                                    f"same case {outcome.key} as {self.seen[outcome.key]}",
                                    key=outcome.key)
        self.seen[outcome.key] = payload.path
        if payload.unchanged:
            return outcome
        graph = str(letter_graph_iri(payload.key))
        (self.result.replaced if graph in self.stored else self.result.added).append(payload.key)
        self.touched.add(graph)
        self.result.validation.results.extend(payload.results)
        self.result.validation.conforms &= payload.conforms
        self.batch.append(payload)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return outcome

    def flush(self) -> None:
        graphs = [str(letter_graph_iri(p.key)) for p in self.batch]
        self.store.load_batch(graphs, b"".join(p.letter + p.shared for p in self.batch))
        self.batch.clear()

    def finish(self) -> None:
        if self.batch:
            self.flush()
        if self.result.replaced:
            self.store.collect_garbage()
        letters_now = self.store.letters()
        stale = (self.stale - self.touched) & set(letters_now)
        self.store.write_meta(stale)
        self.result.letters_in_store = len(letters_now)
        self.result.stale = sorted(letters_now[g].key for g in stale)
        self.result.quads = len(self.store)


# --------------------------------------------------------------------------- serving


def oxigraph_server_command(directory: str | Path, host: str, port: int) -> list[str] | None:
    """``oxigraph serve-read-only`` over the store, if the Oxigraph CLI is installed."""
    import shutil
    import subprocess
    import sys

    beside = Path(sys.executable).parent / "oxigraph"
    exe = str(beside) if beside.exists() else shutil.which("oxigraph")
    if exe is None:
        return None
    try:
        usage = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "serve-read-only" not in usage:
        return None
    return [exe, "serve-read-only", "--location", str(Path(directory) / DB_DIR),
            "--bind", f"{host}:{port}", "--union-default-graph"]


def serve_python(directory: str | Path, host: str = "127.0.0.1", port: int = 7878,
                 ready: Callable[[Any], None] | None = None) -> None:
    """A minimal read-only SPARQL endpoint (GET/POST ``/query``) when Oxigraph's CLI is absent.

    Answers SELECT/ASK as SPARQL JSON (or XML/CSV/TSV by Accept) and CONSTRUCT/DESCRIBE as
    N-Triples, over the union of the graphs.  Updates are refused: the store is opened read-only.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    handle = ox.Store.read_only(str(Path(directory) / DB_DIR))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet: one line per query is noise
            pass

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _run(self, params: dict[str, list[str]], body_query: str | None) -> None:
            if urlsplit(self.path).path.rstrip("/") != "/query":
                self._answer(404, b"read-only endpoint: use /query", "text/plain")
                return
            text = body_query if body_query is not None else (params.get("query") or [""])[0]
            if not text:
                self._answer(400, b"no query", "text/plain")
                return
            try:
                result = handle.query(text, use_default_graph_as_union=True)
            except SyntaxError as exc:
                self._answer(400, str(exc).encode(), "text/plain")
                return
            if isinstance(result, ox.QueryTriples):
                data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
                self._answer(200, data, "application/n-triples")
                return
            accept = self.headers.get("Accept", "")
            fmt = next((f for f in (ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                                    ox.QueryResultsFormat.TSV) if f.media_type in accept),
                       ox.QueryResultsFormat.JSON)
            self._answer(200, result.serialize(format=fmt) or b"", fmt.media_type)

        def do_GET(self) -> None:
            self._run(parse_qs(urlsplit(self.path).query), None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            kind = self.headers.get("Content-Type", "").split(";")[0].strip()
            if kind == "application/sparql-query":
                self._run(parse_qs(urlsplit(self.path).query), body)
            else:
                self._run(parse_qs(body), None)

    server = ThreadingHTTPServer((host, port), Handler)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()


# --------------------------------------------------------------------------- convenience


def query_store(directory: str | Path, query: NamedQuery,
                values: Mapping[str, str] | None = None) -> QueryResult:
    with LetterStore.open(directory, read_only=True) as store:
        return store.run_query(query, values)


def read_report(directory: str | Path) -> dict[str, Any]:
    return json.loads((Path(directory) / REPORT_FILE).read_text(encoding="utf-8"))


def dump_bytes(store: LetterStore, fmt: str) -> bytes:
    """The store in ``fmt`` as bytes (small stores, tests)."""
    buf = io.BytesIO()
    if STORE_EXPORT_FORMATS[fmt].supports_datasets:
        store.ox.dump(buf, STORE_EXPORT_FORMATS[fmt])
    else:
        ox.serialize((q.triple for q in store.ox), buf, STORE_EXPORT_FORMATS[fmt])
    return buf.getvalue()


__all__ = [
    "DEFAULT_STORE_DIR",
    "ENV_STORE",
    "UNCHANGED",
    "LetterInfo",
    "LetterStore",
    "StoreBuildResult",
    "build_store",
    "default_store_dir",
    "partition_graph",
    "partition_letter",
    "query_store",
    "resolve_store_dir",
]
