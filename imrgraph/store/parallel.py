"""A bounded, order-keeping ``map`` over a process pool (store builds and validation).

Parsing, mapping and SHACL are CPU-bound and per letter, so they scale with processes; the
window keeps memory flat however many inputs come.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many inputs a process pool costs more than it saves (unless jobs is explicit).
PARALLEL_MIN_INPUTS = 16


def worker_count(jobs: int = 0) -> int:
    """``jobs`` processes, 0 = every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool_context(preload: str) -> multiprocessing.context.BaseContext:
    """forkserver: workers never inherit the parent's RocksDB threads (fork would); the
    server pre-imports ``preload`` (the worker function's module) once for all workers."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([preload])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def parallel_map(func: Callable[[T], R], items: Iterable[T], *, jobs: int = 0,
                 total: int | None = None, window: int = 2000,
                 initializer: Callable[..., None] | None = None,
                 initargs: tuple = ()) -> Iterator[R]:
    """``map`` in input order over a process pool, with at most ``window`` items in flight.

    The window bounds memory: ``Pool.imap`` alone would read the whole input iterator ahead.
    Small inputs (or ``jobs=1``) run in this process, where a pool only adds start-up time.
    """
    workers = worker_count(jobs)
    small = total is not None and total < (2 if jobs > 1 else PARALLEL_MIN_INPUTS)
    if workers == 1 or small:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, items)
        return
    chunksize = max(1, min(16, (total or window) // (workers * 8)))
    window = max(window, chunksize * workers * 4)
    slots = threading.Semaphore(window)
    stop = threading.Event()

    def feed() -> Iterator[T]:
        for item in items:
            slots.acquire()
            if stop.is_set():
                return
            yield item

    pool = _pool_context(func.__module__).Pool(workers, initializer=initializer, initargs=initargs)
    try:
        for result in pool.imap(func, feed(), chunksize):
            slots.release()
            yield result
        pool.close()
    finally:
        stop.set()
        for _ in range(window):
            slots.release()
        pool.terminate()
        pool.join()

