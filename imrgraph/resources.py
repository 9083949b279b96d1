"""Locate the vocabularies, shapes and queries that ship with imrgraph.

In a source checkout they are the top-level ``ontology/``, ``shapes/`` and ``queries/`` folders;
in an installed wheel they are package data under ``imrgraph/data/``.  Code never embeds them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
KINDS = ("ontology", "shapes", "queries")


@cache
def data_dir(kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}")
    for candidate in (_PACKAGE / "data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    raise FileNotFoundError(f"imrgraph {kind}/ folder not found (looked beside {_PACKAGE})")


def files(kind: str, pattern: str) -> list[Path]:
    return sorted(data_dir(kind).glob(pattern))
