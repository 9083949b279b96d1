"""Pictures of guideline usage: an offline HTML page, static PNG/SVG, bar charts, GraphML/GEXF.

Everything is drawn from the networks of :mod:`imrgraph.viz.network`, which come from
named-query results, so a picture shows what ``imrgraph query`` would print.  The page is
:mod:`imrgraph.viz.page` (markup, style and script are package data), the static pictures
:mod:`imrgraph.viz.charts`; :func:`render_all` writes them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imrgraph.errors import UsageError
from imrgraph.outputs import write_atomic
from imrgraph.viz.charts import RANK, TOP, draw_losses, draw_outcome_bars, draw_usage
from imrgraph.viz.network import (
    PARTY_KEYS,
    Runner,
    case_numbers,
    check_levels,
    prune,
    rank_key,
    usage_network,
    usage_rows,
    write_gexf,
    write_graphml,
)
from imrgraph.viz.page import HTML_NAME, MAX_NODES, render_html

__all__ = ["HTML_NAME", "MAX_NODES", "RANK", "TOP", "VizResult", "render_all", "render_html"]

#: Files render_all writes, in order.
FILES = ("guideline-usage.html", "guideline-usage.png", "guideline-usage.svg", "losses.png",
         "losses.svg", "guideline-usage.graphml", "guideline-usage.gexf",
         "outcomes-by-guideline.png", "outcomes-by-treatment.png")


@dataclass
class VizResult:
    """What ``render_all`` wrote and how big the drawn networks were."""

    files: list[Path] = field(default_factory=list)
    nodes: int = 0
    edges: int = 0
    html_nodes: int = 0
    html_edges: int = 0
    threshold: int = 1


def render_all(run: Runner, out_dir: str | Path, *, level: str = "chapter",
               treatment_level: str = "category", max_nodes: int = MAX_NODES,
               top: int = TOP, rank: str = RANK, party: str = "any") -> VizResult:
    """Write every picture and export of the guideline-usage network into ``out_dir``: the
    static pictures keep the ``top`` guidelines by ``rank``; the losses matrix counts the
    citations of ``party`` (any | claims-administrator | expert-reviewer)."""
    check_levels(level, treatment_level)
    rank_key(0, 0, rank)  # a bad rank is a usage error before anything is drawn
    party_key = {v or "any": k for k, v in PARTY_KEYS.items()}.get(party)
    if party_key is None:
        raise UsageError("party must be one of any, claims-administrator, expert-reviewer, "
                         f"got {party!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    graph = usage_network(usage_rows(run, level, treatment_level), level, treatment_level,
                          case_of=case_numbers(run))
    result = VizResult(nodes=graph.number_of_nodes(), edges=graph.number_of_edges())
    shown, threshold = prune(graph, max_nodes)
    result.html_nodes, result.html_edges = shown.number_of_nodes(), shown.number_of_edges()
    result.threshold = threshold
    page = render_html(shown, total_nodes=graph.number_of_nodes(),
                       total_edges=graph.number_of_edges(), threshold=threshold,
                       party=party_key, rank=rank, top=top)
    write_atomic(out / HTML_NAME, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    draw_usage(graph, out / "guideline-usage.png", out / "guideline-usage.svg", top=top,
               rank=rank)
    draw_losses(graph, out / "losses.png", out / "losses.svg", party=party_key, rank=rank,
                top=top)
    write_graphml(graph, out / "guideline-usage.graphml")
    write_gexf(graph, out / "guideline-usage.gexf")
    by_guideline = run("guideline-outcomes", {"level": level, "party": party}).as_dicts()
    who = "" if party == "any" else f" by the {party.replace('-', ' ')}"
    draw_outcome_bars(by_guideline, "guideline", out / "outcomes-by-guideline.png",
                      f"Outcomes of the items citing each guideline{who} ({level} level; an "
                      "item citing several guidelines counts for each)", rank=rank)
    by_treatment = run("treatment-outcomes", {"level": treatment_level}).as_dicts()
    draw_outcome_bars(by_treatment, "treatment", out / "outcomes-by-treatment.png",
                      "Outcomes by treatment category (every item counted once, whether or not "
                      "it cites a guideline)", rank=rank)
    result.files = [out / name for name in FILES]
    return result
