"""The ``imrgraph`` command: a thin layer over :mod:`imrgraph.api`.

Exit codes: 0 everything built and valid; 1 some input rejected or SHACL violations; 2 usage
error (bad option, unknown query, unreadable graph file).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from imrgraph import __version__, api
from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.params import empty_result_hint
from imrgraph.query import (
    DEFAULT_GRAPH_ENGINE,
    GRAPH_ENGINES,
    format_result,
    load_query,
    named_queries,
)
from imrgraph.records import to_jsonable
from imrgraph.validate import ValidationReport

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"imrgraph: error: {exc}", err=True)
            ctx.exit(2)
        except ImrgraphError as exc:
            click.echo(f"imrgraph: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="imrgraph")
def main() -> None:
    """California IMR final determinations -> validated RDF knowledge graph."""


def _parse_params(params: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for p in params:
        if "=" not in p:
            raise UsageError(f"--param takes key=value, got {p!r}")
        key, value = p.split("=", 1)
        values[key.strip()] = value
    return values


def _print_validation(report: ValidationReport, limit: int = 50) -> None:
    violations, warnings = report.violations, report.warnings
    click.echo(f"SHACL: {'conforms' if report.conforms else 'does NOT conform'} "
               f"({len(violations)} violation(s), {len(warnings)} warning(s))", err=True)
    for result in (violations + warnings)[:limit]:
        click.echo(f"  {result.severity}: {result.focus_node}", err=True)
        if result.path:
            click.echo(f"    path: {result.path}", err=True)
        click.echo(f"    {result.message} [{result.constraint}]"
                   + (f" value: {result.value}" if result.value else ""), err=True)
    if len(violations) + len(warnings) > limit:
        click.echo(f"  ... {len(violations) + len(warnings) - limit} more", err=True)


def store_option(help_text: str) -> Callable[[F], F]:
    """``--store [DIR]``: a value is optional (then $IMRGRAPH_STORE, else ./imrgraph-store)."""
    return click.option("--store", "store", is_flag=False, flag_value="", default=None,
                        metavar="[DIR]", help=help_text + " DIR defaults to $IMRGRAPH_STORE, "
                        "else ./imrgraph-store.")


def endpoint_options(func: F) -> F:
    """Options naming a remote SPARQL 1.1 service and how to talk to it."""
    options = [
        click.option("--endpoint", default=None, metavar="URL",
                     help="SPARQL endpoint: a server root (Oxigraph layout /query /update "
                          "/store) or the query URL."),
        click.option("--update-endpoint", default=None, metavar="URL",
                     help="SPARQL Update URL (default: derived from --endpoint)."),
        click.option("--graph-store", default=None, metavar="URL",
                     help="Graph Store Protocol URL (default: derived from --endpoint)."),
        click.option("--connect-timeout", type=float, default=10.0, show_default=True,
                     help="Seconds to wait for a connection."),
        click.option("--read-timeout", type=float, default=300.0, show_default=True,
                     help="Seconds to wait for data on an open connection."),
        click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True,
                     help="Retries (exponential backoff) on 5xx and connection errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def remote_endpoint(opts: dict[str, Any], **kwargs: Any) -> Any:
    """A RemoteEndpoint from :func:`endpoint_options` values (auth comes from the environment)."""
    from imrgraph.remote import HttpSettings, RemoteEndpoint

    settings = HttpSettings(connect_timeout=opts["connect_timeout"],
                            read_timeout=opts["read_timeout"], retries=opts["retries"])
    return RemoteEndpoint.from_url(opts["endpoint"], update=opts["update_endpoint"],
                                   graph_store=opts["graph_store"], settings=settings, **kwargs)


def _pop_endpoint_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in ("endpoint", "update_endpoint", "graph_store",
                                       "connect_timeout", "read_timeout", "retries")}


def store_for_reading(store: str | None) -> Path | None:
    """The store a read command uses: --store, else $IMRGRAPH_STORE or ./imrgraph-store if set
    up, else None."""
    from imrgraph.store import ENV_STORE, default_store_dir, is_store, resolve_store_dir

    if store is not None:
        return resolve_store_dir(store)
    if os.environ.get(ENV_STORE) or is_store(default_store_dir()):
        return default_store_dir()
    return None


class _Progress:
    """Advance a click progress bar and show the rate (letters/s) beside the ETA."""

    def __init__(self, bar: Any, enabled: bool) -> None:
        self.bar, self.enabled = bar, enabled
        self.started, self.done = time.monotonic(), 0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.enabled:
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.bar.update(n, f"{rate:,.0f} letters/s")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", default=None,
              help="Graph file to write (format from suffix: .ttl .nt .jsonld .trig .nq) "
                   "[default: graph.ttl; with --store: none, else the store is exported too].")
@click.option("--report", "report_path", default=None,
              help="Ingest report JSON (default: beside the graph, GRAPH.report.json; "
                   "with --store, DIR/last-build.report.json).")
@click.option("--no-vocabulary", is_flag=True, help="Leave the ontology and SKOS vocabularies out.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary line.")
@store_option("Build into a persistent store (one named graph per letter); unchanged files are "
              "skipped, changed letters replaced.  $IMRGRAPH_STORE alone also selects it "
              "when -o is not given.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes for --store builds (0 = every core).")
@click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True,
              help="Letters per bulk load into the store (bounds memory).")
@click.option("--force", is_flag=True, help="Re-parse every input even if stored unchanged.")
def build(paths: tuple[str, ...], output: str | None, report_path: str | None,
          no_vocabulary: bool, no_validate: bool, quiet: bool, store: str | None, jobs: int,
          batch_size: int, force: bool) -> None:
    """Parse letters (files, folders, globs; .txt and .pdf) into one validated graph."""
    from imrgraph.store import ENV_STORE, resolve_store_dir

    if store is None and output is None and os.environ.get(ENV_STORE):
        store = os.environ[ENV_STORE]
    if store is not None:
        _build_store(paths, resolve_store_dir(store), output=output, report_path=report_path,
                     no_vocabulary=no_vocabulary, no_validate=no_validate, quiet=quiet,
                     jobs=jobs, batch_size=batch_size, force=force)
        return
    output = output or "graph.ttl"
    suffix = Path(output).suffix.lower()
    fmt = {".ttl": "ttl", ".nt": "nt", ".jsonld": "jsonld", ".json": "jsonld", ".trig": "trig",
           ".nq": "nq"}.get(suffix)
    if fmt is None:
        raise UsageError(f"{output}: unknown output type (.ttl, .nt, .jsonld, .trig, .nq)")
    total = len(api.iter_inputs(paths))
    show_bar = not quiet and total > 1
    with click.progressbar(length=total, label="letters", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        def step(_path: str) -> None:
            if show_bar:
                bar.update(1)

        result = api.build(paths, include_vocabulary=not no_vocabulary,
                           validate=not no_validate, progress=step)
    report = result.report
    api.serialize(result.graph, output, fmt)
    report_file = Path(report_path) if report_path else Path(output).with_suffix(".report.json")
    api.write_atomic(report_file, lambda tmp: tmp.write_text(report.to_json(), encoding="utf-8"))
    s = report.summary()
    _print_outcomes(report, quiet)
    if not no_validate and (not quiet or not result.validation.conforms):
        _print_validation(result.validation)
    click.echo(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings), {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['items']} item(s), {s['citations']} citation(s), "
        f"{len(result.graph)} triples -> {output} (report: {report_file})"
    )
    if report.rejected or not result.validation.conforms:
        sys.exit(1)


def _print_outcomes(report: api.IngestReport, quiet: bool) -> None:
    for entry in report.inputs:
        if entry.status == api.REJECTED:
            click.echo(f"rejected: {entry.path}: {entry.reason}", err=True)
        elif entry.status == api.DUPLICATE:
            click.echo(f"duplicate: {entry.path}: {entry.reason}", err=True)
        elif entry.status == api.BUILT_WITH_WARNINGS and not quiet:
            click.echo(f"warning: {entry.path}: " + "; ".join(entry.warnings), err=True)


def _build_store(paths: tuple[str, ...], directory: Path | None, *, output: str | None,
                 report_path: str | None, no_vocabulary: bool, no_validate: bool, quiet: bool,
                 jobs: int, batch_size: int, force: bool) -> None:
    """``build --store``: parallel, batched, incremental (see imrgraph.store)."""
    from imrgraph.store import REPORT_FILE, UNCHANGED, LetterStore, build_store

    assert directory is not None
    if no_vocabulary:
        raise UsageError("--no-vocabulary is for graph files: a store always holds the "
                         "vocabularies its queries roll up along")
    if output is not None and Path(output).suffix.lower().lstrip(".") not in (
            "ttl", "nt", "nq", "trig", "jsonld"):
        raise UsageError(f"{output}: unknown output type (.ttl, .nt, .jsonld, .trig, .nq)")
    total = len(api.iter_inputs(paths))
    with click.progressbar(length=total, label="letters", file=sys.stderr, show_pos=True,
                           show_eta=True, item_show_func=lambda x: x) as bar:
        result = build_store(paths, directory, jobs=jobs, batch_size=batch_size,
                             validate=not no_validate, force=force,
                             progress=_Progress(bar, not quiet and total > 1))
    report_file = directory / REPORT_FILE
    if report_path:
        text = result.to_json()
        api.write_atomic(report_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        report_file = Path(report_path)
    _print_outcomes(result.report, quiet)
    if result.stale and not quiet:
        click.echo(f"note: {len(result.stale)} stored letter(s) were built by another imrgraph "
                   "version or vocabulary and not among these inputs; rebuild them with "
                   "their files", err=True)
    if not no_validate and (not quiet or not result.validation.conforms):
        _print_validation(result.validation)
    s = result.summary()
    exported = ""
    if output is not None:
        fmt = Path(output).suffix.lower().lstrip(".")
        with LetterStore.open(directory, read_only=True) as store:
            store.export(output, fmt)
        exported = f", exported to {output}"
    rate = s["inputs"] / result.seconds if result.seconds else 0.0
    click.echo(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings, {s['replaced']} replaced), "
        f"{s[UNCHANGED]} unchanged, {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['letters_in_store']} letter(s), {s['quads']} quads "
        f"in store {directory}{exported} ({result.seconds:.1f} s, {rate:,.0f} inputs/s; "
        f"report: {report_file})"
    )
    if result.report.rejected or not result.validation.conforms:
        sys.exit(1)


@main.command()
@click.argument("graph", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@store_option("Validate the letters of a store (letter by letter, in parallel).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes for a store (0 = every core).")
def validate(graph: str | None, fmt: str, store: str | None, jobs: int) -> None:
    """SHACL-validate a graph file or a store; exit 1 on violations."""
    if graph is not None and store is not None:
        raise UsageError("give a graph file or --store, not both")
    directory = None if graph is not None else store_for_reading(store)
    if directory is not None:
        from imrgraph.store import LetterStore

        with LetterStore.open(directory, read_only=True) as letter_store:
            report = letter_store.validate(jobs=jobs)
        name = str(directory)
    elif graph is not None:
        report = api.validate_file(graph)
        name = graph
    else:
        raise UsageError("give the graph file to validate, or --store DIR")
    if fmt == "json":
        click.echo(json.dumps({"conforms": report.conforms,
                               "results": [vars(r) for r in report.results]}, indent=2))
    else:
        _print_validation(report, limit=10_000)
        if report.conforms:
            click.echo(f"{name}: conforms")
        else:
            click.echo(f"{name}: {len(report.violations)} violation(s)")
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("name")
@click.option("--graph", "graph_path", required=False, help="Graph file to query.")
@store_option("Query a store built with `build --store` (the union of its letter graphs).")
@endpoint_options
@click.option("--param", "params", multiple=True, help="key=value, repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--engine", type=click.Choice(GRAPH_ENGINES), default=DEFAULT_GRAPH_ENGINE,
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
    opts = _pop_endpoint_options(endpoint)
    named = load_query(name).sliced(limit, offset)
    values = _parse_params(params)
    given = [o for o, v in (("--graph", graph_path), ("--store", store),
                            ("--endpoint", opts["endpoint"])) if v is not None]
    if len(given) > 1:
        raise UsageError(f"give one of {', '.join(given)}, not several")
    if opts["endpoint"] is not None:
        result = remote_endpoint(opts).run_query(named, values)
    elif graph_path is not None:
        from imrgraph.query import run_on_graph

        result = run_on_graph(api.load_graph(graph_path), named, values, engine)
    else:
        directory = store_for_reading(store)
        if directory is None:
            raise UsageError("give the graph to query with --graph FILE, --store DIR or "
                             "--endpoint URL")
        from imrgraph.store import query_store

        result = query_store(directory, named, values)
    click.echo(format_result(result, fmt), nl=False)
    if not result.rows and (hint := empty_result_hint(named, values)):
        click.echo(hint, err=True)


@main.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters and columns."""
    for q in named_queries().values():
        click.echo(f"{q.name}: {q.purpose}")
        for p in q.parameters.values():
            click.echo(f"    --param {p.name}=... (default {p.default}) {p.doc}")
        click.echo(f"    columns: {', '.join(q.columns)}")


