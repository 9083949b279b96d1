"""Guideline-usage networks from SPARQL results, their network statistics and exports.

The networks are built from the rows of named queries (``guideline-usage``), never from a dump of
the RDF graph: the query decides what a guideline and a treatment category are at the chosen
level, and networkx only aggregates and analyses.  Two networks come out of the same rows:

- the *usage* network: a bipartite graph of guidelines and treatment categories, an edge where a
  guideline was cited for items of a category (``imrgraph viz`` draws it);
- the *co-citation* network: guidelines, an edge where two were cited for the same item
  (``imrgraph stats`` ranks and clusters it).

GraphML and GEXF exports and the two-column order shared by the page and the static picture
live here too; drawing is in :mod:`imrgraph.viz.charts` and :mod:`imrgraph.viz.page`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from rdflib import Graph

from imrgraph.errors import UsageError
from imrgraph.outputs import write_atomic
from imrgraph.sparql import QueryResult, runner

GUIDELINE = "guideline"
TREATMENT = "treatment"
PARTIES = ("claims-administrator", "expert-reviewer")
OUTCOMES = ("Upheld", "Overturned")
LEVELS = ("work", "chapter", "topic")
TREATMENT_LEVELS = ("category", "top")
#: Short keys for the party filter: "any" or one party.
PARTY_KEYS = {"any": None, "ca": "claims-administrator", "er": "expert-reviewer"}
#: Short keys for the outcome filter: "all" or one outcome.
OUTCOME_KEYS = {"all": None, "upheld": "Upheld", "overturned": "Overturned"}
EXAMPLES = 3

#: Runs a named query with parameters; lets the same code work on rdflib graphs and stores.
Runner = Callable[[str, Mapping[str, str]], QueryResult]


def graph_runner(graph: Graph, engine: str | None = None) -> Runner:
    """A runner for an in-memory rdflib graph; with Oxigraph's engine (the default) the graph
    is copied once for all the queries the runner runs."""
    return runner(graph, engine)


@dataclass(frozen=True)
class UsageRow:
    """One row of the ``guideline-usage`` query: an item, a party, a guideline it cited."""

    guideline_id: str
    guideline: str
    treatment_id: str
    treatment: str
    item_id: str
    document: str
    party: str
    outcome: str
    citations: int


def check_levels(level: str, treatment_level: str = "category") -> None:
    """Reject a level the queries would silently read as 'as cited'."""
    if level not in LEVELS:
        raise UsageError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if treatment_level not in TREATMENT_LEVELS:
        raise UsageError(f"treatment level must be one of {', '.join(TREATMENT_LEVELS)}, "
                         f"got {treatment_level!r}")


def usage_rows(run: Runner, level: str = "chapter", treatment_level: str = "category"
               ) -> list[UsageRow]:
    """The ``guideline-usage`` rows at the given levels."""
    check_levels(level, treatment_level)
    result = run("guideline-usage", {"level": level, "treatment_level": treatment_level})
    rows = []
    for r in result.as_dicts():
        rows.append(UsageRow(
            guideline_id=str(r["guideline_id"]), guideline=str(r["guideline"]),
            treatment_id=str(r["treatment_id"] or ""), treatment=str(r["treatment"] or ""),
            item_id=str(r["item_id"]), document=str(r["document"]), party=str(r["party"]),
            outcome=str(r["outcome"]), citations=int(r["citations"] or 0),
        ))
    return rows


# ------------------------------------------------------------------ counting


@dataclass
class _Tally:
    """Items and citations behind one node or edge, kept apart by party and outcome."""

    citations: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    items: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    documents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outcome_of: dict[str, str] = field(default_factory=dict)

    def add(self, row: UsageRow) -> None:
        self.citations[(row.party, row.outcome)] += row.citations
        self.items[(row.party, row.outcome)].add(row.item_id)
        self.documents[row.document] += 1
        self.outcome_of[row.item_id] = row.outcome

    def count(self, party: str | None = None, outcome: str | None = None) -> tuple[int, int]:
        """(distinct items, citations) for one party / outcome, or all when None."""
        items: set[str] = set()
        citations = 0
        for (p, o), ids in self.items.items():
            if (party is None or p == party) and (outcome is None or o == outcome):
                items |= ids
                citations += self.citations[(p, o)]
        return len(items), citations

    def filters(self) -> dict[str, dict[str, list[int]]]:
        """[items, citations] for every party filter x outcome filter (for the HTML page)."""
        return {pk: {ok: list(self.count(p, o)) for ok, o in OUTCOME_KEYS.items()}
                for pk, p in PARTY_KEYS.items()}

    def examples(self, limit: int = EXAMPLES) -> list[str]:
        """The letters contributing most rows, as examples for tooltips."""
        ranked = sorted(self.documents.items(), key=lambda kv: (-kv[1], kv[0]))
        return [d for d, _ in ranked[:limit]]

    def attributes(self) -> dict[str, Any]:
        """Flat, typed attributes (no None, one type per key) for GraphML and GEXF."""
        items, citations = self.count()
        upheld = sum(1 for o in self.outcome_of.values() if o == "Upheld")
        overturned = sum(1 for o in self.outcome_of.values() if o == "Overturned")
        attrs: dict[str, Any] = {
            "citations": int(citations), "items": int(items), "upheld": int(upheld),
            "overturned": int(overturned),
            "overturn_rate": round(overturned / items, 3) if items else 0.0,
            "letters": int(len(self.documents)),
            "examples": "; ".join(self.examples()),
        }
        for party, short in (("claims-administrator", "ca"), ("expert-reviewer", "er")):
            n_items, n_citations = self.count(party)
            attrs[f"items_{short}"] = int(n_items)
            attrs[f"citations_{short}"] = int(n_citations)
        return attrs


def usage_network(rows: Iterable[UsageRow], level: str = "chapter",
                  treatment_level: str = "category") -> nx.Graph:
    """Bipartite guideline - treatment-category graph with counts on nodes and edges.

    Node ids are the concept IRIs; ``kind`` tells guidelines from treatment categories.  What
    only the HTML page needs (per-filter counts, examples as a list) is kept in attributes that
    :func:`export_copy` leaves out, since GraphML and GEXF hold only flat scalar values.
    """
    node_tally: dict[str, _Tally] = defaultdict(_Tally)
    edge_tally: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    labels: dict[str, tuple[str, str]] = {}
    rows = list(rows)
    for row in rows:
        treatment_id = row.treatment_id or "urn:imrgraph:no-treatment-category"
        labels[row.guideline_id] = (row.guideline, GUIDELINE)
        labels[treatment_id] = (row.treatment or "(no category)", TREATMENT)
        node_tally[row.guideline_id].add(row)
        node_tally[treatment_id].add(row)
        edge_tally[(row.guideline_id, treatment_id)].add(row)
    graph = nx.Graph(level=level, treatment_level=treatment_level,
                     letters=len({r.document for r in rows}),
                     items=len({r.item_id for r in rows}))
    for node in sorted(node_tally, key=lambda n: (labels[n][1], labels[n][0], n)):
        label, kind = labels[node]
        graph.add_node(node, label=label, kind=kind,
                       level=level if kind == GUIDELINE else treatment_level,
                       **node_tally[node].attributes(), filters=node_tally[node].filters(),
                       example_list=node_tally[node].examples())
    for (g, t) in sorted(edge_tally):
        tally = edge_tally[(g, t)]
        graph.add_edge(g, t, **tally.attributes(), weight=int(tally.count()[0]),
                       filters=tally.filters(), example_list=tally.examples())
    return graph


_PAGE_ONLY = ("filters", "example_list")


def export_copy(graph: nx.Graph) -> nx.Graph:
    """The graph without attributes GraphML/GEXF cannot hold (nested counts, lists)."""
    out = nx.Graph()
    out.graph.update({k: v for k, v in graph.graph.items() if isinstance(v, str | int | float)})
    for node, data in graph.nodes(data=True):
        out.add_node(node, **{k: v for k, v in data.items() if k not in _PAGE_ONLY})
    for a, b, data in graph.edges(data=True):
        out.add_edge(a, b, **{k: v for k, v in data.items() if k not in _PAGE_ONLY})
    return out


def prune(graph: nx.Graph, max_nodes: int) -> tuple[nx.Graph, int]:
    """Keep the heaviest edges so that at most ``max_nodes`` nodes remain.

    Returns the pruned graph and the edge weight threshold used (1 = nothing pruned).  Drawing
    every node of a large corpus makes an unreadable, slow page; the threshold is shown on it.
    """
    if max_nodes <= 0 or graph.number_of_nodes() <= max_nodes:
        return graph, 1
    weights = sorted({int(d["weight"]) for _, _, d in graph.edges(data=True)})
    for threshold in weights:
        kept = [(a, b) for a, b, d in graph.edges(data=True) if d["weight"] >= threshold]
        nodes = {n for e in kept for n in e}
        if len(nodes) <= max_nodes:
            break
    else:  # even the heaviest edges span too many nodes: keep the top edges by weight
        threshold = weights[-1] if weights else 1
        ranked = sorted(graph.edges(data=True), key=lambda e: (-e[2]["weight"], e[0], e[1]))
        kept, nodes = [], set()
        for a, b, _ in ranked:
            if len(nodes | {a, b}) > max_nodes:
                break
            kept.append((a, b))
            nodes |= {a, b}
    pruned = graph.edge_subgraph(kept).copy()
    pruned.graph.update(graph.graph)
    return pruned, threshold


def bipartite_order(graph: nx.Graph) -> tuple[list[str], list[str]]:
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


# ------------------------------------------------------------------ exports


def write_graphml(graph: nx.Graph, path: Path) -> None:
    """GraphML for Cytoscape, yEd and networkx; flat typed attributes only."""
    write_atomic(path, lambda tmp: nx.write_graphml(export_copy(graph), tmp))


def write_gexf(graph: nx.Graph, path: Path) -> None:
    """GEXF for Gephi; the edge weight is the number of items."""
    write_atomic(path, lambda tmp: nx.write_gexf(export_copy(graph), tmp))


# ------------------------------------------------------------------ co-citation and statistics


def cocitation_network(rows: Iterable[UsageRow], party: str = "any") -> nx.Graph:
    """Guidelines linked by the number of items that cited both (as the co-citation query)."""
    per_item: dict[str, set[str]] = defaultdict(set)
    outcome: dict[str, str] = {}
    labels: dict[str, str] = {}
    items_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if party != "any" and row.party != party:
            continue
        per_item[row.item_id].add(row.guideline_id)
        outcome[row.item_id] = row.outcome
        labels[row.guideline_id] = row.guideline
        items_of[row.guideline_id].add(row.item_id)
    graph = nx.Graph()
    for g in sorted(labels):
        graph.add_node(g, label=labels[g], items=len(items_of[g]))
    for item in sorted(per_item):
        guidelines = sorted(per_item[item])
        for i, a in enumerate(guidelines):
            for b in guidelines[i + 1:]:
                if graph.has_edge(a, b):
                    data = graph[a][b]
                    data["weight"] += 1
                else:
                    graph.add_edge(a, b, weight=1, upheld=0, overturned=0)
                    data = graph[a][b]
                key = "upheld" if outcome[item] == "Upheld" else "overturned"
                data[key] += 1
    return graph


@dataclass
class Centrality:
    """One guideline's place in the co-citation network (a row of `imrgraph stats`)."""

    guideline: str
    iri: str
    items: int
    treatments: int
    partners: int
    weighted_degree: int
    betweenness: float


