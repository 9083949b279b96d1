"""The ``imrgraph`` command: a thin layer over :mod:`imrgraph.api`.

Exit codes: 0 everything built and valid; 1 some input rejected or SHACL violations; 2 usage
error (bad option, unknown query, unreadable graph file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from imrgraph import __version__, api
from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.query import format_result, load_query, named_queries
from imrgraph.records import to_jsonable
from imrgraph.validate import ValidationReport


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


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", default="graph.ttl", show_default=True,
              help="Graph file to write (format from suffix: .ttl .nt .jsonld .trig).")
@click.option("--report", "report_path", default=None,
              help="Ingest report JSON (default: beside the graph, GRAPH.report.json).")
@click.option("--no-vocabulary", is_flag=True, help="Leave the ontology and SKOS vocabularies out.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary line.")
def build(paths: tuple[str, ...], output: str, report_path: str | None, no_vocabulary: bool,
          no_validate: bool, quiet: bool) -> None:
    """Parse letters (files, folders, globs; .txt and .pdf) into one validated graph."""
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
    for entry in report.inputs:
        if entry.status == api.REJECTED:
            click.echo(f"rejected: {entry.path}: {entry.reason}", err=True)
        elif entry.status == api.DUPLICATE:
            click.echo(f"duplicate: {entry.path}: {entry.reason}", err=True)
        elif entry.status == api.BUILT_WITH_WARNINGS and not quiet:
            click.echo(f"warning: {entry.path}: " + "; ".join(entry.warnings), err=True)
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


@main.command()
@click.argument("graph")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def validate(graph: str, fmt: str) -> None:
    """SHACL-validate a graph file; exit 1 on violations."""
    report = api.validate_file(graph)
    if fmt == "json":
        click.echo(json.dumps({"conforms": report.conforms,
                               "results": [vars(r) for r in report.results]}, indent=2))
    else:
        _print_validation(report, limit=10_000)
        if report.conforms:
            click.echo(f"{graph}: conforms")
        else:
            click.echo(f"{graph}: {len(report.violations)} violation(s)")
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("name")
@click.option("--graph", "graph_path", required=False, help="Graph file to query.")
@click.option("--param", "params", multiple=True, help="key=value, repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def query(name: str, graph_path: str | None, params: tuple[str, ...], fmt: str) -> None:
    """Run a named query (see `imrgraph queries`) or a .rq file against a graph."""
    named = load_query(name)
    if graph_path is None:
        raise UsageError("give the graph to query with --graph FILE")
    graph = api.load_graph(graph_path)
    from imrgraph.query import run_on_graph

    result = run_on_graph(graph, named, _parse_params(params))
    click.echo(format_result(result, fmt), nl=False)


@main.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters and columns."""
    for q in named_queries().values():
        click.echo(f"{q.name}: {q.purpose}")
        for p in q.parameters.values():
            click.echo(f"    --param {p.name}=... (default {p.default}) {p.doc}")
        click.echo(f"    columns: {', '.join(q.columns)}")


@main.command()
@click.argument("graph")
@click.option("--format", "fmt", type=click.Choice(sorted(api.EXPORT_FORMATS)), required=True)
@click.option("-o", "--output", required=True)
def export(graph: str, fmt: str, output: str) -> None:
    """Write a graph file in another RDF format."""
    g = api.load_graph(graph)
    api.export(g, output, fmt)
    click.echo(f"{len(g)} triples -> {output}")


@main.command()
@click.argument("letter")
@click.option("--format", "fmt", type=click.Choice(["json", "summary"]), default="json")
@click.option("--text", "show_text", is_flag=True, help="Print the normalised text spans refer to.")
def extract(letter: str, fmt: str, show_text: bool) -> None:
    """Parse one letter and print its record (for debugging and JSON users)."""
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
            cites = "; ".join(c.guideline_label for c in st.citations) or (
                "no medical evidence cited" if st.cited_no_evidence else "-")
            click.echo(f"     {st.party}: {cites}")
    for w in det.warnings:
        click.echo(f"  warning: {w}")


# Commands of the store/remote and analytics stages live in their own modules.
from imrgraph import commands_store, commands_viz  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
