"""Serve a store read-only as a SPARQL endpoint: Oxigraph's own server when installed, else a
minimal built-in one (so ``imrgraph serve`` works on a bare ``pip install``).

Either way a small Python front answers on the public port and keeps the rules (issue 16.8):

- every query has a time limit (Oxigraph's ``--timeout-s``; the built-in engine runs queries
  in worker processes and ends one that outlasts the limit), so a runaway query does not hold
  a core after its client has gone;
- ``SERVICE`` (which makes the server fetch whatever URL a client names) is refused unless
  the server was started with ``allow_service``;
- a store rebuilt while served is still answered from the state it had when the server
  opened it (RocksDB read-only handles see no later writes): the front notices the change,
  logs one line, and marks every answer with the ``X-Imrgraph-Store-Changed`` header;
- the port is checked before anything is announced (:func:`check_port`).
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import multiprocessing
import multiprocessing.connection
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from imrgraph.errors import MissingDependencyError, UsageError
from imrgraph.outputs import terminate_as_exit
from imrgraph.store.letterstore import DB_DIR, META_FILE, REPORT_FILE

#: Seconds a query may run before the server gives up on it.
DEFAULT_TIMEOUT = 60.0

#: Header set on every answer once the store has changed on disk since the server started.
STALE_HEADER = "X-Imrgraph-Store-Changed"

#: One answer: HTTP status, body, content type.
Answer = tuple[int, bytes, str]


def oxigraph_server_command(directory: str | Path, host: str, port: int,
                            timeout: float | None = None) -> list[str] | None:
    """``oxigraph serve-read-only`` over the store, if the Oxigraph CLI is installed."""
    beside = Path(sys.executable).parent / "oxigraph"
    exe = str(beside) if beside.exists() else shutil.which("oxigraph")
    if exe is None:
        return None
    try:
        usage = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if "serve-read-only" not in usage:
        return None
    command = [exe, "serve-read-only", "--location", str(Path(directory) / DB_DIR),
               "--bind", f"{host}:{port}", "--union-default-graph"]
    if timeout is not None:
        command += ["--timeout-s", str(max(1, round(timeout)))]
    return command


def check_port(host: str, port: int) -> None:
    """Fail with one line, before anything is announced, when ``host:port`` cannot be bound."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} is in use on {host}") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


