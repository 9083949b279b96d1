"""One way to run a query: :func:`run` on a graph, a graph file, a store or an endpoint.

``run`` turns the query (a NamedQuery, a bundled query's name, a ``.rq`` path or SPARQL text)
into bound text once (:func:`imrgraph.sparql.named.bind_parameters`), then hands it to the
backend for the source: rdflib's engine or an in-memory Oxigraph copy for an rdflib graph or
graph file, the store's Oxigraph database, or a SPARQL 1.1 endpoint.  Every backend returns the
same plain values (``imrgraph.store.oxi.python_value``), so a query gives the same rows anywhere.
SELECT and ASK give rows (:class:`QueryResult`); CONSTRUCT and DESCRIBE give triples
(:func:`construct`, :class:`RdfResult`).

On a store whose statistics are current (``imrgraph.store.stats``), a bundled aggregate query
with a statistics form is answered from the sums instead, with the same rows; anywhere else
(graph files, endpoints, stale or absent statistics, a user's own query file) the query runs.
A page (``limit``) of a listing marked ``# pages: by document`` is computed from the store's
first letters in document order (:func:`page_by_letters`), not from the whole listing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.query import ResultRow

from imrgraph.errors import UsageError
from imrgraph.mapping import SHARED_GRAPH
from imrgraph.outputs import RDF_FORMATS, load_graph
from imrgraph.remote import RemoteEndpoint
from imrgraph.sparql.named import (
    NamedQuery,
    as_query,
    bind_parameters,
    prologue_length,
    strip_comments,
)
from imrgraph.sparql.results import QueryResult, RdfResult
from imrgraph.store.letterstore import PENDING_FILE, LetterStore
from imrgraph.store.oxi import (
    memory_store,
    oxigraph_value,
    python_value,
    to_oxigraph,
    to_quads,
)
from imrgraph.store.stats import bundled_query_path, finishing_text, stats_forms

#: Engines for in-memory graphs: "oxigraph" copies the graph into an in-memory pyoxigraph
#: store and runs the query there (the store's engine, fast at any size); "rdflib" runs
#: rdflib's own SPARQL engine, which joins sub-selects row by row and so slows down
#: quadratically on the named queries' whole-corpus aggregates.
GRAPH_ENGINES = ("oxigraph", "rdflib")
DEFAULT_GRAPH_ENGINE = "oxigraph"

#: What a query runs on: an rdflib graph or dataset, a store (open, or its folder), a graph
#: file's path, a pyoxigraph store, or an endpoint (a RemoteEndpoint or an http(s) URL).
Source = Graph | LetterStore | ox.Store | RemoteEndpoint | str | Path

#: Runs a query by name with parameters on one source (see :func:`runner`).
Runner = Callable[[str, Mapping[str, str]], QueryResult]

#: Graph file types pyoxigraph parses itself (much faster than rdflib); others go via rdflib.
_OXIGRAPH_FILES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
                   ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
                   ".rdf": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML}

Backend = Graph | ox.Store | RemoteEndpoint


def run(query: NamedQuery | str, source: Source, params: Mapping[str, str] | None = None, *,
        engine: str | None = None, limit: int | None = None,
        offset: int | None = None, statistics: bool = True) -> QueryResult:
    """Run a SELECT or ASK ``query`` on ``source`` with ``params`` bound; ``engine`` chooses
    how an rdflib graph or graph file is queried (``GRAPH_ENGINES``); ``limit``/``offset``
    return one page of rows; ``statistics=False`` runs the query in full even where a store's
    statistics could answer it or a page could come from its first letters."""
    given = as_query(query)
    if given.whole_text is not None:  # a page sliced by the caller
        if limit is not None or offset:
            given.sliced(limit, offset)  # raises: the query has its own LIMIT
        limit, offset = given.limit, given.offset
    whole = given.unsliced()
    named = whole.sliced(limit, offset)
    if named.form in ("CONSTRUCT", "DESCRIBE"):
        raise UsageError(f"query {named.name} is a {named.form}: it answers triples, not rows "
                         "(use imrgraph.query or imrgraph.sparql.construct)")
    text = bind_parameters(named, params)
    if statistics and isinstance(source, str | Path) and Path(source).is_dir():
        with LetterStore.open(source, read_only=True) as store:
            return run(whole, store, params, engine=engine, limit=limit, offset=offset)
    if statistics and isinstance(source, LetterStore):
        start = offset or 0
        answer = from_statistics(source, whole, params or {})
        if answer is not None:
            end = None if limit is None else start + limit
            return QueryResult(answer.columns, answer.rows[start:end])
        if limit is not None and whole.pages_by_document:
            page = page_by_letters(source, whole, bind_parameters(whole, params), start + limit)
            if page is not None:
                return QueryResult(page.columns, page.rows[start:start + limit])
    with _backend(source, engine) as backend:
        if isinstance(backend, RemoteEndpoint):
            return on_endpoint(backend, text, named.name)
        if isinstance(backend, Graph):
            return on_rdflib(backend, text, named.name)
        return on_oxigraph(backend, text, named.name)


def construct(query: NamedQuery | str, source: Source, params: Mapping[str, str] | None = None,
              *, engine: str | None = None) -> RdfResult:
    """Run a CONSTRUCT or DESCRIBE ``query`` on ``source``: the triples it answers."""
    named = as_query(query)
    if named.form not in ("CONSTRUCT", "DESCRIBE"):
        raise UsageError(f"query {named.name} is a {named.form}: it answers rows (use run)")
    text = bind_parameters(named, params)
    with _backend(source, engine) as backend:
        if isinstance(backend, RemoteEndpoint):
            refuse_updates(text, named.name)  # checked before it is sent
            return RdfResult(backend.construct(text))
        if isinstance(backend, Graph):
            answer = _rdflib_query(backend, text, named.name).graph or Graph()
            return RdfResult([quad.triple for quad in to_quads(answer)])
        result = _oxigraph_query(backend, text, named.name)
        assert isinstance(result, ox.QueryTriples)
        return RdfResult(list(result))


def answer(query: NamedQuery | str, source: Source, params: Mapping[str, str] | None = None, *,
           engine: str | None = None, limit: int | None = None,
           offset: int | None = None) -> QueryResult | RdfResult:
    """Rows for SELECT/ASK, triples for CONSTRUCT/DESCRIBE: whatever the query form gives."""
    named = as_query(query)
    if named.form in ("CONSTRUCT", "DESCRIBE"):
        if limit is not None or offset:
            named = named.sliced(limit, offset)
        return construct(named, source, params, engine=engine)
    return run(named, source, params, engine=engine, limit=limit, offset=offset)


def runner(source: Source, engine: str | None = None) -> Runner:
    """``run`` bound to one source, for code that runs many queries (pictures, statistics):
    an rdflib graph is copied into Oxigraph once for all of them, not once per query."""
    if isinstance(source, Graph) and _engine(engine) == "oxigraph":
        source = _memory_copy(source)

    def run_one(name: str, params: Mapping[str, str]) -> QueryResult:
        return run(name, source, params, engine=engine)

    return run_one


def _engine(engine: str | None) -> str:
    engine = engine or DEFAULT_GRAPH_ENGINE
    if engine not in GRAPH_ENGINES:
        raise UsageError(f"unknown query engine {engine!r} ({', '.join(GRAPH_ENGINES)})",
                         "engine")
    return engine


@contextmanager
def _backend(source: Source, engine: str | None) -> Iterator[Backend]:
    """What answers queries for ``source``: an rdflib graph (the rdflib engine), a pyoxigraph
    store (in memory, or a built store's database, closed afterwards) or an endpoint."""
    if isinstance(source, Graph):
        if _engine(engine) == "rdflib":
            yield _union_view(source)
        else:
            yield _memory_copy(source)
    elif isinstance(source, LetterStore):
        yield source.ox
    elif isinstance(source, ox.Store | RemoteEndpoint):
        yield source
    elif isinstance(source, str) and source.startswith(("http://", "https://")):
        yield RemoteEndpoint.from_url(source)
    elif isinstance(source, str | Path) and Path(source).is_file():
        yield _graph_file(Path(source), _engine(engine))
    elif isinstance(source, str | Path):
        if Path(source).suffix.lower() in RDF_FORMATS:
            raise UsageError(f"{source}: no such graph file")
        with LetterStore.open(source, read_only=True) as store:
            yield store.ox
    else:
        raise UsageError(f"cannot run a query on {type(source).__name__}")


def _memory_copy(graph: Graph) -> ox.Store:
    """An in-memory Oxigraph copy; a Dataset's named graphs keep their names (queries see
    their union as the default graph, as on a store)."""
    if isinstance(graph, Dataset):
        store = ox.Store()
        store.bulk_extend(
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o),  # type: ignore[arg-type]
                    ox.DefaultGraph() if g == graph.default_graph.identifier
                    else to_oxigraph(g))  # type: ignore[arg-type]
            for s, p, o, g in graph.quads((None, None, None, None)))
        return store
    return memory_store(graph)


