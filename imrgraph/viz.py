"""Pictures of guideline usage: an offline HTML page, static PNG/SVG, bar charts, GraphML/GEXF.

Everything is drawn from the networks of :mod:`imrgraph.analysis`, which come from named-query
results, so a picture shows what ``imrgraph query`` would print.  The HTML page carries its data
and its script inline (a small canvas force layout written for it): it opens from disk with no
network, and nothing in it is fetched from a CDN.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from imrgraph.analysis import (
    GUIDELINE,
    TREATMENT,
    Runner,
    check_levels,
    export_copy,
    prune,
    usage_network,
    usage_rows,
)
from imrgraph.outputs import write_atomic

#: Node count above which the HTML page keeps only the heaviest edges (said on the page).
MAX_NODES = 300
#: Guidelines and treatment categories shown in the static picture (each side).
TOP = 15
HTML_NAME = "guideline-usage.html"


@dataclass
class VizResult:
    """What ``render_all`` wrote and how big the drawn networks were."""

    files: list[Path] = field(default_factory=list)
    nodes: int = 0
    edges: int = 0
    html_nodes: int = 0
    html_edges: int = 0
    threshold: int = 1


# ------------------------------------------------------------------ exports


def write_graphml(graph: nx.Graph, path: Path) -> None:
    """GraphML for Cytoscape, yEd and networkx; flat typed attributes only."""
    write_atomic(path, lambda tmp: nx.write_graphml(export_copy(graph), tmp))


def write_gexf(graph: nx.Graph, path: Path) -> None:
    """GEXF for Gephi; the edge weight is the number of items."""
    write_atomic(path, lambda tmp: nx.write_gexf(export_copy(graph), tmp))


def _save(fig: Any, path: Path, dpi: int | None = 150) -> None:
    """Save a figure atomically (the temporary name hides the format, so it is given)."""
    fmt = path.suffix.lstrip(".")
    write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi if fmt == "png" else None,
                                               bbox_inches="tight"))


# ------------------------------------------------------------------ HTML


def page_data(graph: nx.Graph, total_nodes: int, total_edges: int, threshold: int
              ) -> dict[str, Any]:
    """The JSON the page script reads: nodes, edges (by index) and per-filter counts."""
    left, right = _bipartite_order(graph)  # a good start: the page's layout only refines it
    order = left + right
    index = {n: i for i, n in enumerate(order)}
    nodes = []
    for n in order:
        d = graph.nodes[n]
        nodes.append({"id": n, "label": d["label"], "kind": d["kind"], "filters": d["filters"],
                      "examples": d["example_list"]})
    edges = []
    for a, b in sorted(graph.edges, key=lambda e: (index[e[0]], index[e[1]])):
        d = graph[a][b]
        g, t = (a, b) if graph.nodes[a]["kind"] == GUIDELINE else (b, a)
        edges.append({"source": index[g], "target": index[t], "filters": d["filters"],
                      "examples": d["example_list"]})
    return {
        "level": graph.graph.get("level", ""),
        "treatment_level": graph.graph.get("treatment_level", ""),
        "nodes": nodes, "edges": edges, "total_nodes": total_nodes, "total_edges": total_edges,
        "threshold": threshold,
    }


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script>: no '</script>' or '<!--' can be formed by label text."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(graph: nx.Graph, *, total_nodes: int | None = None,
                total_edges: int | None = None, threshold: int = 1, title: str = "") -> str:
    """A self-contained page: data, style and script inline."""
    total_nodes = graph.number_of_nodes() if total_nodes is None else total_nodes
    total_edges = graph.number_of_edges() if total_edges is None else total_edges
    data = page_data(graph, total_nodes, total_edges, threshold)
    level = html.escape(str(graph.graph.get("level", "")))
    letters = int(graph.graph.get("letters", 0))
    items = int(graph.graph.get("items", 0))
    was_pruned = threshold > 1 or total_nodes > graph.number_of_nodes()
    if was_pruned:
        pruned = (f"Pruned for speed: showing {graph.number_of_nodes()} of {total_nodes} nodes and "
                  f"{graph.number_of_edges()} of {total_edges} edges &mdash; only edges with at "
                  f"least {threshold} item(s). The GraphML and GEXF files have everything.")
    else:
        pruned = "Nothing pruned: every guideline and treatment category is shown."
    values = {
        "TITLE": html.escape(title or "Guideline usage"), "LEVEL": level,
        "LETTERS": str(letters), "ITEMS": str(items), "PRUNED": pruned,
        "PRUNED_FLAG": "true" if was_pruned else "false", "THRESHOLD": str(threshold),
        "TOTAL_NODES": str(graph.number_of_nodes()), "TOTAL_EDGES": str(graph.number_of_edges()),
        "CSS": _CSS, "DATA": _json_for_script(data), "SCRIPT": _SCRIPT,
    }
    # One pass, so text inside the data can never be taken for a placeholder.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], _PAGE)


# ------------------------------------------------------------------ matplotlib


def _matplotlib() -> Any:
    """pyplot on the Agg backend: no display needed, and imported only when drawing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _top_subgraph(graph: nx.Graph, top: int) -> nx.Graph:
    """The ``top`` guidelines and treatment categories with most items, and their edges."""
    def best(kind: str) -> list[str]:
        nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == kind]
        nodes.sort(key=lambda n: (-graph.nodes[n]["items"], -graph.nodes[n]["citations"],
                                  graph.nodes[n]["label"], n))
        return nodes[:top] if top > 0 else nodes

    sub = graph.subgraph(best(GUIDELINE) + best(TREATMENT)).copy()
    sub.remove_nodes_from([n for n in list(sub) if sub.degree(n) == 0])
    return sub


