"""Static pictures of guideline usage (matplotlib): the two-column network and outcome bars.

Drawn from the networks and query rows of :mod:`imrgraph.viz.network`, on the Agg backend, so
they need no display; matplotlib is imported only when a picture is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from imrgraph.outputs import write_atomic
from imrgraph.viz.network import GUIDELINE, TREATMENT, bipartite_order

#: Guidelines and treatment categories shown in the static picture (each side).
TOP = 15


def _save(fig: Any, path: Path, dpi: int | None = 150) -> None:
    """Save a figure atomically (the temporary name hides the format, so it is given)."""
    fmt = path.suffix.lstrip(".")
    write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi if fmt == "png" else None,
                                               bbox_inches="tight"))


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


def draw_usage(graph: nx.Graph, png: Path | None, svg: Path | None, top: int = TOP,
               title: str = "") -> nx.Graph:
    """Two-column picture: guidelines left, treatment categories right; returns what it drew."""
    plt = _matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    sub = _top_subgraph(graph, top)
    left, right = bipartite_order(sub)
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