def _union_view(graph: Graph) -> Graph:
    """For rdflib's engine: a Dataset read as the union of its graphs, as Oxigraph reads it."""
    if isinstance(graph, Dataset) and not graph.default_union:
        union = Dataset(store=graph.store, default_union=True)
        return union
    return graph


def _graph_file(path: Path, engine: str) -> Graph | ox.Store:
    """A graph file ready to query: parsed by pyoxigraph when it can (fast), else by rdflib."""
    suffix = path.suffix.lower()
    if suffix not in RDF_FORMATS:
        raise UsageError(f"{path}: unknown RDF file type (use one of {', '.join(RDF_FORMATS)})")
    if engine == "rdflib" or suffix not in _OXIGRAPH_FILES:
        graph = load_graph(path)
        return graph if engine == "rdflib" else memory_store(graph)
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=_OXIGRAPH_FILES[suffix])
    except (SyntaxError, ValueError, OSError) as exc:
        raise UsageError(f"{path}: not readable as {suffix.lstrip('.')}: {exc}") from None
    return store


# --------------------------------------------------------------------------- backends


def from_statistics(store: LetterStore, named: NamedQuery, params: Mapping[str, str]
                    ) -> QueryResult | None:
    """The bundled aggregate query ``named`` answered from the store's statistics, or None
    when they cannot answer it exactly (no statistics form, not current, other parameter
    values, not the bundled query's text)."""
    form = stats_forms().get(named.name)
    stats = store.stats
    if form is None or stats is None or named.path is None or store.directory is None:
        return None
    bundled = bundled_query_path(named.name)
    if named.path.resolve() != bundled.resolve() or named.text != bundled.read_text("utf-8"):
        return None  # a user's query
    values = tuple(params[name] if name in params else named.parameters[name].default or ""
                   for name in form.params)
    if any(v not in allowed for v, allowed in zip(values, form.params.values(), strict=True)):
        return None
    try:
        if not stats.current() or (store.directory / PENDING_FILE).exists():
            return None
        rows = stats.rows(named.name, values)
    except sqlite3.Error:
        return None
    # Parameters the sums are not split by (page-citations' work, min_citations) are bound
    # into the finishing form, as into the named query.
    finishing = replace(named, text=finishing_text(form, rows))
    return on_oxigraph(store.ox, bind_parameters(finishing, params), named.name)


