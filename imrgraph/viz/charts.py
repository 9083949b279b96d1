"""Static pictures of guideline usage (matplotlib): the two-column network, the losses matrix
and outcome bars.

Drawn from the networks and query rows of :mod:`imrgraph.viz.network`, on the Agg backend, so
they need no display; matplotlib is imported only when a picture is drawn.  SVGs keep their
text as text (``svg.fonttype = none``), so labels can be searched, copied and restyled.  Long
labels are wrapped, never cut; titles count what is drawn and say how it was chosen.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from imrgraph.errors import UsageError
from imrgraph.outputs import write_atomic
from imrgraph.viz.network import (
    GUIDELINE,
    PARTY_KEYS,
    RANK_TEXT,
    RATE_COLOURS,
    SMALL_N,
    TREATMENT,
    bipartite_order,
    fade,
    rank_key,
)

#: Guidelines and treatment categories shown in the static pictures (each side).
TOP = 15
#: Default ranking of the top N (see network.RANKS).
RANK = "overturned"
WRAP = 44


def _save(fig: Any, path: Path, dpi: int | None = 150) -> None:
    """Save a figure atomically (the temporary name hides the format, so it is given)."""
    import matplotlib

    fmt = path.suffix.lstrip(".")
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        write_atomic(path, lambda tmp: fig.savefig(
            tmp, format=fmt, dpi=dpi if fmt == "png" else None, bbox_inches="tight"))


def _matplotlib() -> Any:
    """pyplot on the Agg backend: no display needed, and imported only when drawing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def rate_colormap() -> Any:
    """The overturn-rate scale shared with the HTML page (network.RATE_COLOURS)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("imr-overturned", list(RATE_COLOURS))


def wrap(text: str, width: int = WRAP) -> str:
    """A label on as many lines as it needs; never cut."""
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def _count(graph: nx.Graph, kind: str) -> int:
    return sum(1 for _, d in graph.nodes(data=True) if d["kind"] == kind)


def _counts(data: Mapping[str, Any], party: str = "any") -> tuple[int, int]:
    """(items, overturned items) of a node or edge for one party filter key."""
    f = data["filters"][party]
    return int(f["all"][0]), int(f["overturned"][0])


def _ranked(graph: nx.Graph, kind: str, rank: str, party: str = "any") -> list[str]:
    nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == kind
             and _counts(d, party)[0] > 0]
    return sorted(nodes, key=lambda n: (*rank_key(*_counts(graph.nodes[n], party), rank),
                                        graph.nodes[n]["label"], n))


def top_subgraph(graph: nx.Graph, top: int, rank: str = RANK) -> nx.Graph:
    """The ``top`` guidelines by ``rank`` and the ``top`` treatment categories with most items
    citing them, with their edges."""
    guidelines = _ranked(graph, GUIDELINE, rank)
    guidelines = guidelines[:top] if top > 0 else guidelines
    linked: dict[str, int] = {}
    for g in guidelines:
        for t in graph[g]:
            linked[t] = linked.get(t, 0) + int(graph[g][t]["items"])
    treatments = sorted(linked, key=lambda t: (-linked[t], graph.nodes[t]["label"], t))
    treatments = treatments[:top] if top > 0 else treatments
    sub = graph.subgraph(guidelines + treatments).copy()
    sub.remove_nodes_from([n for n in list(sub) if sub.degree(n) == 0])
    sub.graph.update(graph.graph)
    return sub


def _column_positions(column: list[str], labels: Mapping[str, str], x: float
                      ) -> dict[str, tuple[float, float]]:
    """y from 1 (top) to 0, each node given room for its label's lines."""
    heights = [labels[n].count("\n") + 1.6 for n in column]
    total = sum(heights) or 1.0
    out, y = {}, 1.0
    for n, h in zip(column, heights, strict=True):
        out[n] = (x, y - h / 2 / total)
        y -= h / total
    return out


