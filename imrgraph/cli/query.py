"""``query`` and ``queries``: run a named query on a graph file, a store or an endpoint."""

from __future__ import annotations

from typing import Any

import click

from imrgraph import api
from imrgraph.cli.common import (
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
@click.option("--engine", type=click.Choice(api.GRAPH_ENGINES), default=api.DEFAULT_GRAPH_ENGINE,
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
    if not result.rows and (hint := api.empty_result_hint(named, values)):
        click.echo(hint, err=True)


@click.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters and columns."""
    for q in api.named_queries().values():
        click.echo(f"{q.name}: {q.purpose}")
        for p in q.parameters.values():
            click.echo(f"    --param {p.name}=... (default {p.default}) {p.doc}")
        click.echo(f"    columns: {', '.join(q.columns)}")
