"""Named SPARQL queries: loading, headers, parameters and their binding.

A query is a ``.rq`` file whose comment header states its purpose, parameters and columns::

    # name: guideline-outcomes
    # param: level = topic : work | chapter | topic
    # columns: guideline, citations, ...

Inside the query a parameter NAME is written ``?_NAME``.  Binding replaces each ``?_NAME``
token (outside strings and comments) with the value as one RDF term, written with rdflib's
N-Triples escaping, so a value can never change the query's structure — whatever quotes,
braces or newlines it holds.  As constants, parameters are seen inside sub-selects too, and
the store's planner can use them.  The same bound text runs on rdflib, pyoxigraph and remote
endpoints.  A parameter is a value: use it in expressions and patterns, not as a projected or
grouped variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from imrgraph.errors import QueryParameterError, UsageError
from imrgraph.resources import files
from imrgraph.sparql.params import check_values

_PARAM = re.compile(r"^#\s*param:\s*(?P<name>[A-Za-z_][\w-]*)\s*"
                    r"(?:\((?P<kind>iri|string|integer)\))?"
                    r"\s*(?:=\s*(?P<default>[^:]*?))?\s*(?::\s*(?P<doc>.*))?$")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str = "string"
    default: str | None = None
    doc: str = ""


@dataclass
class NamedQuery:
    name: str
    text: str
    path: Path | None = None
    purpose: str = ""
    columns: list[str] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    #: Set by :meth:`sliced`: the page and the text before slicing (a store can then answer
    #: the page without evaluating the whole listing, see ``imrgraph.sparql.execute``).
    limit: int | None = None
    offset: int = 0
    whole_text: str | None = None

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE: what the query answers (rows or triples)."""
        return query_form(self.text)

    def sliced(self, limit: int | None = None, offset: int | None = None) -> NamedQuery:
        """The same query returning one page of its rows (SPARQL LIMIT / OFFSET), so a listing
        over a large store can be looked at without fetching every row."""
        if limit is None and not offset:
            return self
        for name, value in (("limit", limit), ("offset", offset)):
            if value is not None and value < 0:
                raise UsageError(f"{name} must be 0 or more, got {value}", name)
        tail = _strip_comments(self.text)
        last_group = tail.rfind("}")
        if re.search(r"\b(LIMIT|OFFSET)\b", tail[last_group + 1:], re.IGNORECASE):
            raise UsageError(f"query {self.name} has its own LIMIT or OFFSET; no limit or "
                             "offset can be added to it", "limit" if limit is not None
                             else "offset")
        page = (f"LIMIT {limit}" if limit is not None else "") + (
            f" OFFSET {offset}" if offset else "")
        return replace(self, text=self.text.rstrip() + "\n" + page.strip() + "\n", limit=limit,
                       offset=offset or 0, whole_text=self.text)

    def unsliced(self) -> NamedQuery:
        """The whole query a page was sliced from (itself when it is not a page)."""
        if self.whole_text is None:
            return self
        return replace(self, text=self.whole_text, limit=None, offset=0, whole_text=None)

    @property
    def pages_by_document(self) -> bool:
        """The query's header says its rows are ordered by letter first (by the source
        document's name), so a page can be computed from the first letters alone."""
        return bool(re.search(r"(?m)^#\s*pages:\s*by document\b", self.text))


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    return parse_query_text(text, name=path.stem, path=path)


def parse_query_text(text: str, name: str, path: Path | None = None) -> NamedQuery:
    query = NamedQuery(name=name, text=text, path=path)
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        header.append(line)
    current = None
    columns_text: list[str] = []
    for line in header:
        m = re.match(r"^#\s*(name|purpose|param|columns):\s*(.*)$", line)
        if m:
            current = m.group(1)
            if current == "name" and m.group(2).strip():
                query.name = m.group(2).strip()
            elif current == "purpose":
                query.purpose = m.group(2).strip()
            elif current == "param":
                pm = _PARAM.match(line.strip())
                if pm and pm.group("name") != "none" and not line.strip().endswith("(none)"):
                    p = Parameter(
                        name=pm.group("name"),
                        kind=pm.group("kind") or "string",
                        default=(pm.group("default") or "").strip() or None,
                        doc=(pm.group("doc") or "").strip(),
                    )
                    query.parameters[p.name] = p
            elif current == "columns":
                columns_text.append(m.group(2))
        elif current == "purpose":
            query.purpose += " " + line.lstrip("# ").strip()
        elif current == "columns":
            columns_text.append(line.lstrip("#"))
    query.columns = _column_names(" ".join(columns_text))
    # Parameters used as ?_name but not declared still get bound (user-written queries).
    for used in sorted(set(re.findall(r"\?_([A-Za-z]\w*)", text))):
        query.parameters.setdefault(used, Parameter(name=used))
    return query


