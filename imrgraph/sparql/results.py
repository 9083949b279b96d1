"""Query results and how they are printed (table, CSV, JSON, HTML, pandas).

A :class:`QueryResult` is what an analyst holds in a notebook: ``len(result)``, rows as named
tuples (``for row in result: row.outcome``), typed values (int, float, date, bool, str),
``result.to_pandas()`` or ``pandas.DataFrame(result)``, and an HTML table when displayed.
An :class:`RdfResult` holds the triples a CONSTRUCT or DESCRIBE answers.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import namedtuple
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox
from rdflib import Graph

from imrgraph.errors import MissingDependencyError, UsageError
from imrgraph.outputs import write_text
from imrgraph.store.oxi import to_rdflib
from imrgraph.vocab import PREFIXES, bind_prefixes

#: Rows shown by a notebook's HTML view of a result (the rest are counted, not drawn).
HTML_ROWS = 50
#: ``--format`` names of the RDF a CONSTRUCT or DESCRIBE can be written as.
RDF_OUTPUT_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                      "jsonld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}
PANDAS_INSTALL = "pip install 'imrgraph[pandas]'"


def _json_value(value: Any) -> Any:
    """Dates as ISO text (the only non-JSON value a result holds)."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass
class QueryResult:
    """Columns and rows of plain Python values, the same whichever engine answered."""

    columns: list[str]
    rows: list[list[Any]]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[NamedTuple]:
        """Rows as named tuples (``row.guideline``; a column that is no Python name is
        reachable by position); also what ``pandas.DataFrame(result)`` reads."""
        row_type = namedtuple("Row", self.columns, rename=True)  # type: ignore[misc]
        return (row_type(*row) for row in self.rows)

    def __repr__(self) -> str:
        return (f"<QueryResult: {len(self.rows)} row(s) x {len(self.columns)} column(s): "
                f"{', '.join(self.columns)}>")

    def __str__(self) -> str:
        return format_table(self.columns, self.rows)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame with these columns (kept when there are no rows)."""
        try:
            import pandas as pd  # optional: only this method needs it
        except ImportError:
            raise MissingDependencyError(f"pandas is not installed; {PANDAS_INSTALL}",
                                         "imrgraph[pandas]") from None
        return pd.DataFrame(self.rows, columns=self.columns)

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """CSV text (header row, empty cells for unbound values); written to ``path`` if given."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return _text_or_file(buf.getvalue(), path)

    def to_json(self, path: str | Path | None = None) -> str | None:
        """A JSON array of objects, one per row (dates as ISO text); written to ``path`` if
        given."""
        text = json.dumps(self.as_dicts(), indent=2, ensure_ascii=False, default=_json_value)
        return _text_or_file(text + "\n", path)

    def _repr_html_(self) -> str:
        """A notebook's view: an HTML table of the first rows, every cell escaped."""
        def cell(v: Any) -> str:
            return "" if v is None else html.escape(str(v))

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                       for row in self.rows[:HTML_ROWS])
        more = len(self.rows) - HTML_ROWS
        note = f"{len(self.rows)} row(s)" + (f", first {HTML_ROWS} shown" if more > 0 else "")
        return (f"<table class=\"imrgraph-result\"><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table><p>{note}</p>")


def _text_or_file(text: str, path: str | Path | None) -> str | None:
    if path is None:
        return text
    write_text(path, text)
    return None


@dataclass
class RdfResult:
    """The triples a CONSTRUCT or DESCRIBE answered (pyoxigraph terms)."""

    triples: list[ox.Triple]

    def __len__(self) -> int:
        return len(self.triples)

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self.triples)

    def __repr__(self) -> str:
        return f"<RdfResult: {len(self.triples)} triple(s)>"

    def serialize(self, fmt: str = "ttl") -> bytes:
        """The triples as Turtle (``ttl``, with the project's prefixes), N-Triples (``nt``),
        JSON-LD (``jsonld``) or RDF/XML (``xml``)."""
        if fmt not in RDF_OUTPUT_FORMATS:
            raise UsageError(f"unknown RDF format {fmt!r} ({', '.join(RDF_OUTPUT_FORMATS)})")
        prefixes = ({p: str(ns) for p, ns in PREFIXES.items() if p != "id"}  # ids read badly
                    if fmt in ("ttl", "xml") else None)
        return ox.serialize(self.triples, format=RDF_OUTPUT_FORMATS[fmt],
                            prefixes=prefixes) or b""

    def graph(self) -> Graph:
        """The triples as an rdflib graph (the project's prefixes bound)."""
        graph = bind_prefixes(Graph())
        for t in self.triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate),  # type: ignore[arg-type]
                       to_rdflib(t.object)))
        return graph


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """``table``, ``csv`` or ``json`` text of a result."""
    if fmt == "json":
        return result.to_json() or ""
    if fmt == "csv":
        return result.to_csv() or ""
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r} (table, csv, json)")
    return format_table(result.columns, result.rows)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60
                 ) -> str:
    """Aligned columns (numbers right-aligned), long cells cut, and a row count."""
    def cell(v: Any) -> str:
        s = "" if v is None else str(v)
        s = s.replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[i], int | float) for r in rows if r[i] is not None) and rows
               for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths,
                                                                                     strict=True))
        ).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
