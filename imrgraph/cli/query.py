"""``query``, ``queries`` and ``guidelines``: ask a graph file, a store or an endpoint."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from imrgraph.cli.common import (
    STDIO,
    ApiChoice,
    ApiValue,
    endpoint_options,
    input_file,
    note,
    one_source,
    parse_params,
    pop_endpoint_options,
    read_input,
    remote_endpoint,
    store_for_reading,
    store_option,
    write_output,
)
from imrgraph.errors import UsageError

ROW_FORMATS = ("table", "csv", "json")
RDF_FORMATS = ("ttl", "nt", "jsonld", "xml")


def complete_query_name(ctx: click.Context, param: click.Parameter, incomplete: str
                        ) -> list[CompletionItem]:
    """Shell completion: the named queries (with their purpose), then ``.rq`` files."""
    from imrgraph import api  # lazily: completion runs on every TAB

    if "/" in incomplete or incomplete.startswith("."):
        return [CompletionItem(incomplete, type="file")]
    return [CompletionItem(q.name, help=q.purpose.split(".")[0])
            for q in api.named_queries().values() if q.name.startswith(incomplete)]


def complete_param(ctx: click.Context, param: click.Parameter, incomplete: str
                   ) -> list[CompletionItem]:
    """Shell completion of ``--param``: the chosen query's parameter names as ``key=``."""
    from imrgraph import api  # lazily: completion runs on every TAB

    # While an option's value is completed, click may leave the query name unparsed in args.
    name = ctx.params.get("name") or next((a for a in ctx.args if not a.startswith("-")), None)
    if not name or name == STDIO:
        return []
    try:
        named = api.load_query(name)
    except UsageError:
        return []
    return [CompletionItem(f"{p.name}=", help=p.doc) for p in named.parameters.values()
            if f"{p.name}=".startswith(incomplete)]


@click.command()
@click.argument("name", required=False, shell_complete=complete_query_name)
@click.option("--sparql", "sparql_text", default=None, metavar="TEXT",
              help="SPARQL text to run (instead of NAME).")
@click.option("--graph", "graph_path", required=False,
              help="Graph file to query (- reads Turtle or N-Triples from standard input).")
@store_option("Query a store built with `build --store` (the union of its letter graphs).")
@endpoint_options
@click.option("--param", "params", multiple=True, shell_complete=complete_param,
              help="key=value, repeatable.")
@click.option("--format", "fmt", type=click.Choice(ROW_FORMATS + RDF_FORMATS), default=None,
              help="Rows: table (default), csv, json.  CONSTRUCT/DESCRIBE: ttl (default), nt, "
                   "jsonld, xml.")
@click.option("-o", "--output", default=STDIO, show_default=True,
              help="File to write the answer to (- is standard output).")
@click.option("--engine", type=ApiChoice("GRAPH_ENGINES"),
              default=ApiValue("DEFAULT_GRAPH_ENGINE"),
              show_default=True,
              help="SPARQL engine for --graph: an in-memory Oxigraph copy, or rdflib's own "
                   "(slow on large graphs).")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="At most this many rows (a page of a long listing).")
@click.option("--offset", type=click.IntRange(min=0), default=0,
              help="Skip this many rows first (with --limit: the next page).")
