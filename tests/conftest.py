"""Shared fixtures: the bundled letters, the shared corpus, and the two test runs.

The default run needs nothing beside the checkout: tests marked ``corpus`` (they read the 77
letters of the shared corpus) are skipped with the reason.  ``pytest --corpus`` runs only those
tests and fails when the corpus is missing.  ``--update-golden`` rewrites tests/golden's expected
files from the current code, so a changed graph or query output is a reviewable diff.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

#: Property tests: a modest number of examples in the default run; HYPOTHESIS_PROFILE=thorough
#: (as CI's corpus job may set) tries many more.
settings.register_profile("imrgraph", max_examples=50)
settings.register_profile("thorough", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "imrgraph"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LETTERS = EXAMPLES / "letters"
EXPECTED = ROOT / "tests" / "expected"
#: The shared corpus: $IMRGRAPH_CORPUS, else ../shared/corpus beside the checkout.
CORPUS = Path(os.environ.get("IMRGRAPH_CORPUS") or ROOT.parent / "shared" / "corpus")
SEEDS = sorted(LETTERS.glob("0*.txt"))


def corpus_letters() -> list[Path]:
    """All 77 letters of ../shared/corpus (seeds and real text), when present."""
    if not CORPUS.is_dir():
        return []
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    return seeds + sorted((CORPUS / "real" / "text").glob("*.txt"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--corpus", action="store_true", default=False,
                     help="Run only the corpus-wide tests (marked corpus); fail if the shared "
                          "corpus ($IMRGRAPH_CORPUS or ../shared/corpus) is missing.")
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/*/expected* from the current code.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Split the run: with --corpus only the corpus-marked tests, without it all but those."""
    if config.getoption("--corpus"):
        if not (CORPUS / "seeds").is_dir() or not (CORPUS / "real" / "text").is_dir():
            raise pytest.UsageError(f"--corpus: no shared corpus at {CORPUS} (set "
                                    "IMRGRAPH_CORPUS to the folder holding seeds/ and real/)")
        others = [item for item in items if "corpus" not in item.keywords]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = [item for item in items if "corpus" in item.keywords]
        return
    reason = ("corpus-wide: run with --corpus (bash scripts/test.sh --corpus)"
              if CORPUS.is_dir() else
              f"needs the shared corpus, not found at {CORPUS} (set IMRGRAPH_CORPUS)")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "corpus" in item.keywords:
            item.add_marker(skip, append=False)


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite the golden files instead of comparing."""
    return bool(request.config.getoption("--update-golden"))


@dataclass(frozen=True)
class CliRun:
    """What one ``imrgraph`` command gave: the exit code and the two output streams."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None,
            env: Mapping[str, str | None] | None = None) -> CliRun:
    """The ``imrgraph`` command in this process (click's CliRunner) from folder ``cwd``, with
    ``env`` overriding the environment (None unsets a variable).  An exception the command
    does not turn into an exit code is raised here, with its traceback."""
    from click.testing import CliRunner

    from imrgraph.cli import main

    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return CliRun(result.exit_code, result.stdout, result.stderr)


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
