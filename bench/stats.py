"""Aggregate queries from a store's statistics against the full SPARQL, and listings' first page.

Usage: ``python bench/stats.py STORE [STORE ...] [--json OUT]`` (stores built by
``imrgraph build LETTERS --store STORE``).  For every aggregate named query that has a
statistics form (queries/stats/), with every parameter value the statistics hold, it times the
answer from the statistics and the full query (median of ``--runs`` after one warm-up; a full
query slower than 5 s is timed once) and checks the rows are identical.  For every other named
query it times the first 1,000 rows (``query --limit 1000``).  Prints a Markdown table per
store for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imrgraph.sparql import load_query, named_queries, run
from imrgraph.store import LetterStore
from imrgraph.store.stats import stats_forms

#: Values for required parameters of listings (as tests/test_store.py uses).
REQUIRED = {"guideline": "Low Back Complaints"}


def timed(func: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median seconds of ``runs`` calls after a warm-up (one call when the warm-up took > 5 s)."""
    start = time.perf_counter()
    result = func()
    first = time.perf_counter() - start
    if first > 5:
        return first, result
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(directory: Path, runs: int, full: str = "all") -> dict[str, Any]:
    """``full``: time the full SPARQL for every parameter value (``all``), for the first value
    of each query only (``first``: at 100,000 letters each full run takes 5-60 s)."""
    out: dict[str, Any] = {"store": str(directory), "aggregates": [], "listings": []}
    with LetterStore.open(directory, read_only=True) as store:
        out["letters"] = len(store.letters())
        for name, form in sorted(stats_forms().items()):
            query = load_query(name)
            for k, values in enumerate(itertools.product(*form.params.values())):
                params = dict(zip(form.params, values, strict=True))
                fast, via = timed(lambda q=query, p=params: run(q, store, p), runs)
                row: dict[str, Any] = {"query": name, "params": params, "statistics_s": fast,
                                       "full_s": None, "rows": len(via.rows), "identical": None}
                if full == "all" or k == 0:
                    row["full_s"], whole = timed(
                        lambda q=query, p=params: run(q, store, p, statistics=False), runs)
                    row["identical"] = via.rows == whole.rows
                out["aggregates"].append(row)
        for name, query in sorted(named_queries().items()):
            if name in stats_forms():
                continue
            params = {p: REQUIRED[p] for p, spec in query.parameters.items()
                      if spec.default is None and p in REQUIRED}
            page, result = timed(
                lambda q=query, p=params: run(q, store, p, limit=1000), runs)
            out["listings"].append({"query": name, "params": params, "first_1000_s": page,
                                    "rows": len(result.rows)})
    cli = [sys.executable, "-m", "imrgraph", "query", "guideline-outcomes", "--store",
           str(directory), "--format", "csv"]
    start = time.perf_counter()
    subprocess.run(cli, check=True, capture_output=True)
    out["cli_guideline_outcomes_s"] = time.perf_counter() - start
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [f"**{result['letters']:,} letters** (`{result['store']}`); "
             f"`imrgraph query guideline-outcomes --store` end to end (process start, open, "
             f"answer): {result['cli_guideline_outcomes_s']:.2f} s", "",
             "| aggregate query | from statistics, s | full SPARQL, s | rows | identical |",
             "|---|---|---|---|---|"]
    for row in result["aggregates"]:
        params = " ".join(f"{k}={v}" for k, v in row["params"].items())
        full = "not run" if row["full_s"] is None else f"{row['full_s']:.3f}"
        same = "-" if row["identical"] is None else str(row["identical"])
        lines.append(f"| `{(row['query'] + ' ' + params).strip()}` | {row['statistics_s']:.3f} | "
                     f"{full} | {row['rows']} | {same} |")
    lines += ["", "| listing | first 1,000 rows (`--limit 1000`), s | rows |", "|---|---|---|"]
    for row in result["listings"]:
        params = " ".join(f"{k}={v}" for k, v in row["params"].items())
        lines.append(f"| `{(row['query'] + ' ' + params).strip()}` | {row['first_1000_s']:.3f} "
                     f"| {row['rows']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--full", choices=("all", "first"), default="all",
                        help="time the full SPARQL for every parameter value or the first only")
    args = parser.parse_args()
    results = [measure(d, args.runs, args.full) for d in args.stores]
    for result in results:
        print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
