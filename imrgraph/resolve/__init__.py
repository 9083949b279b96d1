"""Parsed records -> vocabulary concepts.

``resolve_determination`` takes a determination as ``imrgraph.parse`` reads it (letter
structure and spans) and returns a new one whose statements carry their guideline citations
(resolved against ontology/guidelines.ttl, or minted nodes with their parent concept) and whose
disputed items carry their treatment classification (ontology/treatments.ttl).  It is a pure
function of its input: the vocabularies are read-only indexes, and nothing is remembered from
one letter to the next, so mapping a resolved record needs nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from imrgraph.records import Determination, DisputedItem
from imrgraph.resolve.guidelines import guideline_index, resolve_statement
from imrgraph.resolve.reasons import item_reasons
from imrgraph.resolve.treatments import classify_item

__all__ = ["resolve_determination", "resolve_item"]


def resolve_item(item: DisputedItem, text: str | None = None) -> DisputedItem:
    """One disputed item with its statements' citations, its treatment classification and,
    given the letter ``text`` its spans point into, the reasons its rationale states."""
    index = guideline_index()
    resolved = replace(
        item,
        statements=[resolve_statement(s, index) for s in item.statements],
        treatment=classify_item(item.label.value),
    )
    if text is not None:
        resolved.reasons = item_reasons(resolved, text)
    return resolved


def resolve_determination(det: Determination, text: str | None = None) -> Determination:
    """The determination with every item resolved (a new record; ``det`` is not changed).

    ``text`` is the normalised letter text ``det`` was parsed from; without it the items get
    no reasons (their evidence spans are offsets into that text)."""
    return replace(det, items=[resolve_item(i, text) for i in det.items],
                   warnings=list(det.warnings))