#: Letters in the first slice of a paged listing; each further slice is sized by the rows
#: the letters so far gave (:func:`next_slice`).
FIRST_SLICE = 64

#: How much faster than the one before a slice may grow: an estimate from a few letters of a
#: listing whose rows are rare can be far too large.
SLICE_GROWTH = 16


def page_by_letters(store: LetterStore, named: NamedQuery, text: str, rows: int
                    ) -> QueryResult | None:
    """The first ``rows`` rows of a listing ordered by letter first (``# pages: by document``),
    from the first letters alone: the bound query ``text`` runs over growing slices of the
    letters, taken in the order of their source documents' names (a name shared by several
    letters never straddles two slices), until the slices gave ``rows`` rows (each slice as
    large as the letters so far say the rows still wanted need); a slice is the
    default graph of the query (its letter graphs and the shared graph), so nothing is copied.
    None when the store's letter records are not current, or when the page needs the last
    slice (the rest of the store: the caller runs the whole query instead).  Oxigraph walks
    property paths and looks rows up one at a time slowly over such a default graph (minutes
    for a walk along skos:broader*), so the groups of the query marked ``# page: once`` (walks
    over the vocabulary, labels) are answered once over the whole store first
    (:func:`once_per_page`)."""
    stats = store.stats
    if stats is None or store.directory is None:
        return None
    try:
        if not stats.current() or (store.directory / PENDING_FILE).exists():
            return None
    except sqlite3.Error:
        return None
    sliceable = once_per_page(store.ox, text)
    if sliceable is None:
        return None
    # The letters are read from the sidecar as far as the slices need them, not all of them
    # (100,000 names cost a quarter of a second).
    try:
        return _page_slices(store.ox, sliceable, stats.graphs_by_title(), rows)
    except sqlite3.Error:
        return None


