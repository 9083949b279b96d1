"""Shared fixtures: the bundled letters and the shared corpus beside the checkout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LETTERS = EXAMPLES / "letters"
EXPECTED = ROOT / "tests" / "expected"
#: The shared corpus beside the checkout; IMRGRAPH_CORPUS points elsewhere (a git worktree).
CORPUS = Path(os.environ.get("IMRGRAPH_CORPUS") or ROOT.parent / "shared" / "corpus")
SEEDS = sorted(LETTERS.glob("0*.txt"))


def corpus_letters() -> list[Path]:
    """All 77 letters of ../shared/corpus (seeds and real text), when present."""
    if not CORPUS.is_dir():
        return []
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    return seeds + sorted((CORPUS / "real" / "text").glob("*.txt"))


def expected_files() -> list[Path]:
    return sorted(EXPECTED.glob("*.json"))


def load_expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_build():
    """The five seed letters built once (parse, map, validate)."""
    from imrgraph import api

    return api.build([str(p) for p in SEEDS])


@pytest.fixture(scope="session")
def fixture_build():
    """Every bundled letter built once."""
    from imrgraph import api

    return api.build([str(LETTERS)])
