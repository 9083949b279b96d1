"""Typed records parsed from one IMR determination letter.

Every fact a letter states is kept together with the character span of the text it came from
(offsets into the normalised letter text, see ``imrgraph.ingest``), so that any triple in the
graph can be traced back to the words that justify it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

Party = Literal["claims-administrator", "expert-reviewer"]
Outcome = Literal["Upheld", "Overturned"]
PARTIES: tuple[Party, ...] = ("claims-administrator", "expert-reviewer")
OUTCOMES: tuple[Outcome, ...] = ("Upheld", "Overturned")


@dataclass(frozen=True)
class Span:
    """Half-open character range [start, end) in the letter text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}..{self.end}")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A value as the letter states it, with where it says so."""

    value: T
    span: Span


@dataclass(frozen=True)
class PageRange:
    """Inclusive page range of a guideline; a single page has start == end."""

    start: int
    end: int

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass
class SourceDocument:
    """The file a letter was read from (the PROV entity the determination derives from)."""

    name: str
    sha256: str
    media_type: str
    path: str = ""


@dataclass
class Header:
    """The table at the top of 2016-17 letters (absent from most 2015 letters)."""

    case_number: Fact[str] | None = None
    date_assigned: Fact[date] | None = None
    date_of_injury: Fact[date] | None = None
    decision_date: Fact[date] | None = None
    ur_denial_date: Fact[date] | None = None
    priority: Fact[str] | None = None
    application_received: Fact[date] | None = None


@dataclass
class ExpertReviewer:
    """The anonymous physician reviewer; letters state only credentials."""

    specialties: list[Fact[str]] = field(default_factory=list)
    licensure_states: list[Fact[str]] = field(default_factory=list)
    #: "table" ("State(s) of Licensure: ...") or "prose" ("Board Certified in ... licensed to
    #: practice in ...")
    credential_form: str | None = None


@dataclass
class InjuredWorker:
    age: Fact[int] | None = None
    sex: Fact[str] | None = None  # "female" | "male"
    date_of_injury: Fact[date] | None = None
    injury_mechanism: Fact[str] | None = None


@dataclass
class CaseSummary:
    text: Fact[str] | None = None
    diagnoses: list[Fact[str]] = field(default_factory=list)
    treatments_to_date: list[Fact[str]] = field(default_factory=list)


@dataclass
class GuidelineCitation:
    """One guideline a party relied on, as structured by the citation grammar.

    ``guideline`` is the IRI of the most specific guideline concept the citation resolves to:
    a concept of ``ontology/guidelines.ttl`` when ``in_vocabulary``, otherwise a node minted from
    the cited words so the citation is never dropped.
    """

    text: Fact[str]
    mtus: bool
    guideline: str
    guideline_label: str
    in_vocabulary: bool
    work: str | None = None  # IRI of the guideline work concept, when known
    edition: str | None = None  # "2004", "2009", "2016", "2nd", "3rd", ...
    chapter_number: int | None = None
    chapter: str | None = None  # chapter title as written
    section: str | None = None  # section / topic as written
    pages: list[PageRange] = field(default_factory=list)
    url: str | None = None
    #: for a minted node (not ``in_vocabulary``): the deepest vocabulary concept recognised
    #: above the cited words (chapter, work), which the node hangs below (skos:broader) and
    #: which is part of its identity; None for vocabulary concepts and unplaced citations
    broader: str | None = None
    #: the label that says where the concept sits ("ODG › Low Back › Physical therapy (PT)",
    #: ontology/guideline-labels.ttl; a minted node: "<work's short name> › <label>")
    display_label: str = ""
    #: the chapter the concept is in (itself for a chapter), when it is in one
    chapter_concept: str | None = None


@dataclass
class GuidelineStatement:
    """What one party said it relied on for one item ("Claims Administrator guideline: ...")."""

    party: Party
    text: Fact[str]
    #: the statement exactly as the letter writes it (label, line breaks and all), which the
    #: citation grammar reads so that citation spans point into the letter; ``text`` is its
    #: whitespace-collapsed body
    written: Fact[str] | None = None
    #: "The Claims Administrator did not cite any medical evidence for its decision."
    cited_no_evidence: bool = False
    #: "based their decision on recommendation(s) outside of the MTUS Guidelines" or
    #: "did not base their decision on the MTUS"
    outside_mtus: bool = False
    citations: list[GuidelineCitation] = field(default_factory=list)


