"""``query`` and ``queries``: run a named query on a graph file, a store or an endpoint."""

from __future__ import annotations

from typing import Any

import click

from imrgraph.cli.common import (
    ApiChoice,
    ApiValue,
    endpoint_options,
    parse_params,
    pop_endpoint_options,
    remote_endpoint,
    store_for_reading,
    store_option,
)
from imrgraph.errors import UsageError


@click.command()
@click.argument("name")
@click.option("--graph", "graph_path", required=False, help="Graph file to query.")
@store_option("Query a store built with `build --store` (the union of its letter graphs).")
@endpoint_options
@click.option("--param", "params", multiple=True, help="key=value, repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--engine", type=ApiChoice("GRAPH_ENGINES"),
              default=ApiValue("DEFAULT_GRAPH_ENGINE"),
              show_default=True,
              help="SPARQL engine for --graph: an in-memory Oxigraph copy, or rdflib's own "
                   "(slow on large graphs).")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="At most this many rows (a page of a long listing).")
@click.option("--offset", type=click.IntRange(min=0), default=0,
              help="Skip this many rows first (with --limit: the next page).")
def query(name: str, graph_path: str | None, store: str | None, params: tuple[str, ...],
          fmt: str, engine: str, limit: int | None, offset: int, **endpoint: Any) -> None:
    """Run a named query (see `imrgraph queries`) or a .rq file against a graph.

    The graph is a file (--graph), a store (--store, or $IMRGRAPH_STORE / ./imrgraph-store when
    nothing else is given) or a remote SPARQL endpoint (--endpoint).
    """
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    opts = pop_endpoint_options(endpoint)
    named = api.load_query(name).sliced(limit, offset)
    values = parse_params(params)
    given = [o for o, v in (("--graph", graph_path), ("--store", store),
                            ("--endpoint", opts["endpoint"])) if v is not None]
    if len(given) > 1:
        raise UsageError(f"give one of {', '.join(given)}, not several")
    source: Any
    if opts["endpoint"] is not None:
        source = remote_endpoint(opts)
    elif graph_path is not None:
        source = api.load_graph(graph_path)
    else:
        source = store_for_reading(store)
        if source is None:
            raise UsageError("give the graph to query with --graph FILE, --store DIR or "
                             "--endpoint URL")
    result = api.run_query(named, source, values, engine)
    click.echo(api.format_result(result, fmt), nl=False)


@click.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters and columns."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    for q in api.named_queries().values():
        click.echo(f"{q.name}: {q.purpose}")
        for p in q.parameters.values():
            click.echo(f"    --param {p.name}=... (default {p.default}) {p.doc}")
        click.echo(f"    columns: {', '.join(q.columns)}")
