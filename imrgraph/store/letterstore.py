"""The persistent letter store: one named graph per letter in an on-disk pyoxigraph store.

Why a store: an rdflib graph of 100k letters takes minutes to build and GBs of memory, and every
query re-parses a file.  The store is built once, letter by letter, and later commands read it.

Layout of a store folder ``DIR`` (default ``$IMRGRAPH_STORE``, else ``./imrgraph-store``)::

    DIR/oxigraph/                 the pyoxigraph (RocksDB) database
    DIR/imrgraph-store.json       format, imrgraph version and vocabulary fingerprint
    DIR/last-build.report.json    the ingest report of the last build
    DIR/statistics.sqlite         sums for the aggregate queries, what built each letter
                                  (see ``imrgraph.store.stats``)
    DIR/pending-load.json         only while a batch is being loaded (the load journal)
    DIR/pending-load.nq           the batch's quads, while it replaces stored letters
    DIR/oxigraph.compact/         only while the store is compacted (see ``LetterStore.compact``)
    DIR/oxigraph.old/             only while the compacted copy is swapped in

Graphs:

- ``mapping.letter_graph_iri(key)`` holds a letter's own nodes: the determination and
  everything under its IRI, and its source document (with the file's ``imr:sha256``).
- ``mapping.SHARED_GRAPH`` holds what letters share: the ontology and SKOS vocabularies, the
  guideline nodes minted for citations outside the vocabulary, and the software agent.  Every
  triple is stored in exactly one graph, so the union of the graphs equals the rdflib graph of
  a file build (Oxigraph's union default graph does not remove duplicates).

Re-building skips a file whose sha256 is already stored (checked before parsing); a changed
letter (same key, new content) replaces only its own graph (see ``imrgraph.store.build``).

Crash safety: a batch is first written to the load journal (``pending-load.json``, and its
quads to ``pending-load.nq`` when it replaces stored letters), durably, and only then applied.
Opening the store after a crash finishes an interrupted batch from the journal (a stored letter
was possibly removed, its new version is in the journal) or, when the batch only added letters,
drops what it loaded; the batch is recorded as applied in ``statistics.sqlite`` in the same
transaction as its statistics, so it is never counted twice.  Every letter is thus its old or
its new version whenever the store can be opened.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import io
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from imrgraph import __version__
from imrgraph.errors import ImrgraphError, StoreError, UsageError
from imrgraph.mapping import SHARED_GRAPH, LetterTriples, letter_graph_iri
from imrgraph.outputs import write_atomic, write_text
from imrgraph.pipeline import InputOutcome, vocabulary_graph
from imrgraph.store.oxi import Triple, nquads, solutions, term_text
from imrgraph.store.parallel import parallel_map
from imrgraph.store.stats import (
    LetterRecord,
    Statistics,
    batch_contribution,
    contributions,
    from_jsonable,
    letter_titles,
    to_jsonable,
)
from imrgraph.validate import ValidationReport, validate_graph
from imrgraph.vocab import ID, IMR, PREFIXES, bind_prefixes

ENV_STORE = "IMRGRAPH_STORE"
DEFAULT_STORE_DIR = "imrgraph-store"
DB_DIR = "oxigraph"
META_FILE = "imrgraph-store.json"
REPORT_FILE = "last-build.report.json"
PENDING_FILE = "pending-load.json"
JOURNAL_FILE = "pending-load.nq"
COMPACT_DIR = "oxigraph.compact"
OLD_DB_DIR = "oxigraph.old"
STORE_FORMAT = 1
#: Quads per bulk load when a store is compacted: the loader holds one slice in memory
#: (1.1 GB peak RSS at a million quads); fewer, larger slices stay compressed (bench/RESULTS.md).
COMPACT_SLICE = 1_000_000

#: Letters in a batch from which its statistics are counted over only the quads the count
#: forms read: finding those predicates costs ~0.6 s once per store and saves ~0.6 ms a letter,
#: so only batches as large as a build's (500) pay for it.
FILTER_MIN_LETTERS = 500

#: Report status of an input whose file (same sha256) is already in the store.
UNCHANGED = "unchanged"
#: Letters per bulk load: memory is bounded by one batch of N-Quads (~20 kB per letter).

_DETERMINATION_PREFIX = str(ID["determination/"])
_GRAPH_PREFIX = str(ID["graph/"])
_SHARED = ox.NamedNode(str(SHARED_GRAPH))
_SHA256 = ox.NamedNode(str(IMR.sha256))
_IN_VOCABULARY = ox.NamedNode(str(IMR.inVocabulary))
_BROADER = ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader")
_XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_FALSE = ox.Literal("false", datatype=_XSD_BOOLEAN)

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
    directory = Path(directory)
    return (directory / DB_DIR).is_dir() or (directory / OLD_DB_DIR).is_dir()


def _finish_swap(directory: Path) -> None:
    """Put a database back in place when a crash came between the two renames of a
    compaction: the compacted copy if it was complete (it is renamed only then), else the old."""
    db, new, old = directory / DB_DIR, directory / COMPACT_DIR, directory / OLD_DB_DIR
    if not db.exists() and old.is_dir():
        os.replace(new if new.is_dir() else old, db)
        _fsync_dir(directory)


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
    for node, src in graph.subject_objects(PROV.wasDerivedFrom):
        if _determination_of(str(node)) == str(node):
            sources[str(src)] = str(node)
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
    lines = nquads(vocabulary_graph(), SHARED_GRAPH).splitlines(keepends=True)
    return b"".join(sorted(set(lines)))


@cache
def vocabulary_subjects() -> frozenset[str]:
    return frozenset(str(s) for s in vocabulary_graph().subjects(unique=True))


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
        self.stats: Statistics | None = None

    # -- opening and closing

    @classmethod
    def open(cls, directory: str | Path, *, create: bool = False,
             read_only: bool = False) -> LetterStore:
        """Open ``DIR/oxigraph``; ``create`` makes a new store, ``read_only`` allows readers
        beside another read-only process (never beside a writer)."""
        directory = Path(directory)
        db = directory / DB_DIR
        _finish_swap(directory)
        if not db.is_dir():
            if not create:
                raise UsageError(f"{directory}: no imrgraph store here (create one with: "
                                 f"imrgraph build LETTERS... --store {directory})")
            db.mkdir(parents=True, exist_ok=True)
        if read_only and (directory / PENDING_FILE).exists():
            cls.open(directory).close()  # finish the interrupted batch first
        try:
            handle = ox.Store.read_only(str(db)) if read_only else ox.Store(str(db))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise ImrgraphError(f"{directory}: the store is in use by another process "
                                    "(a build or a server); try again when it has finished"
                                    ) from None
            raise StoreError(_damaged(directory, exc)) from None
        except RuntimeError as exc:  # RocksDB reports corruption as RuntimeError
            raise StoreError(_damaged(directory, exc)) from None
        store = cls(handle, directory, read_only)
        try:
            store.stats = Statistics.open(directory, read_only=read_only)
        except sqlite3.Error as exc:
            if not read_only:
                raise ImrgraphError(f"{directory}: cannot open {exc}") from None
        if not read_only:
            # We hold the write lock: what a compaction left behind can go.
            shutil.rmtree(directory / COMPACT_DIR, ignore_errors=True)
            shutil.rmtree(directory / OLD_DB_DIR, ignore_errors=True)
            store._recover()
            store._record_legacy_letters()
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
        if self.stats is not None:
            self.stats.close()
            self.stats = None
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
        write_text(self.directory / META_FILE, json.dumps(meta, indent=2) + "\n")

    def _record_legacy_letters(self) -> None:
        """A store built before statistics: record its letters as its metadata describes them
        (the statistics stay invalid until a build recounts them)."""
        if self.stats is None or self.stats.get("letters-recorded"):
            return
        meta = self.meta()
        stale = set(meta.get("stale", ()))
        built_by = meta.get("fingerprint", "")
        self.stats.record_letters({g: LetterRecord(info.sha256, "" if g in stale else built_by, "")
                                   for g, info in self.letters().items()})
        self.stats.set("letters-recorded", "1")

    def _recover(self) -> None:
        """Finish (or, when it only added letters, undo) a batch a crash interrupted."""
        assert self.directory is not None
        pending = self.directory / PENDING_FILE
        journal = self.directory / JOURNAL_FILE
        if not pending.exists():
            journal.unlink(missing_ok=True)  # the crash came before the journal was complete
            return
        try:
            record = json.loads(pending.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"{pending}: unreadable record of an interrupted load ({type(exc).__name__}); "
                f"remove it and rebuild: imrgraph build LETTERS... --store {self.directory} "
                "--force") from None
        if not isinstance(record, list | dict) or (
                isinstance(record, dict) and not {"batch", "load", "graphs"} <= record.keys()):
            raise StoreError(
                f"{pending}: unreadable record of an interrupted load (unexpected content); "
                f"remove it and rebuild: imrgraph build LETTERS... --store {self.directory} "
                "--force")
        if isinstance(record, list):  # an older imrgraph had removed these graphs already
            try:
                nodes = [ox.NamedNode(g) for g in record]
            except (TypeError, ValueError) as exc:
                raise StoreError(
                    f"{pending}: unreadable record of an interrupted load ({type(exc).__name__});"
                    f" remove it and rebuild: imrgraph build LETTERS... --store {self.directory}"
                    " --force") from None
            for node in nodes:
                self.ox.remove_graph(node)
            if self.stats is not None:
                self.stats.invalidate()
        elif self.stats is not None and 0 < record["batch"] <= self.stats.applied_batch:
            pass  # applied and counted; only the journal was left
        elif not record["load"]:
            self._apply(record, b"")  # a removal: finish it
        elif record.get("journal") and journal.exists():
            self._apply(record, journal.read_bytes())  # a replacement: finish it
        else:  # a batch of new letters: drop what was loaded of it
            replaced = set(record["replaced"])
            for g in record["graphs"]:
                if g not in replaced:
                    self.ox.remove_graph(ox.NamedNode(g))
        self.ox.flush()
        self.collect_garbage()
        pending.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)

    # -- reading

    def letters(self) -> dict[str, LetterInfo]:
        """{graph IRI: LetterInfo} for every letter graph (keyed by the stored source sha256)."""
        out: dict[str, LetterInfo] = {}
        for q in self.ox.quads_for_pattern(None, _SHA256, None, None):
            g = q.graph_name
            if isinstance(g, ox.NamedNode) and g != _SHARED:
                out[g.value] = LetterInfo(g.value, term_text(q.object))
        return out

    def letter_sizes(self) -> dict[str, LetterInfo]:
        """Like :meth:`letters`, with the number of triples in each graph."""
        letters = self.letters()
        text = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        for row in solutions(self.ox.query(text)):
            g = term_text(row["g"])
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

    def unchanged_outcome(self, path: str, info: LetterInfo) -> InputOutcome:
        """The report entry of a skipped file, with the counts of the stored letter."""
        g = ox.NamedNode(info.graph)
        items = sum(1 for _ in self.ox.quads_for_pattern(None, _DISPUTED_ITEM, None, g))
        citations = sum(1 for _ in self.ox.quads_for_pattern(None, _CITATION, None, g))
        warnings = sorted(term_text(q.object)
                          for q in self.ox.quads_for_pattern(None, _WARNING, None, g))
        return InputOutcome(path, UNCHANGED, "unchanged since it was stored (same sha256)",
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

    def load_batch(self, graphs: Sequence[str], data: bytes,
                   records: Mapping[str, LetterRecord] | None = None) -> None:
        """Replace the given letter graphs with the N-Quads ``data``; ``records`` say what
        built each letter.  Crash-safe through the load journal (see the module)."""
        replaced = [g for g in graphs if self.ox.contains_named_graph(ox.NamedNode(g))]
        self._commit({"graphs": list(graphs), "replaced": replaced, "load": bool(data)}, data,
                     records or {})

    def remove(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Drop letters by key; returns (removed, not found)."""
        removed: list[str] = []
        missing: list[str] = []
        for key in dict.fromkeys(keys):
            g = ox.NamedNode(str(letter_graph_iri(key)))
            if self.ox.contains_named_graph(g) and g != _SHARED:
                removed.append(key)
            else:
                missing.append(key)
        if removed:
            graphs = [str(letter_graph_iri(k)) for k in removed]
            self._commit({"graphs": graphs, "replaced": graphs, "load": False}, b"", {})
            self.collect_garbage()
        return removed, missing

    def _commit(self, record: dict[str, Any], data: bytes,
                records: Mapping[str, LetterRecord]) -> None:
        """Journal a batch durably, then apply it."""
        record["letters"] = {g: asdict(r) for g, r in records.items()}
        record["batch"] = self.stats.applied_batch + 1 if self.stats is not None else 0
        if self.stats is not None and self.stats.current():
            # What the replaced versions counted, taken before they go.
            record["subtract"] = to_jsonable(contributions(self.ox, record["replaced"]))
        if self.directory is not None:
            if record["replaced"] and data:
                _write_durable(self.directory / JOURNAL_FILE, data)
                record["journal"] = True
            _write_durable(self.directory / PENDING_FILE, json.dumps(record).encode())
        self._apply(record, data)

    def _apply(self, record: dict[str, Any], data: bytes) -> None:
        """Apply a journalled batch (again, after a crash: every step can be repeated)."""
        letters = {g: LetterRecord(**r) for g, r in record["letters"].items()}
        counted = self.stats is not None and "subtract" in record
        # Counted from the batch's own quads first, so its store is gone before the big load.
        add = batch_contribution(vocabulary_nquads(), data, list(letters), (
            self.stats.counted_predicates()
            if self.stats is not None and len(letters) >= FILTER_MIN_LETTERS else None)
        ) if counted else {}
        _release_memory()
        for g in record["graphs"]:
            node = ox.NamedNode(g)
            if self.ox.contains_named_graph(node):
                self.ox.remove_graph(node)
        if data:
            self.ox.bulk_load(data, ox.RdfFormat.N_QUADS)
        if self.directory is not None:
            self.ox.flush()
        for g, title in letter_titles(self.ox, letters).items():
            letters[g].title = title
        if self.stats is not None:
            self.stats.apply(
                record["batch"], subtract=from_jsonable(record.get("subtract", [])), add=add,
                letters=letters, removed=[g for g in record["graphs"] if g not in letters])
            if not counted:
                self.stats.invalidate()
        if self.directory is not None:
            (self.directory / PENDING_FILE).unlink(missing_ok=True)
            (self.directory / JOURNAL_FILE).unlink(missing_ok=True)
        _release_memory()

    def compact(self) -> None:
        """Rewrite the database into a fresh folder and swap it in; the quads do not change.

        Why: batch loads leave files that RocksDB later merges without compression (79-97 KB
        per letter), while bulk loads into an empty database stay compressed (~51 KB per
        letter; bench/RESULTS.md).  Crash-safe: the copy is complete before the old database
        is renamed away, and opening the store finishes an interrupted swap; the statistics
        and the load journal are untouched (no batch is pending here).
        """
        assert self.directory is not None and not self.read_only
        directory = self.directory
        db, new, old = directory / DB_DIR, directory / COMPACT_DIR, directory / OLD_DB_DIR
        if (directory / PENDING_FILE).exists():
            raise StoreError(f"{directory}: a batch is pending; cannot compact")
        shutil.rmtree(new, ignore_errors=True)
        total = len(self.ox)
        fresh = ox.Store(str(new))
        quads = iter(self.ox)
        for _ in range(0, total, COMPACT_SLICE):
            fresh.bulk_extend(islice(quads, COMPACT_SLICE))
        fresh.flush()
        if len(fresh) != total:
            del fresh, quads
            gc.collect()
            shutil.rmtree(new, ignore_errors=True)
            raise StoreError(f"{directory}: compaction copied {total} quads wrongly; "
                             "the store is unchanged")
        del fresh, quads
        self.ox = None  # type: ignore[assignment]
        gc.collect()  # both databases close: RocksDB closes when the last reference goes
        os.replace(db, old)
        _fsync_dir(directory)
        os.replace(new, db)
        _fsync_dir(directory)
        shutil.rmtree(old, ignore_errors=True)
        self.ox = ox.Store(str(db))

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

    # -- export, validation

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

        write_atomic(path, write)
        return len(self.ox)

    def letter_validation_inputs(self) -> Iterator[bytes]:
        """N-Triples per letter graph plus the shared nodes it introduced (minted guideline
        nodes, the software agent): what ``pipeline.validate_letter`` validates."""
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
        inputs = chain([self.graph_triples(SHARED_GRAPH)], self.letter_validation_inputs())
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


def _validate_ntriples(data: bytes) -> ValidationReport:
    graph = bind_prefixes(Graph())
    graph.parse(data=data.decode("utf-8"), format="nt")
    return validate_graph(graph)


def _release_memory() -> None:
    """Give the memory a batch's loads freed back to the system (glibc keeps it otherwise:
    ~40-60 MB after each bulk load, measured); elsewhere a no-op."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_MALLOC_TRIM = _malloc_trim()


def _damaged(directory: Path, exc: Exception) -> str:
    """One line for a database RocksDB cannot open, with the way back."""
    reason = " ".join(str(exc).split())
    if len(reason) > 200:
        reason = reason[:200] + "..."
    return (f"{directory}: the store's database is damaged or incomplete ({reason}); rebuild "
            f"it: remove {directory / DB_DIR} and run imrgraph build LETTERS... --store "
            f"{directory}")


def _write_durable(path: Path, data: bytes) -> None:
    """Write, flush to disk and rename: the file is complete whenever it exists."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
