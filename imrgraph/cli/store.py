"""Commands for the persistent store and remote SPARQL endpoints: ``push``, ``remove``,
``store-info`` and ``serve`` (``build/query/validate/export --store`` live with their graph-file
counterparts)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from imrgraph.cli.common import (
    ApiValue,
    endpoint_options,
    note,
    pop_endpoint_options,
    progress_bar,
    remote_endpoint,
    store_dir,
    store_option,
    verbosity_options,
)
from imrgraph.errors import UsageError


@click.command()
@click.argument("graph_file", required=False)
@store_option("Push the letters of a store.")
@endpoint_options
@click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True,
              help="Letter graphs per POSTed N-Quads batch.")
@click.option("--method", type=click.Choice(["auto", "post", "put"]), default="auto",
              show_default=True,
              help="post: N-Quads batches to the graph store; put: one PUT per letter graph; "
                   "auto: put for Virtuoso (no N-Quads over its graph store), else post.")
@click.option("--transactional", is_flag=True,
              help="Do not send Oxigraph's no_transaction parameter (slower bulk loads).")
@click.option("--force", is_flag=True, help="Send every letter even if the endpoint has it.")
@click.option("--prune", is_flag=True,
              help="Also drop letter graphs the endpoint holds but the source does not.")
@verbosity_options
def push(graph_file: str | None, store: str | None, batch_size: int, method: str,
         transactional: bool, force: bool, prune: bool, **endpoint: Any) -> None:
    """Load letters into a remote SPARQL 1.1 service, one named graph per letter.

    Resumable: graphs the endpoint already holds with the same source sha256 and size are
    skipped, so an interrupted push is finished by running it again.  Credentials come from
    IMRGRAPH_ENDPOINT_USER/IMRGRAPH_ENDPOINT_PASSWORD (basic, or digest when the server asks,
    as Virtuoso's /sparql-auth does) or IMRGRAPH_ENDPOINT_TOKEN (bearer).
    """
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    opts = pop_endpoint_options(endpoint)
    if opts["endpoint"] is None:
        raise UsageError("push needs --endpoint URL")
    if graph_file is not None and store is not None:
        raise UsageError("give a graph file or --store, not both")
    remote = remote_endpoint(opts, no_transaction=not transactional)
    if graph_file is not None:
        source = api.store_from_graph(api.load_graph(graph_file))
        name = graph_file
    else:
        directory = store_dir(store)
        source = api.open_store(directory)
        name = str(directory)
    with source, progress_bar(len(source.letters())) as bar:
        result = api.push(source, remote, batch_size=batch_size, force=force, method=method,
                          prune=prune, progress=bar)
    pruned = f", {len(result.pruned)} pruned" if prune else ""
    note(
        f"{name} -> {remote.endpoints.graph_store}: {len(result.added)} letter graph(s) added, "
        f"{len(result.replaced)} replaced, {result.unchanged} already there{pruned}; shared "
        f"graph {'sent' if result.shared_pushed else 'unchanged'} "
        f"({result.requests} request(s), {result.bytes_sent:,} bytes sent)", err=False)


@click.command()
@click.argument("keys", nargs=-1, required=True)
@store_option("The store to remove letters from.")
def remove(keys: tuple[str, ...], store: str | None) -> None:
    """Drop letters (by key: the case number, or the content hash of a letter without one)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    directory = store_dir(store)
    with api.open_store(directory, read_only=False) as letter_store:
        removed, missing = letter_store.remove(keys)
        left = len(letter_store.letters())
    for key in missing:
        click.echo(f"not in store: {key}", err=True)
    click.echo(f"removed {len(removed)} letter(s) from {directory}; {left} left")
    if missing:
        sys.exit(1)


@click.command("store-info")
@store_option("The store to describe.")
@click.option("--letters", "list_letters", is_flag=True, help="List the stored letters.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def store_info(store: str | None, list_letters: bool, fmt: str) -> None:
    """Summarise a store: letters, quads, the imrgraph that built it, the last build."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    directory = store_dir(store)
    with api.open_store(directory) as letter_store:
        letters = letter_store.letters()
        quads = len(letter_store)
        meta = letter_store.meta()
    report = directory / api.REPORT_FILE
    summary = (json.loads(report.read_text(encoding="utf-8")).get("summary", {})
               if report.exists() else None)
    ordered = sorted(letters.values(), key=lambda i: i.key)
    if fmt == "json":
        info: dict[str, Any] = {"store": str(directory), "letters": len(letters),
                                "quads": quads, "imrgraph": meta.get("imrgraph"),
                                "last_build": summary}
        if list_letters:
            info["letter_list"] = [{"key": i.key, "sha256": i.sha256} for i in ordered]
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    click.echo(f"store: {directory}")
    click.echo(f"letters: {len(letters)}; quads: {quads}; built by imrgraph "
               f"{meta.get('imrgraph', '?')}")
    if summary is not None:
        click.echo("last build: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    if list_letters:
        for info_row in ordered:
            click.echo(f"{info_row.key}\t{info_row.sha256}")


@click.command()
@store_option("The store to serve.")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (loopback by default: the endpoint has no auth).")
@click.option("--engine", type=click.Choice(["oxigraph", "python"]), default="oxigraph",
              show_default=True,
              help="oxigraph: the Oxigraph server's engine (SPARQL 1.1 protocol, content "
                   "negotiation, a query page at /); python: a minimal built-in engine.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              default=ApiValue("DEFAULT_SERVE_TIMEOUT"), show_default=True,
              help="Seconds a query may run before it is stopped.")
@click.option("--allow-service", is_flag=True,
              help="Allow SERVICE in queries (the server then fetches any URL a client names).")
def serve(store: str | None, port: int, host: str, engine: str, timeout: float,
          allow_service: bool) -> None:
    """Expose a store read-only as a SPARQL endpoint at http://HOST:PORT/query.

    Queries see the union of the letter graphs, run at most --timeout seconds, and may not use
    SERVICE unless --allow-service; results come as SPARQL JSON, XML, CSV or TSV as the Accept
    header asks.  A store rebuilt while served is answered from its earlier state: the server
    logs a warning and marks answers with the X-Imrgraph-Store-Changed header; restart it to
    serve the new state.
    """
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    directory = store_dir(store)
    api.open_store(directory, read_only=True).close()  # a clear error if it is no store
    if engine == "oxigraph" and api.oxigraph_server_command(directory, host, port) is None:
        raise UsageError("the Oxigraph server is not installed (it comes with imrgraph: "
                         "pip install oxigraph); --engine python serves a minimal endpoint "
                         "without the query page")
    api.check_port(host, port)
    page = f"; query page http://{host}:{port}/" if engine == "oxigraph" else ""

    def announce(_server: object) -> None:
        click.echo(f"SPARQL endpoint (read-only) for {directory}: http://{host}:{port}/query"
                   f"{page} (Ctrl-C stops it)", err=True)

    with contextlib.suppress(KeyboardInterrupt):
        api.serve(directory, host, port, engine=engine, timeout=timeout,
                  allow_service=allow_service, ready=announce)
