"""The Python API behind the CLI: build, validate, query, export, store, push, draw.

A facade: every function here is a thin call into the module that does the work
(:mod:`imrgraph.pipeline`, :mod:`imrgraph.store`, :mod:`imrgraph.sparql`, :mod:`imrgraph.remote`,
:mod:`imrgraph.viz`), so users and the CLI find every capability in one place.  Nothing inside
the package imports this module (tests/test_architecture.py checks it).

``build`` runs the stages for a batch of inputs and accounts for every input path in an
:class:`IngestReport`: built, built with warnings, duplicate, or rejected with the reason.  One
bad file never stops the batch and contributes no triples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph

from imrgraph.ingest import LetterText, read_letter
from imrgraph.outputs import (
    EXPORT_FORMATS,
    RDF_FORMATS,
    export,
    is_stdout,
    load_graph,
    serialize,
    sorted_ntriples,
    write_atomic,
    write_output,
    write_text,
)
from imrgraph.pipeline import (
    BUILT,
    BUILT_WITH_WARNINGS,
    DUPLICATE,
    REJECTED,
    BuildResult,
    IngestReport,
    InputOutcome,
    build_graph,
    input_paths,
    read_determination,
    vocabulary_graph,
)
from imrgraph.records import Determination, to_json, to_jsonable
from imrgraph.remote import HttpSettings, PushResult, RemoteEndpoint, push
from imrgraph.report import Report, build_report
from imrgraph.resolve import search as guidelines_search
from imrgraph.resolve.search import GuidelineName
from imrgraph.sparql import (
    DEFAULT_GRAPH_ENGINE,
    GRAPH_ENGINES,
    RDF_OUTPUT_FORMATS,
    NamedQuery,
    QueryResult,
    RdfResult,
    Runner,
    Source,
    answer,
    construct,
    format_result,
    format_table,
    load_query,
    named_queries,
    parse_query_text,
    run,
    runner,
)
from imrgraph.sparql.params import empty_result_hint
from imrgraph.store import (
    ENV_STORE,
    REPORT_FILE,
    STORE_EXPORT_FORMATS,
    UNCHANGED,
    LetterStore,
    StoreBuildResult,
    check_port,
    default_store_dir,
    is_store,
    oxigraph_server_command,
    resolve_store_dir,
    serve,
    serve_python,
)
from imrgraph.store import build_store as _build_store
from imrgraph.store.serve import DEFAULT_TIMEOUT as DEFAULT_SERVE_TIMEOUT
from imrgraph.testing.synth import write_corpus
from imrgraph.validate import ValidationReport, validate_graph
from imrgraph.viz import MAX_NODES, RANK, TOP, VizResult, render_all
from imrgraph.viz.network import (
    LEVELS,
    RANKS,
    TREATMENT_LEVELS,
    Centrality,
    Community,
    centrality,
    cocitation_network,
    communities,
    usage_network,
    usage_rows,
)

# --------------------------------------------------------------------------- letters and graphs


#: Letters (files, folders, globs) -> one validated rdflib graph plus a report.
build = build_graph


def parse_file(path: str | Path) -> Determination:
    """One letter file -> record (raises IngestError / NotADeterminationError)."""
    return read_determination(path)


def letter_text(path: str | Path) -> LetterText:
    """One letter file -> its normalised text (what record spans point into)."""
    return read_letter(path)


def iter_inputs(inputs: Iterable[str]) -> list[str]:
    """The letter files among files, folders and globs."""
    return input_paths(inputs)


def validate_file(path: str | Path) -> ValidationReport:
    """SHACL over a graph file."""
    return validate_graph(load_graph(path))


# --------------------------------------------------------------------------- queries


def run_query(name_or_file: NamedQuery | str, graph: Source,
              params: Mapping[str, str] | None = None, engine: str | None = None, *,
              limit: int | None = None, offset: int | None = None) -> QueryResult:
    """A named query (or .rq file, or SPARQL text) over a graph, a store or an endpoint;
    ``engine`` "oxigraph" (default) or "rdflib" for an rdflib graph (``GRAPH_ENGINES``)."""
    return run(name_or_file, graph, params, engine=engine, limit=limit, offset=offset)


def run_query_on_store(name_or_file: str, store_dir: str | Path | None = None,
                       params: Mapping[str, str] | None = None) -> QueryResult:
    """A named query over the union of a store's letter graphs."""
    return run(name_or_file, Path(store_dir) if store_dir is not None else default_store_dir(),
               params)


def run_query_remote(name_or_file: str, endpoint: str,
                     params: Mapping[str, str] | None = None) -> QueryResult:
    """A named query on a SPARQL 1.1 endpoint (auth from IMRGRAPH_ENDPOINT_* variables)."""
    return run(name_or_file, RemoteEndpoint.from_url(endpoint), params)


@contextmanager
def open_source(source: Source) -> Iterator[Source]:
    """A source ready for many queries: a store folder is opened (and closed afterwards)."""
    if isinstance(source, str | Path) and not str(source).startswith(("http://", "https://")):
        with open_store(source) as store:
            yield store
        return
    yield source


def report(source: Source, out_dir: str | Path, *, title: str = "IMR report",
           label: str = "") -> Report:
    """The IMR report of ``source`` (graph, store or endpoint) written into ``out_dir``:
    report.html, report.json and one CSV per table (see :mod:`imrgraph.report`); ``label``
    names the source on the page."""
    return build_report(runner(source), out_dir, title=title, source=label)


