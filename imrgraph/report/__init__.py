"""The IMR report: the tables users publish (the DWC's annual IMR report, CWCI's IMR studies)
from the graph in one call.

``build_report(run, out_dir)`` runs the report's named queries through ``run`` — any callable
``run(name, params) -> QueryResult``, so the same report comes from an rdflib graph, a store or
a SPARQL endpoint — and writes ``report.html`` (one self-contained page, charts as inline SVG,
each above its table), ``report.json`` and one CSV per table.  Every rate comes with its n and a
95 % Wilson interval; cells with fewer than 10 items are marked and never ranked first.
"""

from __future__ import annotations

from pathlib import Path

from imrgraph.report.model import Report, Runner, Table
from imrgraph.report.render import write
from imrgraph.report.sections import make_report
from imrgraph.report.stats import SMALL_N, Proportion, wilson_interval


def build_report(run: Runner, out_dir: str | Path, *, title: str = "IMR report",
                 source: str = "") -> Report:
    """Compute every section with ``run`` and write the report files into ``out_dir``.

    ``source`` names what was reported on (a graph file, a store, an endpoint) in the page's
    header.  Returns the report; ``report.files`` lists the files written."""
    report = make_report(run, title=title, source=source)
    write(report, out_dir)
    return report


__all__ = ["SMALL_N", "Proportion", "Report", "Runner", "Table", "build_report", "make_report",
           "wilson_interval", "write"]
