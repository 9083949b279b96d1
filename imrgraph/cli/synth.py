"""``synth``: synthetic letters for load tests and benchmarks."""

from __future__ import annotations

import click


@click.command()
@click.argument("count", type=click.IntRange(1, 5_000_000))
@click.option("-o", "--output", required=True, help="Folder to write the letters into.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Corpus seed: the same seed and count give the same bytes.")
@click.option("--start", type=click.IntRange(0), default=0, show_default=True,
              help="Index of the first letter (to extend a corpus).")
def synth(count: int, output: str, seed: int, start: int) -> None:
    """Write COUNT synthetic letters in the real letters' layout (for load tests, benchmarks)."""
    from imrgraph import api  # lazily: `imrgraph --help` stays fast

    paths = api.write_corpus(output, count, seed, start)
    click.echo(f"{len(paths)} synthetic letter(s) -> {output}")
