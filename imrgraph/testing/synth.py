"""Synthetic IMR determination letters, with the facts each one states (its ground truth).

Why: the corpus has 77 letters; measuring the pipeline at 10,000-100,000 letters, and checking
the parser on many more recombinations than the corpus holds, needs letters that look like the
real ones.  The generator recombines the structures seen in the corpus (header table wrapped
over lines as pypdf extracts it, credentials as a table or in prose, a case summary with age,
sex and date of injury, 1-21 items whose headings may wrap, put the outcome on its own line or
state a partial authorisation in either wording, both parties' guideline statements in the
forms the letters use, and a rationale) in the two text layouts of the corpus: 2016-17 letters
(single-spaced lines with a trailing space, page breaks as empty lines) and 2015 letters (every
line followed by an empty line).

The building blocks are package data (``imrgraph/testing/data/*.toml``), so the generator works
without the corpus, and the tables stay checkable against the vocabularies.  Every
letter depends only on ``(seed, index)``: the same seed gives the same bytes, and letters can be
generated in any order or in parallel.  Version 2 (``VERSION``) makes case summaries and
rationales as long as the real letters' (see bench/calibrate.py): the same seed gives other
bytes than version 1 did.  Case numbers are unique within a run (CMyy-5nnnnnn and
up, above the real letters' numbers, so synthetic and bundled letters never collide).
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from imrgraph.errors import DataError, UsageError

__all__ = [
    "CitationTruth",
    "ItemTruth",
    "LetterTruth",
    "StatementTruth",
    "generate",
    "generate_letter",
    "generate_with_truth",
    "guideline_slugs",
    "item_labels",
    "summary_counts",
    "truth_jsonable",
    "write_corpus",
]

GL = "https://w3id.org/imrgraph/guideline/"

# ----------------------------------------------------------------------------- ground truth


@dataclass(frozen=True)
class CitationTruth:
    """One citation: the guideline concept it resolves to and its cited pages ("98-99")."""

    guideline: str  # IRI
    pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatementTruth:
    party: str  # "claims-administrator" | "expert-reviewer"
    cited_no_evidence: bool
    outside_mtus: bool
    citations: tuple[CitationTruth, ...]


@dataclass(frozen=True)
class ItemTruth:
    label: str
    outcome: str  # "Upheld" | "Overturned"
    original_request: str | None
    authorized_portion: str | None
    statements: tuple[StatementTruth, ...]
    rationale: str


@dataclass(frozen=True)
class LetterTruth:
    """What the letter states, as the parser should read it (whitespace collapsed)."""

    name: str
    layout: str  # "2016" | "2015"
    case_number: str
    date_assigned: date
    date_of_injury: date
    decision_date: date
    ur_denial_date: date
    application_received: date
    priority: str
    age: int
    sex: str  # "female" | "male"
    credential_form: str  # "table" | "prose"
    specialties: tuple[str, ...]
    licensure_states: tuple[str, ...]
    items: tuple[ItemTruth, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- building blocks
# The building blocks are data files beside this module (imrgraph/testing/data/*.toml):
# citations.toml (citation wordings and the guideline concepts they denote), families.toml
# (kinds of disputed items and how they are argued) and letter.toml (boilerplate, credentials,
# case-summary phrases).  Loaded once; every cross-reference between them is checked here, and
# tests/test_synth.py checks every guideline slug against ontology/guidelines.ttl.

_DATA = resources.files(__package__) / "data"


@dataclass(frozen=True)
class Family:
    """Treatments that are requested, cited and argued about the same way."""

    name: str
    labels: tuple[str, ...]
    #: (template with {a}, count requested, count authorised); the remainder is disputed
    partial: tuple[tuple[str, int, int], ...]
    mtus: tuple[tuple[str, tuple[str, ...]], ...]  # (MTUS_HEADS key, sections to draw from)
    non_mtus: tuple[str, ...]  # NON_MTUS keys
    mtus_2015: tuple[str, ...]  # MTUS_2015 keys
    chronic_2015: tuple[str, ...]  # CHRONIC_PAIN_2015 keys
    reasons: tuple[str, ...]
    region: str


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads((_DATA / name).read_text(encoding="utf-8"))


def _span(entry: dict[str, Any]) -> tuple[int, int]:
    first, last = entry["pages"]
    return int(first), int(last)


def _check(ok: bool, file: str, reason: str) -> None:
    """A broken table is a packaging bug: say which file and what is wrong."""
    if not ok:
        raise DataError(f"imrgraph/testing/data/{file}: {reason}")


_CITATIONS = _toml("citations.toml")
_LETTER = _toml("letter.toml")

#: MTUS works/chapters as 2016-17 letters name them: key -> (title, year, slug, sections)
MTUS_HEADS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    key: (h["title"], h["year"], h["guideline"],
          {written: slug for slug, written in h.get("sections", {}).items()})
    for key, h in _CITATIONS["mtus_heads"].items()
}
#: Non-MTUS citations: key -> (words after "Non-MTUS Citation", slugs cited, page span or None)
#: A page span means the words end with "{pages}", filled in with pages from that span.
NON_MTUS: dict[str, tuple[str, tuple[str, ...], tuple[int, int] | None]] = {
    key: (c["words"], tuple(c["guidelines"]), _span(c) if "pages" in c else None)
    for key, c in _CITATIONS["non_mtus"].items()
}
#: 2015-layout MTUS pieces "<words> Page(s): <pages>": key -> (words, slug, page span)
MTUS_2015: dict[str, tuple[str, str, tuple[int, int]]] = {
    key: (c["words"], c["guideline"], _span(c)) for key, c in _CITATIONS["mtus_2015"].items()
}
#: 2015 Chronic Pain Treatment Guidelines topics: key -> (words, slug, page span)
CHRONIC_PAIN_2015: dict[str, tuple[str, str, tuple[int, int]]] = {
    key: (c["words"], c["guideline"], _span(c))
    for key, c in _CITATIONS["chronic_pain_2015"].items()
}
_REGION_DX: dict[str, tuple[str, ...]] = {
    region: tuple(dx) for region, dx in _LETTER["diagnoses"].items()
}


def _family(entry: dict[str, Any]) -> Family:
    name = entry["name"]
    mtus = []
    for m in entry.get("mtus", []):
        head = m["head"]
        _check(head in MTUS_HEADS, "families.toml", f"{name}: unknown MTUS head {head!r}")
        sections = tuple(MTUS_HEADS[head][3]) if m["sections"] == "all" else tuple(m["sections"])
        unknown = [s for s in sections if s not in MTUS_HEADS[head][3]]
        _check(not unknown, "families.toml", f"{name}: {head} has no section(s) {unknown}")
        mtus.append((head, sections))
    for field_name, table in (("non_mtus", NON_MTUS), ("mtus_2015", MTUS_2015),
                              ("chronic_2015", CHRONIC_PAIN_2015)):
        unknown = [k for k in entry[field_name] if k not in table]
        _check(not unknown, "families.toml", f"{name}: unknown {field_name} key(s) {unknown}")
    _check(entry["region"] in _REGION_DX, "families.toml",
           f"{name}: region {entry['region']!r} has no diagnoses in letter.toml")
    return Family(
        name=name, labels=tuple(entry["labels"]),
        partial=tuple((p["template"], int(p["requested"]), int(p["authorised"]))
                      for p in entry.get("partial", [])),
        mtus=tuple(mtus), non_mtus=tuple(entry["non_mtus"]),
        mtus_2015=tuple(entry["mtus_2015"]), chronic_2015=tuple(entry["chronic_2015"]),
        reasons=tuple(entry["reasons"]), region=entry["region"],
    )


_FAMILY_ENTRIES = _toml("families.toml")["family"]
FAMILIES: tuple[Family, ...] = tuple(_family(e) for e in _FAMILY_ENTRIES)
_FAMILY_WEIGHTS = tuple(int(e["weight"]) for e in _FAMILY_ENTRIES)

HOW_2016: str = _LETTER["how_made"]
TABLE_SPECIALTIES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s) for s in _LETTER["table_specialties"])
PROSE_SPECIALTIES: tuple[tuple[str, str | None], ...] = tuple(
    (s["specialty"], s.get("subspecialty")) for s in _LETTER["prose_specialties"])
STATES: tuple[str, ...] = tuple(_LETTER["states"])
MECHANISMS: tuple[str, ...] = tuple(_LETTER["mechanisms"])
COMPLAINTS: tuple[str, ...] = tuple(_LETTER["complaints"])
EXAMS: tuple[str, ...] = tuple(_LETTER["exams"])
TREATMENTS: tuple[str, ...] = tuple(_LETTER["treatments"])
CASE_SENTENCES: tuple[str, ...] = tuple(_LETTER["case_sentences"])
OVERTURN_SENTENCES: tuple[str, ...] = tuple(_LETTER["overturn_sentences"])

#: Generator version: 2 draws case summaries and rationales as long as the real letters'
#: (pools under [calibrated] in letter.toml), so synthetic letters cost what real ones cost to
#: parse (bench/calibrate.py measures it).  The same (seed, version) gives the same bytes.
VERSION = 2
_CALIBRATED = _LETTER["calibrated"]
PARTS: dict[str, tuple[str, ...]] = {r: tuple(p) for r, p in _CALIBRATED["parts"].items()}
MEDICATIONS: tuple[str, ...] = tuple(_CALIBRATED["medications"])
SUMMARY_SENTENCES: tuple[str, ...] = tuple(_collapse(s) for s in _CALIBRATED["summary_sentences"])
RATIONALE_GUIDELINE: tuple[str, ...] = tuple(
    _collapse(s) for s in _CALIBRATED["rationale_guideline"])
RATIONALE_CASE: tuple[str, ...] = tuple(_collapse(s) for s in _CALIBRATED["rationale_case"])
SUMMARY_MEAN: tuple[int, ...] = tuple(_CALIBRATED["summary_mean_by_items"])
RATIONALE_MEDIAN: tuple[int, ...] = tuple(_CALIBRATED["rationale_median_by_items"])
_check(set(PARTS) >= set(_REGION_DX), "letter.toml",
       f"[calibrated.parts] lacks region(s) {sorted(set(_REGION_DX) - set(PARTS))}")


def guideline_slugs() -> set[str]:
    """Every guideline concept slug (under gl:) that a synthetic citation can resolve to."""
    slugs = {slug for _, _, slug, _ in MTUS_HEADS.values()}
    slugs |= {f"{slug}/{s}" for _, _, slug, sections in MTUS_HEADS.values()
              for s in sections.values()}
    slugs |= {s for _, cited, _ in NON_MTUS.values() for s in cited}
    slugs |= {slug for table in (MTUS_2015, CHRONIC_PAIN_2015) for _, slug, _ in table.values()}
    return slugs


def item_labels() -> list[str]:
    """Every disputed-item label a synthetic letter can carry (partial requests in full)."""
    labels = [label for f in FAMILIES for label in f.labels]
    for f in FAMILIES:
        for template, requested, authorised in f.partial:
            labels += [template.format(a=n) for n in (requested, authorised,
                                                      requested - authorised)]
    return labels


# ----------------------------------------------------------------------------- text layout


class _Layout:
    """Lines as a PDF text extractor writes them, for one of the two corpus layouts."""

    def __init__(self, rng: random.Random, layout: str) -> None:
        self.rng = rng
        self.layout = layout
        self.lines: list[str] = []
        self.since_break = 0
        self.page_lines = rng.randint(44, 52)

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        if self.layout == "2015":
            self.lines.append("")
            return
        self.since_break += 1
        if self.since_break >= self.page_lines:  # page break: pypdf joins pages with "\n"
            self.lines.append("")
            self.since_break = 0
            self.page_lines = self.rng.randint(44, 52)

    def blank(self) -> None:
        self._emit(" ")

    def line(self, text: str, trailing: str = " ") -> None:
        self._emit(text + trailing)

    def para(self, text: str, *, width: tuple[int, int] = (84, 97)) -> None:
        """Wrap words greedily at a jittered width, like text extracted from a PDF page."""
        words = text.split()
        current: list[str] = []
        size = 0
        limit = self.rng.randint(*width)
        for word in words:
            extra = len(word) + (1 if current else 0)
            hyphen = word.find("-", 1, len(word) - 1)
            if (current and size + extra > limit and hyphen > 0 and word[hyphen - 1].isalpha()
                    and word[hyphen + 1].isalpha() and self.rng.random() < 0.5):
                # a word broken at its hyphen at the line end ("Non- / MTUS"), as in the PDFs
                self.line(" ".join([*current, word[: hyphen + 1]]))
                word = word[hyphen + 1:]
                current, size = [word], len(word)
                limit = self.rng.randint(*width)
                continue
            if current and size + extra > limit:
                self.line(" ".join(current))
                current, size = [word], len(word)
                limit = self.rng.randint(*width)
            else:
                current.append(word)
                size += extra
        if current:
            self.line(" ".join(current))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# ----------------------------------------------------------------------------- generation


def _us_date(d: date, rng: random.Random, style: str | None = None) -> str:
    style = style or rng.choice(("mm/dd/yyyy", "mm-dd-yy", "m-d-yyyy", "m/d/yy"))
    if style == "mm/dd/yyyy":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "mm-dd-yy":
        return f"{d.month:02d}-{d.day:02d}-{d.year % 100:02d}"
    if style == "m-d-yyyy":
        return f"{d.month}-{d.day}-{d.year}"
    return f"{d.month}/{d.day}/{d.year % 100:02d}"


def _pages(rng: random.Random, span: tuple[int, int]) -> tuple[str, tuple[str, ...]]:
    """A page list as letters write it ("48-9; 90", "287-315") and its normalised ranges."""
    lo, hi = span
    count = 1 if hi - lo < 4 else rng.choice((1, 1, 1, 2))
    starts = sorted(rng.sample(range(lo, hi + 1), count))
    written: list[str] = []
    truth: list[str] = []
    for k, a in enumerate(starts):
        nxt = starts[k + 1] - 1 if k + 1 < len(starts) else hi
        b = rng.randint(a, min(nxt, a + 12)) if rng.random() < 0.7 else a
        if b == a:
            written.append(str(a))
            truth.append(str(a))
            continue
        sb = str(b)
        if len(sb) == len(str(a)) and rng.random() < 0.3:
            common = 0
            while common < len(sb) - 1 and sb[common] == str(a)[common]:
                common += 1
            sb = sb[common:]  # "308-9": the end page keeps the start's leading digits
        written.append(f"{a}-{sb}")
        truth.append(f"{a}-{b}")
    sep = rng.choice((", ", "; ", " and ")) if len(written) > 1 else ""
    return sep.join(written), tuple(truth)


def _mtus_2016(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]]:
    """ "MTUS <Work> <year>[, Section(s): ...][, and <Work> <year> ...]" and its citations."""
    n_heads = 1 if len(family.mtus) == 1 or rng.random() < 0.8 else 2
    parts: list[str] = []
    cites: list[CitationTruth] = []
    for key, pool in rng.sample(family.mtus, n_heads):
        title, year, slug, sections = MTUS_HEADS[key]
        guidelines = " Guidelines" if key == "chronic-pain" and rng.random() < 0.2 else ""
        head = f"{title} {year}{guidelines}"
        if pool and rng.random() < 0.8:
            chosen = rng.sample(pool, rng.choice((1, 1, 1, 2)) if len(pool) > 1 else 1)
            parts.append(f"{head}, Section(s): {', '.join(chosen)}")
            cites += [CitationTruth(f"{GL}{slug}/{sections[s]}") for s in chosen]
        else:
            parts.append(head)
            cites.append(CitationTruth(GL + slug))
    return "Decision based on MTUS " + ", and ".join(parts) + ".", cites


def _mtus_2015(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]] | None:
    """ "MTUS ACOEM Chapter 12 ... Page(s): 287-315, Chronic Pain Treatment Guidelines ..." """
    parts: list[str] = []
    cites: list[CitationTruth] = []
    if family.mtus_2015 and (not family.chronic_2015 or rng.random() < 0.6):
        words, slug, span = MTUS_2015[rng.choice(family.mtus_2015)]
        written, truth = _pages(rng, span)
        parts.append(f"{words} Page(s): {written}")
        cites.append(CitationTruth(GL + slug, truth))
    if family.chronic_2015 and (not parts or rng.random() < 0.4):
        keys = rng.sample(family.chronic_2015, 2 if len(family.chronic_2015) > 1
                          and rng.random() < 0.3 else 1)
        topics = []
        for key in keys:
            words, slug, span = CHRONIC_PAIN_2015[key]
            written, truth = _pages(rng, span)
            topics.append(f"{words} Page(s): {written}")
            cites.append(CitationTruth(GL + slug, truth))
        parts.append("Chronic Pain Treatment Guidelines " + ", ".join(topics))
    if not parts:
        return None
    return "Decision based on MTUS " + ", ".join(parts) + ".", cites


def _non_mtus(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]]:
    words, slugs, span = NON_MTUS[rng.choice(family.non_mtus)]
    pages: tuple[str, ...] = ()
    if span is not None:
        written, pages = _pages(rng, span)
        words = words.format(pages=written)
    cites = [CitationTruth(GL + s, pages) for s in slugs]
    return f"Decision based on Non-MTUS Citation {words}.", cites


def _statement(
    rng: random.Random, family: Family, party: str, layout: str
) -> tuple[str, StatementTruth]:
    who = "Claims Administrator" if party == "claims-administrator" else "Expert Reviewer"
    no_evidence_rate = 0.17 if party == "claims-administrator" else 0.04
    if rng.random() < no_evidence_rate:
        return (f"The {who} did not cite any medical evidence for its decision.",
                StatementTruth(party, True, False, ()))
    roll = rng.random()
    if roll < 0.2 and family.non_mtus:
        if layout == "2015":
            lead = f"The {who} did not base their decision on the MTUS."
        else:
            lead = (f"The {who} based their decision on recommendation(s) outside of the MTUS "
                    "Guidelines.")
        text, non_mtus = _non_mtus(rng, family)
        return f"{lead} {text}", StatementTruth(party, False, True, tuple(non_mtus))
    sentences: list[str] = []
    cites: list[CitationTruth] = []
    mtus = _mtus_2015(rng, family) if layout == "2015" else None
    if mtus is None:
        mtus = _mtus_2016(rng, family)
    sentences.append(mtus[0])
    cites += mtus[1]
    if family.non_mtus and roll > 0.8:  # real letters: 16% of statements cite both
        text, more = _non_mtus(rng, family)
        sentences.append(text)
        cites += more
    return " ".join(sentences), StatementTruth(party, False, False, tuple(cites))


def _fill(rng: random.Random, template: str, ctx: dict[str, Any]) -> str:
    """A pool sentence with its slots filled: the letter's own words, fresh dates and numbers."""
    first, last = ctx["dates"]
    when = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
    med, med2 = rng.sample(MEDICATIONS, 2)
    return template.format(**ctx["words"], date=_us_date(when, rng), med=med, med2=med2,
                           n=rng.randint(2, 9), m=rng.randint(1, 8), deg=rng.randint(15, 70))


