"""imrgraph's own exceptions: what the library raises on purpose, by kind of failure.

The library speaks of files, parameters and values; it never words a message for one front
end ("--param", "--limit").  The CLI alone turns these errors into messages and exit codes
(:mod:`imrgraph.cli.common`); other callers catch them by type.  ``ValueError`` and friends
remain only for a caller's programming mistake (a bug), never for a user's input.
"""

from __future__ import annotations


class ImrgraphError(Exception):
    """Base of all errors imrgraph raises on purpose: the request was understood but failed."""


class UsageError(ImrgraphError):
    """The caller asked for something that cannot be done (unknown query, bad parameter value,
    an option combination that means nothing).  Nothing was processed.

    ``parameter`` names the argument at fault when there is one (``limit``, ``engine``), so a
    front end can name its own spelling of it (the CLI's ``--limit``).
    """

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class QueryParameterError(UsageError):
    """A named query's parameter (``?_name`` in its text) is unknown, given a value it does not
    accept, or (``missing``) has no value and no default; ``parameter`` is the query
    parameter's name and ``query`` the query's."""

    def __init__(self, message: str, query: str, parameter: str, missing: bool = False) -> None:
        super().__init__(message, parameter)
        self.query = query
        self.missing = missing


class MissingDependencyError(UsageError):
    """What was asked for needs an optional package that is not installed (pandas,
    pyshacl-turbo); ``package`` is what to install (the message says so too)."""

    def __init__(self, message: str, package: str) -> None:
        super().__init__(message)
        self.package = package


class IngestError(ImrgraphError):
    """A file could not be read as a letter (empty, binary, encrypted, corrupt, too large...)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotADeterminationError(IngestError):
    """The text was read but is not an IMR final determination letter."""


class StoreError(ImrgraphError):
    """A letter store cannot be opened, written or used as it is on disk (in use by another
    process, damaged, interrupted); the message says how to recover."""


class DataError(ImrgraphError):
    """A data file imrgraph ships or generates from (testing/data/*.toml, ontology/*.ttl)
    contradicts itself: an installation or development problem, not the user's input."""
