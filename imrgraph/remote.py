"""Remote SPARQL 1.1 endpoints: push letters, run the named queries there.

Loading uses the SPARQL 1.1 Graph Store HTTP Protocol: new letters go in batches of N-Quads
POSTed to the graph store (with Oxigraph's ``no_transaction`` parameter, ~8x faster for bulk
loads, see shared/notes/performance.md); a changed letter's graph is dropped first (SPARQL
Update) or replaced by PUT (``method="put"``, plain GSP for servers that take no N-Quads).
Virtuoso is such a server: a POST of N-Quads without ``graph=`` to its /sparql-graph-crud
answers 200 with an HTML form and stores nothing, so ``method="auto"`` (the default) sends it
one PUT of N-Triples per graph, and every push reads back what it sent (a server that
silently drops data fails the push instead of reporting letters "added").
A push is resumable: the endpoint is asked which letter graphs it holds, with their source
sha256 and size, and only missing, changed or incomplete graphs are sent.

Queries (``imrgraph.sparql.run`` with an endpoint as the source) go through SPARQLWrapper
with the same bound text as locally, over the union of the graphs (Oxigraph's
``union-default-graph`` parameter).

Every request has a connect and a read timeout, is retried with exponential backoff on 5xx,
408, 429 and connection errors, and fails with one clear line on other 4xx.  Credentials come
from the environment (``IMRGRAPH_ENDPOINT_USER``/``IMRGRAPH_ENDPOINT_PASSWORD`` for basic auth,
and digest auth when the server asks for it as Virtuoso's ``-auth`` endpoints do;
``IMRGRAPH_ENDPOINT_TOKEN`` for a bearer token) and are never printed.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import io
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from imrgraph.errors import ImrgraphError, UsageError
from imrgraph.mapping import SHARED_GRAPH
from imrgraph.store.letterstore import LetterInfo, LetterStore
from imrgraph.vocab import IMR

ENV_USER = "IMRGRAPH_ENDPOINT_USER"
ENV_PASSWORD = "IMRGRAPH_ENDPOINT_PASSWORD"
ENV_TOKEN = "IMRGRAPH_ENDPOINT_TOKEN"

#: Upper bound of one POSTed batch, whatever the number of letters in it.
MAX_BATCH_BYTES = 16 * 1024 * 1024

#: How a push loads graphs (see :func:`push`).
PUSH_METHODS = ("auto", "post", "put")

#: Virtuoso's SPARQL paths (queries and updates) and the graph store beside each.
VIRTUOSO_PATHS = {"/sparql": "/sparql-graph-crud", "/sparql-auth": "/sparql-graph-crud-auth"}


#: Last path segments of Oxigraph-style URLs that change data (never sent a query).
_WRITE_PATHS = ("update", "store")


class RemoteError(ImrgraphError):
    """An endpoint refused a request or could not be reached (the CLI exits 1)."""


class RemoteAnswerError(RemoteError):
    """An endpoint answered with something that is not the result asked for (not JSON, or
    JSON of another shape)."""


class RemoteTooLargeError(RemoteError):
    """An answer exceeded ``HttpSettings.max_response_bytes`` (read no further)."""


class RemoteDeadlineError(RemoteError):
    """A request (with its retries) outlasted ``HttpSettings.deadline`` (a server dripping
    bytes resets every read timeout, never the deadline)."""


# --------------------------------------------------------------------------- endpoints


def redact(url: str) -> str:
    """A URL fit to print: user and password removed."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Endpoints:
    """Where to query, update and load (the three URLs of a SPARQL 1.1 service)."""

    query: str
    update: str
    graph_store: str

    @classmethod
    def from_url(cls, url: str, update: str | None = None,
                 graph_store: str | None = None) -> Endpoints:
        """A server root gets Oxigraph's /query, /update, /store; Virtuoso's /sparql (or
        /sparql-auth) takes updates itself beside /sparql-graph-crud (-auth); any other query
        URL gets the siblings update and store."""
        url = redact(url)
        update, graph_store = (redact(u) if u else u for u in (update, graph_store))
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"endpoint must be an http(s) URL, got {url!r}")
        virtuoso = VIRTUOSO_PATHS.get(parts.path.rstrip("/"))
        if virtuoso is not None:
            root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            query = root + parts.path.rstrip("/")
            return cls(query=query, update=update or query,
                       graph_store=graph_store or root + virtuoso)
        if parts.path.strip("/") == "":
            root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            query, sibling = root + "/query", root + "/"
        else:
            path = parts.path.rstrip("/").rsplit("/", 1)[0] + "/"
            sibling = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
            # An update or graph store URL given as the endpoint: reads go to the query URL
            # beside it, never to the URL that changes data.
            last = parts.path.rstrip("/").rsplit("/", 1)[-1]
            query = sibling + "query" if last in _WRITE_PATHS else url
            if last == "update" and update is None:
                update = url
        return cls(query=query, update=update or sibling + "update",
                   graph_store=graph_store or sibling + "store")


