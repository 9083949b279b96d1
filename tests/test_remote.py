"""Remote SPARQL 1.1: push to a real Oxigraph server, same answers remotely, retries, auth,
and ``imrgraph serve`` (the store read-only over HTTP)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import LETTERS, CliRun, run_cli
from servers import free_port, stop, wait_until_up
from SPARQLWrapper import JSON, SPARQLWrapper
from test_store import comparable, ids, query_cases

from imrgraph import store as st
from imrgraph.mapping import SHARED_GRAPH, letter_graph_iri
from imrgraph.remote import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    Endpoints,
    HttpClient,
    HttpSettings,
    RemoteEndpoint,
    RemoteError,
    auth_header,
    push,
)
from imrgraph.sparql import named_queries
from imrgraph.sparql import run as run_query
from imrgraph.vocab import IMR

FAST = HttpSettings(connect_timeout=5, read_timeout=60, retries=3, backoff=0.01)
OXIGRAPH = shutil.which("oxigraph") or (
    str(Path(sys.executable).parent / "oxigraph")
    if (Path(sys.executable).parent / "oxigraph").exists() else None)

pytestmark = pytest.mark.skipif(OXIGRAPH is None, reason="the Oxigraph server CLI is not "
                                "installed (pip install oxigraph)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server on a free loopback port; its root URL."""
    assert OXIGRAPH is not None
    port = free_port()
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
         "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[st.LetterStore]:
    """The bundled letters in a store, open read-only."""
    directory = tmp_path_factory.mktemp("local") / "store"
    st.build_store([str(LETTERS)], directory, jobs=1)
    with st.LetterStore.open(directory, read_only=True) as store:
        yield store


@pytest.fixture(scope="module")
def remote(server: str) -> RemoteEndpoint:
    return RemoteEndpoint.from_url(server, settings=FAST)


@pytest.fixture(scope="module")
def pushed(local: st.LetterStore, remote: RemoteEndpoint) -> Any:
    return push(local, remote, batch_size=8)


def test_endpoints_from_url() -> None:
    root = Endpoints.from_url("http://h:7878")
    assert root == Endpoints("http://h:7878/query", "http://h:7878/update", "http://h:7878/store")
    assert Endpoints.from_url("http://h:7878/") == root
    fuseki = Endpoints.from_url("https://h/ds/sparql", graph_store="https://h/ds/data")
    assert fuseki == Endpoints("https://h/ds/sparql", "https://h/ds/update", "https://h/ds/data")


def test_auth_from_environment() -> None:
    assert auth_header({}) is None
    assert auth_header({ENV_TOKEN: "t0k"}) == "Bearer t0k"
    basic = auth_header({ENV_USER: "ann", ENV_PASSWORD: "pw"})
    assert basic == "Basic " + base64.b64encode(b"ann:pw").decode()


def test_push_loads_every_letter(pushed: Any, local: st.LetterStore,
                                 remote: RemoteEndpoint) -> None:
    assert len(pushed.added) == 21 and not pushed.replaced and pushed.shared_pushed
    there = remote.letters()
    mine = local.letter_sizes()
    assert {g: (i.sha256, i.triples) for g, i in there.items()} == {
        g: (i.sha256, i.triples) for g, i in mine.items()}
    assert remote.graph_size(str(SHARED_GRAPH)) == local.graph_size(SHARED_GRAPH)


@pytest.mark.parametrize("case", query_cases(), ids=ids)
def test_remote_queries_equal_local(pushed: Any, local: st.LetterStore, remote: RemoteEndpoint,
                                    case: tuple[str, dict[str, str]]) -> None:
    """Every named query; the store itself equals the rdflib file graph (test_store)."""
    name, values = case
    query = named_queries()[name]
    here = run_query(query, local, values)
    there = run_query(query, remote, values)
    assert there.columns == here.columns
    assert comparable(query, there.rows) == comparable(query, here.rows)


def test_second_push_uploads_nothing(pushed: Any, local: st.LetterStore,
                                     remote: RemoteEndpoint) -> None:
    again = push(local, remote)
    assert again.uploaded == 0 and not again.shared_pushed and again.unchanged == 21
    assert again.requests == 2  # which letters are there; the size of the shared graph