def _page_slices(store: ox.Store, sliceable: str, titles: Iterator[tuple[str, str | None]],
                 rows: int) -> QueryResult | None:
    """The slices of :func:`page_by_letters`, the letters read from ``titles`` as needed."""
    letters: list[tuple[str, str | None]] = []

    def read_to(n: int) -> None:
        if len(letters) < n:
            letters.extend(islice(titles, n - len(letters)))

    shared = ox.NamedNode(str(SHARED_GRAPH))
    columns: list[str] = []
    out: list[list[object]] = []
    start, size = 0, FIRST_SLICE
    while True:
        read_to(start + size + 1)  # one more, to see whether it shares the last one's name
        end = min(start + size, len(letters))
        while 0 < end < len(letters) and letters[end][1] == letters[end - 1][1]:
            end += 1
            read_to(end + 1)
        if start and end >= len(letters):
            # The rest of the store: the whole query over the union of the graphs is cheaper
            # than a slice of them all (a default graph of many graphs is scanned graph by graph).
            return None
        graphs = [ox.NamedNode(g) for g, _ in letters[start:end]]
        result = store.query(sliceable, default_graph=[*graphs, shared])
        if not isinstance(result, ox.QuerySolutions):
            return None
        columns = [v.value for v in result.variables]
        out.extend([oxigraph_value(solution[c]) for c in columns] for solution in result)
        if len(out) >= rows or end >= len(letters):
            return QueryResult(columns=columns, rows=out)
        start, size = end, next_slice(size, end, len(out), rows)


