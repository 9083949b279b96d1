"""The ``imrgraph`` command: click commands over :mod:`imrgraph.api`, one module per concern.

The commands only parse options, print messages and choose exit codes (see
:mod:`imrgraph.cli.common`); the work is done by the API.
"""

from __future__ import annotations

import click

from imrgraph import __version__
from imrgraph.cli import build, query, report, store, synth, viz
from imrgraph.cli.common import Group


@click.group(cls=Group)
@click.version_option(__version__, prog_name="imrgraph")
def main() -> None:
    """California IMR final determinations -> validated RDF knowledge graph."""


for _command in (build.build, build.validate, query.query, query.list_queries, query.guidelines,
                 build.export,
                 build.extract, store.push, store.remove, store.store_info, store.serve,
                 synth.synth, viz.viz, viz.stats, report.report):
    main.add_command(_command)

__all__ = ["main"]
