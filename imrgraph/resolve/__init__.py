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
from imrgraph.resolve.treatments import classify_item

__all__ = ["resolve_determination", "resolve_item"]


def resolve_item(item: DisputedItem) -> DisputedItem:
    """One disputed item with its statements' citations and its treatment classification."""
    index = guideline_index()
    return replace(
        item,
        statements=[resolve_statement(s, index) for s in item.statements],
        treatment=classify_item(item.label.value),
    )


def resolve_determination(det: Determination) -> Determination:
    """The determination with every item resolved (a new record; ``det`` is not changed)."""
    return replace(det, items=[resolve_item(i) for i in det.items],
                   warnings=list(det.warnings))