@dataclass
class HttpSettings:
    """Timeouts (seconds) and retry policy for every request."""

    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    #: Seconds one request may take in all, retries and backoff included.
    deadline: float = 900.0
    #: Largest answer body read (bytes); a larger one fails the request.
    max_response_bytes: int = 256 * 1024 * 1024


def credentials(env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """User and password from the environment, for servers that challenge with digest auth."""
    env = os.environ if env is None else env
    user = env.get(ENV_USER)
    return (user, env.get(ENV_PASSWORD, "")) if user and not env.get(ENV_TOKEN) else None


def url_credentials(url: str | None) -> tuple[str, str] | None:
    """(user, password) written into a URL, decoded; None when it has none."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return None
    return (urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password or ""))


def _env_secrets(env: Mapping[str, str] | None = None) -> Iterator[str]:
    env = os.environ if env is None else env
    for name in (ENV_PASSWORD, ENV_TOKEN):
        if env.get(name):
            yield env[name]


def auth_header(env: Mapping[str, str] | None = None) -> str | None:
    """The Authorization header value from the environment (bearer token wins)."""
    env = os.environ if env is None else env
    token = env.get(ENV_TOKEN)
    if token:
        return f"Bearer {token}"
    user = env.get(ENV_USER)
    if user:
        secret = f"{user}:{env.get(ENV_PASSWORD, '')}".encode()
        return "Basic " + base64.b64encode(secret).decode("ascii")
    return None


# --------------------------------------------------------------------------- HTTP


class _Watch:
    """The deadline of the request under way: a timer shuts its socket down when the deadline
    passes, which ends any read (headers or body, however slowly a server drips them)."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.expired = False
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def start(self, deadline: float) -> None:
        self.deadline, self.expired = deadline, False

    def arm(self, sock: socket.socket) -> None:
        if self.deadline is None:
            return
        timer = threading.Timer(max(self.deadline - time.monotonic(), 0.0), self._expire, (sock,))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        self.deadline = None


class _Timeouts:
    """Connect with one timeout, read with another, and let the watch end it at the deadline."""

    sock: socket.socket

    def _bound(self, read_timeout: float, watch: _Watch) -> None:
        self.sock.settimeout(read_timeout)
        watch.arm(self.sock)


class _Connection(http.client.HTTPConnection, _Timeouts):
    def __init__(self, *args: Any, connect_timeout: float, read_timeout: float, watch: _Watch,
                 **kwargs: Any) -> None:
        kwargs["timeout"] = connect_timeout
        super().__init__(*args, **kwargs)
        self._read_timeout, self._watch = read_timeout, watch

    def connect(self) -> None:
        super().connect()
        self._bound(self._read_timeout, self._watch)


class _SecureConnection(http.client.HTTPSConnection, _Timeouts):
    def __init__(self, *args: Any, connect_timeout: float, read_timeout: float, watch: _Watch,
                 **kwargs: Any) -> None:
        kwargs["timeout"] = connect_timeout
        super().__init__(*args, **kwargs)
        self._read_timeout, self._watch = read_timeout, watch

    def connect(self) -> None:
        super().connect()
        self._bound(self._read_timeout, self._watch)


class _Handler(urllib.request.HTTPHandler):
    def __init__(self, settings: HttpSettings, watch: _Watch) -> None:
        super().__init__()
        self._settings, self._watch = settings, watch

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(
            _Connection, connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout, watch=self._watch), req)


