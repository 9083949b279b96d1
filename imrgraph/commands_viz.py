"""CLI commands for guideline-usage pictures and network statistics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

import click

from imrgraph import api
from imrgraph.cli import main, store_for_reading, store_option
from imrgraph.errors import UsageError
from imrgraph.query import _table, load_query
from imrgraph.viz import MAX_NODES, RANK, TOP, render_all
from imrgraph.viz.network import (
    LEVELS,
    RANKS,
    TREATMENT_LEVELS,
    Runner,
    centrality,
    cocitation_network,
    communities,
    graph_runner,
    usage_network,
    usage_rows,
)


@contextmanager
def _runner(graph: str | None, store: str | None) -> Iterator[Runner]:
    """Queries run on a graph file (rdflib) or on a store built with ``build --store``."""
    if graph is not None and store is not None:
        raise UsageError("give a GRAPH file or --store, not both")
    if graph is not None:
        yield graph_runner(api.load_graph(graph))
        return
    directory = store_for_reading(store)
    if directory is None:
        raise UsageError("give a GRAPH file, or --store DIR for a store built with "
                         "`imrgraph build --store`")
    from imrgraph.store import LetterStore

    opened = LetterStore.open(directory, read_only=True)
    try:
        yield lambda name, params: opened.run_query(load_query(name), params)
    finally:
        opened.close()


@main.command()
@click.argument("graph", required=False)
@click.option("-o", "--output", "out_dir", default="pictures", show_default=True,
              help="Folder for the pictures and exports.")
@store_option("Draw from a store built with `build --store` instead of a GRAPH file.")
@click.option("--level", type=click.Choice(LEVELS), default="chapter", show_default=True,
              help="Guideline vocabulary level to draw.")
@click.option("--treatment-level", type=click.Choice(TREATMENT_LEVELS), default="category",
              show_default=True, help="Treatment categories as classified, or their top concept.")
@click.option("--max-nodes", type=int, default=MAX_NODES, show_default=True,
              help="HTML page: above this many nodes keep only the heaviest edges (0 = all).")
@click.option("--top", type=int, default=TOP, show_default=True,
              help="PNG/SVG and bar charts: guidelines and treatment categories drawn (0 = all).")
@click.option("--rank", type=click.Choice(RANKS), default=RANK, show_default=True,
              help="Which guidelines are the top N: most items (volume), most items overturned, "
                   "or highest overturn rate (fewer than 10 items ranked last).")
@click.option("--party", type=click.Choice(["any", "claims-administrator", "expert-reviewer"]),
              default="any", show_default=True,
              help="Losses matrix and guideline bars: whose citations count.")
def viz(graph: str | None, out_dir: str, store: str | None, level: str, treatment_level: str,
        max_nodes: int, top: int, rank: str, party: str) -> None:
    """Draw guideline usage: HTML page, network and losses matrix as PNG/SVG, bar charts,
    GraphML and GEXF."""
    with _runner(graph, store) as run:
        result = render_all(run, out_dir, level=level, treatment_level=treatment_level,
                            max_nodes=max_nodes, top=top, rank=rank, party=party)
    for path in result.files:
        click.echo(str(path))
    note = (f"; HTML shows {result.html_nodes} nodes / {result.html_edges} edges "
            f"(edges with >= {result.threshold} items)" if result.threshold > 1 else "")
    click.echo(f"{result.nodes} nodes, {result.edges} edges{note}", err=True)


@main.command()
@click.argument("graph", required=False)
@store_option("Analyse a store built with `build --store` instead of a GRAPH file.")
@click.option("--level", type=click.Choice(LEVELS), default="chapter", show_default=True,
              help="Guideline vocabulary level.")
@click.option("--party", type=click.Choice(["any", "claims-administrator", "expert-reviewer"]),
              default="any", show_default=True, help="Whose citations make co-citations.")
@click.option("--top", type=int, default=15, show_default=True,
              help="Most central guidelines to list (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def stats(graph: str | None, store: str | None, level: str, party: str, top: int,
          fmt: str) -> None:
    """Most central guidelines and communities of co-cited guidelines (networkx)."""
    with _runner(graph, store) as run:
        rows = usage_rows(run, level)
    usage = usage_network(rows, level)
    cocited = cocitation_network(rows, party)
    central = centrality(cocited, usage, top=top)
    groups = communities(cocited)
    if fmt == "json":
        click.echo(json.dumps({
            "level": level, "party": party, "guidelines": cocited.number_of_nodes(),
            "co_citation_pairs": cocited.number_of_edges(),
            "central": [asdict(c) for c in central],
            "communities": [asdict(c) for c in groups],
        }, indent=2, ensure_ascii=False))
        return
    click.echo(f"Co-citation network ({level} level, party: {party}): "
               f"{cocited.number_of_nodes()} guidelines, {cocited.number_of_edges()} pairs cited "
               f"for the same item.\n")
    click.echo("Most central guidelines (weighted degree = co-citations with other guidelines; "
               "betweenness over distance 1/co-citations):")
    click.echo(_table(
        ["rank", "guideline", "items", "treatments", "partners", "weighted_degree",
         "betweenness"],
        [[i, c.guideline, c.items, c.treatments, c.partners, c.weighted_degree, c.betweenness]
         for i, c in enumerate(central, start=1)],
        max_width=200,  # display labels are unique only whole
    ))
    click.echo("Communities of co-cited guidelines (greedy modularity on co-citation counts; "
               "guidelines never co-cited are left out):")
    if not groups:
        click.echo("  (none: no two guidelines were cited for the same item)")
    for c in groups:
        click.echo(f"\n  {c.number}. {c.size} guidelines, {c.internal_weight} co-citation(s) "
                   f"inside the group")
        for member, iri in zip(c.members, c.iris, strict=True):
            click.echo(f"     - {member}  ({cocited.nodes[iri]['items']} items)")
