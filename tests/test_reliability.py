"""Nothing lost, nothing clobbered, nothing run that should not be (issue 16): read-only
queries on every backend, output paths written through, exports that round-trip, hostile
endpoints, the store server, and one-line errors for broken stores and inputs."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import stat
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

import pyoxigraph as ox
import pytest
import test_remote
from conftest import LETTERS, ROOT
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from servers import free_port, stop, wait_until_up
from test_remote import OXIGRAPH, _cli

from imrgraph.errors import UsageError
from imrgraph.outputs import EXPORT_FORMATS, open_output, write_atomic, write_output
from imrgraph.remote import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    Endpoints,
    HttpSettings,
    RemoteAnswerError,
    RemoteDeadlineError,
    RemoteEndpoint,
    RemoteError,
    RemoteTooLargeError,
)
from imrgraph.sparql import run as run_query
from imrgraph.store.serve import STALE_HEADER, uses_service

server = test_remote.server  # the real Oxigraph server fixture

needs_oxigraph = pytest.mark.skipif(OXIGRAPH is None, reason="the Oxigraph server CLI is not "
                                    "installed (pip install oxigraph)")

UPDATES = ["DROP ALL", "CLEAR DEFAULT", "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
           "DELETE WHERE { ?s ?p ?o }", "LOAD <http://127.0.0.1:9/x.ttl>",
           "CREATE GRAPH <urn:g>", "COPY DEFAULT TO <urn:g>", "MOVE DEFAULT TO <urn:g>",
           "ADD DEFAULT TO <urn:g>",
           "WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
           "SELECT * { ?s ?p ?o } ; DROP ALL"]


# --------------------------------------------------------------------------- 16.1 read only


def _quad_count(root: str) -> int:
    req = urllib.request.Request(root + "/query", data=b"SELECT (COUNT(*) AS ?n) "
                                 b"{ GRAPH ?g { ?s ?p ?o } }",
                                 headers={"Content-Type": "application/sparql-query",
                                          "Accept": "text/csv"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return int(resp.read().decode().split()[1])


@pytest.fixture(scope="module")
def loaded_server(server: str) -> str:
    """A real read-write Oxigraph server (test_remote's) holding 50 quads; its root URL."""
    data = "".join(f"<urn:s{i}> <urn:p> \"{i}\" <urn:g{i % 3}> .\n" for i in range(50))
    urllib.request.urlopen(urllib.request.Request(
        server + "/store", data=data.encode(), method="POST",
        headers={"Content-Type": "application/n-quads"}), timeout=30).close()
    return server


@needs_oxigraph
@pytest.mark.parametrize("path", ["/update", "", "/query", "/store"])
def test_cli_query_refuses_drop_all_on_a_real_server(loaded_server: str, tmp_path: Path,
                                                     path: str) -> None:
    before = _quad_count(loaded_server)
    assert before == 50
    rq = tmp_path / "drop.rq"
    rq.write_text("DROP ALL\n", encoding="utf-8")
    run = _cli("query", str(rq), "--endpoint", loaded_server + path, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "update" in lines[0] and "Traceback" not in run.stderr
    assert _quad_count(loaded_server) == before


@needs_oxigraph
@pytest.mark.parametrize("text", UPDATES)
def test_no_update_form_reaches_an_endpoint(loaded_server: str, text: str) -> None:
    with pytest.raises(UsageError, match="update|not a SPARQL query"):
        run_query(text + ("" if "{" in text else " # {"), loaded_server + "/update")
    assert _quad_count(loaded_server) == 50


@needs_oxigraph
def test_reads_given_the_update_url_go_to_the_query_url(loaded_server: str) -> None:
    assert Endpoints.from_url(loaded_server + "/update").query == loaded_server + "/query"
    assert Endpoints.from_url(loaded_server + "/update").update == loaded_server + "/update"
    rows = run_query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", loaded_server + "/update").rows
    assert rows == [[50]]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_updates_refused_on_graphs_and_stores(engine: str, tmp_path: Path) -> None:
    from rdflib import Graph, Literal, URIRef

    graph = Graph()
    graph.add((URIRef("urn:a"), URIRef("urn:b"), Literal(1)))
    for text in UPDATES:
        with pytest.raises(UsageError, match="update|not a SPARQL query"):
            run_query(text + " # {", graph, engine=engine)
    assert len(graph) == 1
    rq = tmp_path / "drop.rq"
    rq.write_text("DROP ALL\n", encoding="utf-8")
    graph.serialize(tmp_path / "g.ttl", format="turtle")
    run = _cli("query", str(rq), "--graph", str(tmp_path / "g.ttl"), "--engine", engine,
               cwd=tmp_path)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "update" in run.stderr


# --------------------------------------------------------------------------- 16.2 outputs


NT = '<urn:a> <urn:b> "c" .\n'


def _write_nt(path: str | Path) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(NT, encoding="utf-8"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_regular_file_written_atomically_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.nt"
    target.write_text("old\n")
    target.chmod(0o600)
    _write_nt(target)
    assert target.read_text() == NT and (target.stat().st_mode & 0o777) == 0o600
    _write_nt(tmp_path / "new" / "made.nt")
    assert (tmp_path / "new" / "made.nt").read_text() == NT
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("dangling", [False, True])
def test_symlink_is_written_through_to_its_target(tmp_path: Path, dangling: bool) -> None:
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "target.nt"
    if not dangling:
        target.write_text("old\n")
    link = tmp_path / "link.nt"
    link.symlink_to(target)
    _write_nt(link)
    assert link.is_symlink() and target.read_text() == NT
    with open_output(link) as out:
        out.write(b"# again\n")
    assert link.is_symlink() and target.read_text() == "# again\n"
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "data") == []


def _read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as fh:
            into.append(fh.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.nt"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    _write_nt(fifo)
    reader.join(10)
    assert got == [NT.encode()] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    link = tmp_path / "to-pipe.nt"  # a link to a FIFO is a FIFO too
    link.symlink_to(fifo)
    reader = _read_fifo(fifo, got)
    write_output(link, lambda out: out.write(b"x\n"))
    reader.join(10)
    assert got[1] == b"x\n" and link.is_symlink() and _leftovers(tmp_path) == []


def test_character_device_is_written_through(tmp_path: Path) -> None:
    link = tmp_path / "null.nt"
    link.symlink_to("/dev/null")
    _write_nt(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _leftovers(tmp_path) == []


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="folder"):
        _write_nt(tmp_path)


@pytest.fixture(scope="module")
def small_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two letters built into a Turtle file, plus triples with blank nodes."""
    from imrgraph import api

    folder = tmp_path_factory.mktemp("graph")
    graph = api.build([str(p) for p in sorted(LETTERS.glob("0*.txt"))[:2]]).graph
    graph.parse(data="@prefix ex: <urn:ex:> . ex:a ex:list (1 2 3) ; ex:b [ ex:c [ ex:d 1 ] ] .",
                format="turtle")
    path = folder / "g.ttl"
    api.serialize(graph, path, "ttl")
    return path


def _process_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own (its standard output is a real descriptor)."""
    return subprocess.run([sys.executable, "-m", "imrgraph", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("target", ["-", "/dev/fd/1", "/proc/self/fd/1", "link"])
def test_cli_export_to_standard_output(small_graph: Path, tmp_path: Path, target: str) -> None:
    """A real process: /dev/fd/1 and /dev/stdout name the process's own standard output."""
    if target == "link":
        target = str(tmp_path / "stdout.nt")
        Path(target).symlink_to("/dev/stdout")
    run = _process_cli("export", str(small_graph), "--format", "nt", "-o", target, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    graph = Graph().parse(data=run.stdout, format="nt")
    assert isomorphic(graph, Graph().parse(small_graph, format="turtle"))
    assert "triples -> " in run.stderr and "triples -> " not in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["stdout.nt"] if target.endswith("stdout.nt") else [])
    assert os.path.islink("/dev/stdout") or not Path("/dev/stdout").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="as root a regression would replace the "
                    "system's /dev/stdout (the symlink case above covers it)")
def test_cli_export_to_dev_stdout(small_graph: Path, tmp_path: Path) -> None:
    run = _process_cli("export", str(small_graph), "--format", "nt", "-o", "/dev/stdout",
                       cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.count("\n") > 100, run.stderr


_SLOW_WRITER = """
import sys, time
from pathlib import Path
from imrgraph.outputs import write_atomic
def write(tmp):
    tmp.write_text("partial")
    print("writing", flush=True)
    time.sleep(60)
write_atomic(sys.argv[1], write)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_killed_write_leaves_no_temporary(tmp_path: Path, sig: int) -> None:
    target = tmp_path / "graph.nt"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
        proc.send_signal(sig)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            pytest.skip(f"signal {sig} was not delivered within 120 s (the machine, not the code)")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode == 0:  # seen twice on a loaded VM: the signal came after the write ended
        pytest.skip(f"signal {sig} arrived only after the writer had finished: nothing to test")
    if sig == signal.SIGKILL:
        assert len(_leftovers(tmp_path)) == 1  # nothing can clean up after kill -9 ...
        _write_nt(target)  # ... but the next write of that target does
    assert _leftovers(tmp_path) == [] and (not target.exists() or target.read_text() == NT)


# --------------------------------------------------------------------------- 16.10 exports


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_every_export_format_round_trips_byte_stable(small_graph: Path, tmp_path: Path,
                                                     fmt: str) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}.{fmt}"
        run = _cli("export", str(small_graph), "--format", fmt, "-o", str(out), cwd=tmp_path,
                   env={"PYTHONHASHSEED": seed})
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        outputs.append(out)
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    original = Graph().parse(small_graph, format="turtle")
    parser = {"ttl": "turtle", "longturtle": "turtle", "jsonld": "json-ld", "nt": "nt",
              "nq": "nquads", "trig": "trig"}[fmt]
    if fmt in ("nq", "trig"):
        dataset = Dataset()
        dataset.parse(outputs[0], format=parser)
        assert [g for g in dataset.graphs() if len(g)] == [dataset.default_graph]
        back = Graph()
        for triple in dataset.default_graph:
            back.add(triple)
    else:
        back = Graph().parse(outputs[0], format=parser)
    assert isomorphic(back, original)
    if fmt in ("nq", "trig", "nt", "ttl"):  # pyoxigraph (a second, strict parser) reads it
        kinds = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                 "nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}
        quads = list(ox.parse(path=str(outputs[0]), format=kinds[fmt]))
        assert len(quads) == len(original)
        assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)


# --------------------------------------------------------------------------- 16.9 hostile


class _Hostile(BaseHTTPRequestHandler):
    """Answers every request the way ``server.mode`` says a broken or hostile server would."""

    server: _HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization", "")
        self.server.seen.append(auth)
        mode = self.server.mode
        with contextlib.suppress(OSError):
            if mode == "ok":
                self._send(200, json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": [
                    {"n": {"type": "literal", "value": "7"}}]}}).encode())
            elif mode in _ANSWERS:
                self._send(200, _ANSWERS[mode])
            elif mode == "huge":
                self._send(200, b"[" + b" " * 100_000 + b"]")
            elif mode == "huge-declared":
                self._send(200, b"{}", length=400 * 1024 * 1024)
            elif mode == "drip":
                self._send(200, b"", length=1000)
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "echo":
                self._send(400, f"bad request, you sent Authorization: {auth}".encode())
            elif mode == "echo-5xx":
                self._send(503, f"overloaded; Authorization: {auth}".encode())

    do_GET = do_POST


_ANSWERS = {
    "malformed": b'{"head": {"vars": ["n"]}, "results": {"bindings": [',
    "html": b"<html><body>Welcome to the proxy</body></html>",
    "list": b"[1, 2, 3]",
    "no-head": b'{"results": {"bindings": []}}',
    "bad-binding": b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": "seven"}]}}',
    "bad-term": b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": 5}}]}}',
    "bad-ask": b'{"head": {}, "boolean": "maybe"}',
    "deep": b"[" * 4000 + b"]" * 4000,
}


class _HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hostile)
        self.mode = "ok"
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def hostile() -> Iterator[_HostileServer]:
    server = _HostileServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


QUICK = HttpSettings(connect_timeout=2, read_timeout=2, retries=0, backoff=0.01, deadline=1.0,
                     max_response_bytes=10_000)


@pytest.mark.parametrize("mode", sorted(_ANSWERS))
def test_malformed_or_wrong_shaped_answers_are_one_typed_line(hostile: _HostileServer,
                                                              mode: str) -> None:
    hostile.mode = mode
    remote = RemoteEndpoint.from_url(hostile.url, settings=QUICK)
    with pytest.raises(RemoteAnswerError, match="not a SPARQL JSON result") as err:
        run_query("SELECT ?n { ?s ?p ?n }", remote)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_good_answer_still_read(hostile: _HostileServer) -> None:
    remote = RemoteEndpoint.from_url(hostile.url, settings=QUICK)
    assert run_query("SELECT ?n { ?s ?p ?n }", remote).rows == [["7"]]


@pytest.mark.parametrize("mode", ["huge", "huge-declared"])
def test_answer_size_is_capped(hostile: _HostileServer, mode: str) -> None:
    hostile.mode = mode
    remote = RemoteEndpoint.from_url(hostile.url, settings=QUICK)
    with pytest.raises(RemoteTooLargeError, match="10,000-byte limit"):
        run_query("SELECT ?n { ?s ?p ?n }", remote)


def test_dripping_server_meets_the_deadline(hostile: _HostileServer) -> None:
    hostile.mode = "drip"  # a byte every 0.05 s: the 2 s read timeout never fires
    remote = RemoteEndpoint.from_url(hostile.url, settings=QUICK)
    started = time.monotonic()
    with pytest.raises(RemoteDeadlineError, match="1 s deadline"):
        run_query("SELECT ?n { ?s ?p ?n }", remote)
    assert time.monotonic() - started < 1.8


def test_credentials_in_the_url_are_basic_auth_and_never_printed(
        hostile: _HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_USER, ENV_PASSWORD, ENV_TOKEN):
        monkeypatch.delenv(name, raising=False)
    url = hostile.url.replace("http://", "http://ann:pa%3A55word@")
    remote = RemoteEndpoint.from_url(url, settings=QUICK)
    assert "@" not in remote.endpoints.query and "pa" not in remote.endpoints.graph_store
    assert run_query("SELECT ?n { ?s ?p ?n }", remote).rows == [["7"]]
    assert hostile.seen[-1] == "Basic " + base64.b64encode(b"ann:pa:55word").decode()
    hostile.mode = "echo"
    with pytest.raises(RemoteError) as err:
        run_query("SELECT ?n { ?s ?p ?n }", remote)
    assert "pa:55word" not in str(err.value) and "pa%3A55word" not in str(err.value)
    assert base64.b64encode(b"ann:pa:55word").decode() not in str(err.value)
    assert "HTTP 400" in str(err.value) and "***" in str(err.value)


@pytest.mark.parametrize("mode", ["echo", "echo-5xx"])
def test_echoed_token_is_scrubbed(hostile: _HostileServer, tmp_path: Path, mode: str) -> None:
    hostile.mode = mode
    run = _cli("query", "decisions", "--endpoint", hostile.url, "--retries", "0", cwd=tmp_path,
               env={ENV_TOKEN: "s3cr3t-t0ken"})
    assert run.returncode == 1 and hostile.seen == ["Bearer s3cr3t-t0ken"]
    assert "s3cr3t-t0ken" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- 16.11 smaller


def _one_error_line(run: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert run.returncode == code, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("store", [False, True])
def test_build_without_letters_is_an_error(tmp_path: Path, store: bool) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("not a letter\n")
    args = ["--store", str(tmp_path / "s")] if store else ["-o", str(tmp_path / "g.ttl")]
    run = _cli("build", str(tmp_path / "empty"), *args, cwd=tmp_path)
    _one_error_line(run, 1, "no letters found in", "empty")
    assert not (tmp_path / "g.ttl").exists()


@pytest.mark.parametrize("store", [False, True])
def test_quiet_build_prints_only_the_summary(tmp_path: Path, store: bool) -> None:
    (tmp_path / "in").mkdir()
    for seed in sorted(LETTERS.glob("0*.txt"))[:2]:
        (tmp_path / "in" / seed.name).write_bytes(seed.read_bytes())
        (tmp_path / "in" / ("copy-" + seed.name)).write_bytes(seed.read_bytes())  # duplicate
    (tmp_path / "in" / "empty.txt").write_text("")  # rejected
    args = ["--store", str(tmp_path / "s")] if store else ["-o", str(tmp_path / "g.ttl")]
    run = _cli("build", str(tmp_path / "in"), "-q", *args, cwd=tmp_path)
    assert run.returncode == 1  # a rejected input
    # only the error: the rejected input (no duplicate or warning lines, no summary: the report
    # file has them all)
    assert run.stdout == "" and run.stderr.strip().splitlines() == [
        f"rejected: {tmp_path / 'in' / 'empty.txt'}: empty file"], run.stderr


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("stores") / "store"
    run = _cli("build", *[str(p) for p in sorted(LETTERS.glob("0*.txt"))[:2]], "--store",
               str(directory), "-q", cwd=directory.parent)
    assert run.returncode == 0, run.stderr
    return directory


def _copy(store: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    return copy


@pytest.mark.parametrize("pending", [b"[1, 2]", b'{"x": 1}', b'["not an iri"]', b'["x',
                                     b"\xff\xfe garbage"])
def test_corrupt_pending_load_is_one_line_with_the_way_back(built_store: Path, tmp_path: Path,
                                                           pending: bytes) -> None:
    store = _copy(built_store, tmp_path)
    (store / "pending-load.json").write_bytes(pending)
    run = _cli("build", str(sorted(LETTERS.glob("0*.txt"))[0]), "--store", str(store), "-q",
               cwd=tmp_path)
    _one_error_line(run, 1, "pending-load.json", "remove it", "--force")


def test_missing_rocksdb_current_is_one_line_with_the_way_back(built_store: Path,
                                                              tmp_path: Path) -> None:
    store = _copy(built_store, tmp_path)
    (store / "oxigraph" / "CURRENT").unlink()
    for args in (["store-info"], ["query", "decisions"]):
        run = _cli(*args, "--store", str(store), cwd=tmp_path)
        _one_error_line(run, 1, "damaged", "imrgraph build", "--store")


def test_damaged_table_file_is_one_line_with_the_way_back(built_store: Path,
                                                         tmp_path: Path) -> None:
    store = _copy(built_store, tmp_path)
    for table in (store / "oxigraph").glob("*.sst"):
        data = bytearray(table.read_bytes())
        for i in range(100, len(data) - 100, 7):
            data[i] ^= 0xFF
        table.write_bytes(bytes(data))
    for args in (["store-info"], ["query", "decisions"], ["export", "--format", "nq", "-o",
                                                          str(tmp_path / "x.nq")]):
        run = _cli(*args, "--store", str(store), cwd=tmp_path)
        _one_error_line(run, 1, "damaged", "imrgraph build")


def test_undecodable_parameter_is_a_usage_error(small_graph: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "imrgraph", "query", "cases-citing", "--graph",
         str(small_graph), "--param", b"guideline=\xff".decode("utf-8", "surrogateescape")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)})
    _one_error_line(run, 2, "parameter guideline is not valid text")
    from imrgraph.sparql import bind_parameters, load_query

    with pytest.raises(UsageError, match="not valid text"):
        bind_parameters(load_query("cases-citing"), {"guideline": "Low \ud800 Back"})


# --------------------------------------------------------------------------- 16.8 serve


def _post_query(url: str, text: str, timeout: float = 60) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=text.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.mark.parametrize("engine", [pytest.param("oxigraph", marks=needs_oxigraph), "python"])
def test_serve_bounds_queries_refuses_service_and_says_when_stale(
        built_store: Path, tmp_path: Path, engine: str) -> None:
    store = _copy(built_store, tmp_path)
    fetched = _HostileServer()  # would record a SERVICE fetch
    threading.Thread(target=fetched.serve_forever, daemon=True).start()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "imrgraph", "serve", "--store", str(store), "--port", str(port),
         "--engine", engine, "--timeout", "1"], cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_until_up(url + "?query=ASK%7B%7D", proc, timeout=120)
        status, body, headers = _post_query(url, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
        assert status == 200 and STALE_HEADER not in headers
        count = json.loads(body)["results"]["bindings"][0]["n"]["value"]
        # SERVICE is off: the named server is never contacted
        status, body, _ = _post_query(url, f"SELECT * {{ SERVICE <{fetched.url}/sparql> "
                                      "{ ?s ?p ?o } }")
        assert status == 403 and b"--allow-service" in body and fetched.seen == []
        # a runaway query is stopped near the limit, and the server answers afterwards
        started = time.monotonic()
        status, body, _ = _post_query(url, CROSS_PRODUCT, timeout=30)
        assert status >= 500 and time.monotonic() - started < 10, body
        assert _post_query(url, "ASK { ?s ?p ?o }")[0] == 200
        # rebuilt while served: answers carry the header, the log says it once
        run = _cli("build", str(sorted(LETTERS.glob("0*.txt"))[2]), "--store", str(store), "-q",
                   cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        status, body, headers = _post_query(url, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
        assert status == 200 and STALE_HEADER in headers
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == count  # old state
    finally:
        stop(proc)
        fetched.shutdown()
        fetched.server_close()
    assert proc.stderr is not None
    log = proc.stderr.read().decode()
    assert log.count("changed on disk") == 1 and "Traceback" not in log, log


def test_serve_on_a_busy_port_is_one_line_before_any_announcement(built_store: Path,
                                                                  tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = _cli("serve", "--store", str(built_store), "--port", str(port), cwd=tmp_path)
    line = _one_error_line(run, 2, f"port {port} is in use")
    assert "SPARQL endpoint" not in run.stderr and line.startswith("imrgraph: error:")


@pytest.mark.parametrize(("text", "service"), [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", True),
    ("select * { service silent ?url { ?s ?p ?o } }", True),
    ("SELECT ?service { ?service <urn:p> 'SERVICE' } # SERVICE", False),
    ("PREFIX service: <urn:x#> SELECT * { ?s service:SERVICE <http://h/SERVICE> }", False),
])
def test_service_keyword_is_found_only_where_it_is_one(text: str, service: bool) -> None:
    assert uses_service(text) is service