class _SecureHandler(urllib.request.HTTPSHandler):
    def __init__(self, settings: HttpSettings, watch: _Watch) -> None:
        super().__init__()
        self._settings, self._watch = settings, watch

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(
            _SecureConnection, connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout, watch=self._watch), req,
            context=getattr(self, "_context", None))  # HTTPSHandler keeps its SSL context


class _Credentials(urllib.request.HTTPPasswordMgr):
    """One user and password for whatever URL this client is given (the endpoint's)."""

    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self._pair = (user, password)

    def find_user_password(self, realm: str | None, authuri: str) -> tuple[str, str]:
        return self._pair


class _DigestHandler(urllib.request.HTTPDigestAuthHandler):
    """Answer digest challenges only (other 401s stay errors for the caller to report), and
    once challenged, authorise every later request up front with the same nonce: Virtuoso
    answers an unauthorised PUT with 401 and closes the connection before reading the body,
    which breaks the pipe under a large upload."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self._challenge: dict[str, str] | None = None

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        current = req.get_header("Authorization") or "Digest "
        if self._challenge is not None and current.startswith("Digest "):
            auth = self.get_authorization(req, self._challenge)
            if auth:
                req.add_unredirected_header("Authorization", f"Digest {auth}")
        return req

    https_request = http_request

    def http_error_401(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                       headers: http.client.HTTPMessage) -> Any:
        challenge = headers.get("WWW-Authenticate", "")
        if not challenge.lower().startswith("digest"):
            return None  # basic or bearer refused: the caller reports the 401
        self._challenge = urllib.request.parse_keqv_list(
            [part for part in urllib.request.parse_http_list(challenge.split(" ", 1)[1]) if part])
        return super().http_error_401(req, fp, code, msg, headers)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str


class HttpClient:
    """urllib with timeouts, a deadline, a size cap, retries and auth; the body is read inside
    the retry loop.

    ``auth`` is sent with every request (basic or bearer); ``digest`` (user, password) answers
    a server's digest challenge (Virtuoso's ``-auth`` endpoints refuse basic auth).
    ``secrets`` are scrubbed from every message (the credentials given are added to them).
    ``server`` is the Server header last seen, which tells the dialect.
    """

    def __init__(self, settings: HttpSettings | None = None, auth: str | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 digest: tuple[str, str] | None = None, secrets: Iterable[str] = ()) -> None:
        self.settings = settings or HttpSettings()
        self._auth = auth
        self._sleep = sleep
        self._watch = _Watch()
        handlers: list[urllib.request.BaseHandler] = [_Handler(self.settings, self._watch),
                                                      _SecureHandler(self.settings, self._watch)]
        self._digest = digest is not None
        if digest is not None:
            handlers.append(_DigestHandler(_Credentials(*digest)))
        self._opener = urllib.request.build_opener(*handlers)
        self.secrets = _secrets_of(auth, digest, secrets)
        self.requests = 0
        self.bytes_sent = 0
        self.server = ""

    def scrub(self, text: str) -> str:
        """``text`` with every secret this client knows replaced by ``***``."""
        return scrub(text, self.secrets)

    def request(self, method: str, url: str, data: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Response:
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        return self.send(req)

    def send(self, req: urllib.request.Request) -> Response:
        """Send with retries, all within ``settings.deadline``; errors never hold a secret."""
        deadline = time.monotonic() + self.settings.deadline
        try:
            return self._send(req, deadline)
        except RemoteError as exc:
            raise type(exc)(self.scrub(str(exc))) from None
        finally:
            self._watch.stop()

    def _send(self, req: urllib.request.Request, deadline: float) -> Response:
        if self._auth:
            req.add_unredirected_header("Authorization", self._auth)
        method, url = req.get_method(), redact(req.full_url)
        attempts = max(1, self.settings.retries + 1)
        problem, retry_after = "", 0.0
        for attempt in range(attempts):
            if attempt:
                wait = self.settings.backoff * 2 ** (attempt - 1)
                wait = min(max(wait, retry_after), self.settings.max_backoff)
                if time.monotonic() + wait >= deadline:
                    break
                self._sleep(wait)
            self.requests += 1
            self.bytes_sent += len(req.data) if isinstance(req.data, bytes) else 0
            self._watch.start(deadline)
            try:
                with self._opener.open(req) as resp:
                    self.server = resp.headers.get("Server", "")
                    body = self._read(resp, f"{method} {url}")
                    return Response(resp.status, resp.headers, body, resp.geturl())
            except urllib.error.HTTPError as exc:
                body = _safe_read(exc)
                self._check_deadline(method, url)
                self.server = (exc.headers.get("Server") or "") if exc.headers else ""
                if exc.code == 401 and self._basic_refused_for_digest(exc):
                    self._auth = None  # digest from now on (the handler answers challenges)
                    req.remove_header("Authorization")
                    return self._send(req, deadline)
                if exc.code >= 500 or exc.code in (408, 429):
                    problem = f"HTTP {exc.code} {exc.reason}"
                    header = (exc.headers.get("Retry-After") or "") if exc.headers else ""
                    retry_after = float(header) if header.strip().isdigit() else 0.0
                    continue
                raise RemoteError(_describe(method, url, exc.code, str(exc.reason), body)
                                  ) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                self._check_deadline(method, url)
                reason = getattr(exc, "reason", None) or exc
                problem = reason if isinstance(reason, str) else (
                    f"{type(reason).__name__}: {reason}".rstrip(": "))
                retry_after = 0.0
            finally:
                self._watch.stop()
        self._check_deadline(method, url, now=True, deadline=deadline)
        raise RemoteError(f"{method} {url}: {problem} (gave up after {attempts} attempt(s))")

    def _check_deadline(self, method: str, url: str, now: bool = False,
                        deadline: float = 0.0) -> None:
        if self._watch.expired or (now and time.monotonic() >= deadline - 1e-3):
            raise RemoteDeadlineError(f"{method} {url}: no complete answer within the "
                                      f"{self.settings.deadline:g} s deadline")

    def _read(self, resp: http.client.HTTPResponse, what: str) -> bytes:
        """The body, read in pieces and counted: never more than the size cap in memory."""
        cap = self.settings.max_response_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > cap:
            raise RemoteTooLargeError(f"{what}: the answer is {int(declared):,} bytes, more "
                                      f"than the {cap:,}-byte limit")
        parts: list[bytes] = []
        total = 0
        while True:
            piece = resp.read1(1 << 16)
            if not piece:
                break
            total += len(piece)
            if total > cap:
                raise RemoteTooLargeError(f"{what}: the answer exceeds the {cap:,}-byte limit")
            parts.append(piece)
        if self._watch.expired:  # the deadline cut the connection: the body is incomplete
            method, url = what.split(" ", 1)
            self._check_deadline(method, url)
        return b"".join(parts)

    def _basic_refused_for_digest(self, exc: urllib.error.HTTPError) -> bool:
        """Basic auth refused by a server that wants digest: it challenges with Digest, or it
        is Virtuoso, whose -auth endpoints answer a basic header with a bare 401."""
        if not self._digest or not (self._auth or "").startswith("Basic "):
            return False
        challenge = (exc.headers.get("WWW-Authenticate") or "") if exc.headers else ""
        return challenge.lower().startswith("digest") or "virtuoso" in self.server.lower()

    def open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        """Like ``urlopen`` (for SPARQLWrapper), with this client's retries and timeouts."""
        resp = self.send(req)
        return urllib.response.addinfourl(io.BytesIO(resp.body), resp.headers, resp.url,
                                          resp.status)