def test_push_completes_a_partial_graph(pushed: Any, local: st.LetterStore,
                                        remote: RemoteEndpoint) -> None:
    graph = str(letter_graph_iri("CM16-0248698"))
    remote.client.request(
        "POST", remote.endpoints.update,
        f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s <{IMR.rationale}> ?o }} }}".encode(),
        {"Content-Type": "application/sparql-update"})
    assert remote.letters()[graph].triples < local.letter_sizes()[graph].triples
    result = push(local, remote)
    assert result.replaced == ["CM16-0248698"] and not result.added
    assert remote.letters()[graph].triples == local.letter_sizes()[graph].triples


def test_push_from_graph_file_finds_everything_there(pushed: Any, fixture_build: Any,
                                                     remote: RemoteEndpoint) -> None:
    """A file build split into letter graphs equals the store's layout, triple for triple."""
    with st.LetterStore.from_graph(fixture_build.graph) as source:
        result = push(source, remote)
    assert result.uploaded == 0 and not result.shared_pushed and result.unchanged == 21


def test_put_method_force_and_prune(pushed: Any, local: st.LetterStore,
                                    remote: RemoteEndpoint) -> None:
    stray = str(letter_graph_iri("CM00-0000000"))
    remote.post_quads(f'<urn:x:source> <{IMR.sha256}> "abc" <{stray}> .\n'.encode())
    result = push(local, remote, method="put", force=True, prune=True)
    assert len(result.replaced) == 21 and result.pruned == ["CM00-0000000"]
    assert stray not in remote.letters()
    decisions = named_queries()["decisions"]
    assert run_query(decisions, remote).rows == run_query(decisions, local).rows


