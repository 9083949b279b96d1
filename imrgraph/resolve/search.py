"""Find guideline names: list and search the guideline vocabulary (ontology/guidelines.ttl).

A user asking ``cases-citing guideline=MTUS`` needs to know what the vocabulary calls things;
:func:`search` ranks concepts by how well a text matches their preferred or alternative labels
(exact, then prefix, then substring, then close spelling), :func:`suggest` turns the best into
a hint for a guideline parameter that matched nothing, and :func:`usage_counts` adds how often
each concept is cited in a graph, rolled up along skos:broader as the named queries roll up.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from imrgraph.resolve.guidelines import VOCABULARY_FILE
from imrgraph.resolve.labels import shipped_display_labels
from imrgraph.resolve.skos import load_index

#: Levels of the guideline vocabulary, coarse to fine (imr:level values).
LEVELS = ("work", "chapter", "topic")
#: How close a label must be spelled to count as a near miss (difflib ratio).
CLOSE = 0.6


@dataclass(frozen=True)
class GuidelineName:
    """One concept of the guideline vocabulary as a user looks it up."""

    iri: str
    label: str
    alt_labels: tuple[str, ...]
    level: str | None
    work: str
    parent: str | None
    #: the label that says where it sits ("ODG › Low Back › Physical therapy (PT)")
    display: str = ""

    @property
    def slug(self) -> str:
        """The ``gl:`` name the queries accept (``gl:mtus-acoem/ch12``)."""
        return "gl:" + self.iri.rsplit("/guideline/", 1)[-1]


@cache
def guideline_names() -> tuple[GuidelineName, ...]:
    """Every concept of the shipped guideline vocabulary, works first, in file order."""
    index = load_index(VOCABULARY_FILE)
    display = shipped_display_labels()
    out = []
    for iri, concept in index.concepts.items():
        parent = concept.parent
        out.append(GuidelineName(
            iri=iri, label=concept.pref, alt_labels=concept.labels[1:], level=concept.level,
            work=index.concepts[index.top(iri)].pref,
            parent=index.concepts[parent].pref if parent in index.concepts else None,
            display=display.get(iri, "")))
    order = {level: i for i, level in enumerate(LEVELS)}
    return tuple(sorted(out, key=lambda n: order.get(n.level or "", len(LEVELS))))


def _rank(text: str, name: GuidelineName) -> tuple[int, float] | None:
    """(0, 0) exact label (or IRI / gl: name), (1, 0) a label starts with it, (2, 0) contains
    it, (3, -similarity) spelled closely; None: no match."""
    wanted = text.strip().lower()
    labels = [label.lower() for label in (name.label, *name.alt_labels, name.display) if label]
    if wanted in labels or wanted in (name.iri.lower(), name.slug.lower()):
        return 0, 0.0
    if any(label.startswith(wanted) for label in labels):
        return 1, 0.0
    if any(wanted in label for label in labels):
        return 2, 0.0
    similarity = max(difflib.SequenceMatcher(None, wanted, label).ratio() for label in labels)
    return (3, -similarity) if similarity >= CLOSE else None


def search(text: str | None = None, level: str | None = None) -> list[GuidelineName]:
    """Concepts whose labels match ``text`` (every concept when None), best matches first;
    ``level`` keeps one level of the vocabulary."""
    names = [n for n in guideline_names() if level is None or n.level == level]
    if not text:
        return names
    ranked = [(rank, i, n) for i, n in enumerate(names)
              if (rank := _rank(text, n)) is not None]
    return [n for _, _, n in sorted(ranked, key=lambda r: (r[0], r[1]))]


def is_guideline_name(text: str) -> bool:
    """Whether ``text`` is a label, IRI or gl: name of some concept (any case)."""
    return any(_rank(text, n) == (0, 0.0) for n in guideline_names())


def suggest(text: str, n: int = 5) -> str | None:
    """A hint for a guideline parameter value that names no concept: the closest names, or
    None when ``text`` is a name (or an IRI, or nothing is close)."""
    if ":" in text or is_guideline_name(text):
        return None
    close = [name.label for name in search(text)][:n]
    if not close:
        return None
    return f"no guideline is named {text!r}; closest names: " + "; ".join(
        f'"{label}"' for label in close)


def usage_counts(run_query: Callable[[str, Mapping[str, str]], Any]
                 ) -> dict[str, tuple[int, int]]:
    """{concept IRI: (items, citations)} in a graph, each concept counting the citations of
    itself and of narrower concepts (the named query ``guideline-usage`` at each level)."""
    counts: dict[str, tuple[set[str], int]] = {}
    for level in LEVELS:
        result = run_query("guideline-usage", {"level": level})
        for row in result.as_dicts():
            items, citations = counts.setdefault(row["guideline_id"], (set(), 0))
            items.add(row["item_id"])
            counts[row["guideline_id"]] = (items, citations + int(row["citations"] or 0))
    return {iri: (len(items), citations) for iri, (items, citations) in counts.items()}