def _secrets_of(auth: str | None, digest: tuple[str, str] | None,
                extra: Iterable[str]) -> tuple[str, ...]:
    """Every form in which the credentials could be echoed back: the header value, its
    token, the decoded basic pair, the password (plain and URL-quoted)."""
    found: set[str] = {s for s in extra if s}
    if auth:
        found.add(auth)
        scheme, _, token = auth.partition(" ")
        found.add(token)
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                pair = base64.b64decode(token, validate=True).decode("utf-8")
                found.add(pair)
                found.add(pair.partition(":")[2])
    if digest is not None:
        found.add(digest[1])
    found |= {urllib.parse.quote(s, safe="") for s in found}
    return tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _safe_read(exc: urllib.error.HTTPError, limit: int = 64 * 1024) -> bytes:
    """Enough of an error body for a message (never all of a huge or endless one)."""
    try:
        return exc.read(limit) or b""
    except Exception:  # noqa: BLE001 - a broken error body must not hide the error
        return b""


def _describe(method: str, url: str, code: int, reason: str, body: bytes) -> str:
    detail = re.sub(r"\s+", " ", body.decode("utf-8", "replace")).strip()[:200]
    line = f"{method} {url}: HTTP {code} {reason}".rstrip()
    if detail and detail != reason:
        line += f": {detail}"
    if code in (401, 403):
        line += (f" (set {ENV_USER}/{ENV_PASSWORD} for basic auth or {ENV_TOKEN} for a bearer "
                 "token)")
    return line


