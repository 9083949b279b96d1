"""The persistent letter store: one named graph per letter in an on-disk pyoxigraph store.

One module per concern: :mod:`.letterstore` (the store, its layout, partitioning and
fingerprint), :mod:`.build` (the parallel, incremental build), :mod:`.serve` (read-only SPARQL
endpoints), :mod:`.oxi` (rdflib <-> pyoxigraph conversion), :mod:`.parallel` (the process pool).
The names most callers need are importable from here.
"""

from __future__ import annotations

from imrgraph.store.build import DEFAULT_BATCH, StoreBuildResult, build_store
from imrgraph.store.letterstore import (
    DEFAULT_STORE_DIR,
    ENV_STORE,
    META_FILE,
    PENDING_FILE,
    REPORT_FILE,
    STORE_EXPORT_FORMATS,
    UNCHANGED,
    LetterInfo,
    LetterStore,
    default_store_dir,
    fingerprint,
    is_store,
    partition_graph,
    partition_letter,
    read_report,
    resolve_store_dir,
)
from imrgraph.store.serve import check_port, oxigraph_server_command, serve, serve_python

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_STORE_DIR",
    "ENV_STORE",
    "META_FILE",
    "PENDING_FILE",
    "REPORT_FILE",
    "STORE_EXPORT_FORMATS",
    "UNCHANGED",
    "LetterInfo",
    "LetterStore",
    "StoreBuildResult",
    "build_store",
    "check_port",
    "default_store_dir",
    "fingerprint",
    "is_store",
    "oxigraph_server_command",
    "partition_graph",
    "partition_letter",
    "read_report",
    "resolve_store_dir",
    "serve",
    "serve_python",
]