@main.command()
@click.argument("graph", required=False)
@click.option("--format", "fmt", type=click.Choice(sorted(api.EXPORT_FORMATS)), required=True,
              help="nq and trig keep a store's letter graphs; the others merge them.")
@click.option("-o", "--output", required=True)
@store_option("Export a store (pyoxigraph writes it: fast for large stores).")
def export(graph: str | None, fmt: str, output: str, store: str | None) -> None:
    """Write a graph file or a store in another RDF format."""
    if graph is not None and store is not None:
        raise UsageError("give a graph file or --store, not both")
    directory = None if graph is not None else store_for_reading(store)
    if directory is not None:
        from imrgraph.store import STORE_EXPORT_FORMATS, LetterStore

        with LetterStore.open(directory, read_only=True) as letter_store:
            count = letter_store.export(output, fmt)
        unit = "quads" if STORE_EXPORT_FORMATS[fmt].supports_datasets else "triples"
        click.echo(f"{count} {unit} -> {output}")
        return
    if graph is None:
        raise UsageError("give the graph file to export, or --store DIR")
    g = api.load_graph(graph)
    api.export(g, output, fmt)
    click.echo(f"{len(g)} triples -> {output}")


@main.command()
@click.argument("letter")
@click.option("--format", "fmt", type=click.Choice(["json", "summary"]), default="json")
@click.option("--text", "show_text", is_flag=True, help="Print the normalised text spans refer to.")
def extract(letter: str, fmt: str, show_text: bool) -> None:
    """Parse one letter and print its record (for debugging and JSON users)."""
    from imrgraph.guideline_labels import shipped_display_labels
    from imrgraph.ingest import read_letter
    from imrgraph.parse import parse_letter

    text = read_letter(letter)
    if show_text:
        click.echo(text.text, nl=False)
        return
    det = parse_letter(text)
    if fmt == "json":
        click.echo(json.dumps(to_jsonable(det), indent=2, ensure_ascii=False))
        return
    click.echo(f"{det.source.name}: {det.key}, {len(det.items)} item(s)")
    for item in det.items:
        click.echo(f"  {item.number}. {item.label.value}: {item.outcome.value}")
        for st in item.statements:
            cites = "; ".join(shipped_display_labels().get(c.guideline, c.guideline_label)
                              for c in st.citations) or (
                "no medical evidence cited" if st.cited_no_evidence else "-")
            click.echo(f"     {st.party}: {cites}")
    for w in det.warnings:
        click.echo(f"  warning: {w}")


# Commands of the store/remote and analytics stages live in their own modules.
from imrgraph import commands_store, commands_viz  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