def _column_names(text: str) -> list[str]:
    """'a (doc, more), b / c (doc)' -> [a, b, c]."""
    text = re.sub(r"\([^)]*\)", "", text)
    return [c.strip().split()[0] for c in re.split(r",|/", text) if c.strip()]


def named_queries() -> dict[str, NamedQuery]:
    return {q.name: q for q in (parse_query_file(p) for p in files("queries", "*.rq"))}


def load_query(name_or_path: str) -> NamedQuery:
    """A bundled query by name, or a user's ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix == ".rq" or path.exists():
        if not path.is_file():
            raise UsageError(f"query file not found: {name_or_path}")
        return parse_query_file(path)
    queries = named_queries()
    if name_or_path not in queries:
        raise UsageError(
            f"unknown query {name_or_path!r}; named queries: {', '.join(sorted(queries))}"
        )
    return queries[name_or_path]


def _term(query: str, param: Parameter, value: str) -> Node:
    try:  # undecodable command-line bytes arrive as lone surrogates, which no query can hold
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryParameterError(f"query {query}: parameter {param.name} is not valid text "
                                  f"(undecodable bytes or lone surrogates): {value!r}", query,
                                  param.name) from None
    if param.kind == "integer":
        try:
            return Literal(int(value))
        except ValueError:
            raise QueryParameterError(f"query {query}: parameter {param.name} must be an "
                                      f"integer, got {value!r}", query, param.name) from None
    if param.kind == "iri":
        if _IRI_FORBIDDEN.search(value) or ":" not in value:
            raise QueryParameterError(f"query {query}: parameter {param.name} must be an "
                                      f"absolute IRI, got {value!r}", query, param.name)
        return URIRef(value)
    return Literal(value)


def bind_parameters(query: NamedQuery, values: Mapping[str, str] | None = None) -> str:
    """The query text with its parameters bound in a VALUES block."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(query.parameters))
    if unknown:
        known = ", ".join(sorted(query.parameters)) or "none"
        raise QueryParameterError(f"query {query.name} has no parameter {', '.join(unknown)} "
                                  f"(has: {known})", query.name, unknown[0])
    check_values(query, values)  # a value outside the header's list is a usage error
    bindings: list[tuple[str, Node]] = []
    for name, param in sorted(query.parameters.items()):
        value = values.get(name, param.default)
        if value is None:
            raise QueryParameterError(f"query {query.name} needs a value for parameter {name} "
                                      f"({param.doc})", query.name, name, missing=True)
        bindings.append((name, _term(query.name, param, value)))
    if not bindings:
        return query.text
    terms = {name: term.n3() for name, term in bindings}
    # Offsets come from the text with comments and strings blanked, so "?_x" inside a string
    # or a comment stays as written.
    stripped = _strip_comments(query.text)
    parts, start = [], 0
    for m in re.finditer(r"[?$]_([A-Za-z]\w*)\b", stripped):
        parts += [query.text[start:m.start()], terms[m.group(1)]]
        start = m.end()
    return "".join(parts) + query.text[start:]


def _strip_comments(text: str) -> str:
    """Same length as text, with comments blanked, so offsets stay valid."""
    return re.sub(r"(?m)#[^\n]*", lambda m: " " * len(m.group(0)), _blank_strings(text))


def _blank_strings(text: str) -> str:
    """Same length as text, with string contents blanked and the ``#`` of IRIs written as
    ``<...>`` hidden (it starts no comment there)."""
    def blank(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("<"):
            return token.replace("#", "_")
        return '"' + " " * (len(token) - 2) + '"'

    return re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>',
                  blank, text)


_PROLOGUE = re.compile(r"\s*(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.IGNORECASE)
_FORM = re.compile(r"\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def strip_comments(text: str) -> str:
    """``text`` with comments and string contents blanked, offsets unchanged (for finding a
    query's braces and keywords)."""
    return _strip_comments(text)


def prologue_length(text: str) -> int:
    """Where the query ``text``'s prologue (comments, PREFIX and BASE) ends."""
    body, start = _strip_comments(text), 0
    while m := _PROLOGUE.match(body, start):
        start = m.end()
    return start


def query_form(text: str) -> str:
    """The query form after the prologue (comments, PREFIX and BASE skipped); SELECT when it
    cannot be told, so the engine reports the syntax error itself."""
    m = _FORM.match(_strip_comments(text), prologue_length(text))
    return m.group(1).upper() if m else "SELECT"


def as_query(query: NamedQuery | str) -> NamedQuery:
    """A NamedQuery as given; a string is SPARQL text when it holds a group pattern ("{"),
    else a bundled query's name or a ``.rq`` file's path."""
    if isinstance(query, NamedQuery):
        return query
    if "{" in query:
        return parse_query_text(query, name="query")
    return load_query(query)