def draw_usage(graph: nx.Graph, png: Path | None, svg: Path | None, top: int = TOP,
               title: str = "", rank: str = RANK) -> nx.Graph:
    """Two-column picture: guidelines left, treatment categories right; returns what it drew.

    Node size and the bracketed numbers are both the node's items (an item citing a guideline,
    of the category); edge width is items, edge colour the share overturned, faded when few."""
    plt = _matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    sub = top_subgraph(graph, top, rank)
    left, right = bipartite_order(sub)
    labels = {n: wrap(sub.nodes[n]["label"]) for n in sub}
    lines = max(sum(labels[n].count("\n") + 1.6 for n in col) for col in (left, right))
    height = max(5.0, 0.27 * lines + 2.8)
    fig, ax = plt.subplots(figsize=(15, height))
    ypos = {**_column_positions(left, labels, 0.0), **_column_positions(right, labels, 1.0)}
    cmap, norm = rate_colormap(), Normalize(0.0, 1.0)
    max_w = max((d["weight"] for _, _, d in sub.edges(data=True)), default=1)
    max_items = max((d["items"] for _, d in sub.nodes(data=True)), default=1)
    for a, b, d in sorted(sub.edges(data=True), key=lambda e: e[2]["weight"]):
        (x1, y1), (x2, y2) = ypos[a], ypos[b]
        if x1 > x2:
            (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
        xs = [x1 + (x2 - x1) * t / 20 for t in range(21)]
        ys = [y1 + (y2 - y1) * (3 * (t / 20) ** 2 - 2 * (t / 20) ** 3) for t in range(21)]
        ax.plot(xs, ys, color=cmap(norm(d["overturn_rate"])), alpha=fade(d["items"]),
                solid_capstyle="round", linewidth=0.8 + 7 * math.sqrt(d["weight"] / max_w),
                zorder=1)

    def size(n: str) -> float:
        return 40 + 560 * math.sqrt(sub.nodes[n]["items"] / max_items)

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
            text = (f"{labels[n]}  ({d['items']})" if ha == "left"
                    else f"({d['items']})  {labels[n]}")
            ax.annotate(text, xy=ypos[n], xytext=(offset if ha == "left" else -offset, 0),
                        textcoords="offset points", ha=ha, va="center", fontsize=9.5,
                        linespacing=1.0, zorder=4)
    ax.set_xlim(-1.05, 2.05)
    ax.set_ylim(-0.01, 1.01)
    ax.axis("off")
    level = graph.graph.get("level", "")
    ax.text(0.0, 1.03, f"Guidelines ({level} level)", ha="center", va="bottom", fontsize=11,
            fontweight="bold", transform=ax.transData)
    ax.text(1.0, 1.03, "Treatment categories", ha="center", va="bottom", fontsize=11,
            fontweight="bold", transform=ax.transData)
    g_all, t_all = _count(graph, GUIDELINE), _count(graph, TREATMENT)
    shown = (f"{len(left)} of {g_all} guidelines, those with {RANK_TEXT[rank]}; {len(right)} of "
             f"{t_all} treatment categories, those most cited by them")
    fig.suptitle(title or (f"Guideline usage in {graph.graph.get('letters', 0)} IMR letters, "
                           f"{graph.graph.get('items', 0)} items citing a guideline\n{shown}"),
                 fontsize=12.5)
    cax = ax.inset_axes([0.36, -0.075, 0.28, 0.018])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax,
                       orientation="horizontal")
    bar.set_label("edge colour: share of its items overturned (faded: few items)", fontsize=9.5)
    bar.ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    handles = [
        Line2D([], [], marker="o", linestyle="", color="#1b9e77", markersize=10,
               label="guideline: size and (n) = items citing it"),
        Line2D([], [], marker="s", linestyle="", color="#7570b3", markersize=10,
               label="treatment category: size and (n) = its items citing a guideline"),
        Line2D([], [], color="#888", linewidth=2.5, label="edge width: items"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.005), ncol=3,
              frameon=False, fontsize=9.5)
    for path in (png, svg):
        if path is not None:
            _save(fig, path)
    plt.close(fig)
    return sub


