"""Checks of named-query parameter values against what each query's header says it accepts.

A ``.rq`` header lists a parameter's accepted values as ``# param: level = chapter : work |
chapter | topic (...)``.  A value outside that list would otherwise be bound as given and read
by the query as "none of the above" (``level=chapters`` silently meaning "as cited"), so it is
a usage error naming the accepted values.  A guideline name that matches no concept is not an
error (a graph may hold concepts minted from letters' wording), but it gets a hint: the closest
names of the guideline vocabulary.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Protocol

from imrgraph.errors import QueryParameterError
from imrgraph.resolve.search import suggest

#: Parameters whose value names a guideline concept (for the "closest names" hint).
GUIDELINE_PARAMETERS = ("guideline",)


class _Parameter(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def doc(self) -> str: ...


class _Query(Protocol):
    name: str

    @property
    def parameters(self) -> Mapping[str, _Parameter]: ...


def accepted_values(param: _Parameter) -> list[str] | None:
    """The values a parameter's doc enumerates (``a | b (note) | c``), or None when it takes
    free text (no ``|`` in its doc)."""
    if param.kind != "string" or "|" not in param.doc:
        return None
    doc = re.sub(r"\([^)]*\)", " ", param.doc)
    values = []
    for piece in doc.split("|"):
        words = piece.split()
        if not words:
            return None
        values.append(words[0].rstrip(",;"))
    return values


def check_values(query: _Query, values: Mapping[str, str]) -> None:
    """Raise QueryParameterError when a value is not one the query's header lists for its
    parameter."""
    for name, value in values.items():
        param = query.parameters.get(name)
        accepted = accepted_values(param) if param is not None else None
        if accepted is not None and value not in accepted:
            close = difflib.get_close_matches(value, accepted, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise QueryParameterError(f"query {query.name}: parameter {name} accepts "
                                      f"{' | '.join(accepted)}, not {value!r}{hint}",
                                      query.name, name)


def empty_result_hint(query: _Query, values: Mapping[str, str]) -> str | None:
    """For a query that found nothing: the closest guideline names to a guideline value that
    is no label, IRI or gl:slug of the vocabulary; None when there is nothing to suggest."""
    for name in GUIDELINE_PARAMETERS:
        value = values.get(name)
        if name in query.parameters and value is not None and (hint := suggest(value)):
            return hint
    return None
