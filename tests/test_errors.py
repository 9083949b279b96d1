"""Typed library errors: the CLI alone turns them into one line and an exit code (0 ok, 1 an
input rejected or a failed request, 2 a usage error); anything else is a bug and keeps its
traceback.  Library messages speak of parameters and values, never of command-line options."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import LETTERS, ROOT, run_cli

from imrgraph import errors, remote
from imrgraph.cli.common import Group
from imrgraph.errors import (
    DataError,
    ImrgraphError,
    IngestError,
    MissingDependencyError,
    NotADeterminationError,
    QueryParameterError,
    StoreError,
    UsageError,
)

#: One instance of every error type the library raises on purpose.
EXAMPLES: list[ImrgraphError] = [
    ImrgraphError("something failed"),
    UsageError("unknown query 'x'"),
    QueryParameterError("query q needs a value for parameter guideline", "q", "guideline",
                        missing=True),
    MissingDependencyError("pandas is not installed", "pandas"),
    IngestError("a.pdf", "encrypted PDF: a password is required"),
    NotADeterminationError("a.txt", "not an IMR final determination letter"),
    StoreError("store: in use by another process"),
    DataError("testing/data/x.toml: no such table"),
    remote.RemoteError("POST http://x/update: HTTP 500"),
    remote.RemoteAnswerError("POST http://x/query: the answer is not SPARQL JSON"),
    remote.RemoteTooLargeError("POST http://x/query: the answer exceeds 256 MB"),
    remote.RemoteDeadlineError("POST http://x/query: no answer within 900 s"),
]


def test_every_error_type_has_an_example() -> None:
    """A new error type in errors.py (or remote.py) is covered by the exit-code test."""
    defined = {cls for module in (errors, remote) for _, cls in inspect.getmembers(module,
               inspect.isclass) if issubclass(cls, ImrgraphError)}
    assert defined == {type(e) for e in EXAMPLES}


def _cli_raising(error: BaseException) -> click.Group:
    """A command group of the CLI's own class whose one command raises ``error``."""

    @click.group(cls=Group)
    def cli() -> None:
        pass

    @cli.command()
    @click.option("--limit", "limit", type=int, default=None)
    def run(limit: int | None) -> None:
        raise error

    return cli


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_library_error_becomes_one_line_and_its_exit_code(error: ImrgraphError) -> None:
    result = CliRunner().invoke(_cli_raising(error), ["run"])
    expected = 2 if isinstance(error, UsageError) else 1
    assert result.exit_code == expected, result.output
    assert result.stderr.startswith(f"imrgraph: error: {error}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_the_cli_names_its_option_for_the_parameter_at_fault() -> None:
    result = CliRunner().invoke(_cli_raising(UsageError("limit must be 0 or more, got -1",
                                                        "limit")), ["run"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("imrgraph: error: limit must be 0 or more, got -1 "
                                     "(option --limit)")


def test_an_unexpected_exception_is_a_bug_with_its_traceback() -> None:
    result = CliRunner().invoke(_cli_raising(ZeroDivisionError("a bug")), ["run"])
    assert isinstance(result.exception, ZeroDivisionError)
    assert "imrgraph: error" not in result.stderr


def test_missing_query_parameter_end_to_end(tmp_path: Path) -> None:
    """The library says which parameter; the CLI says how to give it (--param)."""
    graph = tmp_path / "empty.ttl"
    graph.write_text("", encoding="utf-8")
    run = run_cli("query", "cases-citing", "--graph", str(graph))
    assert run.returncode == 2
    assert "needs a value for parameter guideline" in run.stderr
    assert "(give it as --param guideline=VALUE)" in run.stderr


def test_unknown_query_and_bad_value_end_to_end(tmp_path: Path) -> None:
    graph = tmp_path / "empty.ttl"
    graph.write_text("", encoding="utf-8")
    unknown = run_cli("query", "no-such-query", "--graph", str(graph))
    assert unknown.returncode == 2 and "unknown query 'no-such-query'" in unknown.stderr
    bad = run_cli("query", "guideline-outcomes", "--graph", str(graph), "--param",
                  "level=chapters")
    assert bad.returncode == 2 and "parameter level accepts" in bad.stderr
    assert "did you mean chapter?" in bad.stderr


def test_a_rejected_letter_exits_1(tmp_path: Path) -> None:
    not_a_letter = tmp_path / "notes.txt"
    not_a_letter.write_text("Shopping list: milk, eggs.\n", encoding="utf-8")
    letter = sorted(LETTERS.glob("*.txt"))[0]
    run = run_cli("build", str(not_a_letter), str(letter), "-o", str(tmp_path / "g.ttl"))
    assert run.returncode == 1
    assert "notes.txt" in run.stderr and "not an IMR final determination" in run.stderr


# --------------------------------------------------------------------------- no CLI wording

def _raised_strings(tree: ast.AST) -> list[str]:
    """The literal text of every message a ``raise X(...)`` statement builds (one string per
    raise: its literal parts joined)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            found.append("".join(part.value for arg in node.exc.args for part in ast.walk(arg)
                                 if isinstance(part, ast.Constant)
                                 and isinstance(part.value, str)))
    return found


def _names_an_option(message: str) -> bool:
    """An option named as the CLI would say it; a whole command to run to recover ("rebuild:
    imrgraph build LETTERS... --store DIR --force") is an instruction, not CLI wording."""
    return "--" in message and "imrgraph build " not in message


def _library_files() -> list[Path]:
    return sorted(p for p in (ROOT / "imrgraph").rglob("*.py")
                  if "cli" not in p.relative_to(ROOT / "imrgraph").parts)


@pytest.mark.parametrize("path", _library_files(),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_library_messages_name_no_command_line_option(path: Path) -> None:
    worded = [s for s in _raised_strings(ast.parse(path.read_text(encoding="utf-8")))
              if _names_an_option(s)]
    assert not worded, f"{path.name}: messages worded for the CLI: {worded}"


def test_the_message_scan_sees_raised_text() -> None:
    """The scan above finds a message built from an f-string's literal parts."""
    tree = ast.parse('raise UsageError(f"query {q} needs --param {n}=VALUE")')
    assert any(_names_an_option(s) for s in _raised_strings(tree))
    recover = ast.parse('raise StoreError(f"damaged: rebuild: imrgraph build L --store {d}")')
    assert not any(_names_an_option(s) for s in _raised_strings(recover))