# --------------------------------------------------------------------------- flaky servers


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], upstream: str = "",
                 failures: int = 0, status: int = 503, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.upstream, self.failures, self.status, self.delay = upstream, failures, status, delay
        self.seen: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    """Fail with ``status`` while ``failures`` last (forever without an upstream), then proxy."""

    server: _Recorder

    def log_message(self, *_args: Any) -> None:
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append((self.command, self.path,
                                     self.headers.get("Authorization", "")))
            failing = self.server.failures > 0 or not self.server.upstream
            self.server.failures -= 1
        if self.server.delay:
            time.sleep(self.server.delay)
        if failing:
            payload = b"go away"
            self.send_response(self.server.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("content-type", "accept")}
        req = urllib.request.Request(self.server.upstream + self.path, data=body or None,
                                     method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, data, kind = resp.status, resp.read(), resp.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            status, data, kind = exc.code, exc.read(), exc.headers.get("Content-Type")
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@pytest.fixture
def flaky(server: str) -> Iterator[_Recorder]:
    recorder = _Recorder(_Handler, upstream=server, failures=2)
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


def test_retries_503_then_succeeds(pushed: Any, local: st.LetterStore,
                                   flaky: _Recorder) -> None:
    sleeps: list[float] = []
    client = HttpClient(FAST, sleep=sleeps.append)
    remote = RemoteEndpoint(Endpoints.from_url(flaky.url), client)
    query = named_queries()["decisions"]
    assert run_query(query, remote).rows == run_query(query, local).rows
    assert len(flaky.seen) == 3 and sleeps == [0.01, 0.02]  # exponential backoff
    flaky.failures = 2
    result = push(local, remote)  # each step of a push retries too
    assert result.uploaded == 0 and result.unchanged == 21


def test_cli_retries_through_503(pushed: Any, local: st.LetterStore, flaky: _Recorder,
                                 tmp_path: Path) -> None:
    run = _cli("query", "decisions", "--endpoint", flaky.url, "--format", "csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 86 and len(flaky.seen) == 3


@pytest.fixture
def refusing() -> Iterator[_Recorder]:
    recorder = _Recorder(_Handler, status=401)
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


def test_401_is_one_clear_line_without_secrets(refusing: _Recorder) -> None:
    remote = RemoteEndpoint(Endpoints.from_url(refusing.url),
                            HttpClient(FAST, auth=auth_header({ENV_TOKEN: "s3cr3t"})))
    with pytest.raises(RemoteError) as err:
        run_query(named_queries()["decisions"], remote)
    message = str(err.value)
    assert "HTTP 401" in message and ENV_TOKEN in message and "s3cr3t" not in message
    assert "\n" not in message and len(refusing.seen) == 1  # no retry on 4xx
    assert refusing.seen[0][2] == "Bearer s3cr3t"


def test_cli_401_exits_1(refusing: _Recorder, tmp_path: Path) -> None:
    env = {ENV_USER: "ann", ENV_PASSWORD: "pa55word"}
    run = _cli("push", "--endpoint", refusing.url + "/", "--store", str(tmp_path / "none"),
               cwd=tmp_path, env=env)
    assert run.returncode == 2  # no store: a usage error before any request
    run = _cli("query", "decisions", "--endpoint", refusing.url, cwd=tmp_path, env=env)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imrgraph: error: POST ")
    assert "HTTP 401" in lines[0] and "pa55word" not in run.stderr
    assert refusing.seen[-1][2] == "Basic " + base64.b64encode(b"ann:pa55word").decode()


def test_gives_up_after_retries_on_refused_connection() -> None:
    remote = RemoteEndpoint(Endpoints.from_url(f"http://127.0.0.1:{free_port()}"),
                            HttpClient(HttpSettings(retries=2, backoff=0.001)))
    with pytest.raises(RemoteError, match=r"gave up after 3 attempt\(s\)"):
        remote.letters()


def test_read_timeout() -> None:
    slow = _Recorder(_Handler, status=503, delay=3)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        remote = RemoteEndpoint(Endpoints.from_url(slow.url), HttpClient(
            HttpSettings(connect_timeout=2, read_timeout=0.2, retries=0)))
        started = time.monotonic()
        with pytest.raises(RemoteError, match="timed out"):
            remote.letters()
        assert time.monotonic() - started < 2
    finally:
        slow.shutdown()
        slow.server_close()


# --------------------------------------------------------------------------- CLI and serve


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliRun:
    """The command in-process with no store or endpoint credentials from the environment but
    those in ``env``."""
    unset: dict[str, str | None] = dict.fromkeys((st.ENV_STORE, ENV_USER, ENV_PASSWORD,
                                                  ENV_TOKEN))
    return run_cli(*args, cwd=cwd, env={**unset, **(env or {})})


def test_cli_push_and_query(pushed: Any, local: st.LetterStore, server: str,
                            tmp_path: Path) -> None:
    assert local.directory is not None
    run = _cli("push", "--endpoint", server, "--store", str(local.directory), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "0 letter graph(s) added, 0 replaced, 21 already there" in run.stdout
    there = _cli("query", "citations", "--endpoint", server, "--format", "csv", cwd=tmp_path)
    here = _cli("query", "citations", "--store", str(local.directory), "--format", "csv",
                cwd=tmp_path)
    assert there.returncode == 0, there.stderr
    assert there.stdout == here.stdout and here.stdout.count("\n") > 100


@pytest.mark.parametrize("engine", ["oxigraph", "python"])
def test_serve_store_read_only(local: st.LetterStore, tmp_path: Path, engine: str) -> None:
    assert local.directory is not None
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != st.ENV_STORE}
    proc = subprocess.Popen(
        [sys.executable, "-m", "imrgraph", "serve", "--store", str(local.directory), "--port",
         str(port), "--engine", engine], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_until_up(url + "?query=ASK%7B%7D", proc)
        sparql = SPARQLWrapper(url)
        sparql.setReturnFormat(JSON)
        sparql.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        count = sparql.query().convert()["results"]["bindings"][0]["n"]["value"]
        assert int(count) == len(local)  # the union of the letter graphs
        remote = RemoteEndpoint(Endpoints.from_url(f"http://127.0.0.1:{port}"),
                                HttpClient(FAST))
        query = named_queries()["guideline-outcomes"]
        assert run_query(query, remote, {"level": "chapter"}).rows == run_query(
            query, local, {"level": "chapter"}).rows
        with pytest.raises(RemoteError):
            remote.drop_graphs([str(SHARED_GRAPH)])  # read-only
    finally:
        stop(proc)
