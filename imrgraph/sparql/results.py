"""Query results and how they are printed (table, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imrgraph.errors import UsageError


@dataclass
class QueryResult:
    """Columns and rows of plain Python values, the same whichever engine answered."""

    columns: list[str]
    rows: list[list[Any]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """``table``, ``csv`` or ``json`` text of a result."""
    if fmt == "json":
        return json.dumps(result.as_dicts(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
        return buf.getvalue()
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