def query(name: str | None, sparql_text: str | None, graph_path: str | None,
          store: str | None, params: tuple[str, ...], fmt: str | None, output: str,
          engine: str, limit: int | None, offset: int, **endpoint: Any) -> None:
    """Run a named query (see `imrgraph queries`), a .rq file, SPARQL from standard input
    (NAME `-`) or inline (--sparql TEXT) against a graph.

    The graph is a file (--graph), a store (--store, or $IMRGRAPH_STORE / ./imrgraph-store when
    nothing else is given) or a remote SPARQL endpoint (--endpoint).  SELECT and ASK answer
    rows; CONSTRUCT and DESCRIBE answer RDF (Turtle unless --format says otherwise).
    """
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    opts = pop_endpoint_options(endpoint)
    if (name is None) == (sparql_text is None):
        raise UsageError("give a query NAME (or - to read SPARQL from standard input) "
                         "or --sparql TEXT")
    if name == STDIO:
        sparql_text = read_input(STDIO)
    named = (api.parse_query_text(sparql_text, name="query") if sparql_text is not None
             else api.load_query(name or ""))
    values = parse_params(params)
    one_source(**{"--graph": graph_path, "--store": store, "--endpoint": opts["endpoint"]})
    source: Any
    if opts["endpoint"] is not None:
        source = remote_endpoint(opts)
    elif graph_path is not None:
        if graph_path == STDIO and name == STDIO:
            raise UsageError("standard input holds either the query or the graph, not both")
        source = Path(graph_path)
        if graph_path != STDIO and not source.is_file():
            raise UsageError(f"{graph_path}: no such graph file")
    else:
        source = store_for_reading(store)
        if source is None:
            raise UsageError("give the graph to query with --graph FILE, --store DIR or "
                             "--endpoint URL")
    is_rdf = named.form in ("CONSTRUCT", "DESCRIBE")
    if fmt is not None and (fmt in RDF_FORMATS) != is_rdf:
        raise UsageError(f"--format {fmt} is for {'RDF' if fmt in RDF_FORMATS else 'rows'}; "
                         f"a {named.form} answers {'RDF' if is_rdf else 'rows'} "
                         f"({', '.join(RDF_FORMATS if is_rdf else ROW_FORMATS)})")
    with input_file(graph_path, ".ttl") if graph_path is not None else nullcontext() as path:
        result = api.answer(named, path or source, values, engine=engine, limit=limit,
                            offset=offset)
    if isinstance(result, api.RdfResult):
        write_output(output, result.serialize(fmt or "ttl"))
        note(f"{len(result)} triple(s)", level=1)
        return
    write_output(output, api.format_result(result, fmt or "table"))
    if not result.rows and (hint := api.empty_result_hint(named, values)):
        note(f"note: {hint}")


@click.command("queries")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def list_queries(fmt: str) -> None:
    """List the named queries with their parameters and columns."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    queries = list(api.named_queries().values())
    if fmt == "json":
        click.echo(json.dumps([
            {"name": q.name, "purpose": q.purpose, "form": q.form, "columns": q.columns,
             "parameters": [{"name": p.name, "kind": p.kind, "default": p.default,
                             "doc": p.doc} for p in q.parameters.values()]}
            for q in queries], indent=2, ensure_ascii=False))
        return
    for q in queries:
        click.echo(f"{q.name}: {q.purpose}")
        for p in q.parameters.values():
            click.echo(f"    --param {p.name}=... (default {p.default}) {p.doc}")
        click.echo(f"    columns: {', '.join(q.columns)}")


@click.command("guidelines")
@click.argument("text", required=False)
@click.option("--level", type=click.Choice(["work", "chapter", "topic"]), default=None,
              help="Only concepts at this level of the vocabulary.")
@click.option("--graph", "graph_path", default=None,
              help="Also count citations in this graph file.")
@store_option("Also count citations in a store.")
@click.option("--format", "fmt", type=click.Choice(ROW_FORMATS), default="table",
              show_default=True)
def guidelines(text: str | None, level: str | None, graph_path: str | None, store: str | None,
               fmt: str) -> None:
    """List the guideline vocabulary, or search it for TEXT (labels and alternative labels:
    exact, prefix, substring, then close spelling).  The names shown are what
    `query cases-citing --param guideline=...` accepts; with --graph or --store, the items and
    citations of each concept (narrower concepts included)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    if graph_path is not None and store is not None:
        raise UsageError("give --graph or --store, not both")
    names = api.search_guidelines(text, level)
    counts: dict[str, tuple[int, int]] | None = None
    directory = None if graph_path is not None or store is None else store_for_reading(store)
    if graph_path is not None or directory is not None:
        with api.open_runner(graph_path, directory) as run:
            counts = api.guideline_usage_counts(run)
    columns = ["guideline", "level", "work", "name", "alt_labels"]
    rows: list[list[Any]] = [[n.label, n.level, n.work, n.slug, "; ".join(n.alt_labels)]
                             for n in names]
    if counts is not None:
        columns += ["items", "citations"]
        for row, n in zip(rows, names, strict=True):
            row += list(counts.get(n.iri, (0, 0)))
    click.echo(api.format_result(api.QueryResult(columns, rows), fmt), nl=False)
    if not names and text:
        note(f"note: no guideline label contains {text!r}")
