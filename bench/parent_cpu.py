"""CPU of a store build's building process, without its workers: old and new code side by side.

Why: on 2 cores the building process (bulk load, statistics, bookkeeping) limits a store
build's rate, and the pool's workers hide it in wall-clock timings.  This replays the workers'
results (``Payload`` objects, made once and kept in a file) into a fresh store with the
building process's own code path (``_Builder.take`` and ``finish``) and reports
``time.process_time`` per letter, broken down by cProfile into the parts named below.

Usage::

    python bench/parent_cpu.py prepare LETTERS_DIR PAYLOADS [--limit N]
    python bench/parent_cpu.py compare PAYLOADS WORKDIR CODE_DIR [CODE_DIR ...] [--rounds 2]
    python bench/parent_cpu.py builds LETTERS_DIR WORKDIR CODE_DIR [CODE_DIR ...]

``prepare`` runs the workers' step (``process_letter``) on 2 processes and pickles the
payloads one after another.  ``compare`` replays them once per code checkout (a folder with an
``imrgraph`` package, put first on ``PYTHONPATH``), alternating, ``--rounds`` times, each in a
fresh process and a fresh store under WORKDIR (deleted afterwards), and prints a table.
``builds`` runs whole builds (2 workers) the same way: letters/s, the building process's CPU
per letter and peak RSS.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import pstats
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Parts of the building process's time: (label, function names whose cumulative time counts).
PARTS = [
    ("bulk load", ("bulk_load",)),
    ("statistics counted", ("contributions", "batch_contribution")),
    ("sums applied", ("apply",)),
    ("journal", ("_write_durable",)),
]


def prepare(letters: Path, out: Path, limit: int) -> None:
    from imrgraph.store.build import _init_worker, process_letter
    from imrgraph.store.parallel import parallel_map

    paths = sorted(str(p) for p in letters.glob("*.txt"))[:limit or None]
    with open(out, "wb") as fh:
        for payload in parallel_map(process_letter, paths, jobs=2, total=len(paths),
                                    initializer=_init_worker, initargs=(frozenset(),)):
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _payloads(path: Path) -> Iterator[Any]:
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def replay(payloads: Path, directory: Path, profile: bool) -> dict[str, Any]:
    """One build's parent side into a fresh store; CPU seconds, parts and peak RSS."""
    from imrgraph.pipeline import IngestReport
    from imrgraph.store.build import StoreBuildResult, _Builder
    from imrgraph.store.letterstore import LetterStore
    from imrgraph.validate import ValidationReport

    shutil.rmtree(directory, ignore_errors=True)
    profiler = cProfile.Profile(time.process_time) if profile else None
    letters = 0
    received = 0.0
    result = StoreBuildResult(directory, IngestReport(), ValidationReport(conforms=True))
    with LetterStore.open(directory, create=True) as store:
        builder = _Builder(store, result, 500, False)
        if profiler:
            profiler.enable()
        start = time.process_time()
        stream = _payloads(payloads)
        while True:
            r0 = time.process_time()
            payload = next(stream, None)  # unpickling stands for receiving from the pool
            received += time.process_time() - r0
            if payload is None:
                break
            builder.take(payload)
            letters += 1
        builder.finish()
        cpu = time.process_time() - start
        if profiler:
            profiler.disable()
    out: dict[str, Any] = {"letters": letters, "cpu_s": cpu, "received_s": received,
                           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if profiler:
        stats = pstats.Stats(profiler)
        parts: dict[str, float] = {}
        for label, names in PARTS:
            parts[label] = max((v[3] for k, v in stats.stats.items()  # type: ignore[attr-defined]
                                if k[2] in names or any(f"<method '{n}' " in k[2] for n in names)),
                                default=0.0)
        out["profiled_cpu_s"] = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        out["parts_s"] = parts
    shutil.rmtree(directory, ignore_errors=True)
    return out


def build(letters: Path, directory: Path) -> dict[str, Any]:
    """A whole ``build --store`` (2 workers) into a fresh store: the building process's CPU,
    the wall time, and the peak RSS of the building process and of its largest worker."""
    from imrgraph.store.build import build_store

    shutil.rmtree(directory, ignore_errors=True)
    start, cpu = time.monotonic(), time.process_time()
    result = build_store([str(letters)], directory, jobs=2)
    wall, cpu = time.monotonic() - start, time.process_time() - cpu
    shutil.rmtree(directory, ignore_errors=True)
    return {"letters": len(result.added), "wall_s": wall, "cpu_s": cpu,
            "letters_per_s": len(result.added) / wall,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def compare_builds(letters: Path, workdir: Path, codes: list[Path], rounds: int) -> None:
    print("| code | letters | wall s | letters/s | parent CPU ms/letter | parent peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in range(rounds):
        for code in codes:
            env = {**os.environ, "PYTHONPATH": str(code)}
            proc = subprocess.run([sys.executable, __file__, "_build", str(letters),
                                   str(workdir / f"build-{r}-{code.name}")],
                                  env=env, capture_output=True, text=True, check=True)
            row = json.loads(proc.stdout.splitlines()[-1])
            print(f"| {code.name} | {row['letters']} | {row['wall_s']:.1f} | "
                  f"{row['letters_per_s']:.0f} | {1000 * row['cpu_s'] / row['letters']:.2f} | "
                  f"{row['maxrss_mb']:.0f} |", flush=True)


def compare(payloads: Path, workdir: Path, codes: list[Path], rounds: int) -> None:
    rows: list[tuple[str, dict[str, Any]]] = []
    for r in range(rounds):
        for code in codes:
            for profile in (False, True):
                env = {**os.environ, "PYTHONPATH": str(code)}
                proc = subprocess.run(
                    [sys.executable, __file__, "_replay", str(payloads),
                     str(workdir / f"store-{r}-{code.name}"), "1" if profile else "0"],
                    env=env, capture_output=True, text=True, check=True)
                rows.append((code.name, json.loads(proc.stdout.splitlines()[-1])))
    print("| code | profiled | letters | CPU ms/letter | received | bulk load | statistics "
          "counted | sums applied | journal | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, row in rows:
        n = row["letters"]
        parts = row.get("parts_s", {})
        cells = [f"{1000 * parts[label] / n:.2f}" if label in parts else "" for label, _ in PARTS]
        print(f"| {name} | {'yes' if parts else 'no'} | {n} | {1000 * row['cpu_s'] / n:.2f} | "
              f"{1000 * row['received_s'] / n:.2f} | {' | '.join(cells)} | "
              f"{row['maxrss_mb']:.0f} |")


def main() -> None:
    if sys.argv[1:2] == ["_replay"]:
        payloads, directory, profile = sys.argv[2:5]
        print(json.dumps(replay(Path(payloads), Path(directory), profile == "1")))
        return
    if sys.argv[1:2] == ["_build"]:
        print(json.dumps(build(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("letters", type=Path)
    p.add_argument("payloads", type=Path)
    p.add_argument("--limit", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("payloads", type=Path)
    c.add_argument("workdir", type=Path)
    c.add_argument("codes", type=Path, nargs="+")
    c.add_argument("--rounds", type=int, default=2)
    b = sub.add_parser("builds")
    b.add_argument("letters", type=Path)
    b.add_argument("workdir", type=Path)
    b.add_argument("codes", type=Path, nargs="+")
    b.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.letters, args.payloads, args.limit)
    elif args.command == "builds":
        compare_builds(args.letters, args.workdir, args.codes, args.rounds)
    else:
        compare(args.payloads, args.workdir, args.codes, args.rounds)


if __name__ == "__main__":
    main()
