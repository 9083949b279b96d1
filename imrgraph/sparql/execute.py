"""One way to run a query: :func:`run` on a graph, a store or an endpoint.

``run`` turns the query (a NamedQuery, a bundled query's name, a ``.rq`` path or SPARQL text)
into bound text once (:func:`imrgraph.sparql.named.bind_parameters`), then hands it to the
backend for the source: rdflib's engine or an in-memory Oxigraph copy for an rdflib graph,
the store's Oxigraph database, or a SPARQL 1.1 endpoint.  Every backend returns the same
plain values (``imrgraph.store.oxi.python_value``), so a query gives the same rows anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

from imrgraph.errors import UsageError
from imrgraph.remote import RemoteEndpoint
from imrgraph.sparql.named import NamedQuery, as_query, bind_parameters
from imrgraph.sparql.results import QueryResult
from imrgraph.store.letterstore import LetterStore
from imrgraph.store.oxi import memory_store, oxigraph_value, python_value

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
        offset: int | None = None) -> QueryResult:
    """Run ``query`` on ``source`` with ``params`` bound; ``engine`` chooses how an rdflib
    graph is queried (``GRAPH_ENGINES``); ``limit``/``offset`` return one page of rows."""
    named = as_query(query).sliced(limit, offset)
    text = bind_parameters(named, params)
    if isinstance(source, Graph):
        if _engine(engine) == "rdflib":
            return on_rdflib(source, text, named.name)
        return on_oxigraph(memory_store(source), text, named.name)
    if isinstance(source, LetterStore):
        return on_oxigraph(source.ox, text, named.name)
    if isinstance(source, ox.Store):
        return on_oxigraph(source, text, named.name)
    if isinstance(source, RemoteEndpoint):
        return on_endpoint(source, text, named.name)
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return on_endpoint(RemoteEndpoint.from_url(source), text, named.name)
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


def on_rdflib(graph: Graph, text: str, name: str = "query") -> QueryResult:
    """Bound query text on rdflib's own SPARQL engine (whose query() reads only)."""
    try:
        result = graph.query(text)
    except Exception as exc:  # noqa: BLE001 - pyparsing raises several types
        raise UsageError(_not_a_query(text, name, " ".join(str(exc).split()))) from None
    columns = [str(v) for v in (result.vars or [])]
    rows = [[python_value(row[i]) for i in range(len(columns))] for row in result]
    return QueryResult(columns=columns, rows=rows)


def on_oxigraph(store: ox.Store, text: str, name: str = "query") -> QueryResult:
    """Bound query text on a pyoxigraph store, over the union of its graphs."""
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:  # pyoxigraph's query() reads only: an update is refused here
        raise UsageError(_not_a_query(text, name, str(exc))) from None
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