def _bipartite_order(graph: nx.Graph) -> tuple[list[str], list[str]]:
    """Rows of each column, ordered by weighted barycentre to cut edge crossings."""
    left = sorted((n for n, d in graph.nodes(data=True) if d["kind"] == GUIDELINE),
                  key=lambda n: (-graph.nodes[n]["items"], graph.nodes[n]["label"]))
    right = sorted((n for n, d in graph.nodes(data=True) if d["kind"] == TREATMENT),
                   key=lambda n: (-graph.nodes[n]["items"], graph.nodes[n]["label"]))
    for _ in range(8):
        for moving, fixed in ((left, right), (right, left)):
            pos = {n: i / max(1, len(fixed) - 1) for i, n in enumerate(fixed)}
            current = {n: i / max(1, len(moving) - 1) for i, n in enumerate(moving)}

            def centre(n: str, pos: dict[str, float] = pos,
                       current: dict[str, float] = current) -> float:
                weights = [(pos[m], graph[n][m]["weight"]) for m in graph[n] if m in pos]
                total = sum(w for _, w in weights)
                return sum(p * w for p, w in weights) / total if total else current[n]

            moving.sort(key=lambda n: (centre(n), graph.nodes[n]["label"]))
    return left, right


def draw_usage(graph: nx.Graph, png: Path | None, svg: Path | None, top: int = TOP,
               title: str = "") -> nx.Graph:
    """Two-column picture: guidelines left, treatment categories right; returns what it drew."""
    plt = _matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    sub = _top_subgraph(graph, top)
    left, right = _bipartite_order(sub)
    rows = max(len(left), len(right), 1)
    height = max(5.0, 0.42 * rows + 2.2)
    fig, ax = plt.subplots(figsize=(13, height))
    ypos: dict[str, tuple[float, float]] = {}
    for column, x in ((left, 0.0), (right, 1.0)):
        for i, n in enumerate(column):
            y = 1.0 - (i + 0.5) / max(1, len(column)) if len(column) > 1 else 0.5
            ypos[n] = (x, y)
    cmap = plt.get_cmap("coolwarm")
    norm = Normalize(0.0, 1.0)
    max_w = max((d["weight"] for _, _, d in sub.edges(data=True)), default=1)
    max_c = max((d["citations"] for _, d in sub.nodes(data=True)), default=1)
    for a, b, d in sorted(sub.edges(data=True), key=lambda e: e[2]["weight"]):
        (x1, y1), (x2, y2) = ypos[a], ypos[b]
        if x1 > x2:
            (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
        xs = [x1 + (x2 - x1) * t / 20 for t in range(21)]
        ys = [y1 + (y2 - y1) * (3 * (t / 20) ** 2 - 2 * (t / 20) ** 3) for t in range(21)]
        ax.plot(xs, ys, color=cmap(norm(d["overturn_rate"])), alpha=0.8, solid_capstyle="round",
                linewidth=0.8 + 7 * math.sqrt(d["weight"] / max_w), zorder=1)

    def size(n: str) -> float:
        return 40 + 560 * math.sqrt(sub.nodes[n]["citations"] / max_c)

    for column, marker, colour, ha in ((left, "o", "#1b9e77", "right"),
                                      (right, "s", "#7570b3", "left")):
        if not column:
            continue
        ax.scatter([ypos[n][0] for n in column], [ypos[n][1] for n in column],
                   s=[size(n) for n in column], marker=marker, color=colour,
                   edgecolors="white", linewidths=1.2, zorder=3)
        for n in column:
            d = sub.nodes[n]
            offset = math.sqrt(size(n)) / 2 + 5  # marker radius in points, plus a gap
            ax.annotate(f"{_short(d['label'])}  ({d['items']})" if ha == "left"
                        else f"({d['items']})  {_short(d['label'])}",
                        xy=ypos[n], xytext=(offset if ha == "left" else -offset, 0),
                        textcoords="offset points", ha=ha, va="center", fontsize=10, zorder=4)
    ax.set_xlim(-0.95, 1.95)
    ax.set_ylim(-0.02, 1.02)
    ax.axis("off")
    level = graph.graph.get("level", "")
    ax.text(0.0, 1.035, f"Guidelines ({level})", ha="center", va="bottom", fontsize=11,
            fontweight="bold", transform=ax.transData)
    ax.text(1.0, 1.035, "Treatment categories", ha="center", va="bottom", fontsize=11,
            fontweight="bold", transform=ax.transData)
    shown = (f"top {top} of {sum(1 for _, d in graph.nodes(data=True) if d['kind'] == GUIDELINE)}"
             f" guidelines and "
             f"{sum(1 for _, d in graph.nodes(data=True) if d['kind'] == TREATMENT)} categories"
             if top > 0 else "all guidelines and categories")
    fig.suptitle(title or (f"Guideline usage in {graph.graph.get('letters', 0)} IMR letters "
                           f"({graph.graph.get('items', 0)} items citing guidelines; {shown})"),
                 fontsize=13)
    scalar = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(scalar, ax=ax, fraction=0.025, pad=0.01, shrink=0.6)
    bar.set_label("share of items overturned (edge colour)", fontsize=10)
    handles = [
        Line2D([], [], marker="o", linestyle="", color="#1b9e77", markersize=10,
               label="guideline (size: citations)"),
        Line2D([], [], marker="s", linestyle="", color="#7570b3", markersize=10,
               label="treatment category (size: citations)"),
        Line2D([], [], color="#888", linewidth=1.5, label="edge width: items citing it"),
        Line2D([], [], color="white", label="(n) = items"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.005), ncol=4,
              frameon=False, fontsize=10)
    fig.tight_layout()
    for path in (png, svg):
        if path is not None:
            _save(fig, path)
    plt.close(fig)
    return sub


def draw_outcome_bars(rows: list[Mapping[str, Any]], label_key: str, path: Path, title: str,
                      top: int = 20) -> int:
    """Horizontal stacked bars, upheld vs overturned items; returns the number of bars."""
    plt = _matplotlib()
    rows = sorted(rows, key=lambda r: (-(int(r["upheld"]) + int(r["overturned"])),
                                       str(r[label_key])))
    rows = rows[:top] if top > 0 else rows
    rows.reverse()  # largest at the top
    labels = [_short(str(r[label_key]), 55) for r in rows]
    upheld = [int(r["upheld"]) for r in rows]
    overturned = [int(r["overturned"]) for r in rows]
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.38 * len(rows) + 1.6)))
    cmap = plt.get_cmap("coolwarm")
    y = list(range(len(rows)))
    ax.barh(y, upheld, color=cmap(0.0), label="Upheld (denial stands)")
    ax.barh(y, overturned, left=upheld, color=cmap(1.0), label="Overturned")
    for i, (u, o) in enumerate(zip(upheld, overturned, strict=True)):
        total = u + o
        rate = f"{round(100 * o / total)}% overturned" if total else ""
        ax.text(total + 0.1, i, f"{total}  {rate}", va="center", fontsize=9)
    ax.set_yticks(y, labels, fontsize=10)
    ax.set_xlabel("items")
    ax.set_title(title, fontsize=12)
    ax.legend(loc="lower right", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max([u + o for u, o in zip(upheld, overturned, strict=True)], default=1) * 1.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return len(rows)


# ------------------------------------------------------------------ everything


def render_all(run: Runner, out_dir: str | Path, *, level: str = "chapter",
               treatment_level: str = "category", max_nodes: int = MAX_NODES,
               top: int = TOP) -> VizResult:
    """Write every picture and export of the guideline-usage network into ``out_dir``."""
    check_levels(level, treatment_level)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    graph = usage_network(usage_rows(run, level, treatment_level), level, treatment_level)
    result = VizResult(nodes=graph.number_of_nodes(), edges=graph.number_of_edges())
    shown, threshold = prune(graph, max_nodes)
    result.html_nodes, result.html_edges = shown.number_of_nodes(), shown.number_of_edges()
    result.threshold = threshold
    page = render_html(shown, total_nodes=graph.number_of_nodes(),
                       total_edges=graph.number_of_edges(), threshold=threshold)
    write_atomic(out / HTML_NAME, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    draw_usage(graph, out / "guideline-usage.png", out / "guideline-usage.svg", top=top)
    write_graphml(graph, out / "guideline-usage.graphml")
    write_gexf(graph, out / "guideline-usage.gexf")
    by_guideline = run("guideline-outcomes", {"level": level, "party": "any"}).as_dicts()
    draw_outcome_bars(by_guideline, "guideline", out / "outcomes-by-guideline.png",
                      f"Outcomes of the items citing each guideline ({level} level; top 20)")
    by_treatment = run("treatment-outcomes", {"level": treatment_level}).as_dicts()
    draw_outcome_bars(by_treatment, "treatment", out / "outcomes-by-treatment.png",
                      "Outcomes by treatment category (top 20)")
    result.files = [out / name for name in (
        HTML_NAME, "guideline-usage.png", "guideline-usage.svg", "guideline-usage.graphml",
        "guideline-usage.gexf", "outcomes-by-guideline.png", "outcomes-by-treatment.png")]
    return result


# ------------------------------------------------------------------ page template

_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       display: flex; flex-direction: column; height: 100vh; }
header { padding: 8px 14px; border-bottom: 1px solid #ddd; display: flex; flex-wrap: wrap;
         gap: 6px 18px; align-items: center; }
h1 { font-size: 17px; margin: 0 12px 0 0; }
.group { display: flex; gap: 4px; align-items: center; }
.group span { color: #555; margin-right: 2px; }
button { font: inherit; padding: 3px 10px; border: 1px solid #aaa; border-radius: 4px;
         background: #f7f7f7; cursor: pointer; }
button[aria-pressed="true"] { background: #333; color: #fff; border-color: #333; }
#graph { position: relative; flex: 1; min-height: 300px; overflow: hidden; }
canvas { display: block; cursor: grab; }
#tooltip { position: absolute; max-width: 320px; background: rgba(255,255,255,0.97);
           border: 1px solid #999; border-radius: 4px; padding: 6px 8px; font-size: 12px;
           pointer-events: none; box-shadow: 0 2px 6px rgba(0,0,0,0.2); }
.tip-title { font-weight: 600; margin-bottom: 2px; }
footer { padding: 6px 14px; border-top: 1px solid #ddd; font-size: 12px; color: #444;
         display: flex; flex-wrap: wrap; gap: 6px 22px; align-items: center; }
.legend { display: flex; align-items: center; gap: 6px; }
.ramp { width: 140px; height: 10px; border: 1px solid #999;
        background: linear-gradient(to right, rgb(59,76,192), rgb(221,221,221), rgb(180,4,38)); }
.dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
       background: #1b9e77; }
.square { display: inline-block; width: 11px; height: 11px; background: #7570b3; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>@@TITLE@@</title>
<style>@@CSS@@</style>
</head>
<body>
<header>
  <h1>@@TITLE@@</h1>
  <div class="group" role="group" aria-label="citing party"><span>Citing party:</span>
    <button data-party="any" aria-pressed="true">any</button>
    <button data-party="ca" aria-pressed="false">claims administrator</button>
    <button data-party="er" aria-pressed="false">expert reviewer</button>
  </div>
  <div class="group" role="group" aria-label="outcome"><span>Outcome:</span>
    <button data-outcome="all" aria-pressed="true">all</button>
    <button data-outcome="upheld" aria-pressed="false">upheld</button>
    <button data-outcome="overturned" aria-pressed="false">overturned</button>
  </div>
  <div id="status" aria-live="polite"></div>
</header>
<div id="graph" data-total-nodes="@@TOTAL_NODES@@" data-total-edges="@@TOTAL_EDGES@@"
     data-pruned="@@PRUNED_FLAG@@" data-threshold="@@THRESHOLD@@" data-settled="false">
  <canvas id="canvas" aria-label="guideline usage network"></canvas>
  <div id="tooltip" hidden></div>
</div>
<footer>
  <span>@@LETTERS@@ letters, @@ITEMS@@ items citing guidelines; guidelines at
    <b>@@LEVEL@@</b> level.</span>
  <span class="legend"><span class="dot"></span> guideline
    <span class="square"></span> treatment category &mdash; size: citations</span>
  <span class="legend">edge width: items &nbsp; edge colour: share overturned
    0% <span class="ramp"></span> 100%</span>
  <span id="pruned">@@PRUNED@@</span>
  <span>Hover for counts and example letters; drag to pan, wheel to zoom, double-click to
    fit.</span>
</footer>
<noscript>This page needs JavaScript to draw the network.</noscript>
<script type="application/json" id="imr-data">@@DATA@@</script>
<script>@@SCRIPT@@</script>
</body>
</html>
"""

_SCRIPT = r"""/* imrgraph guideline-usage page: a small canvas layout, no libraries, works offline.
   Data comes from the JSON block #imr-data written by imrgraph.viz.  Counts of what is shown
   and drawn are exposed as data-* attributes of #graph so tests can check the page. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("imr-data").textContent);
  var root = document.getElementById("graph");
  var canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d");
  var tip = document.getElementById("tooltip");
  var status = document.getElementById("status");

  var nodes = DATA.nodes.map(function (n, i) {
    return { id: n.id, label: n.label, kind: n.kind, f: n.filters, examples: n.examples,
             index: i, x: 0, y: 0, vx: 0, vy: 0, r: 4, visible: false, weight: 0 };
  });
  var edges = DATA.edges.map(function (e) {
    return { a: nodes[e.source], b: nodes[e.target], f: e.filters, examples: e.examples,
             visible: false, weight: 0, rate: 0, width: 1 };
  });
  var party = "any", outcome = "all";
  var alpha = 1, ALPHA_MIN = 0.01, DECAY = 0.985, settled = false, ticks = 0;
  var view = { x: 0, y: 0, k: 1 }, autoFit = true, width = 800, height = 600, dpr = 1;
  var hover = null, frameMs = 0, loopRunning = false;

  // Start from a deterministic order: each side sorted by weight, spread around 0.
  var SPACING = 16, COLUMN_X = 300;
  var columns = [
    nodes.filter(function (n) { return n.kind === "guideline"; }),
    nodes.filter(function (n) { return n.kind !== "guideline"; }),
  ];
  columns.forEach(function (column, side) {
    column.forEach(function (n, i) {
      n.x = side === 0 ? -COLUMN_X : COLUMN_X;
      n.y = (i - column.length / 2) * SPACING;
    });
  });
  // Diverging blue (0: upheld) - grey - red (1: overturned); the same stops as matplotlib's
  // "coolwarm", used for the static pictures too.
  var STOPS = [[0, [59, 76, 192]], [0.5, [221, 221, 221]], [1, [180, 4, 38]]];
  function colour(rate) {
    for (var s = 1; s < STOPS.length; s++) {
      if (rate <= STOPS[s][0]) {
        var t = (rate - STOPS[s - 1][0]) / (STOPS[s][0] - STOPS[s - 1][0]);
        var a = STOPS[s - 1][1], b = STOPS[s][1];
        return "rgb(" + [0, 1, 2].map(function (j) {
          return Math.round(a[j] + t * (b[j] - a[j]));
        }).join(",") + ")";
      }
    }
    return "rgb(180,4,38)";
  }

  function applyFilter() {
    var maxNode = 1, maxEdge = 1, visibleNodes = 0, visibleEdges = 0;
    nodes.forEach(function (n) {
      n.visible = false; n.degree = 0; n.weight = n.f[party][outcome][1];
    });
    edges.forEach(function (e) {
      var counts = e.f[party];
      e.weight = counts[outcome][0];
      e.visible = e.weight > 0;
      e.rate = counts.all[0] > 0 ? counts.overturned[0] / counts.all[0] : 0;
      if (e.visible) {
        e.a.visible = true; e.b.visible = true; e.a.degree++; e.b.degree++; visibleEdges++;
        if (e.weight > maxEdge) maxEdge = e.weight;
      }
    });
    nodes.forEach(function (n) {
      if (n.visible) { visibleNodes++; if (n.weight > maxNode) maxNode = n.weight; }
    });
    nodes.forEach(function (n) { n.r = 4 + 14 * Math.sqrt(n.weight / maxNode); });
    edges.forEach(function (e) {
      e.width = 1 + 7 * Math.sqrt(e.weight / maxEdge);
      e.strength = 0.3 + 0.7 * e.weight / maxEdge;
    });
    root.dataset.party = party;
    root.dataset.outcome = outcome;
    root.dataset.visibleNodes = String(visibleNodes);
    root.dataset.visibleEdges = String(visibleEdges);
    status.textContent = nodes.length === 0 ? "No guideline citations in this graph."
      : visibleNodes + " nodes and " + visibleEdges + " edges shown";
  }

  // One step of the simulation.  Guidelines keep to a left column and treatment categories to a
  // right one; along a column, springs pull the two ends of each edge to the same height (a
  // weighted barycentre) and a sweep keeps neighbours at least a label's height apart, so the
  // layout is readable, near-linear in size and comes to rest.
  function tick() {
    edges.forEach(function (e) {
      if (!e.visible) return;
      var f = (e.b.y - e.a.y) * 0.5 * alpha * e.strength;
      e.a.vy += f / e.a.degree; e.b.vy -= f / e.b.degree;
    });
    columns.forEach(function (column) {
      var shown = column.filter(function (n) { return n.visible; });
      shown.forEach(function (n) {
        n.vy -= n.y * 0.002 * alpha;
        n.vy *= 0.55;
        n.y += n.vy;
      });
      shown.sort(function (p, q) { return p.y - q.y || p.index - q.index; });
      for (var pass = 0; pass < 2; pass++) {
        for (var i = 1; i < shown.length; i++) {
          var p = shown[i - 1], q = shown[i], gap = Math.max(p.r + q.r + 4, SPACING);
          var overlap = p.y + gap - q.y;
          if (overlap > 0) { p.y -= overlap / 2; q.y += overlap / 2; }
        }
      }
    });
    alpha *= DECAY;
    ticks++;
  }

  function resize() {
    var rect = canvas.parentElement.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    width = Math.max(300, rect.width);
    height = Math.max(300, rect.height);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
  }

  function fit() {
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      minX = Math.min(minX, n.x - n.r); maxX = Math.max(maxX, n.x + n.r);
      minY = Math.min(minY, n.y - n.r); maxY = Math.max(maxY, n.y + n.r);
    });
    if (minX === Infinity) { view = { x: width / 2, y: height / 2, k: 1 }; return; }
    var margin = 260; // room for the labels beside each column
    var k = Math.min((width - 2 * margin) / Math.max(1, maxX - minX),
                     (height - 40) / Math.max(1, maxY - minY), 1.3);
    k = Math.max(k, 0.02);
    view.k = k;
    view.x = width / 2 - k * (minX + maxX) / 2;
    view.y = height / 2 - k * (minY + maxY) / 2;
  }

  function truncate(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }

  function draw() {
    if (autoFit) fit();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    var drawnEdges = 0, drawnNodes = 0;
    ctx.globalAlpha = 0.75;
    edges.forEach(function (e) {
      if (!e.visible) return;
      ctx.strokeStyle = colour(e.rate);
      ctx.lineWidth = (e === hover ? e.width + 3 : e.width) / view.k;
      ctx.beginPath(); ctx.moveTo(e.a.x, e.a.y); ctx.lineTo(e.b.x, e.b.y); ctx.stroke();
      drawnEdges++;
    });
    ctx.globalAlpha = 1;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      ctx.fillStyle = n.kind === "guideline" ? "#1b9e77" : "#7570b3";
      ctx.strokeStyle = n === hover ? "#000" : "#fff";
      ctx.lineWidth = 1.5 / view.k;
      ctx.beginPath();
      var r = Math.max(n.r, 2 / view.k);
      if (n.kind === "guideline") ctx.arc(n.x, n.y, r, 0, 2 * Math.PI);
      else ctx.rect(n.x - r, n.y - r, 2 * r, 2 * r);
      ctx.fill(); ctx.stroke();
      drawnNodes++;
    });
    // Labels in screen space, biggest nodes first, skipping any that would overlap one already
    // written on the same side: every label shown is legible.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    var shown = nodes.filter(function (n) { return n.visible; });
    shown.sort(function (p, q) { return q.weight - p.weight || p.index - q.index; });
    var placed = [[], []], labelled = 0;
    for (var i = 0; i < shown.length && labelled < 200; i++) {
      var n = shown[i], sx = view.x + view.k * n.x, sy = view.y + view.k * n.y;
      var left = n.kind === "guideline", side = left ? 0 : 1;
      if (placed[side].some(function (y) { return Math.abs(y - sy) < 13; })) continue;
      placed[side].push(sy);
      labelled++;
      ctx.textAlign = left ? "right" : "left";
      var text = truncate(n.label, 38), offset = Math.max(n.r * view.k, 2) + 5;
      ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.strokeText(text, left ? sx - offset : sx + offset, sy);
      ctx.fillStyle = "#222";
      ctx.fillText(text, left ? sx - offset : sx + offset, sy);
    }
    root.dataset.labels = String(labelled);
    root.dataset.drawnNodes = String(drawnNodes);
    root.dataset.drawnEdges = String(drawnEdges);
  }

  function frame() {
    var start = performance.now();
    // Several steps per frame while the budget allows, so large graphs settle quickly.
    do { tick(); } while (alpha >= ALPHA_MIN && performance.now() - start < 12);
    draw();
    frameMs = 0.8 * frameMs + 0.2 * (performance.now() - start);
    root.dataset.frameMs = frameMs.toFixed(1);
    root.dataset.ticks = String(ticks);
    if (alpha >= ALPHA_MIN) {
      window.requestAnimationFrame(frame);
    } else {
      loopRunning = false;
      settled = true;
      root.dataset.settled = "true";
    }
  }

  function restart(heat) {
    alpha = Math.max(alpha, heat);
    settled = false;
    root.dataset.settled = "false";
    if (!loopRunning) { loopRunning = true; window.requestAnimationFrame(frame); }
  }

  // ------------------------------------------------------------------ interaction

  function toWorld(px, py) { return [(px - view.x) / view.k, (py - view.y) / view.k]; }

  function find(px, py) {
    var w = toWorld(px, py), best = null, bestD = Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      var d = Math.hypot(n.x - w[0], n.y - w[1]);
      if (d < n.r + 4 / view.k && d < bestD) { best = n; bestD = d; }
    });
    if (best) return best;
    var tol = 5 / view.k;
    edges.forEach(function (e) {
      if (!e.visible) return;
      var ax = e.a.x, ay = e.a.y, bx = e.b.x, by = e.b.y;
      var dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy || 1;
      var t = Math.max(0, Math.min(1, ((w[0] - ax) * dx + (w[1] - ay) * dy) / len2));
      var d = Math.hypot(ax + t * dx - w[0], ay + t * dy - w[1]);
      if (d < tol + e.width / 2 / view.k && d < bestD) { best = e; bestD = d; }
    });
    return best;
  }

  function lines(thing) {
    var c = thing.f[party], out = [];
    var who = { any: "all parties", ca: "claims administrator", er: "expert reviewer" }[party];
    if (thing.kind) {
      out.push(thing.label);
      out.push(thing.kind === "guideline" ? "guideline (" + DATA.level + ")"
                                          : "treatment category");
    } else {
      out.push(thing.a.label + " \u2014 " + thing.b.label);
    }
    out.push("citations (" + who + "): " + c.all[1]);
    out.push("items: " + c.all[0] + " \u2014 upheld " + c.upheld[0] +
             ", overturned " + c.overturned[0]);
    if (c.all[0] > 0) {
      out.push("overturn rate: " + Math.round(100 * c.overturned[0] / c.all[0]) + "%");
    }
    if (thing.examples && thing.examples.length) out.push("e.g. " + thing.examples.join(", "));
    return out;
  }

  function showTip(thing, px, py) {
    if (!thing) { tip.hidden = true; return; }
    tip.replaceChildren.apply(tip, lines(thing).map(function (text, i) {
      var div = document.createElement("div");
      div.textContent = text;
      if (i === 0) div.className = "tip-title";
      return div;
    }));
    tip.hidden = false;
    var box = canvas.parentElement.getBoundingClientRect();
    tip.style.left = Math.min(px + 14, box.width - 320) + "px";
    tip.style.top = Math.min(py + 14, box.height - 120) + "px";
  }

  var dragging = null;
  canvas.addEventListener("mousemove", function (ev) {
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    if (dragging) {
      view.x = dragging.vx + (px - dragging.px); view.y = dragging.vy + (py - dragging.py);
      autoFit = false; draw(); return;
    }
    var found = find(px, py);
    if (found !== hover) { hover = found; if (!loopRunning) draw(); }
    showTip(found, px, py);
    root.dataset.hover = !found ? "" :
      found.kind ? found.label : found.a.label + " | " + found.b.label;
  });
  canvas.addEventListener("mouseleave", function () {
    hover = null; tip.hidden = true;
    if (!loopRunning) draw();
  });
  canvas.addEventListener("mousedown", function (ev) {
    var rect = canvas.getBoundingClientRect();
    dragging = { px: ev.clientX - rect.left, py: ev.clientY - rect.top, vx: view.x, vy: view.y };
  });
  window.addEventListener("mouseup", function () { dragging = null; });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    var w = toWorld(px, py), k = view.k * Math.exp(-ev.deltaY * 0.0015);
    view.k = Math.max(0.01, Math.min(20, k));
    view.x = px - w[0] * view.k; view.y = py - w[1] * view.k;
    autoFit = false; draw();
  }, { passive: false });
  canvas.addEventListener("dblclick", function () { autoFit = true; draw(); });

  document.querySelectorAll("button[data-party]").forEach(function (button) {
    button.addEventListener("click", function () {
      party = button.dataset.party;
      document.querySelectorAll("button[data-party]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      applyFilter(); restart(0.3); draw();
    });
  });
  document.querySelectorAll("button[data-outcome]").forEach(function (button) {
    button.addEventListener("click", function () {
      outcome = button.dataset.outcome;
      document.querySelectorAll("button[data-outcome]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      applyFilter(); restart(0.3); draw();
    });
  });
  window.addEventListener("resize", function () { resize(); draw(); });

  // For tests and scripting: where each shown node is drawn, in CSS pixels of the canvas.
  window.imrgraphViz = {
    positions: function () {
      return nodes.filter(function (n) { return n.visible; }).map(function (n) {
        return { id: n.id, label: n.label, kind: n.kind,
                 x: view.x + view.k * n.x, y: view.y + view.k * n.y };
      });
    },
  };

  resize();
  applyFilter();
  restart(1);
})();
"""