def next_slice(size: int, letters: int, found: int, rows: int) -> int:
    """Letters in the next slice of a page: enough, at the rate at which the first ``letters``
    gave ``found`` rows, for the ``rows`` wanted, with a tenth more (every slice is a query
    of its own, and cost grows with its letters: doubling read up to twice the letters needed),
    at most ``SLICE_GROWTH`` times the last ``size``; twice it while no letter gave a row."""
    if not found:
        return size * 2
    wanted = -(-(rows - found) * letters * 11 // (found * 10))  # ceiling
    return max(1, min(wanted, size * SLICE_GROWTH))


#: Marks the group that follows (``{ ... }`` or ``OPTIONAL { ... }``) as computed once for a
#: page of a listing, over the whole store, not once per slice of letters.
_ONCE = re.compile(r"(?m)^[ \t]*#\s*page:\s*once\b")


def once_per_page(store: ox.Store, text: str) -> str | None:
    """The bound query ``text`` with each group marked ``# page: once`` replaced by its
    solutions (a VALUES block), computed once over the whole store, as the full query sees
    them.  Mark only a group that is evaluated on its own whatever surrounds it (a sub-select,
    or patterns whose filters name none of the outer variables): then the rows stay exact.
    None when a solution holds a blank node, which VALUES cannot carry."""
    stripped = strip_comments(text)
    prologue = prologue_length(text)
    out, last = [], 0
    for marker in _ONCE.finditer(text):
        opening = stripped.find("{", marker.end())
        closing = _matching_brace(stripped, opening)
        if opening < 0 or closing < 0 or opening < last:
            return None
        inner = text[opening + 1:closing]
        if not stripped[opening + 1:closing].strip().upper().startswith("SELECT"):
            inner = f"SELECT * WHERE {{ {inner} }}"  # a group's patterns, not a sub-select
        result = store.query(text[:prologue] + "\n" + inner, use_default_graph_as_union=True)
        if not isinstance(result, ox.QuerySolutions):
            return None
        variables = [v.value for v in result.variables]
        rows = []
        for solution in result:
            terms = [solution[v] for v in variables]
            if any(isinstance(t, ox.BlankNode) for t in terms):
                return None
            rows.append("(" + " ".join("UNDEF" if t is None else str(t) for t in terms) + ")")
        values = ("VALUES (" + " ".join(f"?{v}" for v in variables) + ") {\n    "
                  + "\n    ".join(rows) + "\n  }")
        out += [text[last:opening + 1], " ", values, " "]
        last = closing
    return "".join(out) + text[last:]


def _matching_brace(stripped: str, opening: int) -> int:
    """The offset of the ``}`` closing the ``{`` at ``opening`` (-1 when unbalanced)."""
    depth = 0
    for i in range(max(opening, 0), len(stripped)):
        if stripped[i] == "{":
            depth += 1
        elif stripped[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def refuse_updates(text: str, name: str = "query") -> None:
    """Refuse anything but a read query (SELECT, ASK, CONSTRUCT, DESCRIBE) before it is sent.

    ``query`` must never change data, on any backend: an UPDATE (INSERT, DELETE, LOAD, CLEAR,
    CREATE, DROP, COPY, MOVE, ADD, WITH ...) is a usage error, and so is text that SPARQL's
    grammar does not read as a query (rdflib's parser decides, not keywords; a vendor's own
    syntax that it cannot read is refused rather than sent blind)."""
    try:
        parseQuery(text)
        return
    except Exception as exc:  # noqa: BLE001 - pyparsing raises several types
        problem = " ".join(str(exc).split())
    raise UsageError(_not_a_query(text, name, problem))


def _not_a_query(text: str, name: str, problem: str) -> str:
    try:
        parseUpdate(text)
    except Exception:  # noqa: BLE001 - neither a query nor an update: a syntax error
        return f"query {name}: not a SPARQL query: {problem}"
    return (f"query {name} is a SPARQL update, which would change data: `query` runs only "
            "SELECT, ASK, CONSTRUCT and DESCRIBE")


def _rdflib_query(graph: Graph, text: str, name: str) -> Any:
    """rdflib's engine (whose query() only reads); a syntax error or an update is one line."""
    try:
        return graph.query(text)
    except Exception as exc:  # noqa: BLE001 - pyparsing raises several types
        raise UsageError(_not_a_query(text, name, " ".join(str(exc).split()))) from None


def on_rdflib(graph: Graph, text: str, name: str = "query") -> QueryResult:
    """Bound query text on rdflib's own SPARQL engine."""
    result = _rdflib_query(graph, text, name)
    if result.type == "ASK":
        return QueryResult(columns=["ask"], rows=[[bool(result.askAnswer)]])
    columns = [str(v) for v in (result.vars or [])]
    rows = [[python_value(row[i]) for i in range(len(columns))]
            for row in result if isinstance(row, ResultRow)]  # a SELECT's rows are all rows
    return QueryResult(columns=columns, rows=rows)


def _oxigraph_query(store: ox.Store, text: str, name: str
                    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    try:
        return store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:  # pyoxigraph's query() reads only: an update is refused here
        raise UsageError(_not_a_query(text, name, str(exc))) from None


def on_oxigraph(store: ox.Store, text: str, name: str = "query") -> QueryResult:
    """Bound query text on a pyoxigraph store, over the union of its graphs."""
    result = _oxigraph_query(store, text, name)
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(columns=["ask"], rows=[[bool(result)]])
    if not isinstance(result, ox.QuerySolutions):
        raise UsageError(f"query {name}: only SELECT and ASK queries give rows")
    columns = [v.value for v in result.variables]
    rows = [[oxigraph_value(solution[c]) for c in columns] for solution in result]
    return QueryResult(columns=columns, rows=rows)


def on_endpoint(endpoint: RemoteEndpoint, text: str, name: str = "query") -> QueryResult:
    """Bound query text on a SPARQL 1.1 endpoint, checked to be a read query before it is
    sent (a server would run an update); rows normalised exactly as the local ones."""
    refuse_updates(text, name)
    columns, rows = endpoint.select(text)
    return QueryResult(columns=columns, rows=[[python_value(t) for t in row] for row in rows])
