"""What a report is made of: sections of tables, each table with the query it came from.

A table keeps plain values (counts, dates, labels) and :class:`Proportion` cells; formatting is
left to the writers (HTML, CSV, JSON), so every number a page shows is the number the CSV and
the JSON hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from imrgraph.report.stats import Proportion


class ResultLike(Protocol):
    """What a runner returns: a query result with columns and rows (imrgraph's QueryResult)."""

    columns: list[str]
    rows: list[list[Any]]


class Runner(Protocol):
    """Runs a named query with parameters on some backend (graph, store or endpoint)."""

    def __call__(self, name: str, params: Mapping[str, str], /) -> ResultLike: ...


#: Column kinds: how a value is written.  "rate" columns hold a Proportion.
KINDS = ("text", "int", "number", "days", "rate", "share")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    group: str = ""  # a heading spanning adjacent columns of the same group

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class QueryRef:
    """A named query and the parameters a table was computed with, so it can be re-run."""

    name: str
    params: tuple[tuple[str, str], ...] = ()

    def command(self) -> str:
        args = "".join(f" --param {k}={v}" for k, v in self.params)
        return f"imrgraph query {self.name}{args}"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}


def ref(name: str, **params: str) -> QueryRef:
    return QueryRef(name, tuple(sorted(params.items())))


@dataclass
class Chart:
    """What to draw above a table: a chart kind and the data it needs (see charts.py)."""

    kind: str
    data: dict[str, Any]


@dataclass
class Table:
    key: str  # file stem of its CSV: unique within the report
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    queries: list[QueryRef]
    note: str = ""
    chart: Chart | None = None

    def rate_columns(self) -> list[Column]:
        return [c for c in self.columns if c.kind in ("rate", "share")]

    def has_small(self) -> bool:
        return any(isinstance(r.get(c.key), Proportion) and r[c.key].small
                   for r in self.rows for c in self.rate_columns())


@dataclass
class Section:
    key: str
    title: str
    intro: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    title: str
    source: str
    overall: dict[str, Any]
    timeliness: dict[str, Any]
    pharmaceuticals: dict[str, Any]
    sections: list[Section]
    files: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        raise KeyError(key)

    def tables(self) -> Sequence[Table]:
        return [t for s in self.sections for t in s.tables]
