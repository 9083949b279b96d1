"""``build``, ``validate``, ``export`` and ``extract``: letters into graphs and stores."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from imrgraph.cli.common import (
    STDIO,
    ApiChoice,
    input_file,
    note,
    output_file,
    print_outcomes,
    print_validation,
    progress_bar,
    store_for_reading,
    store_option,
    verbosity_options,
    write_output,
)
from imrgraph.errors import ImrgraphError, UsageError

#: Graph file suffix -> format written by ``build -o`` (``-`` writes Turtle to stdout).
GRAPH_SUFFIXES = {".ttl": "ttl", ".nt": "nt", ".jsonld": "jsonld", ".json": "jsonld",
                  ".trig": "trig", ".nq": "nq"}


def _graph_format(output: str) -> str:
    if output == STDIO:
        return "ttl"
    fmt = GRAPH_SUFFIXES.get(Path(output).suffix.lower())
    if fmt is None:
        raise UsageError(f"{output}: unknown output type (.ttl, .nt, .jsonld, .trig, .nq; "
                         "- for Turtle on standard output)")
    return fmt


def _summary(text: str, data: dict[str, Any], fmt: str, output: str | None) -> None:
    """The build's summary: JSON when asked for (always shown), else a line unless -q (a quiet
    run still names each rejected input and each violation on stderr: they are errors).  On
    stderr when the graph itself goes to standard output."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    err = output is not None and (output == STDIO or api.is_stdout(output))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False), err=err)
    else:
        note(text, err=err)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", default=None,
              help="Graph file to write (format from suffix: .ttl .nt .jsonld .trig .nq; - is "
                   "Turtle on standard output) [default: graph.ttl; with --store: none, else "
                   "the store is exported too].")
@click.option("--report", "report_path", default=None,
              help="Ingest report JSON (default: beside the graph, GRAPH.report.json, none "
                   "for -o -; with --store, DIR/last-build.report.json; - is standard output).")
@click.option("--no-vocabulary", is_flag=True, help="Leave the ontology and SKOS vocabularies out.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="The summary as a line or as a JSON object.")
@verbosity_options
@store_option("Build into a persistent store (one named graph per letter); unchanged files are "
              "skipped, changed letters replaced.  $IMRGRAPH_STORE alone also selects it "
              "when -o is not given.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes for --store builds (0 = every core).")
@click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True,
              help="Letters per bulk load into the store (bounds memory).")
@click.option("--force", is_flag=True, help="Re-parse every input even if stored unchanged.")
@click.option("--compact", is_flag=True,
              help="With --store: rewrite the store's database at the end (about a third "
                   "smaller on disk; ~20% longer build, up to ~1 GB more memory).")
def build(paths: tuple[str, ...], output: str | None, report_path: str | None,
          no_vocabulary: bool, no_validate: bool, fmt: str, store: str | None, jobs: int,
          batch_size: int, force: bool, compact: bool) -> None:
    """Parse letters (files, folders, globs; .txt and .pdf) into one validated graph."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    if store is None and output is None and os.environ.get(api.ENV_STORE):
        store = os.environ[api.ENV_STORE]
    if store is not None:
        _build_store(paths, api.resolve_store_dir(store), output=output, report_path=report_path,
                     no_vocabulary=no_vocabulary, no_validate=no_validate, fmt=fmt,
                     jobs=jobs, batch_size=batch_size, force=force, compact=compact)
        return
    if compact:
        raise UsageError("--compact rewrites a store: give --store DIR")
    output = output or "graph.ttl"
    graph_format = _graph_format(output)
    with progress_bar(_count_letters(paths)) as bar:
        result = api.build(paths, include_vocabulary=not no_vocabulary,
                           validate=not no_validate, progress=lambda _path: bar())
    report = result.report
    with output_file(output) as target:
        api.serialize(result.graph, target, graph_format)
    if report_path is None and output != STDIO:
        report_path = str(Path(output).with_suffix(".report.json"))
    if report_path is not None:
        write_output(report_path, report.to_json())
    s = report.summary()
    print_outcomes(report)
    if not no_validate:
        print_validation(result.validation)
    _summary(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings), {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['items']} item(s), {s['citations']} citation(s), "
        f"{len(result.graph)} triples -> {output} (report: {report_path or 'none'})",
        {**s, "triples": len(result.graph), "output": output, "report": report_path,
         "conforms": result.validation.conforms if not no_validate else None},
        fmt, output)
    if report.rejected or not result.validation.conforms:
        sys.exit(1)


def _build_store(paths: tuple[str, ...], directory: Path | None, *, output: str | None,
                 report_path: str | None, no_vocabulary: bool, no_validate: bool, fmt: str,
                 jobs: int, batch_size: int, force: bool, compact: bool) -> None:
    """``build --store``: parallel, batched, incremental (see imrgraph.store)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    assert directory is not None
    if no_vocabulary:
        raise UsageError("--no-vocabulary is for graph files: a store always holds the "
                         "vocabularies its queries roll up along")
    export_format = _graph_format(output) if output is not None else None
    with progress_bar(_count_letters(paths)) as bar:
        result = api.build_store(paths, directory, jobs=jobs, batch_size=batch_size,
                                 validate=not no_validate, force=force, compact=compact,
                                 progress=bar)
    report_file: str = str(directory / api.REPORT_FILE)
    if report_path:
        write_output(report_path, result.to_json())
        report_file = report_path
    print_outcomes(result.report)
    if result.stale:
        note(f"note: {len(result.stale)} stored letter(s) were built by another imrgraph "
             "version or vocabulary and not among these inputs; rebuild them with their files")
    if not no_validate:
        print_validation(result.validation)
    s = result.summary()
    exported = ""
    if output is not None and export_format is not None:
        with api.open_store(directory) as letter_store, output_file(output) as target:
            letter_store.export(target, export_format)
        exported = f", exported to {output}"
    rate = s["inputs"] / result.seconds if result.seconds else 0.0
    _summary(
        f"{s['inputs']} input(s): {s['letters']} letter(s) built "
        f"({s[api.BUILT_WITH_WARNINGS]} with warnings, {s['replaced']} replaced), "
        f"{s[api.UNCHANGED]} unchanged, {s[api.DUPLICATE]} duplicate(s), "
        f"{s[api.REJECTED]} rejected; {s['letters_in_store']} letter(s), {s['quads']} quads "
        f"in store {directory}{exported} ({result.seconds:.1f} s, {rate:,.0f} inputs/s; "
        f"report: {report_file})",
        {**s, "store": str(directory), "output": output, "report": report_file,
         "seconds": round(result.seconds, 3),
         "conforms": result.validation.conforms if not no_validate else None},
        fmt, output)
    if result.report.rejected or not result.validation.conforms:
        sys.exit(1)