_BLANKED = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'(?:[^\\]|\\.)*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                      r"|'(?:[^'\\\n]|\\.)*'|<[^<>\"{}|^`\\\x00-\x20]*>|#[^\n]*", re.DOTALL)
_SERVICE = re.compile(r"(?<![\w?$:])SERVICE(?![\w:-])", re.IGNORECASE)


def uses_service(text: str) -> bool:
    """Whether a query holds the SERVICE keyword (outside strings, IRIs and comments)."""
    return bool(_SERVICE.search(_BLANKED.sub(" ", text)))


def store_stamp(directory: str | Path) -> tuple[int, ...]:
    """What changes when a build writes the store: its metadata, report and database manifest."""
    directory = Path(directory)
    stamp = []
    for path in (directory / META_FILE, directory / REPORT_FILE, directory / DB_DIR / "CURRENT"):
        try:
            info = path.stat()
            stamp += [info.st_mtime_ns, info.st_size, info.st_ino]
        except OSError:
            stamp += [0, 0, 0]
    return tuple(stamp)


class Backend(Protocol):
    def run(self, text: str, accept: str) -> Answer: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- the built-in engine


def evaluate(store: ox.Store, text: str, accept: str) -> Answer:
    """One query on a store: SELECT/ASK as SPARQL JSON (or XML/CSV/TSV by Accept),
    CONSTRUCT/DESCRIBE as N-Triples, over the union of the graphs."""
    try:
        result = store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
            return 200, data, "application/n-triples"
        fmt = next((f for f in (ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                                ox.QueryResultsFormat.TSV) if f.media_type in accept),
                   ox.QueryResultsFormat.JSON)
        return 200, result.serialize(format=fmt) or b"", fmt.media_type
    except SyntaxError as exc:
        return 400, str(exc).encode(), "text/plain"
    except OSError as exc:  # e.g. a SERVICE fetch that failed
        return 500, str(exc).encode(), "text/plain"


def _worker(db: str, conn: multiprocessing.connection.Connection) -> None:
    """A query process: opens the store read-only once and answers queries until closed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    store = ox.Store.read_only(db)
    conn.send("ready")  # the store is open: from now on this process answers from this state
    while True:
        try:
            text, accept = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(evaluate(store, text, accept))


class _Workers:
    """Worker processes for the built-in engine: a query that outlasts the limit has its
    process killed (the only way to stop a running pyoxigraph query) and replaced."""

    def __init__(self, directory: Path, timeout: float, size: int = 2) -> None:
        self._db, self._timeout = str(directory / DB_DIR), timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[tuple[Any, multiprocessing.connection.Connection]] = \
            queue.Queue()
        self._all: list[Any] = []
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> tuple[Any, multiprocessing.connection.Connection]:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(target=_worker, args=(self._db, theirs), daemon=True)
        process.start()
        theirs.close()
        self._all.append(process)
        if not mine.poll(60) or mine.recv() != "ready":  # opened before anything else happens
            process.kill()
            raise UsageError(f"the query process could not open the store {self._db}")
        return process, mine

    def run(self, text: str, accept: str) -> Answer:
        process, conn = self._idle.get()
        try:
            conn.send((text, accept))
            if conn.poll(self._timeout):
                answer: Answer = conn.recv()
                self._idle.put((process, conn))
                return answer
        except (EOFError, OSError):
            pass
        process.kill()
        process.join(5)
        self._all.remove(process)
        self._idle.put(self._start())
        return (503, f"the query did not finish within the {self._timeout:g} s limit".encode(),
                "text/plain")

    def close(self) -> None:
        for process in self._all:
            process.kill()
            process.join(5)


# --------------------------------------------------------------------------- Oxigraph's engine


class _Oxigraph:
    """``oxigraph serve-read-only`` on a private loopback port, behind the front.

    Oxigraph's ``--timeout-s`` is passed on, but it does not stop every query (an aggregate
    over a cross product runs on), so a query still unanswered a few seconds past the limit
    gets the whole Oxigraph process restarted: the only way to take its core back."""

    GRACE = 3.0

    def __init__(self, directory: Path, timeout: float,
                 log: Callable[[str], None] = lambda _line: None) -> None:
        self._directory, self._timeout, self._log = directory, timeout, log
        self._lock = threading.Lock()
        self._generation = 0
        self._start()

    def _start(self) -> None:
        port = _free_port()
        command = oxigraph_server_command(self._directory, "127.0.0.1", port, self._timeout)
        if command is None:
            raise MissingDependencyError("the Oxigraph server (pip install oxigraph) is not "
                                         "installed; the built-in engine needs none", "oxigraph")
        self._port = port
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                detail = (self._process.stderr.read() if self._process.stderr else b"").decode(
                    "utf-8", "replace").strip().splitlines()
                raise UsageError("the Oxigraph server did not start: "
                                 + (detail[-1] if detail else f"exit {self._process.returncode}"))
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            if time.monotonic() > deadline:
                self.close()
                raise UsageError("the Oxigraph server did not start within 60 s")
            time.sleep(0.05)

    def page(self, path: str) -> Answer:
        """Oxigraph's own pages (the YASGUI query page at /) as the server gives them."""
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.headers.get("Content-Type", "text/plain")
        except (OSError, http.client.HTTPException) as exc:
            return 502, f"the Oxigraph server failed: {exc}".encode(), "text/plain"
        finally:
            conn.close()

    def run(self, text: str, accept: str) -> Answer:
        generation = self._generation
        conn = http.client.HTTPConnection("127.0.0.1", self._port,
                                          timeout=self._timeout + self.GRACE)
        try:
            conn.request("POST", "/query", text.encode("utf-8"),
                         {"Content-Type": "application/sparql-query",
                          "Accept": accept or "application/sparql-results+json"})
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.headers.get("Content-Type", "text/plain")
        except TimeoutError:
            self._restart(generation)
            return (503, f"the query did not finish within the {self._timeout:g} s limit"
                    .encode(), "text/plain")
        except (OSError, http.client.HTTPException) as exc:
            return 502, f"the Oxigraph server failed: {exc}".encode(), "text/plain"
        finally:
            conn.close()

    def _restart(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # another overdue query restarted it already
            self._log(f"a query ran past the {self._timeout:g} s limit: restarting the "
                      "Oxigraph server to stop it")
            self.close()
            self._start()
            self._generation += 1

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- the front


class _Front(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend, directory: Path,
                 allow_service: bool, log: Callable[[str], None]) -> None:
        super().__init__(address, _Handler)
        self.backend, self.directory, self.allow_service = backend, directory, allow_service
        self.stamp, self.log, self.warned = store_stamp(directory), log, False
        self.lock = threading.Lock()

    def stale(self) -> bool:
        """Whether the store changed on disk since the server opened it (logged once)."""
        if store_stamp(self.directory) == self.stamp:
            return False
        with self.lock:
            if not self.warned:
                self.warned = True
                self.log(f"warning: the store {self.directory} changed on disk after this server "
                         "opened it; answers still come from the earlier state: restart "
                         "imrgraph serve to serve the new one")
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Front

    def log_message(self, *_args: Any) -> None:  # quiet: one line per query is noise
        pass

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.stale():
            self.send_header(STALE_HEADER, "the store was rebuilt after this server opened it; "
                             "answers are from the earlier state")
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may have gone
            self.wfile.write(body)

    def _run(self, params: dict[str, list[str]], body_query: str | None) -> None:
        if urlsplit(self.path).path.rstrip("/") != "/query":
            self._answer(404, b"read-only endpoint: use /query", "text/plain")
            return
        text = body_query if body_query is not None else (params.get("query") or [""])[0]
        if not text:
            self._answer(400, b"no query", "text/plain")
            return
        if not self.server.allow_service and uses_service(text):
            self._answer(403, b"SERVICE is off on this endpoint (the server would fetch the URL "
                         b"a query names); start it with --allow-service to allow it",
                         "text/plain")
            return
        self._answer(*self.server.backend.run(text, self.headers.get("Accept", "")))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        page = getattr(self.server.backend, "page", None)
        if parts.path in ("", "/") and not parts.query and page is not None:
            self._answer(*page("/"))  # the query page of Oxigraph's server
            return
        self._run(parse_qs(parts.query), None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind == "application/sparql-query":
            self._run(parse_qs(urlsplit(self.path).query), body)
        else:
            self._run(parse_qs(body), None)


def serve(directory: str | Path, host: str = "127.0.0.1", port: int = 7878, *,
          engine: str = "auto", timeout: float = DEFAULT_TIMEOUT, allow_service: bool = False,
          ready: Callable[[Any], None] | None = None,
          log: Callable[[str], None] | None = None) -> None:
    """Serve the store at ``http://host:port/query`` until interrupted (see the module)."""
    directory = Path(directory)
    check_port(host, port)
    if timeout <= 0:
        raise UsageError("the query time limit must be more than 0 seconds")
    if engine == "auto":
        engine = "oxigraph" if oxigraph_server_command(directory, host, port) else "python"
    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    backend: Backend = (_Oxigraph(directory, timeout, say) if engine == "oxigraph"
                        else _Workers(directory, timeout))
    try:
        with terminate_as_exit():
            try:
                server = _Front((host, port), backend, directory, allow_service, say)
            except OSError as exc:
                raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
            try:
                if ready is not None:
                    ready(server)
                server.serve_forever()
            finally:
                server.server_close()
    finally:
        backend.close()


def serve_python(directory: str | Path, host: str = "127.0.0.1", port: int = 7878,
                 ready: Callable[[Any], None] | None = None, **options: Any) -> None:
    """The built-in engine (no Oxigraph CLI needed); options as :func:`serve`."""
    serve(directory, host, port, engine="python", ready=ready, **options)


__all__ = ["DEFAULT_TIMEOUT", "STALE_HEADER", "check_port", "evaluate", "oxigraph_server_command",
           "serve", "serve_python", "store_stamp", "uses_service"]
