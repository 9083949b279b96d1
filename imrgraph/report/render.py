"""Writing a report: one self-contained HTML page, report.json and one CSV per table.

The page is filled from report/template.html and report/report.css (package data); charts are
inline SVG, so the page works offline and prints as it shows.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from html import escape
from importlib import resources
from itertools import groupby
from pathlib import Path
from string import Template
from typing import Any

from imrgraph import __version__
from imrgraph.report import charts
from imrgraph.report.model import Column, Report, Section, Table
from imrgraph.report.stats import SMALL_N, Proportion


def _resource(name: str) -> str:
    return resources.files("imrgraph.report").joinpath(name).read_text(encoding="utf-8")


def _pct(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{places}f} %"


def _number(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "–"
    if kind == "number":
        return f"{value:.2f}"
    if kind == "days":
        return f"{value:g}"
    return str(value)


def _cell(row: dict[str, Any], column: Column) -> str:
    value = row.get(column.key)
    if isinstance(value, Proportion):
        if value.rate is None:
            return '<td class="num">–</td>'
        low, high = value.interval or (0.0, 0.0)
        mark = ' <span class="mark" title="fewer than 10 items">†</span>' if value.small else ""
        cls = "num rate small" if value.small else "num rate"
        detail = f"{value.k} of {value.n}; 95 % interval {_pct(low)} to {_pct(high)}"
        return (f'<td class="{cls}" title="{escape(detail)}">{_pct(value.rate)}{mark}'
                f'<span class="ci">{100 * low:.0f}–{100 * high:.0f}</span></td>')
    if column.kind in ("int", "number", "days"):
        return f'<td class="num">{_number(value, column.kind)}</td>'
    return f"<td>{escape(str(value if value is not None else ''))}</td>"


def table_html(table: Table) -> str:
    head = "".join(f'<th class="{"num" if c.kind != "text" else ""}" scope="col">'
                   f"{escape(c.label)}</th>" for c in table.columns)
    if any(c.group for c in table.columns):
        groups = "".join(
            f'<th colspan="{len(list(run))}" scope="colgroup" class="group">{escape(g)}</th>'
            for g, run in groupby(table.columns, key=lambda c: c.group))
        head = f"{groups}</tr><tr>{head}"
    body = "".join("<tr>" + "".join(_cell(r, c) for c in table.columns) + "</tr>"
                   for r in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}" class="empty">no rows</td></tr>'
    chart = ""
    if table.chart is not None and table.rows:
        chart = f'<div class="chart-box">{charts.render(table.chart)}</div>'
    notes = []
    if table.note:
        notes.append(escape(table.note))
    if table.rate_columns():
        notes.append(f"Rates in % with their 95 % Wilson interval beneath; † fewer than "
                     f"{SMALL_N} items (faded, never ranked first).")
    commands = "; ".join(f"<code>{escape(q.command())}</code>" for q in table.queries)
    return (f'<figure class="table-figure" id="{escape(table.key)}">'
            f"<h3>{escape(table.title)}</h3>{chart}"
            f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
            f'<figcaption><p>{" ".join(notes)}</p><p class="source">From {commands} · '
            f'<a href="{escape(table.key)}.csv">{escape(table.key)}.csv</a></p></figcaption>'
            "</figure>")


def section_html(section: Section) -> str:
    return (f'<section id="{escape(section.key)}"><h2>{escape(section.title)}</h2>'
            f'<p class="intro">{escape(section.intro)}</p>'
            + "".join(table_html(t) for t in section.tables) + "</section>")


def key_figures(report: Report) -> str:
    o, t, p = report.overall, report.timeliness, report.pharmaceuticals

    def ci(prefix: str, data: dict[str, Any]) -> str:
        low, high = data.get(f"{prefix}_ci_low"), data.get(f"{prefix}_ci_high")
        return "" if low is None else f"95 % interval {_pct(low)} to {_pct(high)}"

    def days(median: Any, p90: Any) -> str:
        return "–" if median is None else f"{median:g} days"

    figures = [
        ("Letters", str(o["letters"]), f"{o['items']} disputed items, "
         f"{_number(o['items_per_letter'], 'number')} per letter"),
        ("Overturn rate", _pct(o["overturn_rate"]),
         f"{o['overturned']} of {o['items']} items; {ci('overturn_rate', o)}"),
        ("Pharmaceuticals", _pct(p["pharmaceutical_share"]),
         f"of all items ({p['pharmaceutical_items']}); {ci('pharmaceutical_share', p)}"),
        (f"{p['drug_class'].replace('-', ' ').capitalize()}s",
         _pct(p["class_share_of_pharmaceuticals"]),
         f"of pharmaceutical items ({p['class_items']}); "
         f"{ci('class_share_of_pharmaceuticals', p)}"),
        ("Days to decision", days(t["median_days_assigned_to_decision"], None),
         "median from Date Assigned; 90th percentile "
         + days(t["p90_days_assigned_to_decision"], None)),
        ("Days from application", days(t["median_days_received_to_decision"], None),
         "median from Application Received; 90th percentile "
         + days(t["p90_days_received_to_decision"], None)),
    ]
    return "".join(f'<div class="figure"><div class="label">{escape(label)}</div>'
                   f'<div class="value">{escape(value)}</div>'
                   f'<div class="detail">{escape(detail)}</div></div>'
                   for label, value, detail in figures)


def page_html(report: Report) -> str:
    toc = "".join(f'<li><a href="#{escape(s.key)}">{escape(s.title)}</a></li>'
                  for s in report.sections)
    return Template(_resource("template.html")).substitute(
        title=escape(report.title), style=_resource("report.css"),
        source=escape(report.source or "the graph"), version=escape(__version__),
        date=date.today().isoformat(), toc=toc, figures=key_figures(report),
        sections="".join(section_html(s) for s in report.sections))


# ------------------------------------------------------------------ CSV and JSON


def _flat_row(row: dict[str, Any], columns: list[Column]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        value = row.get(c.key)
        if isinstance(value, Proportion):
            j = value.as_json()
            out[c.key] = j["rate"]
            out[f"{c.key}_n"] = j["n"]
            out[f"{c.key}_ci_low"] = j["ci_low"]
            out[f"{c.key}_ci_high"] = j["ci_high"]
            out[f"{c.key}_small_n"] = j["small_n"]
        else:
            out[c.key] = value
    return out


def table_csv(table: Table) -> str:
    rows = [_flat_row(r, table.columns) for r in table.rows]
    header: list[str] = []
    for c in table.columns:
        header.append(c.key)
        if c.kind in ("rate", "share"):
            header += [f"{c.key}_n", f"{c.key}_ci_low", f"{c.key}_ci_high", f"{c.key}_small_n"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return buf.getvalue()


def report_json(report: Report) -> dict[str, Any]:
    return {
        "imrgraph": __version__, "title": report.title, "source": report.source,
        "small_n": SMALL_N, "overall": report.overall, "timeliness": report.timeliness,
        "pharmaceuticals": report.pharmaceuticals,
        "sections": [{"key": s.key, "title": s.title, "tables": [
            {"key": t.key, "title": t.title, "csv": f"{t.key}.csv",
             "queries": [q.as_json() for q in t.queries], "note": t.note,
             "columns": [c.key for c in t.columns],
             "rows": [_flat_row(r, t.columns) for r in t.rows]} for t in s.tables]}
                     for s in report.sections]}


def write(report: Report, out_dir: str | Path) -> list[Path]:
    """report.html, report.json and one CSV per table in out_dir (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in report.tables():
        path = out / f"{table.key}.csv"
        path.write_text(table_csv(table), encoding="utf-8")
        written.append(path)
    json_path = out / "report.json"
    json_path.write_text(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(page_html(report), encoding="utf-8")
    report.files = [p.name for p in [html_path, json_path, *written]]
    return [html_path, json_path, *written]