def _rationale(rng: random.Random, family: Family, label: str, outcome: str,
               ctx: dict[str, Any]) -> str:
    reasons = rng.sample(family.reasons, rng.randint(1, len(family.reasons)))
    case = rng.sample(OVERTURN_SENTENCES if outcome == "Overturned" else CASE_SENTENCES,
                      rng.randint(1, 2))
    lower = not label[:2].isupper() and rng.random() < 0.5
    subject = label[0].lower() + label[1:] if lower else label
    if outcome == "Overturned":
        end = f"Therefore, the request for {subject} is medically necessary."
    else:
        end = rng.choice((f"Therefore, the request for {subject} is not medically necessary.",
                          f"As such, the request for {subject} is not medically necessary and "
                          "appropriate."))
    # as long as the real rationales: median ~950 characters, a long tail (up to ~6,000),
    # shorter in letters with more items
    target = min(6000, int(rng.lognormvariate(math.log(ctx["rationale_median"]), 0.55)))
    words = {**ctx["words"], "subject": subject}
    filled = {**ctx, "words": words}
    lead = [_fill(rng, RATIONALE_CASE[0], filled)] if rng.random() < 0.4 else []
    body = [*reasons, *case]
    pools = [RATIONALE_GUIDELINE] if outcome == "Overturned" else [RATIONALE_GUIDELINE,
                                                                  RATIONALE_CASE[1:]]
    drawn = [rng.sample(pool, len(pool)) for pool in pools]
    size = sum(len(x) + 1 for x in (*lead, *body, end))
    k = 0
    while size < target and any(drawn):
        pool = drawn[k % len(drawn)]
        k += 1
        if pool:
            sentence = _fill(rng, pool.pop(), filled)
            body.insert(rng.randint(0, len(body)), sentence)
            size += len(sentence) + 1
    return " ".join([*lead, *body, end])


