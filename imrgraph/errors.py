"""imrgraph's own exceptions: every rejected input is reported with its file and the reason."""

from __future__ import annotations


class ImrgraphError(Exception):
    """Base of all errors imrgraph raises on purpose."""


class IngestError(ImrgraphError):
    """A file could not be read as a letter (empty, binary, encrypted, corrupt, too large...)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotADeterminationError(IngestError):
    """The text was read but is not an IMR final determination letter."""


class ParseError(ImrgraphError):
    """The text looks like a letter but a required part cannot be made sense of."""


class UsageError(ImrgraphError):
    """The user asked for something that cannot be done (unknown query, bad parameter...)."""


class StoreError(ImrgraphError):
    """A store cannot be used as it is on disk (damaged, interrupted); the message says how to
    recover."""
