"""Per-letter SHACL validation spread over processes.

Why: pySHACL uses one core and its cost grows with the data graph, while imrgraph's shapes only
look inside one letter.  Validating each letter's own graph gives the same results as
validating the merged graph (tests/test_validation_scale.py proves it), keeps memory flat and
lets several processes share the work.  Letters travel to the workers as N-Triples text, which
pickles cheaply, and come back as :class:`~imrgraph.validate.Violation` records.

Proposed for ``imrgraph/validate.py`` (so ``build`` and ``build --store`` can use it); it lives
here until the lead moves it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from imrgraph.mapping import LetterTriples
from imrgraph.validate import ValidationReport, Violation, validate_graph
from imrgraph.vocab import bind_prefixes

__all__ = [
    "letter_ntriples",
    "ntriples",
    "validate_files_parallel",
    "validate_letters_parallel",
    "validate_ntriples",
]

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        body = '"' + str(term).translate(_ESCAPES) + '"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype is not None:
            return f"{body}^^<{term.datatype}>"
        return body
    raise TypeError(f"no blank nodes in imrgraph data, got {term!r}")


def ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """N-Triples text of triples (IRIs and literals only), without rdflib's serializer."""
    return "".join(f"{_term(s)} {_term(p)} {_term(o)} .\n" for s, p, o in triples)


def letter_ntriples(letter: LetterTriples) -> str:
    """One letter's graph: its own triples plus the shared nodes it introduced."""
    return ntriples([*letter.triples, *letter.shared])


def validate_ntriples(text: str, engine: str = "auto") -> ValidationReport:
    """Validate one letter given as N-Triples (parsed into an rdflib in-memory graph)."""
    graph = bind_prefixes(Graph())
    graph.parse(data=text, format="nt")
    return validate_graph(graph, engine)


def _chunk(texts: list[str], engine: str = "auto") -> tuple[bool, list[Violation]]:
    conforms = True
    results: list[Violation] = []
    for text in texts:
        report = validate_ntriples(text, engine)
        conforms = conforms and report.conforms
        results.extend(report.results)
    return conforms, results


def _chunk_files(paths: list[str], engine: str = "auto") -> tuple[bool, list[Violation]]:
    return _chunk([Path(p).read_text(encoding="utf-8") for p in paths], engine)


def _warm() -> None:
    """Load the shapes (and compile them for pyshacl-turbo, when installed) once per worker."""
    from imrgraph.validate import engine_in_use, shapes_graph

    shapes_graph()
    engine_in_use("auto")


def validate_letters_parallel(
    letter_graphs_ntriples: Sequence[str], processes: int = 2, chunk_size: int = 20,
    engine: str = "auto",
) -> ValidationReport:
    """Validate each letter's graph (N-Triples text) on its own, over ``processes`` workers.

    The merged report lists the same results as ``validate_letters`` (sorted the same way).
    ``engine`` is passed to :func:`imrgraph.validate.validate_graph` (auto, pyshacl, turbo).
    """
    return _run(partial(_chunk, engine=engine), letter_graphs_ntriples, processes, chunk_size)


def validate_files_parallel(
    paths: Sequence[str | Path], processes: int = 2, chunk_size: int = 20, engine: str = "auto",
) -> ValidationReport:
    """The same for letters stored as N-Triples files: workers read them, the parent holds
    only the paths (flat memory at 100k letters)."""
    return _run(partial(_chunk_files, engine=engine), [str(p) for p in paths], processes,
                chunk_size)


def _run(
    work: Callable[[list[str]], tuple[bool, list[Violation]]], inputs: Sequence[str],
    processes: int, chunk_size: int,
) -> ValidationReport:
    chunks = [list(inputs[i:i + chunk_size]) for i in range(0, len(inputs), chunk_size)]
    merged = ValidationReport(conforms=True)
    if processes <= 1:
        outcomes: Iterable[tuple[bool, list[Violation]]] = map(work, chunks)
        for conforms, results in outcomes:
            merged.conforms = merged.conforms and conforms
            merged.results.extend(results)
    else:
        with multiprocessing.get_context().Pool(processes, initializer=_warm) as pool:
            for conforms, results in pool.imap_unordered(work, chunks):
                merged.conforms = merged.conforms and conforms
                merged.results.extend(results)
    merged.results.sort(key=lambda v: (v.focus_node, v.path, v.constraint, v.message, v.value,
                                       v.severity, v.source_shape))
    return merged
