"""Graph files in and out, and the one way every output file is written.

Low in the stack so that the store, the pictures and the CLI all write files the same way
without importing the API facade.

How an output path is written (issue 16.2):

- ``-`` is standard output; ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and
  ``/proc/self/fd/N`` write to that open descriptor (never replaced, never truncated anew).
- A FIFO, a character or block device or a socket is written straight through.
- A regular file (or a path that does not exist yet) is written atomically: a temporary file
  beside it, then a rename, so a reader never sees half a file.  A symbolic link is followed
  and its target written (atomically, beside the target); the link stays.
- A temporary file is removed when the write fails, is interrupted (Ctrl-C) or the process is
  terminated (SIGTERM, while the write runs in the main thread).  A process killed outright
  (SIGKILL) leaves ``.NAME.PID.*.tmp``; the next write of NAME removes those whose process is
  gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph

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

#: The output path that means standard output.
STDOUT = "-"

_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_NAMED_FDS = {"/dev/stdout": 1, "/dev/stderr": 2}
_STARTED = time.time()


def is_stdout(path: str | Path) -> bool:
    """Whether writing ``path`` writes this process's standard output (then a CLI prints its
    summary on stderr, not into the data)."""
    if str(path) == STDOUT or _descriptor(path) == 1:
        return True
    if not _written_through(Path(path)):
        return False
    try:  # a link to /dev/stdout, or the terminal or pipe standard output is
        return os.path.samestat(os.stat(path), os.fstat(1))
    except OSError:
        return False


def _descriptor(path: str | Path) -> int | None:
    """The open file descriptor a path names (``/dev/stdout``, ``/dev/fd/3``...), if any."""
    text = str(path)
    if text in _NAMED_FDS:
        return _NAMED_FDS[text]
    m = _FD_PATH.match(text)
    return int(m.group(1)) if m else None


def _written_through(path: Path) -> bool:
    """A path that exists and is not a regular file (FIFO, device, socket): never replaced."""
    try:
        mode = os.stat(path).st_mode  # follows links: a link to a FIFO is a FIFO
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _regular_target(path: Path) -> Path:
    """Where a regular-file write lands: a symbolic link's final target (created if missing)."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


@contextlib.contextmanager
def open_output(path: str | Path) -> Iterator[BinaryIO]:
    """A binary stream onto an output path, written as the module docstring says."""
    text = str(path)
    if text == STDOUT:
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # a text-only stdout (an embedding program): encode through it
            raise UsageError("standard output takes no binary data here; give a file with -o")
        yield out
        out.flush()
        return
    fd = _descriptor(text)
    if fd is not None:
        if fd in (1, 2):
            (sys.stdout if fd == 1 else sys.stderr).flush()
        try:
            stream = os.fdopen(os.dup(fd), "wb")
        except OSError as exc:
            raise UsageError(f"{text}: cannot write: {exc.strerror}") from None
        with stream:
            yield stream
        return
    target = Path(path)
    if _written_through(target):
        with open(target, "wb") as stream:
            yield stream
        return
    target = _regular_target(target)
    if target.is_dir():
        raise UsageError(f"{path}: is a folder, not a file to write")
    with _atomic(target) as tmp, open(tmp, "wb") as stream:
        yield stream


