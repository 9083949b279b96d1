"""Exact statistics of a store, kept beside it, so aggregate queries need not read every letter.

Why: an aggregate named query (``guideline-outcomes``, ``treatment-outcomes``, ...) reads every
letter each time it runs (6 s at 100,000 letters).  Its counts are sums over letters (a letter's
items and citations belong to it alone, so distinct counts add up), so the store keeps the sums:
each ``queries/stats/NAME.count.rq`` computes a batch of letters' contribution for every
parameter value at once, ``build`` adds the contribution of the letters it loads (counted over
the batch's own quads and the vocabulary, not the whole store) and subtracts that of the
versions they replace, ``remove`` subtracts; ``queries/stats/NAME.rq`` turns the
summed rows into the named query's rows (labels, rates, order), in time that depends on the
number of groups, not of letters.

The sums live in ``DIR/statistics.sqlite`` with the per-letter build record (sha256, the
fingerprint that built it, the run) that lets a rerun after a crash skip what was finished.
Every change is applied in one SQLite transaction tagged with the batch number of the store's
load journal (:mod:`imrgraph.store.letterstore`), so a batch is counted once, whether it
finishes normally or in recovery.  The statistics answer only when they are *current*: written
by the same count forms and not invalidated (a vocabulary change invalidates them until the
build that follows recomputes them); otherwise the full query runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef, Variable
from rdflib.paths import (
    AlternativePath,
    InvPath,
    MulPath,
    OneOrMore,
    SequencePath,
    ZeroOrMore,
    ZeroOrOne,
)
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from imrgraph.resources import data_dir, files
from imrgraph.store.oxi import solutions, term_text

STATS_FILE = "statistics.sqlite"
#: Replaced in a count form by the restriction to the letters counted.
LETTER_GRAPHS = "LETTER_GRAPHS"
#: Replaced in a finishing form by a VALUES block of the summed rows.
STATISTICS = "STATISTICS"

#: Letters counted per query when all sums are recomputed.
RECOUNT_CHUNK = 1000

#: Letters counted in one in-memory store: some forms' joins grow faster than the letters
#: (a store of 2,000 letters costs ~1.7x per letter what one of 500 does: bench/notes/40), so
#: a larger load batch is counted in slices of this many letters.
COUNT_SLICE = 500

#: (query name, parameter values, key terms) -> sums, in the form's column order.
Contribution = dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[int]]


@dataclass(frozen=True)
class StatsForm:
    """The statistics of one aggregate named query: how to count, how to finish."""

    name: str
    params: dict[str, tuple[str, ...]]
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    count_text: str
    finish_text: str


def _header(text: str, field: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^#\s*{field}:\s*(.*)$", text)]


def _projection(text: str) -> list[str]:
    """The variables a count form selects, in order (``?v`` or ``(... AS ?v)``)."""
    select = re.search(r"SELECT\s(.*?)\sWHERE", re.sub(r"(?m)#.*$", "", text), re.S)
    assert select is not None
    body = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*AS\s+\?(\w+)\)", r"?\1", select.group(1))
    return re.findall(r"\?(\w+)", body)


@cache
def stats_forms() -> dict[str, StatsForm]:
    """The bundled statistics forms, by the named query they answer."""
    forms: dict[str, StatsForm] = {}
    for path in files("queries", "stats/*.count.rq"):
        count = path.read_text(encoding="utf-8")
        finish = path.with_name(path.name.replace(".count.rq", ".rq")).read_text(encoding="utf-8")
        name = _header(count, "name")[0]
        params: dict[str, tuple[str, ...]] = {}
        for line in _header(count, "param"):
            pname, _, values = line.partition(":")
            params[pname.strip()] = tuple(v.strip() for v in values.split("|"))
        sums = tuple(s.strip() for s in ",".join(_header(count, "sums")).split(","))
        projected = _projection(count)
        keys = tuple(v for v in projected if v not in params and v not in sums)
        forms[name] = StatsForm(name, params, keys, sums, count, finish)
    return forms


@cache
def forms_digest() -> str:
    """Changes when a count form changes: statistics counted by other forms are not current."""
    h = hashlib.sha256(b"letters: graph sha256 fingerprint run title\n")
    for name, form in sorted(stats_forms().items()):
        h.update(f"{name}\n{form.count_text}\n".encode())
    return h.hexdigest()


def bundled_query_path(name: str) -> Path:
    """Where the bundled named query ``name`` lives (statistics answer that query only)."""
    return data_dir("queries") / f"{name}.rq"


# --------------------------------------------------------------------------- counting


def contributions(store: ox.Store, graphs: Sequence[str] | None) -> Contribution:
    """The summed contribution of the letter ``graphs`` (None: every letter) to each form."""
    out: Contribution = {}
    if graphs is not None and not graphs:
        return out
    restriction = ("" if graphs is None else
                   "VALUES ?graph { " + " ".join(f"<{g}>" for g in graphs) + " }")
    for form in stats_forms().values():
        text = form.count_text.replace(LETTER_GRAPHS, restriction)
        for row in solutions(store.query(text, use_default_graph_as_union=True)):
            params = tuple(term_text(row[p]) for p in form.params)
            key = tuple("UNDEF" if row[k] is None else str(row[k]) for k in form.keys)
            sums = [int(row[s].value) for s in form.sums]
            _add(out, (form.name, params, key), sums, 1)
    return out


def batch_contribution(vocabulary: bytes, data: bytes, graphs: Sequence[str],
                       predicates: frozenset[bytes] | None = None) -> Contribution:
    """The contribution of the letter ``graphs`` counted over their own N-Quads ``data`` (each
    letter's graph and the shared nodes it introduced) and the ``vocabulary``, in a store made
    for the count; with ``predicates`` (:func:`counted_predicates`), only the quads they name.

    Why: the count forms read a letter, the shared nodes it cites and the vocabulary, nothing
    of other letters, so the batch alone gives the same sums as the whole store, and an
    in-memory store of one batch answers the forms several times faster than the on-disk
    store (whose cost grows with the letters it holds).  More than :data:`COUNT_SLICE`
    letters are counted a slice at a time, each slice with every shared quad of the batch.
    """
    if not graphs:
        return {}
    if predicates is not None:
        vocabulary, data = quads_with(vocabulary, predicates), quads_with(data, predicates)
    if len(graphs) <= COUNT_SLICE:
        return _count_over(vocabulary, data, graphs)
    slices = [graphs[i:i + COUNT_SLICE] for i in range(0, len(graphs), COUNT_SLICE)]
    slice_of = {f"<{g}>".encode(): n for n, part in enumerate(slices) for g in part}
    lines: list[list[bytes]] = [[] for _ in slices]
    shared: list[bytes] = []  # lines of any other graph: the shared nodes
    for line in data.splitlines(keepends=True):
        n = slice_of.get(line.rsplit(b" ", 2)[-2])  # the graph term, before the final " ."
        (shared if n is None else lines[n]).append(line)
    common = b"".join(shared)
    total: Contribution = {}
    for part, own in zip(slices, lines, strict=True):
        _add_all(total, _count_over(vocabulary, b"".join(own) + common, part), 1)
    return total


def _count_over(vocabulary: bytes, data: bytes, graphs: Sequence[str]) -> Contribution:
    """The forms' sums for ``graphs`` over a fresh in-memory store of these N-Quads."""
    batch = ox.Store()
    for part in (vocabulary, data):
        batch.bulk_load(part, ox.RdfFormat.N_QUADS)
    return contributions(batch, graphs)


def quads_with(data: bytes, predicates: frozenset[bytes]) -> bytes:
    """The N-Quads lines of ``data`` whose predicate (the second term, always an IRI) is one of
    ``predicates`` (written ``<IRI>``); literals never span lines in N-Quads."""
    return b"".join([line for line in data.splitlines(keepends=True)
                     if line.split(b" ", 2)[1] in predicates])


@cache
def counted_predicates() -> frozenset[bytes] | None:
    """Every predicate the count forms match, as N-Quads terms; None when some form may match
    any predicate (a variable or a negated property set in predicate position) or any node (a
    zero-length path: ``*`` or ``?``).

    Why: a letter has ~250 quads, of which the forms read ~100; a query whose patterns all
    name their predicates gives the same rows over only the quads with those predicates, and
    the smaller store is cheaper to load and to query.  Read from the forms' algebra (rdflib's
    parser, ~0.5 s once per process), so a new form is covered without being listed.
    """
    found: set[str] = set()
    for form in stats_forms().values():
        try:
            algebra = prepareQuery(form.count_text.replace(LETTER_GRAPHS, "")).algebra
        except Exception:  # noqa: BLE001 - a form rdflib cannot read: count over every quad
            return None
        if not _pattern_predicates(algebra, found):
            return None
    return frozenset(f"<{p}>".encode() for p in found)


def _pattern_predicates(node: object, found: set[str]) -> bool:
    """Add the predicates of every triple pattern under ``node``; False if one is not fixed."""
    if isinstance(node, CompValue):
        if node.name == "BGP" and not all(_triple_predicates(t, found) for t in node["triples"]):
            return False
        if node.name == "TriplesBlock":  # left unparsed (EXISTS): plain IRIs only
            for triples in node["triples"]:
                if len(triples) % 3 or not all(isinstance(p, URIRef) for p in triples[1::3]):
                    return False
                found.update(str(p) for p in triples[1::3])
        return all(_pattern_predicates(v, found) for v in node.values())
    if isinstance(node, list | tuple):
        return all(_pattern_predicates(v, found) for v in node)
    if isinstance(node, dict):
        return all(_pattern_predicates(v, found) for v in node.values())
    return True


def _triple_predicates(triple: tuple[object, object, object], found: set[str]) -> bool:
    """A pattern ``s p* o`` (or ``p?``) with a fixed end matches that end at zero length
    whatever the quads (``?category skos:broader* tx:medication`` gives tx:medication): only
    its predicate matters, as for ``p+``.  With both ends variables it matches every node."""
    s, path, o = triple
    while isinstance(path, InvPath):
        path = path.arg
    if (isinstance(path, MulPath) and path.mod in (ZeroOrMore, ZeroOrOne)
            and not (isinstance(s, Variable) and isinstance(o, Variable))):
        return _path_predicates(path.path, found)
    return _path_predicates(path, found)


def _path_predicates(path: object, found: set[str]) -> bool:
    if isinstance(path, URIRef):
        found.add(str(path))
        return True
    if isinstance(path, MulPath):
        return path.mod == OneOrMore and _path_predicates(path.path, found)
    if isinstance(path, InvPath):
        return _path_predicates(path.arg, found)
    if isinstance(path, SequencePath | AlternativePath):
        return all(_path_predicates(a, found) for a in path.args)
    return False  # a variable, a negated property set


def _add(total: Contribution, key: tuple[str, tuple[str, ...], tuple[str, ...]],
         sums: Sequence[int], sign: int) -> None:
    current = total.setdefault(key, [0] * len(sums))
    for i, n in enumerate(sums):
        current[i] += sign * n


def _add_all(total: Contribution, contribution: Contribution, sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) a whole contribution into ``total``."""
    for key, sums in contribution.items():
        _add(total, key, sums, sign)


def _sums_json(sums: Sequence[int]) -> str:
    """A key's sums as stored: a JSON list of integers (as json.dumps writes it, faster)."""
    return "[" + ", ".join(map(str, sums)) + "]"


def to_jsonable(contribution: Contribution) -> list[list[Any]]:
    return [[name, list(params), list(key), sums]
            for (name, params, key), sums in sorted(contribution.items())]


def from_jsonable(rows: Iterable[Sequence[Any]]) -> Contribution:
    return {(name, tuple(params), tuple(key)): list(sums) for name, params, key, sums in rows}


# --------------------------------------------------------------------------- the sidecar


@dataclass
class LetterRecord:
    """What built a stored letter: its file's sha256, imrgraph's fingerprint, the build run;
    and its source document's name (dcterms:title), the order listings are paged in."""

    sha256: str
    fingerprint: str
    run: str
    title: str | None = None


_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def letter_titles(store: ox.Store, graphs: Iterable[str]) -> dict[str, str | None]:
    """The source document's name of each letter graph."""
    out: dict[str, str | None] = {}
    for g in graphs:
        out[g] = next((term_text(q.object) for q in store.quads_for_pattern(
            None, _TITLE, None, ox.NamedNode(g))), None)
    return out


class Statistics:
    """``DIR/statistics.sqlite``: summed contributions, per-letter records, applied batches."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, directory: Path, *, read_only: bool = False) -> Statistics | None:
        """The sidecar of the store in ``directory`` (None when read-only and absent)."""
        path = directory / STATS_FILE
        if read_only:
            if not path.exists():
                return None
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        else:
            db = sqlite3.connect(path)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            with db:
                db.executescript("""
                    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
                    CREATE TABLE IF NOT EXISTS letters (graph TEXT PRIMARY KEY, sha256 TEXT,
                        fingerprint TEXT, run TEXT, title TEXT);
                    CREATE TABLE IF NOT EXISTS sums (query TEXT, params TEXT, key TEXT,
                        sums TEXT, PRIMARY KEY (query, params, key));
                """)
                with contextlib.suppress(sqlite3.OperationalError):  # a sidecar without titles
                    db.execute("ALTER TABLE letters ADD COLUMN title TEXT")
                db.execute("CREATE INDEX IF NOT EXISTS letters_by_title ON letters (title, graph)")
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    # -- meta

    def get(self, name: str, default: str = "") -> str:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:
            return default
        return row[0] if row else default

    def set(self, name: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    @property
    def applied_batch(self) -> int:
        return int(self.get("batch", "0"))

    def current(self) -> bool:
        """True when the sums may answer queries: complete, and counted by today's forms."""
        return self.get("valid") == forms_digest()

    def counted_predicates(self) -> frozenset[bytes] | None:
        """:func:`counted_predicates`, remembered beside the sums for today's forms: reading
        them from the forms costs ~0.5 s, paid once per store instead of once per build."""
        stored = self.get("counted-predicates")
        if stored:
            record = json.loads(stored)
            if record.get("forms") == forms_digest():
                found = record["predicates"]
                return None if found is None else frozenset(p.encode() for p in found)
        predicates = counted_predicates()
        self.set("counted-predicates", json.dumps({
            "forms": forms_digest(),
            "predicates": None if predicates is None else sorted(p.decode() for p in predicates)}))
        return predicates

    def invalidate(self) -> None:
        self.set("valid", "")

    # -- letters

    def letters(self) -> dict[str, LetterRecord]:
        return {g: LetterRecord(sha, fp, run, title) for g, sha, fp, run, title in
                self.db.execute("SELECT graph, sha256, fingerprint, run, title FROM letters")}

    def record_letters(self, letters: Mapping[str, LetterRecord]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO letters VALUES (?, ?, ?, ?, ?)",
                                [_row(g, r) for g, r in letters.items()])

    def graphs_by_title(self) -> Iterator[tuple[str, str | None]]:
        """(graph, source document name) of every letter, in the name's code point order."""
        yield from self.db.execute("SELECT graph, title FROM letters ORDER BY title, graph")

    def mark_all_stale(self) -> None:
        """Every letter was built by another imrgraph or vocabulary (rebuild them)."""
        with self.db:
            self.db.execute("UPDATE letters SET fingerprint = ''")

    # -- sums

    def apply(self, batch: int, *, add: Contribution, subtract: Contribution,
              letters: Mapping[str, LetterRecord], removed: Iterable[str]) -> bool:
        """Apply one journal batch in one transaction, unless it was applied already."""
        if batch and batch <= self.applied_batch:
            return False
        delta: Contribution = add
        if subtract:
            delta = {}
            _add_all(delta, add, 1)
            _add_all(delta, subtract, -1)
        changed = [((name, _json(params), _json(group)), sums)
                   for (name, params, group), sums in delta.items() if any(sums)]
        with self.db:
            # The changed keys' current sums in one query (one SELECT per key cost more).
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS changed (query TEXT, params TEXT, "
                            "key TEXT)")
            self.db.execute("DELETE FROM changed")
            self.db.executemany("INSERT INTO changed VALUES (?, ?, ?)", [w for w, _ in changed])
            current = {(q, p, k): v for q, p, k, v in self.db.execute(
                "SELECT s.query, s.params, s.key, s.sums FROM changed c JOIN sums s "
                "ON s.query = c.query AND s.params = c.params AND s.key = c.key")}
            upserts: list[tuple[str, str, str, str]] = []
            deletes: list[tuple[str, str, str]] = []
            for where, sums in changed:
                before = current.get(where)
                total = sums if before is None else [
                    a + b for a, b in zip(json.loads(before), sums, strict=True)]
                if any(total):
                    upserts.append((*where, _sums_json(total)))
                else:
                    deletes.append(where)
            self.db.execute("DELETE FROM changed")
            self.db.executemany("INSERT OR REPLACE INTO sums VALUES (?, ?, ?, ?)", upserts)
            self.db.executemany("DELETE FROM sums WHERE query = ? AND params = ? AND key = ?",
                                deletes)
            self.db.executemany("DELETE FROM letters WHERE graph = ?", [(g,) for g in removed])
            self.db.executemany("INSERT OR REPLACE INTO letters VALUES (?, ?, ?, ?, ?)",
                                [_row(g, r) for g, r in letters.items()])
            if batch:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('batch', ?)", (str(batch),))
        return True

    def recount(self, store: ox.Store, graphs: Sequence[str]) -> None:
        """Recompute every sum from the letter ``graphs`` of the store (after a vocabulary
        change, or for an old store), a chunk of letters at a time: memory stays flat."""
        total: Contribution = {}
        for start in range(0, len(graphs), RECOUNT_CHUNK):
            _add_all(total, contributions(store, graphs[start:start + RECOUNT_CHUNK]), 1)
        titles = letter_titles(store, graphs)
        with self.db:
            self.db.executemany("UPDATE letters SET title = ? WHERE graph = ?",
                                [(title, g) for g, title in titles.items()])
            self._replace_sums(total)

    def mark_empty(self) -> None:
        """Exact statistics of a store without letters: no sums.  Why: a new store's batches
        then add their own counts as they load, instead of a recount after the last one."""
        with self.db:
            self._replace_sums({})

    def _replace_sums(self, total: Contribution) -> None:
        """Every sum replaced by ``total``, and the statistics marked exact (in a transaction)."""
        self.db.execute("DELETE FROM sums")
        self.db.executemany("INSERT INTO sums VALUES (?, ?, ?, ?)", [
            (name, _json(params), _json(key), _sums_json(sums))
            for (name, params, key), sums in total.items() if any(sums)])
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('valid', ?)", (forms_digest(),))

    def rows(self, name: str, params: tuple[str, ...]) -> list[tuple[list[str], list[int]]]:
        """The summed rows (key terms, sums) of one query for one set of parameter values."""
        return [(json.loads(key), json.loads(sums)) for key, sums in self.db.execute(
            "SELECT key, sums FROM sums WHERE query = ? AND params = ? ORDER BY key",
            (name, _json(params)))]


@lru_cache(maxsize=1 << 16)
def _json(terms: tuple[str, ...]) -> str:
    """Parameter values or key terms as stored (a JSON list); the same ones recur in batches."""
    return json.dumps(terms)


def _row(graph: str, r: LetterRecord) -> tuple[str, str, str, str, str | None]:
    return (graph, r.sha256, r.fingerprint, r.run, r.title)


def finishing_text(form: StatsForm, rows: Sequence[tuple[list[str], list[int]]]) -> str:
    """The finishing form with the summed rows in place of STATISTICS."""
    variables = " ".join(f"?{v}" for v in (*form.keys, *form.sums))
    data = " ".join("(" + " ".join([*key, *map(str, sums)]) + ")" for key, sums in rows)
    return form.finish_text.replace(STATISTICS, f"VALUES ({variables}) {{ {data} }}")