def draw_losses(graph: nx.Graph, png: Path | None, svg: Path | None, *, party: str = "any",
                rank: str = RANK, top: int = TOP) -> tuple[list[str], list[str]]:
    """The losses matrix: guidelines (rows, the ``top`` by ``rank``) x treatment categories
    (columns, most items first), each cell "k/n": of the n items citing the guideline (by
    ``party``: a key of network.PARTY_KEYS) for the category, k overturned.  Colour: k/n; cells
    with n < SMALL_N faded.  Returns the row and column node ids drawn."""
    if party not in PARTY_KEYS:
        raise UsageError(f"party must be one of {', '.join(PARTY_KEYS)}, got {party!r}",
                         "party")
    plt = _matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    rows = _ranked(graph, GUIDELINE, rank, party)
    rows = rows[:top] if top > 0 else rows
    linked: dict[str, int] = {}
    for g in rows:
        for t in graph[g]:
            linked[t] = linked.get(t, 0) + _counts(graph[g][t], party)[0]
    cols = sorted((t for t in linked if linked[t] > 0),
                  key=lambda t: (-linked[t], graph.nodes[t]["label"], t))
    cols = cols[:top] if top > 0 else cols
    row_labels = [wrap(graph.nodes[g]["label"], 50) for g in rows]
    col_labels = [wrap(graph.nodes[t]["label"], 22) for t in cols]
    heights = [lbl.count("\n") + 1.3 for lbl in row_labels]
    fig_h = 2.6 + 0.22 * sum(heights) + 0.16 * max((c.count("\n") + 1 for c in col_labels),
                                                   default=1)
    fig, ax = plt.subplots(figsize=(max(8.0, 4.8 + 0.78 * (len(cols) + 1)), max(3.5, fig_h)))
    cmap, norm = rate_colormap(), Normalize(0.0, 1.0)
    y_edges = [0.0]
    for h in heights:
        y_edges.append(y_edges[-1] + h)

    def cell(x: float, i: int, items: int, over: int, bold: bool = False) -> None:
        y0, y1 = y_edges[i], y_edges[i + 1]
        if items == 0:
            return
        alpha = 1.0 if items >= SMALL_N else 0.35
        ax.add_patch(Rectangle((x, y0), 1, y1 - y0, facecolor=cmap(norm(over / items)),
                               alpha=alpha, edgecolor="white", linewidth=1.5))
        dark = over / items > 0.55 and items >= SMALL_N
        ax.text(x + 0.5, (y0 + y1) / 2, f"{over}/{items}", ha="center", va="center",
                fontsize=8.5, color="white" if dark else ("#222" if items >= SMALL_N else "#666"),
                fontweight="bold" if bold else "normal",
                fontstyle="normal" if items >= SMALL_N else "italic")

    for i, g in enumerate(rows):
        for j, t in enumerate(cols):
            if graph.has_edge(g, t):
                cell(j, i, *_counts(graph[g][t], party))
        cell(len(cols) + 0.25, i, *_counts(graph.nodes[g], party), bold=True)
    ax.set_xlim(0, len(cols) + 1.25)
    ax.set_ylim(y_edges[-1], 0)
    ax.set_yticks([(a + b) / 2 for a, b in zip(y_edges, y_edges[1:], strict=False)], row_labels,
                  fontsize=9, linespacing=1.0)
    ax.set_xticks([j + 0.5 for j in range(len(cols))] + [len(cols) + 0.75],
                  col_labels + ["all categories"], fontsize=8.5, rotation=90, linespacing=1.0)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    who = {"any": "any party", "ca": "the claims administrator",
           "er": "the expert reviewer"}[party]
    g_all = sum(1 for n, d in graph.nodes(data=True)
                if d["kind"] == GUIDELINE and _counts(d, party)[0] > 0)
    ax.set_title(f"Where guidelines lose: overturned / items citing the guideline (cited by "
                 f"{who})\n{len(rows)} of {g_all} guidelines ({graph.graph.get('level', '')} "
                 f"level), those with {RANK_TEXT[rank]}; {len(cols)} treatment categories with "
                 f"most items; pale italic: fewer than {SMALL_N} items", fontsize=11, pad=12)
    cax = ax.inset_axes([0.3, -0.05 - 0.4 / max(3.5, fig_h), 0.4, 0.02])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax,
                       orientation="horizontal")
    bar.set_label("share of the items overturned", fontsize=9)
    bar.ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    for path in (png, svg):
        if path is not None:
            _save(fig, path)
    plt.close(fig)
    return rows, cols


def draw_outcome_bars(rows: Sequence[Mapping[str, Any]], label_key: str, path: Path, title: str,
                      top: int = 20, rank: str = "volume", svg: Path | None = None) -> int:
    """Horizontal stacked bars, upheld vs overturned items, the ``top`` by ``rank``; each bar
    says its n and overturn rate.  Returns the number of bars."""
    plt = _matplotlib()
    total_rows = len(rows)
    rows = sorted(rows, key=lambda r: (*rank_key(int(r["upheld"]) + int(r["overturned"]),
                                                 int(r["overturned"]), rank), str(r[label_key])))
    rows = rows[:top] if top > 0 else rows
    rows.reverse()  # first at the top
    labels = [wrap(str(r[label_key]), 52) for r in rows]
    upheld = [int(r["upheld"]) for r in rows]
    overturned = [int(r["overturned"]) for r in rows]
    lines = sum(lbl.count("\n") + 1.2 for lbl in labels)
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.3 * lines + 1.8)))
    cmap = rate_colormap()
    y = list(range(len(rows)))
    ax.barh(y, upheld, color="#bdbdbd", label="Upheld (denial stands)")
    ax.barh(y, overturned, left=upheld, color=cmap(1.0), label="Overturned")
    for i, (u, o) in enumerate(zip(upheld, overturned, strict=True)):
        total = u + o
        rate = f"{round(100 * o / total)}% overturned" if total else ""
        ax.text(total + 0.1, i, f"n={total}  {rate}", va="center", fontsize=9,
                color="#222" if total >= SMALL_N else "#777")
    ax.set_yticks(y, labels, fontsize=9.5, linespacing=1.0)
    ax.set_xlabel("items")
    shown = f"{len(rows)} of {total_rows}, those with {RANK_TEXT[rank]}"
    ax.set_title(f"{title}\n{shown}", fontsize=11.5)
    ax.legend(loc="lower right", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max([u + o for u, o in zip(upheld, overturned, strict=True)], default=1) * 1.35)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    _save(fig, path)
    if svg is not None:
        _save(fig, svg)
    plt.close(fig)
    return len(rows)
