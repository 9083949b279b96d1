"""``imrgraph --help`` and ``--version`` start without the heavy stack (issue 14 item 5).

The CLI modules import the api facade inside each command; these tests run real processes and
look at what Python actually imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

HEAVY = ("rdflib", "pyoxigraph", "pyshacl", "matplotlib", "networkx", "SPARQLWrapper", "pandas")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)


def _imported(importtime_log: str) -> set[str]:
    """Top-level package names from ``python -X importtime`` lines."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_importing_the_cli_loads_no_heavy_library() -> None:
    run = _python("-c", "import sys, imrgraph, imrgraph.cli; "
                        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_version_and_help_run_without_the_heavy_stack() -> None:
    for flag in ("--version", "--help"):
        run = _python("-X", "importtime", "-m", "imrgraph", flag)
        assert run.returncode == 0, run.stderr[-2000:]
        imported = _imported(run.stderr)
        assert "click" in imported, "the importtime log was not read"
        assert not imported & set(HEAVY), f"{flag} imported {sorted(imported & set(HEAVY))}"
    assert _python("-m", "imrgraph", "--version").stdout.startswith("imrgraph, version ")


def test_a_command_still_loads_what_it_needs() -> None:
    """Laziness must not break the commands: `queries` lists the named queries."""
    run = _python("-m", "imrgraph", "queries")
    assert run.returncode == 0, run.stderr
    assert "decisions:" in run.stdout
