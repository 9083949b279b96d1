"""One way to run a query: :func:`run` on a graph, a store or an endpoint.

``run`` turns the query (a NamedQuery, a bundled query's name, a ``.rq`` path or SPARQL text)
into bound text once (:func:`imrgraph.sparql.named.bind_parameters`), then hands it to the
backend for the source: rdflib's engine or an in-memory Oxigraph copy for an rdflib graph,
the store's Oxigraph database, or a SPARQL 1.1 endpoint.  Every backend returns the same
plain values (``imrgraph.store.oxi.python_value``), so a query gives the same rows anywhere.

On a store whose statistics are current (``imrgraph.store.stats``), a bundled aggregate query
with a statistics form is answered from the sums instead, with the same rows; anywhere else
(graph files, endpoints, stale or absent statistics, a user's own query file) the query runs.
A page (``limit``) of a listing marked ``# pages: by document`` is computed from the store's
first letters in document order (:func:`page_by_letters`), not from the whole listing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from imrgraph.errors import UsageError
from imrgraph.mapping import SHARED_GRAPH
from imrgraph.remote import RemoteEndpoint
from imrgraph.sparql.named import NamedQuery, as_query, bind_parameters
from imrgraph.sparql.results import QueryResult
from imrgraph.store.letterstore import PENDING_FILE, LetterStore
from imrgraph.store.oxi import memory_store, oxigraph_value, python_value
from imrgraph.store.stats import bundled_query_path, finishing_text, stats_forms

#: Engines for in-memory graphs: "oxigraph" copies the graph into an in-memory pyoxigraph
#: store and runs the query there (the store's engine, fast at any size); "rdflib" runs
#: rdflib's own SPARQL engine, which joins sub-selects row by row and so slows down
#: quadratically on the named queries' whole-corpus aggregates.
GRAPH_ENGINES = ("oxigraph", "rdflib")
DEFAULT_GRAPH_ENGINE = "oxigraph"

#: What a query runs on: an rdflib graph, a store (open, or its folder), a pyoxigraph store,
#: or an endpoint (a RemoteEndpoint or an http(s) URL).
Source = Graph | LetterStore | ox.Store | RemoteEndpoint | str | Path

#: Runs a query by name with parameters on one source (see :func:`runner`).
Runner = Callable[[str, Mapping[str, str]], QueryResult]


def run(query: NamedQuery | str, source: Source, params: Mapping[str, str] | None = None, *,
        engine: str | None = None, limit: int | None = None,
        offset: int | None = None, statistics: bool = True) -> QueryResult:
    """Run ``query`` on ``source`` with ``params`` bound; ``engine`` chooses how an rdflib
    graph is queried (``GRAPH_ENGINES``); ``limit``/``offset`` return one page of rows;
    ``statistics=False`` runs the query in full even where a store's statistics could answer
    it or a page could come from its first letters."""
    given = as_query(query)
    if given.whole_text is not None:  # a page sliced by the caller
        if limit is not None or offset:
            given.sliced(limit, offset)  # raises: the query has its own LIMIT
        limit, offset = given.limit, given.offset
    whole = given.unsliced()
    named = whole.sliced(limit, offset)
    text = bind_parameters(named, params)
    if statistics and isinstance(source, str | Path) and not str(source).startswith(
            ("http://", "https://")):
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
    if isinstance(source, Graph):
        if _engine(engine) == "rdflib":
            return on_rdflib(source, text)
        return on_oxigraph(memory_store(source), text, named.name)
    if isinstance(source, LetterStore):
        return on_oxigraph(source.ox, text, named.name)
    if isinstance(source, ox.Store):
        return on_oxigraph(source, text, named.name)
    if isinstance(source, RemoteEndpoint):
        return on_endpoint(source, text)
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return on_endpoint(RemoteEndpoint.from_url(source), text)
    if isinstance(source, str | Path):
        with LetterStore.open(source, read_only=True) as store:
            return on_oxigraph(store.ox, text, named.name)
    raise UsageError(f"cannot run a query on {type(source).__name__}")


def runner(source: Source, engine: str | None = None) -> Runner:
    """``run`` bound to one source, for code that runs many queries (pictures, statistics):
    an rdflib graph is copied into Oxigraph once for all of them, not once per query."""
    if isinstance(source, Graph) and _engine(engine) == "oxigraph":
        source = memory_store(source)

    def run_one(name: str, params: Mapping[str, str]) -> QueryResult:
        return run(name, source, params, engine=engine)

    return run_one


def _engine(engine: str | None) -> str:
    engine = engine or DEFAULT_GRAPH_ENGINE
    if engine not in GRAPH_ENGINES:
        raise UsageError(f"unknown query engine {engine!r} ({', '.join(GRAPH_ENGINES)})")
    return engine


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
    values = tuple(params[name] if name in params else named.parameters[name].default
                   for name in form.params)
    if any(v not in allowed for v, allowed in zip(values, form.params.values(), strict=True)):
        return None
    try:
        if not stats.current() or (store.directory / PENDING_FILE).exists():
            return None
        rows = stats.rows(named.name, values)
    except sqlite3.Error:
        return None
    return on_oxigraph(store.ox, finishing_text(form, rows), named.name)


#: Letters in the first slice of a paged listing; each further slice is twice as large.
FIRST_SLICE = 64


def page_by_letters(store: LetterStore, named: NamedQuery, text: str, rows: int
                    ) -> QueryResult | None:
    """The first ``rows`` rows of a listing ordered by letter first (``# pages: by document``),
    from the first letters alone: the bound query ``text`` runs over growing slices of the
    letters, taken in the order of their source documents' names (a name shared by several
    letters never straddles two slices), until the slices gave ``rows`` rows; a slice is the
    default graph of the query (its letter graphs and the shared graph), so nothing is copied.
    None when the store's letter records are not current.  (Oxigraph evaluates property paths
    over such a default graph slowly: listings that walk the vocabulary, such as cases-citing
    and reasons, are not marked for paging.)"""
    stats = store.stats
    if stats is None or store.directory is None:
        return None
    try:
        if not stats.current() or (store.directory / PENDING_FILE).exists():
            return None
        letters = list(stats.graphs_by_title())
    except sqlite3.Error:
        return None
    shared = ox.NamedNode(str(SHARED_GRAPH))
    columns: list[str] = []
    out: list[list[object]] = []
    start, size = 0, FIRST_SLICE
    while True:
        end = min(start + size, len(letters))
        while 0 < end < len(letters) and letters[end][1] == letters[end - 1][1]:
            end += 1
        graphs = [ox.NamedNode(g) for g, _ in letters[start:end]]
        result = store.ox.query(text, default_graph=[*graphs, shared])
        if not isinstance(result, ox.QuerySolutions):
            return None
        columns = [v.value for v in result.variables]
        out.extend([oxigraph_value(solution[c]) for c in columns] for solution in result)
        if len(out) >= rows or end >= len(letters):
            return QueryResult(columns=columns, rows=out)
        start, size = end, size * 2


def on_rdflib(graph: Graph, text: str) -> QueryResult:
    """Bound query text on rdflib's own SPARQL engine."""
    result = graph.query(text)
    columns = [str(v) for v in (result.vars or [])]
    rows = [[python_value(row[i]) for i in range(len(columns))] for row in result]
    return QueryResult(columns=columns, rows=rows)


def on_oxigraph(store: ox.Store, text: str, name: str = "query") -> QueryResult:
    """Bound query text on a pyoxigraph store, over the union of its graphs."""
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise UsageError(f"query {name}: {exc}") from None
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(columns=["ask"], rows=[[bool(result)]])
    if not isinstance(result, ox.QuerySolutions):
        raise UsageError(f"query {name}: only SELECT and ASK queries give rows")
    columns = [v.value for v in result.variables]
    rows = [[oxigraph_value(solution[c]) for c in columns] for solution in result]
    return QueryResult(columns=columns, rows=rows)


def on_endpoint(endpoint: RemoteEndpoint, text: str) -> QueryResult:
    """Bound query text on a SPARQL 1.1 endpoint; rows normalised exactly as the local ones."""
    columns, rows = endpoint.select(text)
    return QueryResult(columns=columns, rows=[[python_value(t) for t in row] for row in rows])