@dataclass
class TreatmentClassification:
    """What one disputed item label says: kind of treatment, where, how much.

    ``category`` is the IRI of the most specific treatment concept recognised (for medications
    the drug class); ``in_vocabulary`` is False when the vocabulary did not recognise the label
    (category ``tx:other``, or ``tx:medication`` for an unknown drug written with a strength);
    ``is_medication`` is True when the category rolls up to ``tx:medication``.
    """

    category: str
    category_label: str
    in_vocabulary: bool
    is_medication: bool = False
    drug_class: str | None = None
    regions: list[str] = field(default_factory=list)
    side: str | None = None  # "left" | "right" | "bilateral"
    quantity: int | None = None
    unit: str | None = None  # "session", "visit", "tablet", "unit", "day", ...
    sessions_per_week: int | None = None
    weeks: int | None = None
    total_visits: int | None = None
    medication_name: str | None = None
    strength: str | None = None
    count: int | None = None
    drugs: list[str] = field(default_factory=list)  # IRIs of tx:drugs members named


@dataclass
class DisputedItem:
    """One disputed treatment request and its outcome.

    For a partial authorisation ``label`` is the disputed remainder the outcome applies to,
    ``original_request`` what the provider asked for and ``authorized_portion`` what the claims
    administrator authorised.
    """

    number: int
    heading: Fact[str]
    label: Fact[str]
    outcome: Fact[str]
    original_request: Fact[str] | None = None
    authorized_portion: Fact[str] | None = None
    statements: list[GuidelineStatement] = field(default_factory=list)
    rationale: Fact[str] | None = None
    #: the label classified against ontology/treatments.ttl (filled by imrgraph.resolve)
    treatment: TreatmentClassification | None = None
    #: why the rationale says the outcome went the way it did (``imrgraph.resolve.reasons``)
    reasons: ItemReasons | None = None

    def statement(self, party: Party) -> GuidelineStatement | None:
        return next((s for s in self.statements if s.party == party), None)


@dataclass
class Determination:
    """One IMR final determination letter."""

    source: SourceDocument
    text_length: int
    header: Header = field(default_factory=Header)
    reviewer: ExpertReviewer = field(default_factory=ExpertReviewer)
    worker: InjuredWorker = field(default_factory=InjuredWorker)
    summary: CaseSummary = field(default_factory=CaseSummary)
    items: list[DisputedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def case_number(self) -> str | None:
        return self.header.case_number.value if self.header.case_number else None

    @property
    def key(self) -> str:
        """Stable identity: the case number, else a content hash of the letter."""
        return self.case_number or f"sha256-{self.source.sha256[:20]}"

    def to_json(self, indent: int | None = 2) -> str:
        """The record as JSON text (see :func:`to_json`)."""
        return to_json(self, indent)


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Any record as JSON text in one call: dates as ISO strings, spans as [start, end]."""
    return json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False)


def to_jsonable(obj: Any) -> Any:
    """Records as plain JSON-ready data (dates as ISO strings, spans as [start, end])."""
    if isinstance(obj, Span):
        return [obj.start, obj.end]
    if isinstance(obj, date):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


# ------------------------------------------------------------------ reasons (resolve/reasons.py)


@dataclass(frozen=True)
class ReasonFinding:
    """One reason a decision rationale states for its item's outcome, with the words stating it.

    ``reason`` is the IRI of the most specific concept of the reasons scheme
    (``ontology/reasons.ttl``) that matched, ``slug`` its notation and ``top`` the notation of the
    top concept it rolls up to (the public reason codes).
    """

    reason: str
    slug: str
    top: str
    evidence: Fact[str]


@dataclass(frozen=True)
class GuidelineQuantity:
    """A quantity of visits a rationale gives as the guideline's ("10 visits over 8 weeks")."""

    visits: int  # upper bound of a range ("8-10 visits" -> 10)
    weeks: int | None
    text: Fact[str]


@dataclass(frozen=True)
class QuantityComparison:
    """Requested visits (treatment classifier) against the visits the rationale recommends."""

    recommended_visits: int
    requested_visits: int | None
    exceeds: bool | None  # None when the requested quantity is unknown
    recommended: Fact[str]


@dataclass
class ItemReasons:
    """What one disputed item's rationale says about why the outcome went the way it did."""

    item: int
    outcome: str
    findings: list[ReasonFinding] = field(default_factory=list)
    quantities: list[GuidelineQuantity] = field(default_factory=list)
    comparison: QuantityComparison | None = None

    @property
    def codes(self) -> list[str]:
        """The top-concept slugs found, in order of first evidence, each once."""
        return list(dict.fromkeys(f.top for f in self.findings))