@contextmanager
def open_runner(graph_file: str | Path | None = None,
                store_dir: str | Path | None = None) -> Iterator[Runner]:
    """Run many queries on a graph file (copied into Oxigraph once) or on a store."""
    if graph_file is not None:
        yield runner(load_graph(graph_file))
        return
    with open_store(store_dir) as store:
        yield runner(store)


# --------------------------------------------------------------------------- guideline names


def search_guidelines(text: str | None = None, level: str | None = None) -> list[GuidelineName]:
    """The guideline vocabulary's concepts matching ``text`` (all when None), best first."""
    return guidelines_search.search(text, level)


def guideline_usage_counts(run_one: Runner) -> dict[str, tuple[int, int]]:
    """{concept IRI: (items, citations)} in a graph, narrower concepts counted in."""
    return guidelines_search.usage_counts(run_one)


def guideline_hint(value: str) -> str | None:
    """For a guideline parameter that found nothing: the closest vocabulary names."""
    return guidelines_search.suggest(value)


# --------------------------------------------------------------------------- store


def build_store(inputs: Sequence[str | Path], store_dir: str | Path | None = None,
                **options: Any) -> StoreBuildResult:
    """Letters -> a persistent store (default ``$IMRGRAPH_STORE`` or ``./imrgraph-store``).

    Incremental (unchanged files skipped, changed letters replaced) and parallel; options are
    those of :func:`imrgraph.store.build_store` (jobs, batch_size, validate, force, progress).
    """
    return _build_store(inputs, store_dir, **options)


def open_store(store_dir: str | Path | None = None, *, read_only: bool = True) -> LetterStore:
    """A built store (context manager): ``with api.open_store() as s: api.run_query(q, s)``."""
    return LetterStore.open(store_dir if store_dir is not None else default_store_dir(),
                            read_only=read_only)


def store_from_graph(graph: Graph) -> LetterStore:
    """An in-memory store laid out like a built one (one graph per letter) from a graph."""
    return LetterStore.from_graph(graph)


# --------------------------------------------------------------------------- endpoints


def remote_endpoint(url: str, *, update: str | None = None, graph_store: str | None = None,
                    connect_timeout: float = 10.0, read_timeout: float = 300.0,
                    retries: int = 4, no_transaction: bool = True) -> RemoteEndpoint:
    """A SPARQL 1.1 service (auth from IMRGRAPH_ENDPOINT_* variables)."""
    settings = HttpSettings(connect_timeout=connect_timeout, read_timeout=read_timeout,
                            retries=retries)
    return RemoteEndpoint.from_url(url, update=update, graph_store=graph_store,
                                   settings=settings, no_transaction=no_transaction)


# --------------------------------------------------------------------------- networks


@dataclass
class GuidelineStats:
    """The co-citation network's size, its most central guidelines and its communities."""

    guidelines: int
    pairs: int
    central: list[Centrality]
    communities: list[Community]
    items: dict[str, int]


def guideline_stats(run_one: Runner, level: str = "chapter", party: str = "any",
                    top: int = 15) -> GuidelineStats:
    """Most central guidelines and communities of co-cited guidelines (networkx)."""
    rows = usage_rows(run_one, level)
    cocited = cocitation_network(rows, party)
    central = centrality(cocited, usage_network(rows, level), top=top)
    groups = communities(cocited)
    items = {str(node): int(data.get("items", 0)) for node, data in cocited.nodes(data=True)}
    return GuidelineStats(cocited.number_of_nodes(), cocited.number_of_edges(), central,
                          groups, items)


__all__ = [
    "BUILT",
    "BUILT_WITH_WARNINGS",
    "DEFAULT_GRAPH_ENGINE",
    "DEFAULT_SERVE_TIMEOUT",
    "DUPLICATE",
    "ENV_STORE",
    "EXPORT_FORMATS",
    "GRAPH_ENGINES",
    "LEVELS",
    "MAX_NODES",
    "RANK",
    "RANKS",
    "RDF_FORMATS",
    "RDF_OUTPUT_FORMATS",
    "REJECTED",
    "REPORT_FILE",
    "STORE_EXPORT_FORMATS",
    "TOP",
    "TREATMENT_LEVELS",
    "UNCHANGED",
    "BuildResult",
    "GuidelineName",
    "GuidelineStats",
    "IngestReport",
    "InputOutcome",
    "LetterStore",
    "PushResult",
    "QueryResult",
    "RdfResult",
    "RemoteEndpoint",
    "StoreBuildResult",
    "ValidationReport",
    "VizResult",
    "answer",
    "build",
    "build_store",
    "construct",
    "check_port",
    "default_store_dir",
    "empty_result_hint",
    "export",
    "open_source",
    "report",
    "format_result",
    "format_table",
    "guideline_hint",
    "guideline_stats",
    "guideline_usage_counts",
    "is_stdout",
    "is_store",
    "iter_inputs",
    "letter_text",
    "load_graph",
    "load_query",
    "named_queries",
    "open_runner",
    "open_store",
    "oxigraph_server_command",
    "parse_file",
    "parse_query_text",
    "push",
    "remote_endpoint",
    "render_all",
    "resolve_store_dir",
    "run_query",
    "run_query_on_store",
    "run_query_remote",
    "search_guidelines",
    "serialize",
    "serve",
    "serve_python",
    "sorted_ntriples",
    "store_from_graph",
    "to_json",
    "to_jsonable",
    "validate_file",
    "vocabulary_graph",
    "write_atomic",
    "write_output",
    "write_corpus",
    "write_text",
]
