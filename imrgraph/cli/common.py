"""What the command modules share: error-to-exit-code mapping, common options, messages.

Exit codes: 0 everything built and valid; 1 some input rejected, SHACL violations or a failed
request; 2 usage error (bad option, unknown query, unreadable graph file).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from imrgraph.errors import (
    ImrgraphError,
    QueryParameterError,
    UsageError,
)

if TYPE_CHECKING:
    from imrgraph import api

F = TypeVar("F", bound=Callable[..., Any])

ENDPOINT_OPTIONS = ("endpoint", "update_endpoint", "graph_store", "connect_timeout",
                    "read_timeout", "retries")


class ApiValue:
    """A constant of :mod:`imrgraph.api` read when a command runs or shows its help, not when
    the CLI is imported: the api loads rdflib, pyoxigraph, pyshacl... (a second), which
    ``imrgraph --help`` and ``--version`` should not pay for."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> Any:
        from imrgraph import api  # lazily, see the class docstring

        return getattr(api, self.name)

    def __str__(self) -> str:  # shown as the default in a command's --help
        return str(self())


class ApiChoice(click.Choice):
    """``click.Choice`` among the values of an :class:`ApiValue` (sorted keys of a mapping)."""

    def __init__(self, name: str, case_sensitive: bool = True) -> None:
        self.values, self.case_sensitive = ApiValue(name), case_sensitive

    @property
    def choices(self) -> tuple[Any, ...]:
        values = self.values()
        return tuple(sorted(values) if isinstance(values, dict) else values)

    @choices.setter
    def choices(self, value: tuple[Any, ...]) -> None:
        raise AttributeError("an ApiChoice's choices are the api constant's values")


#: The exit code of each library error type: the first of an error's classes (most specific
#: first) found here decides.  0 is success; 1 an input rejected, SHACL violations or a failed
#: request (the commands exit 1 themselves for violations); 2 a usage error (click's own too).
EXIT_CODES: dict[type[ImrgraphError], int] = {UsageError: 2, ImrgraphError: 1}


def exit_code(error: ImrgraphError) -> int:
    """The exit code for a library error (see :data:`EXIT_CODES`)."""
    return next(EXIT_CODES[cls] for cls in type(error).__mro__ if cls in EXIT_CODES)


def error_message(error: ImrgraphError, command: click.Command | None = None) -> str:
    """The one line a library error becomes: its message, and for a usage error about one
    parameter, how to give that parameter on the command line (the library does not know)."""
    message = f"imrgraph: error: {error}"
    if isinstance(error, QueryParameterError) and error.missing:
        return f"{message} (give it as --param {error.parameter}=VALUE)"
    if isinstance(error, UsageError) and error.parameter and command is not None:
        options = [opt for param in command.params if isinstance(param, click.Option)
                   and param.name == error.parameter for opt in param.opts]
        if options:
            return f"{message} (option {max(options, key=len)})"
    return message