def _item(
    rng: random.Random, family: Family, used: set[str], layout: str, ctx: dict[str, Any]
) -> tuple[str, ItemTruth, tuple[str, str]]:
    """Heading text (without outcome), the item's truth, and both parties' statements."""
    outcome = "Overturned" if rng.random() < 0.12 else "Upheld"
    original = authorised = None
    if family.partial and rng.random() < 0.35:
        template, a, b = rng.choice(family.partial)
        original = template.format(a=a)
        if rng.random() < 0.75:  # "... was authorized by the Claims Administrator."
            authorised = template.format(a=b)
            label = template.format(a=a - b)
            suffix = rng.choice((" is", " is", ""))
            heading = (f"{original} was the original request. {authorised} was authorized by "
                       "the Claims Administrator. The remaining IMR eligible portion of the "
                       f"original request, {label}{suffix}")
        else:  # "The Claims Administrator authorized ..., leaving the original request ..."
            authorised = template.format(a=b)
            label = original[0].lower() + original[1:] if rng.random() < 0.3 else original
            heading = (f"{original} was the original request. The Claims Administrator "
                       f"authorized {authorised}, leaving the original request IMR eligible. "
                       f"The original request, {label} is")
    else:
        choices = [x for x in family.labels if x not in used] or list(family.labels)
        label = rng.choice(choices)
        heading = label
    used.add(label)
    statements = []
    texts = []
    for party in ("claims-administrator", "expert-reviewer"):
        text, truth = _statement(rng, family, party, layout)
        statements.append(truth)
        texts.append(text)
    rationale = _rationale(rng, family, label, outcome, ctx)
    item = ItemTruth(label=_collapse(label), outcome=outcome,
                     original_request=_collapse(original) if original else None,
                     authorized_portion=_collapse(authorised) if authorised else None,
                     statements=tuple(statements), rationale=_collapse(rationale))
    return heading, item, (texts[0], texts[1])


