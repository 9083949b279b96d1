"""The offline HTML page of guideline usage: one self-contained file, data inline.

The page's markup, style and script are package data beside this module (``page.html``,
``page.css``, ``page.js``); :func:`render_html` puts the style, the script and the network's data
into the markup, so the written page opens from disk with no network and fetches nothing from a
CDN.  The script is a small canvas force layout written for it.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import networkx as nx

from imrgraph.viz.network import GUIDELINE, RATE_COLOURS, SMALL_N, bipartite_order

#: Node count above which the HTML page keeps only the heaviest edges (said on the page).
MAX_NODES = 300
HTML_NAME = "guideline-usage.html"


@cache
def _asset(name: str) -> str:
    """page.html, page.css or page.js, as shipped with the package."""
    return (resources.files(__package__) / name).read_text(encoding="utf-8")


def page_data(graph: nx.Graph, total_nodes: int, total_edges: int, threshold: int,
              party: str = "any", rank: str = "overturned", top: int = 15) -> dict[str, Any]:
    """The JSON the page script reads: nodes, edges (by index) and per-filter counts."""
    left, right = bipartite_order(graph)  # a good start: the page's layout only refines it
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
        "threshold": threshold, "party": party, "rank": rank, "top": top,
        "rate_colours": list(RATE_COLOURS), "small_n": SMALL_N,
    }


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script>: no '</script>' or '<!--' can be formed by label text."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(graph: nx.Graph, *, total_nodes: int | None = None,
                total_edges: int | None = None, threshold: int = 1, title: str = "",
                party: str = "any", rank: str = "overturned", top: int = 15) -> str:
    """A self-contained page: data, style and script inline.

    ``page.html`` marks where values go with ``@@NAME@@`` (TITLE, LEVEL, LETTERS, ITEMS, PRUNED,
    PRUNED_FLAG, THRESHOLD, TOTAL_NODES, TOTAL_EDGES, CSS, DATA, SCRIPT).
    """
    total_nodes = graph.number_of_nodes() if total_nodes is None else total_nodes
    total_edges = graph.number_of_edges() if total_edges is None else total_edges
    data = page_data(graph, total_nodes, total_edges, threshold, party, rank, top)
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
        "CSS": _asset("page.css"), "DATA": _json_for_script(data), "SCRIPT": _asset("page.js"),
    }
    # One pass, so text inside the data can never be taken for a placeholder.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], _asset("page.html"))