class Group(click.Group):
    """The command group: library errors become one line on stderr and an exit code, here
    only.  Any other exception is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ImrgraphError as exc:
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            click.echo(error_message(exc, command), err=True)
            ctx.exit(exit_code(exc))


def parse_params(params: tuple[str, ...]) -> dict[str, str]:
    """``--param key=value`` options as a dict."""
    values: dict[str, str] = {}
    for p in params:
        if "=" not in p:
            raise UsageError(f"--param takes key=value, got {p!r}", "params")
        key, value = p.split("=", 1)
        values[key.strip()] = value
    return values


def print_validation(report: api.ValidationReport, limit: int = 50) -> None:
    """The SHACL outcome on stderr: its results always when it does not conform (they are
    errors), else the one-line verdict unless -q."""
    violations, warnings = report.violations, report.warnings
    if report.conforms and verbosity() < 0:
        return
    click.echo(f"SHACL: {'conforms' if report.conforms else 'does NOT conform'} "
               f"({len(violations)} violation(s), {len(warnings)} warning(s))", err=True)
    for result in (violations + warnings)[:limit]:
        click.echo(f"  {result.severity}: {result.focus_node}", err=True)
        if result.path:
            click.echo(f"    path: {result.path}", err=True)
        click.echo(f"    {result.message} [{result.constraint}]"
                   + (f" value: {result.value}" if result.value else ""), err=True)
    if len(violations) + len(warnings) > limit:
        click.echo(f"  ... {len(violations) + len(warnings) - limit} more", err=True)


def print_outcomes(report: api.IngestReport) -> None:
    """Per-input lines on stderr: rejected inputs always (errors), duplicates and warnings
    unless -q (the report file has them all), every built letter with -v."""
    from imrgraph import api  # lazily, see ApiValue

    for entry in report.inputs:
        if entry.status == api.REJECTED:
            click.echo(f"rejected: {entry.name}: {entry.reason}", err=True)  # an error: always
        elif entry.status == api.DUPLICATE:
            note(f"duplicate: {entry.name}: {entry.reason}")
        elif entry.status == api.BUILT_WITH_WARNINGS:
            note(f"warning: {entry.name}: " + "; ".join(entry.warnings))
        elif entry.status in (api.BUILT, api.UNCHANGED):
            note(f"{entry.status}: {entry.name}: {entry.key}, {entry.items} item(s), "
                 f"{entry.citations} citation(s)", level=1)


def store_option(help_text: str) -> Callable[[F], F]:
    """``--store [DIR]``: a value is optional (then $IMRGRAPH_STORE, else ./imrgraph-store)."""
    return click.option("--store", "store", is_flag=False, flag_value="", default=None,
                        metavar="[DIR]", help=help_text + " DIR defaults to $IMRGRAPH_STORE, "
                        "else ./imrgraph-store.")


def endpoint_options(func: F) -> F:
    """Options naming a remote SPARQL 1.1 service and how to talk to it."""
    options = [
        click.option("--endpoint", default=None, metavar="URL",
                     help="SPARQL endpoint: a server root (Oxigraph layout /query /update "
                          "/store), Virtuoso's /sparql or /sparql-auth (updates there, graph "
                          "store /sparql-graph-crud[-auth]) or another query URL."),
        click.option("--update-endpoint", default=None, metavar="URL",
                     help="SPARQL Update URL (default: derived from --endpoint)."),
        click.option("--graph-store", default=None, metavar="URL",
                     help="Graph Store Protocol URL (default: derived from --endpoint)."),
        click.option("--connect-timeout", type=float, default=10.0, show_default=True,
                     help="Seconds to wait for a connection."),
        click.option("--read-timeout", type=float, default=300.0, show_default=True,
                     help="Seconds to wait for data on an open connection."),
        click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True,
                     help="Retries (exponential backoff) on 5xx and connection errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pop_endpoint_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the :func:`endpoint_options` values out of a command's keyword arguments."""
    return {k: kwargs.pop(k) for k in ENDPOINT_OPTIONS}


def remote_endpoint(opts: dict[str, Any], **kwargs: Any) -> api.RemoteEndpoint:
    """A RemoteEndpoint from :func:`endpoint_options` values (auth comes from the environment)."""
    from imrgraph import api  # lazily, see ApiValue

    return api.remote_endpoint(opts["endpoint"], update=opts["update_endpoint"],
                               graph_store=opts["graph_store"],
                               connect_timeout=opts["connect_timeout"],
                               read_timeout=opts["read_timeout"], retries=opts["retries"],
                               **kwargs)


def store_for_reading(store: str | None) -> Path | None:
    """The store a read command uses: --store, else $IMRGRAPH_STORE or ./imrgraph-store if set
    up, else None."""
    from imrgraph import api  # lazily, see ApiValue

    if store is not None:
        return api.resolve_store_dir(store)
    if os.environ.get(api.ENV_STORE) or api.is_store(api.default_store_dir()):
        return api.default_store_dir()
    return None