@cache
def _offset(seed: int) -> int:
    return random.Random(f"imrgraph-synth-offset:{seed}").randrange(5_000_000)


def _case_number(seed: int, index: int, year: int) -> str:
    """CMyy-nnnnnnn, unique per index below 5,000,000 (an affine bijection mod 5,000,000)."""
    number = 5_000_000 + (index * 7_368_787 + _offset(seed)) % 5_000_000
    return f"CM{year % 100:02d}-{number:07d}"


def generate_letter(seed: int, index: int) -> tuple[str, str, LetterTruth]:
    """Letter number ``index`` of the corpus ``seed``: (file name, text, truth)."""
    rng = random.Random(f"imrgraph-synth:{seed}:{index}")
    layout = "2015" if rng.random() < 0.12 else "2016"
    year = rng.choice((2014, 2015)) if layout == "2015" else rng.choice((2016, 2016, 2017, 2018))
    assigned = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    received = assigned - timedelta(days=rng.randint(1, 12))
    ur_denial = received - timedelta(days=rng.randint(0, 40))
    decision = assigned + timedelta(days=rng.randint(14, 60))
    injury = ur_denial - timedelta(days=rng.randint(20, 365 * 15))
    priority = "Expedited" if rng.random() < 0.03 else "Standard"
    case_number = _case_number(seed, index, assigned.year)
    age = rng.randint(19, 74)
    sex = rng.choice(("female", "male"))

    out = _Layout(rng, layout)
    # ---- header table, split over lines as pypdf extracts it
    if layout == "2015":
        out.lines += ["", " ", "", " "]
    else:
        out.blank()
    sp = "  " if layout == "2016" else " "
    out.line(f"Case Number: {case_number}", "  " if layout == "2016" else "   ")
    out.line(f"Date Assigned: {_us_date(assigned, rng, 'mm/dd/yyyy')} Date of Injury:{sp}"
             f"{_us_date(injury, rng, 'mm/dd/yyyy')}")
    out.line(f"Decision Date: {_us_date(decision, rng, 'mm/dd/yyyy')} UR Denial Date:{sp}"
             f"{_us_date(ur_denial, rng, 'mm/dd/yyyy')}")
    out.line(f"Priority:{sp}{priority} Application")
    out.line("Received:", sp)
    out.line(_us_date(received, rng, "mm/dd/yyyy"))
    out.blank()
    out.line("HOW THE IMR FINAL DETERMINATION WAS MADE")

    # ---- credentials: a table (2016-17) or prose inside the paragraph (2015)
    prose_rate = 0.7 if layout == "2015" else 0.05
    if rng.random() < prose_rate:
        form = "prose"
        spec, sub = rng.choice(PROSE_SPECIALTIES)
        states = tuple(rng.sample(STATES[:8], rng.choice((1, 1, 2))))
        sub_text = f" has a subspecialty in {sub}" if sub else ""
        prose = (f" The expert reviewer is Board Certified in {spec}{sub_text} and is licensed "
                 f"to practice in {' and '.join(states)}.")
        specialties: tuple[str, ...] = (spec, sub) if sub else (spec,)
        service = "services"
    else:
        form = "table"
        specialties = rng.choice(TABLE_SPECIALTIES)
        states = tuple(rng.sample(STATES, rng.choice((1, 1, 1, 2, 2, 3))))
        prose = ""
        service = "Service" if layout == "2016" else "services"
    out.para(HOW_2016.format(prose=prose, service=service))
    out.blank()
    if form == "table":
        out.line("The Expert Reviewer has the following credentials:")
        sep = rng.choice((",", ", "))
        out.line(f"State(s) of Licensure: {sep.join(states)}")
        out.line(f"Certification(s)/Specialty: {', '.join(specialties)}")
        out.blank()

    # ---- items first (the summary mentions them)
    n_items = rng.choices(
        (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 21),
        weights=(56, 16, 6, 4, 5, 5, 2, 2, 1, 1, 1, 1),
    )[0]
    primary = rng.choices(FAMILIES, weights=_FAMILY_WEIGHTS, k=rng.choice((1, 2, 3)))
    region = primary[0].region
    she = "she" if sex == "female" else "he"
    her = "her" if sex == "female" else "his"
    ctx: dict[str, Any] = {
        "dates": (injury + timedelta(days=1), ur_denial),
        "rationale_median": RATIONALE_MEDIAN[min(n_items, len(RATIONALE_MEDIAN)) - 1],
        "words": {"She": she.capitalize(), "she": she, "her": her, "Her": her.capitalize(),
                  "part": rng.choice(PARTS[region])},
    }
    used: set[str] = set()
    items: list[tuple[str, ItemTruth, tuple[str, str]]] = []
    for _ in range(n_items):
        family = rng.choice(primary) if rng.random() < 0.8 else rng.choices(
            FAMILIES, weights=_FAMILY_WEIGHTS)[0]
        heading, item, texts = _item(rng, family, used, layout, ctx)
        items.append((heading, item, texts))

    # ---- clinical case summary
    out.line("CLINICAL CASE SUMMARY")
    out.para("The expert reviewer developed the following clinical case summary based on a "
             "review of the case file, including all medical records:")
    out.blank()
    sex_word = sex if rng.random() < 0.8 else ("woman" if sex == "female" else "man")
    age_text = rng.choice((f"{age} year old", f"{age}-year-old"))
    doi = _us_date(injury, rng)
    intro = rng.choice((
        f"The injured worker is a {age_text} {sex_word} who sustained an industrial injury on "
        f"{doi}.",
        f"The injured worker is a {age_text} {sex_word}, who sustained an industrial injury on "
        f"{doi}, as a result of {rng.choice(MECHANISMS)}.",
        f"This is a {age_text} {sex_word} with a date of injury of {doi}.",
        f"The patient is a {age_text} {sex_word} who reported an industrial injury on {doi} "
        f"due to {rng.choice(MECHANISMS)}.",
    ))
    dx = rng.sample(_REGION_DX[region], rng.randint(1, 3))
    tx = rng.sample(TREATMENTS, rng.randint(2, 4))
    requested = ", ".join(item.label for _, item, _ in items[:4])
    summary = [
        intro,
        f"The injured worker was being treated for the diagnoses of {', '.join(dx)}.",
        *(c.format(She="She" if sex == "female" else "He",
                   her="her" if sex == "female" else "his")
          for c in rng.sample(COMPLAINTS, rng.randint(1, 2))),
        *rng.sample(EXAMS, rng.randint(1, 2)),
    ]
    # as long as the real summaries (~1,450 characters on average, 900-2,800 for most, longer
    # with more items): a target for the sentences so far, the treatment and UR sentences
    # then come on top
    mean = SUMMARY_MEAN[min(len(items), len(SUMMARY_MEAN)) - 1]
    target = min(2900, max(700, int(rng.gauss(mean, 400))))
    size = sum(len(x) + 1 for x in summary) + 120 + len(requested)
    for template in rng.sample(SUMMARY_SENTENCES, len(SUMMARY_SENTENCES)):
        if size >= target:
            break
        sentence = _fill(rng, template, ctx)
        summary.append(sentence)
        size += len(sentence) + 1
    summary += [
        f"Treatment to date has included {', '.join(tx[:-1])} and {tx[-1]}.",
        f"On {_us_date(ur_denial, rng)}, Utilization Review non-certified the request for "
        f"{requested}.",
    ]
    out.para(" ".join(summary))
    out.blank()

    # ---- items
    out.line("IMR ISSUES, DECISIONS AND RATIONALES")
    if layout == "2016" and rng.random() < 0.3:
        out.lines.append("")
    out.para("The Final Determination was based on decisions for the disputed items/services "
             "set forth below:", width=(100, 100))
    out.blank()
    for heading, item, texts in items:
        colon_space = rng.choice((" ", " ", "  "))
        if rng.random() < 0.12:  # the outcome wrapped onto its own line
            out.para(f"{heading}:")
            out.line(item.outcome)
        else:
            out.para(f"{heading}:{colon_space}{item.outcome}")
        out.blank()
        if layout == "2016" and rng.random() < 0.3:
            out.lines.append("")
        ca, mx = texts
        out.para(f"Claims Administrator guideline: {ca}")
        out.blank()
        out.para(f"MAXIMUS guideline: {mx}")
        out.blank()
        out.para(f"Decision rationale: {item.rationale}")
        out.blank()

    name = f"{case_number}.txt"
    truth = LetterTruth(
        name=name, layout=layout, case_number=case_number, date_assigned=assigned,
        date_of_injury=injury, decision_date=decision, ur_denial_date=ur_denial,
        application_received=received, priority=priority, age=age, sex=sex,
        credential_form=form, specialties=tuple(specialties), licensure_states=states,
        items=tuple(item for _, item, _ in items),
    )
    return name, out.text(), truth