def _count_letters(paths: tuple[str, ...]) -> int:
    """How many letter files the inputs hold; none at all is an error (exit 1), not an empty
    graph."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    total = len(api.iter_inputs(paths))
    if total == 0:
        raise ImrgraphError(f"no letters found in {', '.join(paths)} (give .txt or .pdf "
                            "letters, folders holding them, or globs)")
    return total


@click.command()
@click.argument("graph", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              help="text: the results on stderr and a verdict; json: the results as JSON; "
                   "turtle: the SHACL validation report graph (as pySHACL's -f turtle; graph "
                   "files only).")
@click.option("-o", "--output", default=STDIO, show_default=True,
              help="Where the json or turtle report goes (- is standard output).")
@verbosity_options
@store_option("Validate the letters of a store (letter by letter, in parallel).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes for a store (0 = every core).")
def validate(graph: str | None, fmt: str, output: str, store: str | None, jobs: int) -> None:
    """SHACL-validate a graph file (- reads Turtle from standard input) or a store; exit 1 on
    violations."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    if graph is not None and store is not None:
        raise UsageError("give a graph file or --store, not both")
    directory = None if graph is not None else store_for_reading(store)
    if directory is not None:
        if fmt == "turtle":
            raise UsageError("--format turtle reports on a graph file (a store is validated "
                             "letter by letter); export the store and validate the file")
        with api.open_store(directory) as letter_store:
            report = letter_store.validate(jobs=jobs)
        name = str(directory)
    elif graph is not None:
        with input_file(graph, ".ttl") as path:
            report = api.validate_file(path)
        name = graph if graph != STDIO else "<stdin>"
    else:
        raise UsageError("give the graph file to validate (- for standard input), or --store "
                         "DIR")
    if fmt == "json":
        write_output(output, json.dumps({"conforms": report.conforms,
                                         "results": [api.to_jsonable(r)
                                                     for r in report.results]},
                                        indent=2, ensure_ascii=False) + "\n")
    elif fmt == "turtle":
        assert report.graph is not None
        write_output(output, report.graph.serialize(format="turtle"))
    else:
        print_validation(report, limit=10_000)
        note(f"{name}: conforms" if report.conforms
             else f"{name}: {len(report.violations)} violation(s)", err=False)
    sys.exit(0 if report.conforms else 1)


@click.command()
@click.argument("graph", required=False)
@click.option("--format", "fmt", type=ApiChoice("EXPORT_FORMATS"), required=True,
              help="nq and trig keep a store's letter graphs; the others merge them.")
@click.option("-o", "--output", default=STDIO, show_default=True,
              help="File to write (- is standard output).")
@verbosity_options
@store_option("Export a store (pyoxigraph writes it: fast for large stores).")
def export(graph: str | None, fmt: str, output: str, store: str | None) -> None:
    """Write a graph file or a store in another RDF format."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    if graph is not None and store is not None:
        raise UsageError("give a graph file or --store, not both")
    directory = None if graph is not None else store_for_reading(store)
    err = True  # a message, never mixed into data written to standard output
    if directory is not None:
        with api.open_store(directory) as letter_store, output_file(output) as target:
            count = letter_store.export(target, fmt)
        unit = "quads" if api.STORE_EXPORT_FORMATS[fmt].supports_datasets else "triples"
        note(f"{count} {unit} -> {output}", err=err)
        return
    if graph is None:
        raise UsageError("give the graph file to export, or --store DIR")
    g = api.load_graph(graph)
    with output_file(output) as target:
        api.export(g, target, fmt)
    note(f"{len(g)} triples -> {output}", err=err)


@click.command()
@click.argument("letter")
@click.option("--format", "fmt", type=click.Choice(["json", "summary"]), default="json")
@click.option("--text", "show_text", is_flag=True, help="Print the normalised text spans refer to.")
def extract(letter: str, fmt: str, show_text: bool) -> None:
    """Parse one letter and print its record (for debugging and JSON users)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

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
            cites = "; ".join(c.display_label or c.guideline_label for c in st.citations) or (
                "no medical evidence cited" if st.cited_no_evidence else "-")
            click.echo(f"     {st.party}: {cites}")
    for w in det.warnings:
        click.echo(f"  warning: {w}")