def centrality(cocitation: nx.Graph, usage: nx.Graph | None = None, top: int = 15
               ) -> list[Centrality]:
    """Guidelines ranked by weighted co-citation degree, then betweenness.

    Betweenness uses distance 1/weight, so guidelines often cited together are close.
    """
    weighted = cocitation.copy()
    for _, _, data in weighted.edges(data=True):
        data["distance"] = 1.0 / data["weight"]
    between = nx.betweenness_centrality(weighted, weight="distance", normalized=True)
    out = []
    for node, data in cocitation.nodes(data=True):
        treatments = 0
        if usage is not None and node in usage:
            treatments = sum(1 for n in usage[node] if usage.nodes[n].get("kind") == TREATMENT)
        out.append(Centrality(
            guideline=data["label"], iri=node, items=int(data["items"]), treatments=treatments,
            partners=int(cocitation.degree(node)),
            weighted_degree=int(cocitation.degree(node, weight="weight")),
            betweenness=round(float(between.get(node, 0.0)), 4),
        ))
    out.sort(key=lambda c: (-c.weighted_degree, -c.betweenness, -c.items, c.guideline, c.iri))
    return out[:top] if top > 0 else out


@dataclass
class Community:
    """Guidelines more often cited with each other than with the rest."""

    number: int
    size: int
    items: int
    internal_weight: int
    members: list[str]
    iris: list[str]


def communities(cocitation: nx.Graph) -> list[Community]:
    """Groups of guidelines cited together (greedy modularity on co-citation counts).

    Guidelines never co-cited with another form no community and are left out.
    """
    connected = cocitation.subgraph([n for n in cocitation if cocitation.degree(n) > 0]).copy()
    if connected.number_of_edges() == 0:
        return []
    groups = nx.community.greedy_modularity_communities(connected, weight="weight")
    result = []
    for group in groups:
        members = sorted(group, key=lambda n: (-cocitation.nodes[n]["items"],
                                               cocitation.nodes[n]["label"], n))
        sub = connected.subgraph(members)
        result.append(Community(
            number=0, size=len(members),
            items=sum(int(cocitation.nodes[n]["items"]) for n in members),
            internal_weight=int(sub.size(weight="weight")),
            members=[cocitation.nodes[n]["label"] for n in members], iris=list(members),
        ))
    result.sort(key=lambda c: (-c.size, -c.internal_weight, c.members))
    for number, community in enumerate(result, start=1):
        community.number = number
    return result