def store_dir(store: str | None) -> Path:
    """The store a store command uses (the default folder when none is set up)."""
    from imrgraph import api  # lazily, see ApiValue

    return store_for_reading(store) or api.default_store_dir()


class Progress:
    """Advance a click progress bar and show the rate (letters/s) beside the ETA."""

    def __init__(self, bar: Any, enabled: bool) -> None:
        self.bar, self.enabled = bar, enabled
        self.started, self.done = time.monotonic(), 0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.enabled:
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.bar.update(n, f"{rate:,.0f} letters/s")


# --------------------------------------------------------------------------- Unix habits

#: ``-`` as a file name: standard output for what a command writes, standard input for what
#: it reads.
STDIO = "-"
_VERBOSITY = "imrgraph.verbosity"


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_VERBOSITY] = -1 if param.name == "quiet" else 1


def verbosity_options(func: F) -> F:
    """``-q`` (nothing but errors and the data asked for) and ``-v`` (details)."""
    func = click.option("-v", "--verbose", is_flag=True, expose_value=False,
                        callback=_set_verbosity,
                        help="Details: each input's outcome, timings.")(func)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False,
                        callback=_set_verbosity,
                        help="Quiet: no progress, notes or summary; errors still on "
                             "stderr.")(func)


def verbosity() -> int:
    """-1 quiet, 0 normal, 1 verbose (see :func:`verbosity_options`)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_VERBOSITY, 0) if ctx is not None else 0


def note(message: str, level: int = 0, err: bool = True) -> None:
    """A message shown at this verbosity or more (0: unless -q; 1: only with -v)."""
    if verbosity() >= level:
        click.echo(message, err=err)


@contextmanager
def output_file(output: str | Path, suffix: str = "") -> Iterator[Path]:
    """A path to write ``output`` to; for ``-``, a temporary file copied to standard output
    afterwards, so every writer of a file can write to a pipe."""
    if str(output) != STDIO:
        yield Path(output)
        return
    fd, tmp = tempfile.mkstemp(prefix="imrgraph-", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as data:
            sys.stdout.flush()
            shutil.copyfileobj(data, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def input_file(name: str, suffix: str) -> Iterator[Path]:
    """A path to read ``name`` from; for ``-``, a temporary ``suffix`` file holding standard
    input (the format of piped RDF is the suffix's: Turtle reads N-Triples too)."""
    if name != STDIO:
        yield Path(name)
        return
    fd, tmp = tempfile.mkstemp(prefix="imrgraph-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_output(output: str, data: bytes | str) -> None:
    """Text or bytes to a file (atomically) or, for ``-``, to standard output."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output == STDIO:
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    from imrgraph import api  # lazily, see ApiValue

    api.write_atomic(output, lambda tmp: tmp.write_bytes(raw))


def read_input(name: str) -> str:
    """A text file's contents, or standard input's for ``-``."""
    if name == STDIO:
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{name}: {exc.strerror or exc}") from None


@contextmanager
def progress_bar(total: int, label: str = "letters") -> Iterator[Progress]:
    """A progress bar on a terminal's stderr (never in a pipe, a log or with -q)."""
    shown = total > 1 and verbosity() >= 0 and sys.stderr.isatty()
    if not shown:
        yield Progress(None, False)
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True,
                           show_eta=True, item_show_func=lambda x: x) as bar:
        yield Progress(bar, True)


def one_source(**given: object) -> None:
    """At most one of the ways to name the graph (a file, --store, --endpoint) is given: keys
    are how the command spells them (``GRAPH``, ``--graph``), values None when not given."""
    named = [name for name, value in given.items() if value is not None]
    if len(named) > 1:
        raise UsageError(f"give one of {', '.join(named)}, not several")
