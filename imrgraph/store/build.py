"""Building a store: letters parsed, mapped and validated in a process pool, loaded in batches.

Each worker runs :func:`imrgraph.pipeline.build_letter` (the same per-letter step as the
in-memory build) and sends back N-Quads bytes, which the parent bulk-loads in batches (the fast
path measured in shared/notes/performance.md).  A file whose sha256 is already stored is
skipped before parsing; a changed letter (same key, new content) replaces only its own graph.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imrgraph import __version__
from imrgraph.errors import IngestError
from imrgraph.ingest import Skipped, discover, source_digest
from imrgraph.mapping import SHARED_GRAPH, letter_graph_iri
from imrgraph.outputs import write_text
from imrgraph.pipeline import (
    BUILT,
    BUILT_WITH_WARNINGS,
    DUPLICATE,
    REJECTED,
    IngestReport,
    InputOutcome,
    build_letter,
    validate_letter,
)
from imrgraph.store.letterstore import (
    REPORT_FILE,
    UNCHANGED,
    LetterStore,
    default_store_dir,
    fingerprint,
    partition_letter,
)
from imrgraph.store.oxi import nquads
from imrgraph.store.parallel import parallel_map
from imrgraph.store.stats import LetterRecord
from imrgraph.validate import ValidationReport, Violation

#: Letters per bulk load: memory is bounded by one batch of N-Quads (~20 kB per letter).
DEFAULT_BATCH = 500


@dataclass
class Payload:
    """What a worker sends back for one input path."""

    path: str
    sha256: str
    outcome: InputOutcome
    key: str = ""
    letter: bytes = b""
    shared: bytes = b""
    results: list[Violation] = field(default_factory=list)
    conforms: bool = True
    unchanged: bool = False


_KNOWN_SHAS: frozenset[str] = frozenset()
_VALIDATE = True


def _init_worker(known: frozenset[str], validate: bool = True) -> None:
    global _KNOWN_SHAS, _VALIDATE
    _KNOWN_SHAS = known
    _VALIDATE = validate


def process_letter(path: str) -> Payload:
    """Worker: skip a stored file, else parse, map, validate and serialise one letter."""
    try:  # the file type is checked before a byte is read: a FIFO or a device never hangs us
        sha = source_digest(path)
    except IngestError as exc:
        return Payload(path, "", InputOutcome(path, REJECTED, exc.reason))
    if sha in _KNOWN_SHAS:
        return Payload(path, sha, InputOutcome(path, UNCHANGED), unchanged=True)
    outcome, built = build_letter(path)
    if built is None:
        return Payload(path, sha, outcome)
    letter = built.triples
    payload = Payload(path, sha, outcome, key=letter.key)
    if _VALIDATE:
        report = validate_letter(letter)
        payload.results, payload.conforms = report.results, report.conforms
    own, shared = partition_letter(letter)
    try:
        payload.letter = nquads(own, letter_graph_iri(letter.key))
        payload.shared = nquads(shared, SHARED_GRAPH)
    except ValueError as exc:
        return Payload(path, sha, InputOutcome(path, REJECTED,
                                                   f"cannot be stored as RDF: {exc}"))
    return payload


@dataclass
class StoreBuildResult:
    """A store build: the ingest report (every input), validation, and what changed."""

    directory: Path
    report: IngestReport
    validation: ValidationReport
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    letters_in_store: int = 0
    quads: int = 0
    seconds: float = 0.0
    rebuilt_all: bool = False

    def summary(self) -> dict[str, int]:
        s = self.report.summary()
        s[UNCHANGED] = self.report.count(UNCHANGED)
        s["added"] = len(self.added)
        s["replaced"] = len(self.replaced)
        s["letters_in_store"] = self.letters_in_store
        s["quads"] = self.quads
        return s

    def to_json(self) -> str:
        return json.dumps(
            {"imrgraph": __version__, "store": str(self.directory), "summary": self.summary(),
             "replaced": self.replaced, "stale": self.stale,
             "inputs": [i.as_json() for i in self.report.inputs]},
            indent=2, ensure_ascii=False) + "\n"


def build_store(
    inputs: Sequence[str | Path],
    directory: str | Path | None = None,
    *,
    jobs: int = 0,
    batch_size: int = DEFAULT_BATCH,
    validate: bool = True,
    force: bool = False,
    compact: bool = False,
    progress: Callable[[int], None] | None = None,
) -> StoreBuildResult:
    """Letters -> the store in ``directory``, skipping files already stored unchanged.

    Every input is accounted for in the report (``DIR/last-build.report.json``), in input
    order; the first file of a case wins, as in :func:`imrgraph.pipeline.build_graph`.  ``force``
    re-parses every input; a new imrgraph version or vocabulary does so too.  ``compact``
    rewrites the database at the end (:meth:`LetterStore.compact`): a third smaller on disk,
    for ~20% more build time and up to ~1 GB more memory while it copies, so it is asked for.
    """
    started = time.monotonic()
    directory = Path(directory) if directory is not None else default_store_dir()
    entries = list(discover(inputs))
    paths = [str(e) for e in entries if not isinstance(e, Skipped)]
    result = StoreBuildResult(directory, IngestReport(), ValidationReport(conforms=True))
    with LetterStore.open(directory, create=True) as store:
        builder = _Builder(store, result, batch_size, force)
        results = parallel_map(process_letter, paths, jobs=jobs, total=len(paths),
                               window=max(2 * batch_size, 64), initializer=_init_worker,
                               initargs=(frozenset(builder.by_sha), validate))
        outcomes: dict[str, InputOutcome] = {}
        try:
            for payload in results:
                outcomes[payload.path] = builder.take(payload)
                if progress:
                    progress(1)
        finally:
            _init_worker(frozenset())  # in-process runs leave no stale state
        builder.finish()
        if compact:
            store.compact()
        for entry in entries:
            if isinstance(entry, Skipped):
                result.report.inputs.append(
                    InputOutcome(entry.path, REJECTED, entry.reason))
                if progress:
                    progress(1)
            else:
                result.report.inputs.append(outcomes[str(entry)])
    result.seconds = time.monotonic() - started
    write_text(directory / REPORT_FILE, result.to_json())
    return result


class _Builder:
    """The parent's side of a build: duplicates, batches, replacements, bookkeeping."""

    def __init__(self, store: LetterStore, result: StoreBuildResult, batch_size: int,
                 force: bool) -> None:
        self.store, self.result, self.batch_size, self.force = store, result, batch_size, force
        self.stored = store.letters()
        self.fingerprint = fingerprint()
        stats = store.stats
        records = stats.letters() if stats is not None else {}
        if store.meta().get("fingerprint") != self.fingerprint:
            # Built by another imrgraph or vocabulary: every stored letter is rebuilt when its
            # file comes.  Recorded per letter at once, so a rerun after a crash goes on.
            if stats is not None:
                stats.mark_all_stale()
                stats.invalidate()
            store.refresh_vocabulary()
            store.write_meta(self.stored)
            result.rebuilt_all = bool(self.stored)
            records = {}
        if stats is not None and not self.stored and not stats.current():
            # No letters: the statistics are exact when empty, and each batch is then counted
            # as it is loaded (from its own quads) instead of the whole store at the end.
            stats.mark_empty()
        self.stale = {g for g in self.stored
                      if g not in records or records[g].fingerprint != self.fingerprint}
        # A forced build goes on with the run a crash interrupted: what it rebuilt is skipped.
        self.run = (stats.get("force-run") if force and stats is not None else "") or (
            uuid.uuid4().hex)
        if force and stats is not None:
            stats.set("force-run", self.run)
        self.by_sha = {info.sha256: info for g, info in self.stored.items()
                       if g not in self.stale and (not force or records[g].run == self.run)}
        self.seen: dict[str, str] = {}
        self.batch: list[Payload] = []
        self.touched: set[str] = set()

    def take(self, payload: Payload) -> InputOutcome:
        """Account for one worker result; queue a built letter for loading."""
        outcome = payload.outcome
        if payload.unchanged:
            outcome = self.store.unchanged_outcome(payload.path, self.by_sha[payload.sha256])
        if not outcome.key or outcome.status not in (UNCHANGED, BUILT,
                                                     BUILT_WITH_WARNINGS):
            return outcome
        if outcome.key in self.seen:
            return InputOutcome(payload.path, DUPLICATE,
                                    f"same case {outcome.key} as {self.seen[outcome.key]}",
                                    key=outcome.key)
        self.seen[outcome.key] = payload.path
        if payload.unchanged:
            return outcome
        graph = str(letter_graph_iri(payload.key))
        (self.result.replaced if graph in self.stored else self.result.added).append(payload.key)
        self.touched.add(graph)
        self.result.validation.results.extend(payload.results)
        self.result.validation.conforms &= payload.conforms
        self.batch.append(payload)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return outcome

    def flush(self) -> None:
        graphs = [str(letter_graph_iri(p.key)) for p in self.batch]
        records = {g: LetterRecord(p.sha256, self.fingerprint, self.run)
                   for g, p in zip(graphs, self.batch, strict=True)}
        self.store.load_batch(graphs, b"".join(p.letter + p.shared for p in self.batch), records)
        self.batch.clear()

    def finish(self) -> None:
        if self.batch:
            self.flush()
        if self.result.replaced:
            self.store.collect_garbage()
        letters_now = self.store.letters()
        stale = (self.stale - self.touched) & set(letters_now)
        self.store.write_meta(stale)
        stats = self.store.stats
        if stats is not None:
            if not stats.current():
                stats.recount(self.store.ox, sorted(letters_now))
            if self.force:
                stats.set("force-run", "")
        self.result.letters_in_store = len(letters_now)
        self.result.stale = sorted(letters_now[g].key for g in stale)
        self.result.quads = len(self.store)