# --------------------------------------------------------------------------- SPARQL


class _Wrapper(SPARQLWrapper):
    """SPARQLWrapper for the request it builds (parameters, headers); sending and reading the
    answer are :class:`HttpClient`'s (timeouts, deadline, size cap, retries, auth)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint, returnFormat=JSON)
        self.setMethod(POST)

    def request(self) -> urllib.request.Request:
        return self._createRequest()


_TERM_KINDS = ("uri", "bnode", "literal", "typed-literal")


def _term(binding: Any) -> Node:
    """One SPARQL JSON binding as an rdflib term (a wrong shape raises ValueError)."""
    if not isinstance(binding, dict) or binding.get("type") not in _TERM_KINDS or not all(
            isinstance(binding.get(k, ""), str) for k in ("value", "xml:lang", "datatype")):
        raise ValueError(f"not an RDF term: {_excerpt(json.dumps(binding))}")
    kind, value = binding["type"], binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if binding.get("xml:lang"):
        return Literal(value, lang=binding["xml:lang"])
    datatype = binding.get("datatype")
    return Literal(value, datatype=URIRef(datatype) if datatype else None)


def _excerpt(text: str, size: int = 120) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= size else text[:size] + "..."


def parse_results(body: bytes) -> tuple[list[str], list[list[Any]]]:
    """SPARQL JSON results (SELECT or ASK) as columns and rows of rdflib terms; anything else
    raises ValueError saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc}): {_excerpt(body[:400].decode('utf-8', 'replace'))}"
                         ) from None
    if not isinstance(data, dict):
        raise ValueError(f"not a SPARQL JSON result object: {_excerpt(json.dumps(data))}")
    if "boolean" in data:
        if not isinstance(data["boolean"], bool):
            raise ValueError(f"ASK answer is not true or false: {data['boolean']!r}")
        return ["ask"], [[Literal(data["boolean"])]]
    head, results = data.get("head"), data.get("results")
    columns = head.get("vars") if isinstance(head, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ValueError("no head.vars list of names")
    if not isinstance(bindings, list) or not all(isinstance(b, dict) for b in bindings):
        raise ValueError("no results.bindings list of objects")
    rows = [[_term(b[c]) if c in b else None for c in columns] for b in bindings]
    return columns, rows


_LETTERS_QUERY = f"""SELECT ?g ?sha (COUNT(*) AS ?n)
WHERE {{ GRAPH ?g {{ ?source <{IMR.sha256}> ?sha . ?s ?p ?o }} }}
GROUP BY ?g ?sha"""


class RemoteEndpoint:
    """A SPARQL 1.1 service: query, update and graph store URLs plus an HTTP client."""

    def __init__(self, endpoints: Endpoints, client: HttpClient | None = None, *,
                 union_default_graph: bool = True, no_transaction: bool = True) -> None:
        self.endpoints = endpoints
        self.client = client or HttpClient(auth=auth_header(), digest=credentials(),
                                           secrets=_env_secrets())
        self.union_default_graph = union_default_graph
        self.no_transaction = no_transaction

    @classmethod
    def from_url(cls, url: str, *, update: str | None = None, graph_store: str | None = None,
                 settings: HttpSettings | None = None, **kwargs: Any) -> RemoteEndpoint:
        """The service at ``url``; credentials come from the environment, or from the URLs
        (``http://user:password@host/...``: sent as basic auth, or digest when the server
        asks, and stripped from every URL and message)."""
        auth, digest, secrets = auth_header(), credentials(), list(_env_secrets())
        given = next((pair for pair in map(url_credentials, (url, update, graph_store))
                      if pair is not None), None)
        if given is not None:
            user, password = given
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            digest = given
            secrets.append(password)
        return cls(Endpoints.from_url(url, update, graph_store),
                   HttpClient(settings, auth=auth, digest=digest, secrets=secrets), **kwargs)

    @property
    def takes_nquads(self) -> bool:
        """Whether the graph store loads N-Quads POSTed without a graph (Virtuoso's does not:
        it answers 200 and stores nothing); known once a request has been answered."""
        return "virtuoso" not in self.client.server.lower()

    # -- queries

    def select(self, text: str, union: bool | None = None) -> tuple[list[str], list[list[Any]]]:
        """Run a SELECT (or ASK); columns and rows of rdflib terms."""
        union = self.union_default_graph if union is None else union
        url = self.endpoints.query
        if union:
            url += ("&" if "?" in url else "?") + "union-default-graph"
        wrapper = _Wrapper(url)
        wrapper.setQuery(text)
        if wrapper.isSparqlUpdateRequest():  # callers check the grammar (sparql.execute)
            raise UsageError("refusing to send a SPARQL update as a query")
        response = self.client.send(wrapper.request())
        try:
            return parse_results(response.body)
        except (ValueError, RecursionError) as exc:
            raise RemoteAnswerError(self.client.scrub(
                f"{redact(self.endpoints.query)}: not a SPARQL JSON result: {exc}")) from None

    def construct(self, text: str, union: bool | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE; the triples of the answer (N-Triples or Turtle, as the
        server chooses among those asked for)."""
        union = self.union_default_graph if union is None else union
        url = self.endpoints.query
        if union:
            url += ("&" if "?" in url else "?") + "union-default-graph"
        resp = self.client.request(
            "POST", url, urllib.parse.urlencode({"query": text}).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded",
             "Accept": "application/n-triples, text/turtle;q=0.9, text/plain;q=0.5"})
        media = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
        fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
        try:
            return [q.triple for q in ox.parse(resp.body, format=fmt)]
        except SyntaxError as exc:
            raise RemoteError(f"{redact(self.endpoints.query)}: not RDF ({media}): {exc}"
                              ) from None

    def letters(self) -> dict[str, LetterInfo]:
        """{graph IRI: LetterInfo(sha256, triples)} of the letter graphs the endpoint holds."""
        _, rows = self.select(_LETTERS_QUERY, union=False)
        out: dict[str, LetterInfo] = {}
        for g, sha, n in rows:
            if g is not None and str(g) != str(SHARED_GRAPH):
                out[str(g)] = LetterInfo(str(g), str(sha), int(str(n)))
        return out

    def graph_size(self, graph: str) -> int:
        _, rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                              union=False)
        return int(str(rows[0][0])) if rows and rows[0][0] is not None else 0

    # -- loading

    def _store_url(self, graph: str | None = None) -> str:
        params = []
        if graph is not None:
            params.append("graph=" + urllib.parse.quote(graph, safe=""))
        if self.no_transaction:
            params.append("no_transaction")
        url = self.endpoints.graph_store
        return url + (("&" if "?" in url else "?") + "&".join(params) if params else "")

    def post_quads(self, data: bytes) -> None:
        """Add N-Quads to the dataset (graph store POST without a graph parameter)."""
        self.client.request("POST", self._store_url(), data,
                            {"Content-Type": "application/n-quads"})

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace one named graph (graph store PUT)."""
        self.client.request("PUT", self._store_url(graph), ntriples,
                            {"Content-Type": "application/n-triples"})

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        """Drop named graphs in one SPARQL Update request."""
        text = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
        if text:
            self.client.request("POST", self.endpoints.update, text.encode("utf-8"),
                                {"Content-Type": "application/sparql-update"})


# --------------------------------------------------------------------------- push


@dataclass
class PushResult:
    """What a push sent: letters by key, whether the shared graph was replaced, traffic."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    pruned: list[str] = field(default_factory=list)
    shared_pushed: bool = False
    requests: int = 0
    bytes_sent: int = 0

    @property
    def uploaded(self) -> int:
        return len(self.added) + len(self.replaced)


def _batches(graphs: list[str], source: LetterStore, size: int) -> Iterator[tuple[list[str],
                                                                                   bytes]]:
    names: list[str] = []
    parts: list[bytes] = []
    total = 0
    for g in graphs:
        data = source.graph_quads(g)
        names.append(g)
        parts.append(data)
        total += len(data)
        if len(names) >= size or total >= MAX_BATCH_BYTES:
            yield names, b"".join(parts)
            names, parts, total = [], [], 0
    if names:
        yield names, b"".join(parts)


def _check_arrived(remote: RemoteEndpoint, sent: Mapping[str, LetterInfo],
                   shared_size: int | None) -> None:
    """Read back what a push sent: a server may answer 2xx and store nothing."""
    there = remote.letters()
    missing = [info.key for g, info in sorted(sent.items()) if g not in there
               or (there[g].sha256, there[g].triples) != (info.sha256, info.triples)]
    if missing:
        raise RemoteError(
            f"{redact(remote.endpoints.graph_store)} accepted {len(sent)} letter graph(s) but "
            f"holds {len(sent) - len(missing)} of them as sent (first missing: {missing[0]}); "
            "the server may ignore N-Quads POSTed to its graph store: push with the put method")
    if shared_size is not None and remote.graph_size(str(SHARED_GRAPH)) != shared_size:
        raise RemoteError(f"{redact(remote.endpoints.graph_store)} accepted the shared graph "
                          f"<{SHARED_GRAPH}> but does not hold its {shared_size} triples")


def push(source: LetterStore, remote: RemoteEndpoint, *, batch_size: int = 500,
         force: bool = False, method: str = "auto", prune: bool = False,
         progress: Callable[[int], None] | None = None) -> PushResult:
    """Send the letters of ``source`` that the endpoint lacks or holds in another version.

    The shared graph (vocabularies, minted guideline nodes) is replaced first when its size
    differs, so queries never see a letter without the concepts it cites.  ``method``: post
    (N-Quads batches), put (one PUT of N-Triples per graph) or auto (put for Virtuoso, whose
    graph store takes no N-Quads, post elsewhere).  What was sent is read back afterwards.
    """
    if method not in PUSH_METHODS:
        raise UsageError(f"push method must be one of {', '.join(PUSH_METHODS)}, not {method!r}")
    requests_before, bytes_before = remote.client.requests, remote.client.bytes_sent
    result = PushResult()
    local = source.letter_sizes()
    present = remote.letters()
    if method == "auto":
        method = "post" if remote.takes_nquads else "put"
    shared = str(SHARED_GRAPH)
    shared_size = source.graph_size(shared)
    if force or remote.graph_size(shared) != shared_size:
        remote.put_graph(shared, source.graph_triples(shared))
        result.shared_pushed = True
    new: list[str] = []
    changed: list[str] = []
    for g, info in sorted(local.items()):
        there = present.get(g)
        if there is None:
            new.append(g)
        elif force or (there.sha256, there.triples) != (info.sha256, info.triples):
            changed.append(g)
        else:
            result.unchanged += 1
            if progress:
                progress(1)
    if method == "put":
        for g in changed + new:
            remote.put_graph(g, source.graph_triples(g))
            if progress:
                progress(1)
    else:
        for names, data in _batches(changed, source, batch_size):
            remote.drop_graphs(names)
            remote.post_quads(data)
            if progress:
                progress(len(names))
        for names, data in _batches(new, source, batch_size):
            remote.post_quads(data)
            if progress:
                progress(len(names))
    result.added = [local[g].key for g in new]
    result.replaced = [local[g].key for g in changed]
    if new or changed or result.shared_pushed:
        _check_arrived(remote, {g: local[g] for g in new + changed},
                       shared_size if result.shared_pushed else None)
    if prune:
        gone = sorted(set(present) - set(local))
        for start in range(0, len(gone), batch_size):
            remote.drop_graphs(gone[start:start + batch_size])
        result.pruned = [present[g].key for g in gone]
    result.requests = remote.client.requests - requests_before
    result.bytes_sent = remote.client.bytes_sent - bytes_before
    return result


__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_USER",
    "Endpoints",
    "HttpClient",
    "HttpSettings",
    "PUSH_METHODS",
    "PushResult",
    "RemoteAnswerError",
    "RemoteDeadlineError",
    "RemoteEndpoint",
    "RemoteError",
    "RemoteTooLargeError",
    "auth_header",
    "credentials",
    "parse_results",
    "push",
    "scrub",
    "url_credentials",
]
