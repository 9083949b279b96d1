"""Serve a store read-only as a SPARQL endpoint: Oxigraph's own server when installed, else a
minimal built-in one (so ``imrgraph serve`` works on a bare ``pip install``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from imrgraph.store.letterstore import DB_DIR


def oxigraph_server_command(directory: str | Path, host: str, port: int) -> list[str] | None:
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
    return [exe, "serve-read-only", "--location", str(Path(directory) / DB_DIR),
            "--bind", f"{host}:{port}", "--union-default-graph"]


def serve_python(directory: str | Path, host: str = "127.0.0.1", port: int = 7878,
                 ready: Callable[[Any], None] | None = None) -> None:
    """A minimal read-only SPARQL endpoint (GET/POST ``/query``) when Oxigraph's CLI is absent.

    Answers SELECT/ASK as SPARQL JSON (or XML/CSV/TSV by Accept) and CONSTRUCT/DESCRIBE as
    N-Triples, over the union of the graphs.  Updates are refused: the store is opened read-only.
    """
    handle = ox.Store.read_only(str(Path(directory) / DB_DIR))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet: one line per query is noise
            pass

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _run(self, params: dict[str, list[str]], body_query: str | None) -> None:
            if urlsplit(self.path).path.rstrip("/") != "/query":
                self._answer(404, b"read-only endpoint: use /query", "text/plain")
                return
            text = body_query if body_query is not None else (params.get("query") or [""])[0]
            if not text:
                self._answer(400, b"no query", "text/plain")
                return
            try:
                result = handle.query(text, use_default_graph_as_union=True)
            except SyntaxError as exc:
                self._answer(400, str(exc).encode(), "text/plain")
                return
            if isinstance(result, ox.QueryTriples):
                data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
                self._answer(200, data, "application/n-triples")
                return
            accept = self.headers.get("Accept", "")
            fmt = next((f for f in (ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                                    ox.QueryResultsFormat.TSV) if f.media_type in accept),
                       ox.QueryResultsFormat.JSON)
            self._answer(200, result.serialize(format=fmt) or b"", fmt.media_type)

        def do_GET(self) -> None:
            self._run(parse_qs(urlsplit(self.path).query), None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            kind = self.headers.get("Content-Type", "").split(";")[0].strip()
            if kind == "application/sparql-query":
                self._run(parse_qs(urlsplit(self.path).query), body)
            else:
                self._run(parse_qs(body), None)

    server = ThreadingHTTPServer((host, port), Handler)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()

