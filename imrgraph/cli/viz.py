"""``viz`` and ``stats``: guideline-usage pictures and co-citation network statistics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from imrgraph.cli.common import ApiChoice, ApiValue, store_for_reading, store_option
from imrgraph.errors import UsageError

if TYPE_CHECKING:
    from imrgraph import api


@contextmanager
def _runner(graph: str | None, store: str | None) -> Iterator[api.Runner]:
    """Queries run on a graph file or on a store built with ``build --store``."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    if graph is not None and store is not None:
        raise UsageError("give a GRAPH file or --store, not both")
    directory = None if graph is not None else store_for_reading(store)
    if graph is None and directory is None:
        raise UsageError("give a GRAPH file, or --store DIR for a store built with "
                         "`imrgraph build --store`")
    with api.open_runner(graph, directory) as run:
        yield run


@click.command()
@click.argument("graph", required=False)
@click.option("-o", "--output", "out_dir", default="pictures", show_default=True,
              help="Folder for the pictures and exports.")
@store_option("Draw from a store built with `build --store` instead of a GRAPH file.")
@click.option("--level", type=ApiChoice("LEVELS"), default="chapter", show_default=True,
              help="Guideline vocabulary level to draw.")
@click.option("--treatment-level", type=ApiChoice("TREATMENT_LEVELS"), default="category",
              show_default=True, help="Treatment categories as classified, or their top concept.")
@click.option("--max-nodes", type=int, default=ApiValue("MAX_NODES"), show_default=True,
              help="HTML page: above this many nodes keep only the heaviest edges (0 = all).")
@click.option("--top", type=int, default=ApiValue("TOP"), show_default=True,
              help="PNG/SVG and bar charts: guidelines and treatment categories drawn (0 = all).")
@click.option("--rank", type=ApiChoice("RANKS"), default=ApiValue("RANK"), show_default=True,
              help="Which guidelines are the top N: most items (volume), most items overturned, "
                   "or highest overturn rate (fewer than 10 items ranked last).")
@click.option("--party", type=click.Choice(["any", "claims-administrator", "expert-reviewer"]),
              default="any", show_default=True,
              help="Losses matrix and guideline bars: whose citations count.")
def viz(graph: str | None, out_dir: str, store: str | None, level: str, treatment_level: str,
        max_nodes: int, top: int, rank: str, party: str) -> None:
    """Draw guideline usage: HTML page, network and losses matrix as PNG/SVG, bar charts,
    GraphML and GEXF."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    with _runner(graph, store) as run:
        result = api.render_all(run, out_dir, level=level, treatment_level=treatment_level,
                                max_nodes=max_nodes, top=top, rank=rank, party=party)
    for path in result.files:
        click.echo(str(path))
    note = (f"; HTML shows {result.html_nodes} nodes / {result.html_edges} edges "
            f"(edges with >= {result.threshold} items)" if result.threshold > 1 else "")
    click.echo(f"{result.nodes} nodes, {result.edges} edges{note}", err=True)


@click.command()
@click.argument("graph", required=False)
@store_option("Analyse a store built with `build --store` instead of a GRAPH file.")
@click.option("--level", type=ApiChoice("LEVELS"), default="chapter", show_default=True,
              help="Guideline vocabulary level.")
@click.option("--party", type=click.Choice(["any", "claims-administrator", "expert-reviewer"]),
              default="any", show_default=True, help="Whose citations make co-citations.")
@click.option("--top", type=int, default=15, show_default=True,
              help="Most central guidelines to list (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def stats(graph: str | None, store: str | None, level: str, party: str, top: int,
          fmt: str) -> None:
    """Most central guidelines and communities of co-cited guidelines (networkx)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    with _runner(graph, store) as run:
        result = api.guideline_stats(run, level, party, top)
    central, groups = result.central, result.communities
    if fmt == "json":
        click.echo(json.dumps({
            "level": level, "party": party, "guidelines": result.guidelines,
            "co_citation_pairs": result.pairs,
            "central": [asdict(c) for c in central],
            "communities": [asdict(c) for c in groups],
        }, indent=2, ensure_ascii=False))
        return
    click.echo(f"Co-citation network ({level} level, party: {party}): "
               f"{result.guidelines} guidelines, {result.pairs} pairs cited "
               f"for the same item.\n")
    click.echo("Most central guidelines (weighted degree = co-citations with other guidelines; "
               "betweenness over distance 1/co-citations):")
    click.echo(api.format_table(
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
            click.echo(f"     - {member}  ({result.items[iri]} items)")
