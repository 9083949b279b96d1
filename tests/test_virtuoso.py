"""Virtuoso Open Source (Debian's virtuoso-opensource 7.2), started on loopback by the tests:
``push`` lands every letter graph through the digest-authenticated graph store, and every
named query answers there with the rows it gives locally (the store, itself equal to rdflib,
see test_store)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LETTERS
from test_store import comparable, ids, query_cases
from virtuoso import DBA_PASSWORD, DBA_USER, SKIP_REASON, VIRTUOSO, Virtuoso, running_virtuoso

from imrgraph import store as st
from imrgraph.mapping import SHARED_GRAPH
from imrgraph.remote import (
    ENV_PASSWORD,
    ENV_USER,
    Endpoints,
    HttpClient,
    HttpSettings,
    RemoteEndpoint,
    RemoteError,
    auth_header,
    credentials,
    push,
)
from imrgraph.sparql import named_queries, run

pytestmark = pytest.mark.skipif(VIRTUOSO is None, reason=SKIP_REASON)

SETTINGS = HttpSettings(connect_timeout=5, read_timeout=120, retries=2, backoff=0.1)
DBA = {ENV_USER: DBA_USER, ENV_PASSWORD: DBA_PASSWORD}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    with running_virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[st.LetterStore]:
    directory = tmp_path_factory.mktemp("local") / "store"
    st.build_store([str(LETTERS)], directory, jobs=1)
    with st.LetterStore.open(directory, read_only=True) as store:
        yield store


def _client(env: dict[str, str] | None = None) -> HttpClient:
    env = env or {}
    return HttpClient(SETTINGS, auth=auth_header(env), digest=credentials(env))


@pytest.fixture(scope="module")
def writer(virtuoso: Virtuoso) -> RemoteEndpoint:
    """/sparql-auth as the DBA, as ``imrgraph push --endpoint URL/sparql-auth`` sets it up."""
    return RemoteEndpoint(Endpoints.from_url(virtuoso.sparql_auth), _client(DBA))


@pytest.fixture(scope="module")
def reader(virtuoso: Virtuoso) -> RemoteEndpoint:
    """The anonymous, read-only /sparql."""
    return RemoteEndpoint(Endpoints.from_url(virtuoso.sparql), _client())


@pytest.fixture(scope="module")
def pushed(local: st.LetterStore, writer: RemoteEndpoint) -> Any:
    return push(local, writer)


def test_virtuoso_layout_from_url() -> None:
    assert Endpoints.from_url("http://h:8890/sparql-auth") == Endpoints(
        "http://h:8890/sparql-auth", "http://h:8890/sparql-auth",
        "http://h:8890/sparql-graph-crud-auth")
    assert Endpoints.from_url("http://h:8890/sparql/").graph_store == \
        "http://h:8890/sparql-graph-crud"


def test_push_lands_every_letter(pushed: Any, local: st.LetterStore,
                                 reader: RemoteEndpoint) -> None:
    assert len(pushed.added) == 21 and pushed.shared_pushed
    there = reader.letters()
    assert {g: (i.sha256, i.triples) for g, i in there.items()} == {
        g: (i.sha256, i.triples) for g, i in local.letter_sizes().items()}
    assert reader.graph_size(str(SHARED_GRAPH)) == local.graph_size(SHARED_GRAPH)


def test_second_push_sends_nothing(pushed: Any, local: st.LetterStore,
                                   writer: RemoteEndpoint) -> None:
    again = push(local, writer)
    assert again.uploaded == 0 and not again.shared_pushed and again.unchanged == 21


def test_nquads_post_is_refused_not_silently_dropped(pushed: Any, local: st.LetterStore,
                                                    writer: RemoteEndpoint) -> None:
    """Virtuoso answers 200 to N-Quads POSTed without a graph and stores nothing: a push
    forced to that method fails instead of counting letters as added."""
    graph = sorted(local.letter_sizes())[0]
    writer.drop_graphs([graph])
    with pytest.raises(RemoteError, match="holds 0 of them"):
        push(local, writer, method="post")
    assert push(local, writer).added == [local.letter_sizes()[graph].key]


def test_anonymous_write_is_a_clear_error(pushed: Any, local: st.LetterStore,
                                          reader: RemoteEndpoint) -> None:
    with pytest.raises(RemoteError, match="HTTP 403") as err:
        push(local, reader, force=True)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("case", query_cases(), ids=ids)
def test_virtuoso_queries_equal_local(pushed: Any, local: st.LetterStore,
                                      reader: RemoteEndpoint,
                                      case: tuple[str, dict[str, str]]) -> None:
    name, values = case
    query = named_queries()[name]
    here = run(query, local, values)
    there = run(query, reader, values)
    assert there.columns == here.columns
    assert comparable(query, there.rows) == comparable(query, here.rows)
