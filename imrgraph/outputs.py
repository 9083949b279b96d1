"""Graph files in and out, and the one way every output file is written (atomically).

Low in the stack so that the store, the pictures and the CLI all write files the same way
without importing the API facade.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph

from imrgraph.errors import UsageError
from imrgraph.vocab import bind_prefixes

#: Graph file suffix -> rdflib parser.
RDF_FORMATS = {
    ".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld",
    ".json": "json-ld", ".rdf": "xml", ".xml": "xml", ".n3": "n3",
}
#: ``--format`` name -> rdflib serialiser.
EXPORT_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig",
                  "nq": "nquads", "longturtle": "longturtle"}


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """A UTF-8 text file (a report, metadata), written atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_graph(path: str | Path) -> Graph:
    """Read a graph file; the format follows the suffix."""
    path = Path(path)
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: unknown RDF file type (use one of {', '.join(RDF_FORMATS)})")
    if not path.is_file():
        raise UsageError(f"{path}: no such graph file")
    graph = bind_prefixes(Graph())
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise UsageError(f"{path}: not readable as {fmt}: {exc}") from None
    return graph


def serialize(graph: Graph, path: str | Path, fmt: str) -> None:
    """Write ``graph`` as ``fmt`` (an EXPORT_FORMATS name or an rdflib format)."""
    rdflib_format = EXPORT_FORMATS.get(fmt, fmt)
    write_atomic(path, lambda tmp: graph.serialize(destination=str(tmp), format=rdflib_format,
                                                   encoding="utf-8"))


def export(graph: Graph, path: str | Path, fmt: str) -> None:
    """Like :func:`serialize`, for a user-chosen format name (checked)."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r} ({', '.join(EXPORT_FORMATS)})")
    serialize(graph, path, fmt)


def sorted_ntriples(graph: Graph) -> list[str]:
    """Canonical text for comparing graphs built twice (no blank nodes are minted)."""
    return sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())
