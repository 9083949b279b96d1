"""``build``, ``validate``, ``export`` and ``extract``: letters into graphs and stores."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from imrgraph import api
from imrgraph.cli.common import (
    Progress,
    print_outcomes,
    print_validation,
    store_for_reading,
    store_option,
)
from imrgraph.errors import ImrgraphError, UsageError


@click.command()
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
    if store is None and output is None and os.environ.get(api.ENV_STORE):
        store = os.environ[api.ENV_STORE]
    if store is not None:
        _build_store(paths, api.resolve_store_dir(store), output=output, report_path=report_path,
                     no_vocabulary=no_vocabulary, no_validate=no_validate, quiet=quiet,
                     jobs=jobs, batch_size=batch_size, force=force)
        return
    output = output or "graph.ttl"
    suffix = Path(output).suffix.lower()
    fmt = {".ttl": "ttl", ".nt": "nt", ".jsonld": "jsonld", ".json": "jsonld", ".trig": "trig",
           ".nq": "nq"}.get(suffix)
    if fmt is None:
        raise UsageError(f"{output}: unknown output type (.ttl, .nt, .jsonld, .trig, .nq)")
    total = _count_letters(paths)
    show_bar = not quiet and total > 1
    with _progressbar(total, quiet) as bar:
        def step(_path: str) -> None:
            if show_bar:
                bar.update(1)

        result = api.build(paths, include_vocabulary=not no_vocabulary,
                           validate=not no_validate, progress=step)
    report = result.report
    api.serialize(result.graph, output, fmt)
    report_file = Path(report_path) if report_path else Path(output).with_suffix(".report.json")
    api.write_text(report_file, report.to_json())
    s = report.summary()
    if not quiet:
        print_outcomes(report, quiet)
        if not no_validate:
            print_validation(result.validation)
    click.echo(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings), {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['items']} item(s), {s['citations']} citation(s), "
        f"{len(result.graph)} triples -> {output} (report: {report_file})"
        + _quiet_violations(quiet, result.validation)
    )
    if report.rejected or not result.validation.conforms:
        sys.exit(1)


def _build_store(paths: tuple[str, ...], directory: Path | None, *, output: str | None,
                 report_path: str | None, no_vocabulary: bool, no_validate: bool, quiet: bool,
                 jobs: int, batch_size: int, force: bool) -> None:
    """``build --store``: parallel, batched, incremental (see imrgraph.store)."""
    assert directory is not None
    if no_vocabulary:
        raise UsageError("--no-vocabulary is for graph files: a store always holds the "
                         "vocabularies its queries roll up along")
    if output is not None and Path(output).suffix.lower().lstrip(".") not in (
            "ttl", "nt", "nq", "trig", "jsonld"):
        raise UsageError(f"{output}: unknown output type (.ttl, .nt, .jsonld, .trig, .nq)")
    total = _count_letters(paths)
    with _progressbar(total, quiet) as bar:
        result = api.build_store(paths, directory, jobs=jobs, batch_size=batch_size,
                             validate=not no_validate, force=force,
                             progress=Progress(bar, not quiet and total > 1))
    report_file = directory / api.REPORT_FILE
    if report_path:
        api.write_text(report_path, result.to_json())
        report_file = Path(report_path)
    if not quiet:
        print_outcomes(result.report, quiet)
        if result.stale:
            click.echo(f"note: {len(result.stale)} stored letter(s) were built by another "
                       "imrgraph version or vocabulary and not among these inputs; rebuild "
                       "them with their files", err=True)
        if not no_validate:
            print_validation(result.validation)
    s = result.summary()
    exported = ""
    if output is not None:
        fmt = Path(output).suffix.lower().lstrip(".")
        with api.open_store(directory) as letter_store:
            letter_store.export(output, fmt)
        exported = f", exported to {output}"
    rate = s["inputs"] / result.seconds if result.seconds else 0.0
    click.echo(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings, {s['replaced']} replaced), "
        f"{s[api.UNCHANGED]} unchanged, {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['letters_in_store']} letter(s), {s['quads']} quads "
        f"in store {directory}{exported} ({result.seconds:.1f} s, {rate:,.0f} inputs/s; "
        f"report: {report_file})" + _quiet_violations(quiet, result.validation)
    )
    if result.report.rejected or not result.validation.conforms:
        sys.exit(1)


def _count_letters(paths: tuple[str, ...]) -> int:
    """How many letter files the inputs hold; none at all is an error (exit 1), not an empty
    graph."""
    total = len(api.iter_inputs(paths))
    if total == 0:
        raise ImrgraphError(f"no letters found in {', '.join(paths)} (give .txt or .pdf "
                            "letters, folders holding them, or globs)")
    return total


def _progressbar(total: int, quiet: bool) -> Any:
    """A progress bar on stderr; none at all under -q (not even its label)."""
    if quiet:
        return contextlib.nullcontext(None)
    return click.progressbar(length=total, label="letters", file=sys.stderr, show_pos=True,
                             show_eta=True, item_show_func=lambda x: x)


def _quiet_violations(quiet: bool, validation: api.ValidationReport) -> str:
    """Under -q the summary line alone says that SHACL found violations."""
    if not quiet or validation.conforms:
        return ""
    return f"; SHACL: {len(validation.violations)} violation(s) (run without -q to list them)"


@click.command()
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
        with api.open_store(directory) as letter_store:
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
        print_validation(report, limit=10_000)
        if report.conforms:
            click.echo(f"{name}: conforms")
        else:
            click.echo(f"{name}: {len(report.violations)} violation(s)")
    sys.exit(0 if report.conforms else 1)


@click.command()
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
        with api.open_store(directory) as letter_store:
            count = letter_store.export(output, fmt)
        unit = "quads" if api.STORE_EXPORT_FORMATS[fmt].supports_datasets else "triples"
        click.echo(f"{count} {unit} -> {output}", err=api.is_stdout(output))
        return
    if graph is None:
        raise UsageError("give the graph file to export, or --store DIR")
    g = api.load_graph(graph)
    api.export(g, output, fmt)
    click.echo(f"{len(g)} triples -> {output}", err=api.is_stdout(output))


@click.command()
@click.argument("letter")
@click.option("--format", "fmt", type=click.Choice(["json", "summary"]), default="json")
@click.option("--text", "show_text", is_flag=True, help="Print the normalised text spans refer to.")
def extract(letter: str, fmt: str, show_text: bool) -> None:
    """Parse one letter and print its record (for debugging and JSON users)."""
    if show_text:
        click.echo(api.letter_text(letter).text, nl=False)
        return
    det = api.parse_file(letter)
    if fmt == "json":
        click.echo(json.dumps(api.to_jsonable(det), indent=2, ensure_ascii=False))
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
