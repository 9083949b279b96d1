"""``report``: the IMR report (page, JSON, one CSV per table) from a graph, store or endpoint."""

from __future__ import annotations

from typing import Any

import click

from imrgraph.cli.common import (
    endpoint_options,
    one_source,
    pop_endpoint_options,
    remote_endpoint,
    store_for_reading,
    store_option,
)
from imrgraph.errors import UsageError


@click.command()
@click.argument("graph", required=False)
@click.option("-o", "--output", "out_dir", default="report", show_default=True,
              help="Folder for report.html, report.json and the tables' CSV files.")
@store_option("Report on a store built with `build --store` instead of a GRAPH file.")
@endpoint_options
@click.option("--title", default="IMR report", show_default=True, help="The page's title.")
def report(graph: str | None, out_dir: str, store: str | None, title: str,
           **endpoint: Any) -> None:
    """The IMR report: volume, outcomes, time, guidelines, reasons; every number with its n.

    Each table is a named query (the page names the `imrgraph query` command behind it), so
    every number can be re-run.  Rates carry a 95 % Wilson interval; n < 10 is marked.
    """
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    opts = pop_endpoint_options(endpoint)
    one_source(GRAPH=graph, **{"--store": store, "--endpoint": opts["endpoint"]})
    source: Any
    if opts["endpoint"] is not None:
        source, label = remote_endpoint(opts), opts["endpoint"]
    elif graph is not None:
        source, label = api.load_graph(graph), graph
    else:
        source = store_for_reading(store)
        if source is None:
            raise UsageError("give a GRAPH file, --store DIR or --endpoint URL")
        label = str(source)
    with api.open_source(source) as opened:
        result = api.report(opened, out_dir, title=title, label=label)
    for path in result.files:
        click.echo(str(path))