def write_output(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` with a binary stream onto ``path`` (see :func:`open_output`)."""
    with open_output(path) as stream:
        write(stream)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` with a file path whose content ends up at ``path``: a temporary file
    beside a regular file then renamed over it; for standard output, a descriptor, a FIFO or
    a device, a temporary file elsewhere then copied through (never a half-written file)."""
    text = str(path)
    if text != STDOUT and _descriptor(text) is None and not _written_through(Path(path)):
        target = _regular_target(Path(path))
        if target.is_dir():
            raise UsageError(f"{path}: is a folder, not a file to write")
        with _atomic(target) as tmp:
            write(tmp)
        return
    with _temporary(Path(tempfile.gettempdir()), "imrgraph-output") as tmp:
        write(tmp)
        with open(tmp, "rb") as data, open_output(path) as out:
            shutil.copyfileobj(data, out, 1 << 20)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target``, renamed over it when the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o644
    with _temporary(target.parent, target.name) as tmp:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, target)


@contextlib.contextmanager
def _temporary(folder: Path, name: str) -> Iterator[Path]:
    """``folder/.NAME.PID.XXXX.tmp``, removed on any failure, Ctrl-C or SIGTERM."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with terminate_as_exit():
            yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Inside the block SIGTERM unwinds like Ctrl-C (so temporary files are removed, child
    processes stopped) instead of killing outright; only in the main thread, and only where
    SIGTERM has its default action."""
    if threading.current_thread() is not threading.main_thread() or (
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def terminate(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove ``.NAME.*.tmp`` beside ``target`` left by a killed process: those naming a
    process that is gone, and unnamed ones older than this process.  Returns what went."""
    removed: list[Path] = []
    try:
        candidates = list(target.parent.glob(f".{glob_escape(target.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        middle = tmp.name[len(target.name) + 2:-4].split(".", 1)[0]
        try:
            if middle.isdigit():
                if _alive(int(middle)):
                    continue
            elif tmp.stat().st_mtime >= _STARTED:
                continue
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            continue
    return removed


def glob_escape(name: str) -> str:
    """A file name as a glob pattern matching only itself."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


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
    """Write ``graph`` as ``fmt`` (an EXPORT_FORMATS name or an rdflib format), the same bytes
    for the same triples on every run (see :func:`stable_bytes`)."""
    data = stable_bytes(graph, fmt)
    write_output(path, lambda out: out.write(data))


def export(graph: Graph, path: str | Path, fmt: str) -> None:
    """Like :func:`serialize`, for a user-chosen format name (checked)."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r} ({', '.join(EXPORT_FORMATS)})")
    serialize(graph, path, fmt)


#: Dataset formats written from a plain graph: its triples go in the default graph, so
#: N-Quads are its N-Triples and TriG is its Turtle (both valid as they stand).
_AS_DATASET = {"nquads": "nt", "trig": "turtle"}


def stable_bytes(graph: Graph, fmt: str) -> bytes:
    """``graph`` serialised as ``fmt``, byte-identical across runs.

    rdflib writes triples in its store's order and names parsed blank nodes afresh on every
    run, so the triples are first copied in sorted order with blank nodes given canonical
    labels (rdflib.compare, only when there are any).  A plain graph written as N-Quads or
    TriG keeps its triples in the default graph (no blank-node graph with a new name per run).
    """
    rdflib_format = EXPORT_FORMATS.get(fmt, fmt)
    rdflib_format = _AS_DATASET.get(rdflib_format, rdflib_format)
    ordered = bind_prefixes(Graph())
    for prefix, namespace in graph.namespaces():
        ordered.bind(prefix, namespace, override=False)
    source = graph
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        source = to_canonical_graph(graph)
    for triple in sorted(source, key=lambda t: tuple(term.n3() for term in t)):
        ordered.add(triple)
    if rdflib_format == "nt":
        lines = ordered.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
        return b"".join(sorted(line for line in lines if line.strip()))
    data = ordered.serialize(format=rdflib_format, encoding="utf-8")
    if rdflib_format == "json-ld":  # its serialiser groups through sets: order the arrays
        ordered_json = _sorted_jsonld(json.loads(data))
        data = (json.dumps(ordered_json, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return data


def _sorted_jsonld(value: Any, key: str = "") -> Any:
    """JSON-LD with every array sorted except ``@list`` ones (RDF lists keep their order;
    other arrays are unordered sets of values or nodes)."""
    if isinstance(value, dict):
        return {k: _sorted_jsonld(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_jsonld(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def sorted_ntriples(graph: Graph) -> list[str]:
    """Canonical text for comparing graphs built twice (no blank nodes are minted)."""
    return sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())
