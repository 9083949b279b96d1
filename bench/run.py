"""imrgraph at scale: one command measures build, memory, disk, queries and validation.

Why: the targets of the "Scale" issue (build >= 1,000 letters/s and >= 10x the naive rdflib
way, peak RSS < 1 GB at 100k letters, every named query < 1 s at 100k, validation at least half
as fast as the build) need numbers from one run on one machine, next to the naive way and the
floor (bulk-loading ready N-Triples), with a profile where a target is missed.

    python bench/run.py --sizes 500 2000          # quick: a few minutes
    python bench/run.py --sizes 10000 100000      # the issue's sizes (100k takes long)

Each stage runs in its own process so its wall time and memory are its own: peak RSS is the
sum over the stage's whole process tree (sampled from /proc every 0.1 s) and, from
``os.wait4``, the largest single process.  Results are merged into ``bench/results.json`` (one
entry per size, so big and quick runs add up) and ``bench/RESULTS.md`` is rewritten from it.
See bench/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "RESULTS.md"
PAGE = os.sysconf("SC_PAGE_SIZE")

#: parameter values for queries whose parameters have no default
QUERY_ARGS: dict[str, str] = {"guideline": "Low Back Complaints"}


# ============================================================================ measuring


def _children(pid: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def _tree_rss(pid: int) -> int:
    total = 0
    for p in _children(pid):
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


def run_measured(cmd: Sequence[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a command; wall time, exit code, peak RSS of its process tree and of one process."""
    with tempfile.TemporaryFile() as out:
        measured = _run_measured(cmd, timeout, out)
        out.seek(0)
        measured["output_tail"] = out.read().decode("utf-8", "replace")[-1500:]
    return measured