def generate_with_truth(n: int, seed: int, start: int = 0
                        ) -> Iterator[tuple[str, str, LetterTruth]]:
    """Letters ``start`` .. ``start + n - 1`` of corpus ``seed`` with their ground truth."""
    if n < 0 or start < 0 or start + n > 5_000_000:
        raise UsageError("a synthetic corpus holds letters 0 to 4,999,999: n and start must "
                         f"be 0 or more and start + n at most 5,000,000 (got {start} + {n})",
                         "start")
    for index in range(start, start + n):
        yield generate_letter(seed, index)


def generate(n: int, seed: int) -> Iterator[tuple[str, str]]:
    """N synthetic letters as (file name, text); the same seed gives the same bytes."""
    for name, text, _ in generate_with_truth(n, seed):
        yield name, text


def write_corpus(folder: str | Path, n: int, seed: int, start: int = 0) -> list[Path]:
    """Write letters as UTF-8 ``.txt`` files into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text, _ in generate_with_truth(n, seed, start):
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def truth_jsonable(truth: LetterTruth) -> dict[str, object]:
    """A letter's ground truth as JSON-ready data (dates as ISO strings)."""
    def plain(value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return plain(asdict(truth))  # type: ignore[return-value]


def summary_counts(truths: Sequence[LetterTruth]) -> dict[str, int]:
    """Counts to describe a generated corpus (letters, items, citations, partial items)."""
    items = [i for t in truths for i in t.items]
    return {
        "letters": len(truths),
        "items": len(items),
        "citations": sum(len(s.citations) for i in items for s in i.statements),
        "partial": sum(1 for i in items if i.original_request),
        "overturned": sum(1 for i in items if i.outcome == "Overturned"),
        "layout_2015": sum(1 for t in truths if t.layout == "2015"),
        "prose_credentials": sum(1 for t in truths if t.credential_form == "prose"),
    }

