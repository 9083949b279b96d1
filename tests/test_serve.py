"""``imrgraph serve`` ships ready (issue 15 item 4): the Oxigraph server, SPARQL 1.1 content
negotiation (JSON, XML, CSV, TSV by Accept), the query page at /, and the endpoint answering
rows and RDF through ``imrgraph query --endpoint``.  A real server process on a free loopback
port, real HTTP requests."""

from __future__ import annotations

import csv
import io
import json
import os
import site
import subprocess
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SEEDS
from rdflib import Graph
from servers import free_port, stop, wait_until_up

from imrgraph import api
from imrgraph.cli import main

COUNT = ("PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
         "SELECT ?outcome (COUNT(?i) AS ?n) WHERE { ?i imr:outcome ?outcome } "
         "GROUP BY ?outcome ORDER BY ?outcome")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("serve") / "store"
    api.build_store([str(p) for p in SEEDS], store, jobs=1)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "imrgraph", "serve", "--store", str(store),
                               "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", server)
        yield url
    finally:
        stop(server, timeout=30)


def _get(url: str, accept: str | None = None) -> tuple[str, bytes]:
    headers = {"Accept": accept} if accept else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return r.headers.get("Content-Type", ""), r.read()


def _query_url(endpoint: str) -> str:
    return endpoint + "/query?" + urllib.parse.urlencode({"query": COUNT})


def test_results_as_the_accept_header_asks(endpoint: str) -> None:
    kind, body = _get(_query_url(endpoint), "application/sparql-results+json")
    assert kind.startswith("application/sparql-results+json")
    rows = {b["outcome"]["value"].rsplit("#", 1)[1]: int(b["n"]["value"])
            for b in json.loads(body)["results"]["bindings"]}
    assert rows["Upheld"] + rows["Overturned"] == 11
    kind, body = _get(_query_url(endpoint), "application/sparql-results+xml")
    assert kind.startswith("application/sparql-results+xml")
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert len(ET.fromstring(body).findall(f"{ns}results/{ns}result")) == len(rows)
    kind, body = _get(_query_url(endpoint), "text/csv")
    assert kind.startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(body.decode())))
    assert {r["outcome"].rsplit("#", 1)[1]: int(r["n"]) for r in table} == rows
    kind, body = _get(_query_url(endpoint), "text/tab-separated-values")
    assert kind.startswith("text/tab-separated-values")
    assert body.decode().splitlines()[0].split("\t") == ["?outcome", "?n"]


def test_the_query_page_is_there(endpoint: str) -> None:
    kind, body = _get(endpoint + "/", "text/html")
    assert kind.startswith("text/html") and b"yasgui" in body.lower()


def test_query_command_on_the_endpoint(endpoint: str, tmp_path: Path) -> None:
    runner = CliRunner()
    local = api.run_query("decisions", api.build([str(p) for p in SEEDS]).graph)
    remote = runner.invoke(main, ["query", "decisions", "--endpoint", endpoint, "--format",
                                  "json"])
    assert remote.exit_code == 0, remote.output
    assert sorted(map(tuple, (r.values() for r in json.loads(remote.stdout)))) == sorted(
        tuple(r) for r in local.rows)
    construct = runner.invoke(main, ["query", "--endpoint", endpoint, "--sparql",
                                     "PREFIX imr: <https://w3id.org/imrgraph/ontology#> "
                                     "CONSTRUCT { ?i imr:outcome ?o } WHERE { ?i imr:outcome ?o }"])
    assert construct.exit_code == 0, construct.output
    assert len(Graph().parse(data=construct.stdout, format="turtle")) == 11


def test_without_the_oxigraph_server_serve_says_how_to_install(tmp_path: Path) -> None:
    """A PATH and interpreter folder without `oxigraph`: a clear error, no silent fallback."""
    store = tmp_path / "store"
    api.build_store([str(SEEDS[0])], store, jobs=1)
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    packages = os.pathsep.join([str(ROOT), *site.getsitepackages()])
    env = {**os.environ, "PYTHONPATH": packages, "PATH": str(bare)}
    run = subprocess.run([str(bare / "python"), "-m", "imrgraph", "serve", "--store", str(store),
                          "--port", str(free_port())], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    assert "pip install oxigraph" in run.stderr