def _run_measured(cmd: Sequence[str], timeout: float | None, out: Any) -> dict[str, Any]:
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timer = None
    timed_out = False
    if timeout:
        def kill() -> None:
            """Stop the stage's own process tree (by pid, children first)."""
            nonlocal timed_out
            timed_out = True
            for p in reversed(_children(proc.pid)):
                with contextlib.suppress(OSError):
                    os.kill(p, 9)

        timer = threading.Timer(timeout, kill)
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if timer:
        timer.cancel()
    done.set()
    sampler.join()
    return {"wall_s": wall, "exit": proc.returncode, "timed_out": timed_out,
            "load_avg_1min_after": round(os.getloadavg()[0], 2),
            "peak_rss_tree_mb": peak / 1e6, "max_rss_one_process_mb": usage.ru_maxrss / 1e3,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def _stage(name: str, args: argparse.Namespace, n: int, timeout: float | None = None,
           extra: Sequence[str] = (), key: str = "") -> dict[str, Any]:
    """Run ``bench/run.py --stage NAME`` as a child; merge its JSON report with the measures."""
    report = Path(args.workdir) / f"stage-{name}{'-' + key if key else ''}-{n}.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, str(BENCH / "run.py"), "--stage", name, "--n", str(n),
           "--workdir", str(args.workdir), "--seed", str(args.seed),
           "--processes", str(args.processes), "--repeats", str(args.repeats),
           "--query-timeout", str(args.query_timeout),
           "--report", str(report), *extra]
    print(f"[{time.strftime('%H:%M:%S')}] {name} {' '.join(extra[:2])} n={n} ...", flush=True)
    measured = run_measured(cmd, timeout)
    data = json.loads(report.read_text()) if report.exists() else {}
    data.update(measured)
    status = "timed out" if measured["timed_out"] else f"exit {measured['exit']}"
    print(f"    {status}, {measured['wall_s']:.1f} s, peak RSS {measured['peak_rss_tree_mb']:.0f}"
          " MB", flush=True)
    if measured["exit"] and not measured["timed_out"]:
        print(measured["output_tail"], flush=True)
    return data


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _write_partial(path: str, data: dict[str, Any]) -> None:
    """A stage writes what it has measured so far, so a timeout keeps the finished steps."""
    tmp = Path(path + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


# ============================================================================ stages (children)


@cache
def _synth_version() -> int:
    from imrgraph.testing.synth import VERSION

    return int(VERSION)


def _corpus_dir(workdir: str, n: int, seed: int) -> Path:
    """The text corpus of one size; the generator's version is in the name (v2 letters cost
    what real ones cost, v1 letters were cheaper), so an older corpus is never reused."""
    return Path(workdir) / f"corpus-v{_synth_version()}-{seed}-{n}"


def _pdf_dir(workdir: str, n: int, seed: int) -> Path:
    """The same letters rendered as the state's PDFs (``imrgraph.testing.pdfs``)."""
    return Path(workdir) / f"pdf-v{_synth_version()}-{seed}-{n}"


def _nt_dir(workdir: str, n: int, seed: int) -> Path:
    return Path(workdir) / f"nt-{seed}-{n}"


def _gen_chunk(folder: str, n: int, seed: int, start: int) -> int:
    from imrgraph.testing.synth import write_corpus

    return len(write_corpus(folder, n, seed, start))


def _generate_once(folder: Path, chunk: Any, step: int, suffix: str,
                   a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Write a corpus into ``folder`` once, in chunks of ``step`` letters over the worker
    pool (reused by later runs with the same seed and size: a `.complete` marker says so)."""
    import multiprocessing

    marker = folder / ".complete"
    if marker.exists():
        out["reused"] = True
    else:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        jobs = [(str(folder), min(step, a.n - s), a.seed, s) for s in range(0, a.n, step)]
        t = time.perf_counter()
        with multiprocessing.Pool(a.processes) as pool:
            pool.starmap(chunk, jobs)
        out["generate_s"] = time.perf_counter() - t
        marker.write_text(str(a.n))
    files = [p for p in folder.iterdir() if p.suffix == suffix]
    out["letters"] = len(files)
    out["corpus_mb"] = sum(p.stat().st_size for p in files) / 1e6


def stage_generate(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Write the synthetic corpus once (reused by later runs with the same seed and size)."""
    _generate_once(_corpus_dir(a.workdir, a.n, a.seed), _gen_chunk, 2000, ".txt", a, out)


def _gen_pdf_chunk(folder: str, n: int, seed: int, start: int) -> int:
    from imrgraph.testing.pdfs import write_pdf_corpus

    return len(write_pdf_corpus(folder, n, seed, start))


def stage_generate_pdf(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Render the corpus as encrypted PDFs once (reused like the text corpus)."""
    _generate_once(_pdf_dir(a.workdir, a.n, a.seed), _gen_pdf_chunk, 500, ".pdf", a, out)


def stage_calibrate(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Real vs synthetic cost in one process: parse + map per letter, extraction per page."""
    from bench.calibrate import calibrate

    out.update(calibrate(Path(a.real), a.n, a.calibrate_pdf_n, a.seed, a.repeats,
                         text_dir=_corpus_dir(a.workdir, a.n, a.seed),
                         pdf_dir=_pdf_dir(a.workdir, a.calibrate_pdf_n, a.seed)))


def _prepare_chunk(files: list[str], nt_folder: str) -> dict[str, float]:
    """Parse and map letters, write each letter's N-Triples; time each part."""
    from bench.validate_parallel import letter_ntriples
    from imrgraph.ingest import read_letter
    from imrgraph.mapping import determination_triples
    from imrgraph.parse import parse_letter
    from imrgraph.resolve import resolve_determination

    parts = {"read_s": 0.0, "parse_s": 0.0, "map_s": 0.0, "nt_s": 0.0, "letters": 0,
             "triples": 0, "items": 0}
    clock = time.perf_counter
    for path in files:
        t0 = clock()
        letter = read_letter(path)
        t1 = clock()
        det = resolve_determination(parse_letter(letter), letter.text)
        t2 = clock()
        triples = determination_triples(det)
        t3 = clock()
        text = letter_ntriples(triples)
        (Path(nt_folder) / f"{triples.key}.nt").write_text(text, encoding="utf-8")
        t4 = clock()
        parts["read_s"] += t1 - t0
        parts["parse_s"] += t2 - t1
        parts["map_s"] += t3 - t2
        parts["nt_s"] += t4 - t3
        parts["letters"] += 1
        parts["items"] += len(det.items)
        parts["triples"] += len(triples.triples) + len(triples.shared)
    return parts


def stage_prepare(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Parse + map every letter over P processes (timed per part); keep N-Triples per letter."""
    import multiprocessing

    files = sorted(str(p) for p in _corpus_dir(a.workdir, a.n, a.seed).glob("*.txt"))
    nt_folder = _nt_dir(a.workdir, a.n, a.seed)
    shutil.rmtree(nt_folder, ignore_errors=True)
    nt_folder.mkdir(parents=True)
    chunks = [files[i:i + 200] for i in range(0, len(files), 200)]
    t = time.perf_counter()
    with multiprocessing.Pool(a.processes) as pool:
        results = pool.starmap(_prepare_chunk, [(c, str(nt_folder)) for c in chunks])
    out["wall_s_inner"] = time.perf_counter() - t
    for key in results[0]:
        out[key] = sum(r[key] for r in results)
    from bench.validate_parallel import ntriples
    from imrgraph.api import vocabulary_graph

    (Path(a.workdir) / "vocabulary.nt").write_text(ntriples(vocabulary_graph()), "utf-8")
    out["nt_mb"] = _dir_bytes(nt_folder) / 1e6


def stage_parse_map(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Parse + map only (no output), P processes: the CPU floor of any build."""
    import multiprocessing

    files = sorted(str(p) for p in _corpus_dir(a.workdir, a.n, a.seed).glob("*.txt"))
    chunks = [files[i::a.processes] for i in range(a.processes)]
    t = time.perf_counter()
    with multiprocessing.Pool(a.processes) as pool:
        counts = pool.map(_parse_map_chunk, chunks)
    out["wall_s_inner"] = time.perf_counter() - t
    out["letters"] = sum(counts)


def _parse_map_chunk(files: list[str]) -> int:
    from imrgraph.mapping import determination_triples
    from imrgraph.pipeline import read_determination

    for path in files:
        determination_triples(read_determination(path))
    return len(files)


def _query_specs() -> list[tuple[str, str, dict[str, str]]]:
    """(label, query name, parameters): every named query, guideline-outcomes at each level."""
    from imrgraph.sparql import named_queries

    specs = []
    for name, q in sorted(named_queries().items()):
        params = {p: QUERY_ARGS[p] for p, spec in q.parameters.items()
                  if spec.default is None and p in QUERY_ARGS}
        if name == "guideline-outcomes":
            for level in ("work", "chapter", "topic"):
                specs.append((f"{name} level={level}", name, {**params, "level": level}))
        else:
            label = name + "".join(f" {k}={v}" for k, v in params.items())
            specs.append((label, name, params))
    return specs


def _time_query(run: Callable[[], int], repeats: int, timeout: float) -> dict[str, Any]:
    """Median of ``repeats`` timed runs after a warm-up, in a forked child killed at timeout.

    A query whose warm-up alone takes over 5 s is timed once (its warm-up run).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            t = time.perf_counter()
            rows = run()
            first = time.perf_counter() - t
            times = [first] if first > 5 else []
            for _ in range(0 if times else repeats):
                t = time.perf_counter()
                rows = run()
                times.append(time.perf_counter() - t)
            send.send({"median_s": statistics.median(times), "rows": rows, "runs": len(times),
                       "first_s": first})
        except Exception as exc:  # report any failure instead of dying silently
            send.send({"error": f"{type(exc).__name__}: {exc}"})

    proc = ctx.Process(target=child)
    proc.start()
    deadline = time.monotonic() + timeout
    while proc.is_alive() and not receive.poll(0.05) and time.monotonic() < deadline:
        pass
    if receive.poll():
        result = receive.recv()
    elif not proc.is_alive():
        result = {"error": f"query process died (exit {proc.exitcode})"}
    else:
        result = {"timed_out": True, "timeout_s": timeout}
        proc.kill()
    proc.join()
    return result


def stage_naive(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """The naive way: parse -> one rdflib Graph -> Turtle, then the named queries in rdflib."""
    from imrgraph import api

    corpus = _corpus_dir(a.workdir, a.n, a.seed)
    out["query_texts"] = query_texts_digest()
    t = time.perf_counter()
    result = api.build([str(corpus)], include_vocabulary=True, validate=False)
    out["build_graph_s"] = time.perf_counter() - t
    out["triples"] = len(result.graph)
    out["letters"] = result.report.summary()["letters"]
    _write_partial(a.report, out)
    ttl = Path(a.workdir) / f"naive-{a.n}.ttl"
    t = time.perf_counter()
    api.serialize(result.graph, ttl, "ttl")
    out["turtle_s"] = time.perf_counter() - t
    out["turtle_mb"] = ttl.stat().st_size / 1e6
    ttl.unlink()
    _write_partial(a.report, out)
    queries: dict[str, Any] = {}
    for label, name, params in _query_specs():
        def run(name: str = name, params: dict[str, str] = params) -> int:
            return len(api.run_query(name, result.graph, params, engine="rdflib").rows)

        queries[label] = _time_query(run, a.repeats, a.query_timeout)
        out["queries"] = queries
        _write_partial(a.report, out)


def _floor_store_dir(workdir: str, n: int) -> Path:
    return Path(workdir) / f"floor-store-{n}"


class _Stream(io.RawIOBase):
    """A readable byte stream over chunks produced lazily (files read as the loader pulls)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buffer:
            try:
                self.buffer = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size


def stage_floor(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """The floor: read ready N-Triples, bulk-load one named graph per letter, dump N-Quads.

    No RDF is parsed in Python: each letter's N-Triples get its graph name appended as text
    and stream into Oxigraph's bulk loader as the loader reads them.
    """
    import pyoxigraph as ox

    from imrgraph.mapping import SHARED_GRAPH, letter_graph_iri

    nt_folder = _nt_dir(a.workdir, a.n, a.seed)
    store_dir = _floor_store_dir(a.workdir, a.n)
    shutil.rmtree(store_dir, ignore_errors=True)
    files = sorted(nt_folder.glob("*.nt"))
    clock = time.perf_counter
    t0 = clock()
    size = sum(len(p.read_bytes()) for p in files)  # the reading alone (page cache warm after)
    t1 = clock()

    def quads() -> Iterator[bytes]:
        vocabulary = (Path(a.workdir) / "vocabulary.nt").read_bytes()
        yield vocabulary.replace(b" .\n", f" <{SHARED_GRAPH}> .\n".encode())
        for p in files:
            yield p.read_bytes().replace(b" .\n", f" <{letter_graph_iri(p.stem)}> .\n".encode())

    store = ox.Store(str(store_dir))
    store.bulk_load(_Stream(quads()), ox.RdfFormat.N_QUADS)
    store.flush()
    t2 = clock()
    dump = Path(a.workdir) / f"floor-{a.n}.nq"
    store.dump(str(dump), ox.RdfFormat.N_QUADS)
    t3 = clock()
    out.update(read_s=t1 - t0, load_s=t2 - t1, dump_s=t3 - t2, total_s=t3 - t1,
               letters=len(files), nt_mb=size / 1e6, store_mb=_dir_bytes(store_dir) / 1e6,
               dump_mb=dump.stat().st_size / 1e6, quads=len(store))
    dump.unlink()


def _store_module() -> Any | None:
    try:
        from imrgraph import store  # type: ignore[attr-defined]
    except ImportError:
        return None
    return store


def _query_module() -> Any:
    from imrgraph import sparql

    return sparql


def _store_dir(workdir: str, n: int) -> Path:
    return Path(workdir) / f"store-{n}"


@cache
def _read_only_store(path: str) -> Any:
    """Opened in each forked query child (the parent never opens it): no handle crosses fork.

    An imrgraph store folder keeps its database in ``oxigraph/``; the floor store is the
    database itself.
    """
    import pyoxigraph as ox

    db = Path(path) / "oxigraph"
    return ox.Store.read_only(str(db if db.is_dir() else path))


def query_texts_digest() -> str:
    """Which version of queries/*.rq a latency was measured with (the report flags columns
    measured with other texts)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "queries").glob("*.rq")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def stage_queries(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Median latency of every named query on an on-disk pyoxigraph store (union graph), rows
    converted to Python values as ``imrgraph query --store`` does."""
    from imrgraph.sparql import load_query

    path = str(Path(a.store_path))
    store_module = _query_module() if _store_module() is not None else None
    out["query_texts"] = query_texts_digest()
    queries: dict[str, Any] = {}
    for label, name, params in _query_specs():
        query = load_query(name)

        def run(query: Any = query, params: dict[str, str] = params) -> int:
            store = _read_only_store(path)
            if store_module is not None:  # what `imrgraph query --store` runs
                return len(store_module.run(query, store, params).rows)
            from imrgraph.sparql import bind_parameters

            text = bind_parameters(query, params)
            return sum(1 for _ in store.query(text, use_default_graph_as_union=True))

        queries[label] = _time_query(run, a.repeats, a.query_timeout)
        out["queries"] = queries
        _write_partial(a.report, out)


def _read_nt(workdir: str, n: int, seed: int) -> list[str]:
    return [p.read_text("utf-8") for p in sorted(_nt_dir(workdir, n, seed).glob("*.nt"))]


def stage_validate_letters(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Per-letter SHACL validation over P processes (workers read each letter's N-Triples)."""
    from bench.validate_parallel import validate_files_parallel
    from imrgraph.validate import engine_in_use

    files = sorted(_nt_dir(a.workdir, a.n, a.seed).glob("*.nt"))
    engine = a.engine or "auto"
    out["engine"] = engine_in_use(engine)
    t = time.perf_counter()
    report = validate_files_parallel(files, processes=a.processes, engine=engine)
    out["validate_s"] = time.perf_counter() - t
    out.update(letters=len(files), conforms=report.conforms, results=len(report.results))


def stage_validate_whole(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """Whole graph: all letters in one rdflib graph, validated in one go (pySHACL unless
    ``--engine`` says otherwise)."""
    from rdflib import Graph

    from imrgraph.validate import engine_in_use, validate_graph
    from imrgraph.vocab import bind_prefixes

    engine = a.engine or "pyshacl"
    out["engine"] = engine_in_use(engine)

    texts = _read_nt(a.workdir, a.n, a.seed)
    t = time.perf_counter()
    graph = bind_prefixes(Graph())
    graph.parse(data="".join(texts), format="nt")
    out["load_s"] = time.perf_counter() - t
    out["triples"] = len(graph)
    _write_partial(a.report, out)
    t = time.perf_counter()
    report = validate_graph(graph, engine)
    out["validate_s"] = time.perf_counter() - t
    out.update(letters=len(texts), conforms=report.conforms, results=len(report.results))


def stage_profile(a: argparse.Namespace, out: dict[str, Any]) -> None:
    """cProfile of parse + map (+ N-Triples) and of per-letter validation, in one process."""
    import cProfile
    import pstats

    from bench.validate_parallel import letter_ntriples, validate_ntriples
    from imrgraph.mapping import determination_triples
    from imrgraph.pipeline import read_determination

    files = sorted(_corpus_dir(a.workdir, a.n, a.seed).glob("*.txt"))
    # load vocabularies first
    determination_triples(read_determination(files[0]))
    profile = cProfile.Profile()
    texts = []
    t = time.perf_counter()
    profile.enable()
    for path in files:
        det = read_determination(path)
        texts.append(letter_ntriples(determination_triples(det)))
    profile.disable()
    out["build_profiled_s"] = time.perf_counter() - t
    out["build"] = _profile_summary(pstats.Stats(profile), len(files))
    sample = texts[: max(1, len(texts) // 10)]
    validate_ntriples(sample[0])
    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.enable()
    for text in sample:
        validate_ntriples(text)
    profile.disable()
    out["validate_profiled_s"] = time.perf_counter() - t
    out["validate"] = _profile_summary(pstats.Stats(profile), len(sample))
    from imrgraph.validate import engine_in_use

    out["validate"]["engine"] = engine_in_use("auto")


def _area(filename: str) -> str:
    """Which library or imrgraph module a profiled function belongs to."""
    if "/imrgraph/" in filename:
        return "imrgraph." + Path(filename).stem
    for lib in ("rdflib", "pyshacl", "pyoxigraph", "owlrl"):
        if f"/{lib}/" in filename:
            return lib
    if filename.startswith("~") or filename == "<string>":
        return "builtins (re, str, ...)"
    return "python stdlib" if "/lib/python" in filename else Path(filename).name


def _profile_summary(stats: Any, letters: int) -> dict[str, Any]:
    total = stats.total_tt
    by_area: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        area = _area(filename)
        by_area[area] = by_area.get(area, 0.0) + tottime
        rows.append((tottime, cumtime, ncalls, f"{area}:{func}" if filename != "~"
                     else func, line))
    top_tot = sorted(rows, reverse=True)[:15]
    own = [r for r in rows if r[3].startswith("imrgraph.")]
    top_cum = sorted(own, key=lambda r: r[1], reverse=True)[:12]
    return {
        "letters": letters, "total_s": total, "ms_per_letter": 1000 * total / letters,
        "by_area": dict(sorted(by_area.items(), key=lambda kv: -kv[1])),
        "top_tottime": [{"function": r[3], "tottime_s": r[0], "cumtime_s": r[1], "calls": r[2]}
                        for r in top_tot],
        "top_imrgraph_cumtime": [{"function": r[3], "cumtime_s": r[1], "calls": r[2]}
                                 for r in top_cum],
    }


STAGES: dict[str, Callable[[argparse.Namespace, dict[str, Any]], None]] = {
    "generate": stage_generate, "generate-pdf": stage_generate_pdf,
    "calibrate": stage_calibrate, "prepare": stage_prepare, "parse-map": stage_parse_map,
    "naive": stage_naive, "floor": stage_floor, "queries": stage_queries,
    "validate-letters": stage_validate_letters, "validate-whole": stage_validate_whole,
    "profile": stage_profile,
}


# ============================================================================ orchestration


def _store_build(args: argparse.Namespace, n: int, extra: Sequence[str] = (),
                 corpus: Path | None = None) -> dict[str, Any]:
    """``imrgraph build --store DIR CORPUS`` as a user runs it (validation as it defaults).

    ``corpus``: another folder of letters (the PDFs, the real letters) instead of the text.
    """
    store_dir = _store_dir(str(args.workdir), n)
    shutil.rmtree(store_dir, ignore_errors=True)
    corpus = corpus or _corpus_dir(str(args.workdir), n, args.seed)
    cmd = [sys.executable, "-m", "imrgraph", "build", "--store", str(store_dir), str(corpus),
           "--jobs", str(args.processes), *extra, *args.store_args]
    print(f"[{time.strftime('%H:%M:%S')}] store build n={n}: {' '.join(cmd[2:])}", flush=True)
    measured = run_measured(cmd, args.timeout)
    measured["command"] = " ".join(["imrgraph", *cmd[3:]])
    measured["store_mb"] = _dir_bytes(store_dir) / 1e6 if store_dir.exists() else None
    print(f"    exit {measured['exit']}, {measured['wall_s']:.1f} s, peak RSS "
          f"{measured['peak_rss_tree_mb']:.0f} MB", flush=True)
    return measured


def _store_ready() -> bool:
    if _store_module() is None:
        return False
    help_text = subprocess.run([sys.executable, "-m", "imrgraph", "build", "--help"],
                               capture_output=True, text=True, cwd=ROOT).stdout
    return "--store" in help_text


#: result keys of the stages, in the order they run (``--only`` picks among them)
STAGE_KEYS = ("parse_map", "store_build_novalidate", "store_build", "store_queries",
              "store_build_pdf", "floor",
              "floor_queries", "naive", "validate_letters", "validate_letters_pyshacl",
              "validate_whole", "validate_whole_turbo")
_NEEDS_NT = {"floor", "floor_queries", "validate_letters", "validate_letters_pyshacl",
             "validate_whole", "validate_whole_turbo"}


def _turbo() -> bool:
    from imrgraph.validate import engine_in_use

    return engine_in_use("auto") == "turbo"


def measure_size(args: argparse.Namespace, n: int, old: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """Every stage for one corpus size (or only ``args.only``, merged into ``old``)."""
    wanted = set(args.only or STAGE_KEYS)
    r: dict[str, Any] = dict(old or {}) if args.only else {}
    r.update(n=n, processes=args.processes, seed=args.seed, generator_version=_synth_version(),
             when=time.strftime("%Y-%m-%d %H:%M:%S"))
    work = str(args.workdir)
    r["generate"] = _stage("generate", args, n)
    if not args.only or (wanted & _NEEDS_NT and not _nt_dir(work, n, args.seed).is_dir()):
        r["prepare"] = _stage("prepare", args, n)
    if "parse_map" in wanted:
        r["parse_map"] = _stage("parse-map", args, n)
    if _store_ready():
        if "store_build_novalidate" in wanted:
            r["store_build_novalidate"] = _store_build(args, n, ["--no-validate"])
        if wanted & {"store_build", "store_queries"}:
            r["store_build"] = _store_build(args, n)
        store_path = _store_dir(work, n)
        if "store_queries" in wanted and r["store_build"]["exit"] in (0, 1) \
                and store_path.exists():
            r["store_queries"] = _stage("queries", args, n, args.timeout,
                                        ["--store-path", str(store_path)])
        if "store_build_pdf" in wanted and n <= args.pdf_max:
            r["generate_pdf"] = _stage("generate-pdf", args, n)
            r["store_build_pdf"] = _store_build(args, n, corpus=_pdf_dir(work, n, args.seed))
    else:
        r["store_build"] = {"pending": "imrgraph/store.py or `build --store` not available yet"}
    if wanted & {"floor", "floor_queries"}:
        r["floor"] = _stage("floor", args, n, args.timeout)
    if "floor_queries" in wanted and n <= args.floor_queries_max:
        r["floor_queries"] = _stage("queries", args, n, args.timeout,
                                    ["--store-path", str(_floor_store_dir(work, n))])
    if "naive" in wanted and n <= args.naive_max:
        r["naive"] = _stage("naive", args, n, args.naive_timeout)
    if "validate_letters" in wanted:  # the engine `build` uses (auto: turbo when installed)
        r["validate_letters"] = _stage("validate-letters", args, n, args.timeout)
    if "validate_letters_pyshacl" in wanted and _turbo():
        r["validate_letters_pyshacl"] = _stage("validate-letters", args, n, args.timeout,
                                               ["--engine", "pyshacl"], key="pyshacl")
    if n <= args.whole_max:
        if "validate_whole" in wanted:  # pySHACL, the reference
            r["validate_whole"] = _stage("validate-whole", args, n, args.timeout)
        if "validate_whole_turbo" in wanted and _turbo():
            r["validate_whole_turbo"] = _stage("validate-whole", args, n, args.timeout,
                                               ["--engine", "turbo"], key="turbo")
    if not args.keep:
        for path in (_nt_dir(work, n, args.seed), _floor_store_dir(work, n),
                     _store_dir(work, n)):
            shutil.rmtree(path, ignore_errors=True)
    return r


#: run-level stages (not per size): ``--only`` may name them too
RUN_KEYS = ("real", "calibrate")


def measure_real(args: argparse.Namespace) -> dict[str, Any]:
    """The real letters, text and PDF, built as a user builds them, beside as many synthetic
    letters (text and PDF) in the same run: what a real letter costs end to end."""
    real = Path(args.real)
    n = len(list((real / "text").glob("*.txt")))
    out: dict[str, Any] = {"letters": n, "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                           "corpus": str(real)}
    if not n or not _store_ready():
        out["pending"] = "no real letters" if not n else "`build --store` not available"
        return out
    _stage("generate", args, n)
    _stage("generate-pdf", args, n)
    work = str(args.workdir)
    for key, corpus in (("real_text", real / "text"), ("real_pdf", real / "pdf"),
                        ("synthetic_text", _corpus_dir(work, n, args.seed)),
                        ("synthetic_pdf", _pdf_dir(work, n, args.seed))):
        out[key] = _store_build(args, n, corpus=corpus)
        out[key]["letters"] = len([p for p in corpus.iterdir()
                                   if p.suffix in (".txt", ".pdf")])
    shutil.rmtree(_store_dir(work, n), ignore_errors=True)
    return out


def run_calibrate(args: argparse.Namespace) -> dict[str, Any]:
    """bench/calibrate.py in a child: real vs synthetic, text and PDF (corpora kept)."""
    if args.calibrate_pdf_n:
        _stage("generate-pdf", args, args.calibrate_pdf_n)
    _stage("generate", args, args.calibrate_n)
    return _stage("calibrate", args, args.calibrate_n, args.timeout,
                  ["--real", str(args.real), "--calibrate-pdf-n", str(args.calibrate_pdf_n)])


def machine() -> dict[str, Any]:
    import pyoxigraph
    import pyshacl
    import rdflib

    import imrgraph

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) * 1024
    from importlib.metadata import PackageNotFoundError, version

    try:
        turbo = version("pyshacl-turbo")
    except PackageNotFoundError:
        turbo = "not installed"
    from imrgraph.validate import engine_in_use

    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem / 2**30, 1),
            "shacl_engine": engine_in_use("auto"),
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": {"imrgraph": imrgraph.__version__, "rdflib": rdflib.__version__,
                         "pyshacl": pyshacl.__version__, "pyshacl-turbo": turbo,
                         "pyoxigraph": pyoxigraph.__version__}}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[500, 2000],
                   help="corpus sizes to measure (default: the quick 500 2000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    p.add_argument("--workdir", default=os.environ.get("IMRGRAPH_BENCH_DIR",
                                                       "/tmp/imrgraph-bench"))
    p.add_argument("--naive-max", type=int, default=10_000,
                   help="run the naive rdflib way only up to this size")
    p.add_argument("--whole-max", type=int, default=10_000,
                   help="run whole-graph pySHACL only up to this size")
    p.add_argument("--floor-queries-max", type=int, default=10_000,
                   help="also time the queries on the floor's store up to this size")
    p.add_argument("--profile-n", type=int, default=2000, help="letters to profile (0: skip)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per query (median)")
    p.add_argument("--query-timeout", type=float, default=10,
                   help="seconds per query (warm-up + repeats) before it is reported as timed out")
    p.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per stage")
    p.add_argument("--naive-timeout", type=float, default=3600)
    p.add_argument("--store-args", nargs="*", default=[], help="extra `build --store` options")
    p.add_argument("--pdf-max", type=int, default=100_000,
                   help="render the corpus as PDFs and build from them only up to this size")
    p.add_argument("--real", default=None,
                   help="real letters: a folder with text/*.txt and pdf/*.pdf (default "
                   "$IMRGRAPH_REAL_CORPUS or ../shared/corpus/real); rows skipped when absent")
    p.add_argument("--calibrate-n", type=int, default=500,
                   help="synthetic letters to calibrate parse + map against the real ones")
    p.add_argument("--calibrate-pdf-n", type=int, default=100,
                   help="synthetic PDFs to calibrate extraction against the real ones (0: skip)")
    p.add_argument("--keep", action="store_true", help="keep N-Triples and stores in workdir")
    p.add_argument("--no-report", action="store_true", help="only update results.json")
    p.add_argument("--only", nargs="+", choices=STAGE_KEYS + RUN_KEYS, metavar="STAGE",
                   help="run only these stages (merged into the sizes' earlier results): "
                   + ", ".join(STAGE_KEYS + RUN_KEYS))
    p.add_argument("--results", default=str(RESULTS_JSON),
                   help="results file to merge into (default bench/results.json)")
    # child-stage options
    p.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--report", help=argparse.SUPPRESS)
    p.add_argument("--store-path", help=argparse.SUPPRESS)
    p.add_argument("--engine", choices=("auto", "pyshacl", "turbo"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.real is None:
        from bench.calibrate import default_real

        args.real = str(default_real())

    if args.stage:
        out: dict[str, Any] = {}
        STAGES[args.stage](args, out)
        _write_partial(args.report, out)
        return 0

    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    results_json = Path(args.results)
    results = json.loads(results_json.read_text()) if results_json.exists() else {}
    results["machine"] = machine()
    sizes = results.setdefault("sizes", {})
    run_all = not args.only
    if run_all or set(args.only) & set(STAGE_KEYS):
        for n in args.sizes:
            sizes[str(n)] = measure_size(args, n, sizes.get(str(n)))
            results_json.write_text(json.dumps(results, indent=1, default=str))
    have_real = (Path(args.real) / "text").is_dir()
    if have_real and (run_all or "real" in args.only):
        results["real"] = measure_real(args)
        results_json.write_text(json.dumps(results, indent=1, default=str))
    if have_real and (run_all or "calibrate" in args.only):
        results["calibration"] = run_calibrate(args)
        results_json.write_text(json.dumps(results, indent=1, default=str))
    if args.profile_n:
        n = args.profile_n
        _stage("generate", args, n)
        results["profile"] = _stage("profile", args, n)
        results_json.write_text(json.dumps(results, indent=1, default=str))
    if not args.no_report:
        from bench.report import write_report

        write_report(results, RESULTS_MD)
        print(f"wrote {RESULTS_MD} and {results_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
