"""One letter through the pipeline, and the account of a batch: the one build path.

``read_determination`` reads and parses a letter file; ``build_letter`` maps it to triples and
decides its status (built, built with warnings, duplicate, rejected with the reason).  Both the
in-memory build (:func:`build_graph`, behind ``api.build``) and the store build
(``imrgraph.store.build``) go through ``build_letter``, so a letter gets the same triples and
the same report entry either way.  One bad file never stops the batch and adds no triples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from itertools import chain
from pathlib import Path

from rdflib import Graph

from imrgraph import __version__
from imrgraph.errors import ImrgraphError
from imrgraph.ingest import LetterText, Skipped, discover, display_name, read_letter
from imrgraph.mapping import LetterTriples, determination_triples
from imrgraph.parse import parse_letter
from imrgraph.records import Determination
from imrgraph.resolve import resolve_determination
from imrgraph.resources import files
from imrgraph.validate import ValidationReport, prefixed_graph, validate_triples
from imrgraph.vocab import bind_prefixes

BUILT = "built"
BUILT_WITH_WARNINGS = "built-with-warnings"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass
class InputOutcome:
    """What became of one input path."""

    path: str
    status: str
    reason: str = ""
    key: str = ""
    items: int = 0
    citations: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The path fit to print: escaped as ``ls -b`` does (no control characters, no
        undecodable bytes), so a file name can never forge or erase a line of a report."""
        return display_name(self.path)

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "path": self.name}


@dataclass
class IngestReport:
    """Every input path of a build, in input order, with its outcome."""

    inputs: list[InputOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.inputs if i.status == status)

    @property
    def rejected(self) -> list[InputOutcome]:
        return [i for i in self.inputs if i.status == REJECTED]

    def summary(self) -> dict[str, int]:
        return {
            "inputs": len(self.inputs),
            BUILT: self.count(BUILT),
            BUILT_WITH_WARNINGS: self.count(BUILT_WITH_WARNINGS),
            DUPLICATE: self.count(DUPLICATE),
            REJECTED: self.count(REJECTED),
            "letters": self.count(BUILT) + self.count(BUILT_WITH_WARNINGS),
            "items": sum(i.items for i in self.inputs),
            "citations": sum(i.citations for i in self.inputs),
        }

    def to_json(self) -> str:
        return json.dumps(
            {"imrgraph": __version__, "summary": self.summary(),
             "inputs": [i.as_json() for i in self.inputs]},
            indent=2, ensure_ascii=False,
        ) + "\n"


@dataclass
class BuiltLetter:
    """A letter that made it through: its record and its triples."""

    determination: Determination
    triples: LetterTriples


@dataclass
class BuildResult:
    graph: Graph
    report: IngestReport
    validation: ValidationReport
    determinations: list[Determination] = field(default_factory=list)
    letters: list[LetterTriples] = field(default_factory=list)


# --------------------------------------------------------------------------- vocabulary


@cache
def _vocabulary_triples() -> tuple:
    graph = Graph()
    for path in files("ontology", "*.ttl"):
        graph.parse(path, format="turtle")
    return tuple(graph)


def vocabulary_graph() -> Graph:
    """The ontology and the SKOS vocabularies (outcomes, parties, guidelines, treatments)."""
    graph = bind_prefixes(Graph())
    for t in _vocabulary_triples():
        graph.add(t)
    return graph


# --------------------------------------------------------------------------- one letter


def read_determination(path: str | Path) -> Determination:
    """One letter file -> its record (raises IngestError / NotADeterminationError).

    The stages before mapping, one per line, so a stage is added here and nowhere else.
    """
    return determination_of(read_letter(path))


def determination_of(letter: LetterText) -> Determination:
    """A letter's text -> its resolved record (parse, then resolve against the vocabularies);
    what the PDF reader warned about reading it is among the letter's warnings."""
    det = resolve_determination(parse_letter(letter), letter.text)
    det.warnings.extend(w for w in letter.warnings if w not in det.warnings)
    return det


def build_letter(path: str, seen_keys: dict[str, str] | None = None
                 ) -> tuple[InputOutcome, BuiltLetter | None]:
    """Read, parse and map one letter; its report entry, and the letter unless rejected or a
    duplicate of a case in ``seen_keys`` ({key: first path}, updated here)."""
    try:
        det = read_determination(path)
        letter = determination_triples(det)
    except ImrgraphError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return InputOutcome(path, REJECTED, reason), None
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        return InputOutcome(path, REJECTED, f"unreadable: {type(exc).__name__}: {exc}"), None
    if seen_keys is not None:
        if det.key in seen_keys:
            return InputOutcome(path, DUPLICATE, f"same case {det.key} as {seen_keys[det.key]}",
                                key=det.key), None
        seen_keys[det.key] = path
    citations = sum(len(s.citations) for i in det.items for s in i.statements)
    status = BUILT_WITH_WARNINGS if det.warnings else BUILT
    return InputOutcome(path, status, key=det.key, items=len(det.items), citations=citations,
                        warnings=list(det.warnings)), BuiltLetter(det, letter)


def letter_graph(letter: LetterTriples) -> Graph:
    """A letter's own triples plus the shared nodes it introduced, as one graph."""
    return prefixed_graph(chain(letter.triples, letter.shared))


def validate_letter(letter: LetterTriples) -> ValidationReport:
    """SHACL for one letter (the shapes never look across letters): its ``letter_graph``'s
    results, without building that graph (see ``validate_triples``)."""
    return validate_triples(chain(letter.triples, letter.shared))


# --------------------------------------------------------------------------- a batch


def input_paths(inputs: Iterable[str | Path]) -> list[str]:
    """The letter files among files, folders and globs (skipped entries left out)."""
    return [str(p) for p in discover(inputs) if not isinstance(p, Skipped)]


def build_graph(
    inputs: Sequence[str | Path],
    *,
    include_vocabulary: bool = True,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Letters (files, folders, globs) -> one validated rdflib graph plus a report."""
    report = IngestReport()
    graph = vocabulary_graph() if include_vocabulary else bind_prefixes(Graph())
    result = BuildResult(graph, report, ValidationReport(conforms=True))
    seen_keys: dict[str, str] = {}
    for entry in discover(inputs):
        if isinstance(entry, Skipped):
            report.inputs.append(InputOutcome(entry.path, REJECTED, entry.reason))
            continue
        path = str(entry)
        if progress:
            progress(path)
        outcome, built = build_letter(path, seen_keys)
        report.inputs.append(outcome)
        if built is None:
            continue
        letter = built.triples
        if validate:
            letter_report = validate_letter(letter)
            result.validation.results.extend(letter_report.results)
            result.validation.conforms = result.validation.conforms and letter_report.conforms
        for t in letter.triples:
            graph.add(t)
        for t in letter.shared:
            graph.add(t)
        result.letters.append(letter)
        result.determinations.append(built.determination)
    return result
