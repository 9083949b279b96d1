"""Letter text -> :class:`~imrgraph.records.Determination`.

The letters share a skeleton (header table, "HOW THE IMR FINAL DETERMINATION WAS MADE",
credentials, "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES", then per item a
heading ending in ": Upheld" / ": Overturned", the two parties' guideline statements and the
rationale) but its wording, casing and line breaks vary between years and text extractors.  The
parser therefore matches words, never line layout, and treats line breaks only as hints.
Everything a letter does not state is left empty and named in ``warnings``.
"""

from __future__ import annotations

import re
from datetime import date

from imrgraph.errors import NotADeterminationError
from imrgraph.ingest import LetterText, collapse
from imrgraph.records import (
    CaseSummary,
    Determination,
    DisputedItem,
    ExpertReviewer,
    Fact,
    GuidelineStatement,
    Header,
    InjuredWorker,
    Party,
    Span,
)

I = re.IGNORECASE  # noqa: E741
S = re.DOTALL

_DATE = r"(?:\d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*\d{2,4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4})"
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}

_SECTION_HOW = re.compile(r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE", I)
_SECTION_SUMMARY = re.compile(r"CLINICAL\s+CASE\s+SUMMARY", I)
_SECTION_ISSUES = re.compile(r"IMR\s+ISSUES,?\s+DECISIONS,?\s+AND\s+RATIONALES?", I)
_SET_FORTH = re.compile(
    r"The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions\s+for\s+the\s+disputed\s+"
    r"items\s*/\s*services\s+set\s+forth\s+below\s*:",
    I,
)
_SUMMARY_PREAMBLE = re.compile(
    r"The\s+expert\s+reviewer\s+developed\s+the\s+following\s+clinical\s+case\s+summary\s+based"
    r"\s+on\s+a\s+review\s+of\s+the\s+case\s+file,?\s+including\s+all\s+medical\s+records\s*:",
    I,
)

_MARK_CA = re.compile(r"Claims\s+Administrator\s+guideline\s*:", I)
_MARK_MX = re.compile(r"MAXIMUS\s+guideline\s*:", I)
_MARK_DR = re.compile(r"Decision\s+rationale\s*:", I)
_OUTCOME = re.compile(
    r":[ \t]*(?:\n\s*)?(Upheld|Overturned)\b[ \t]*"
    r"(?=\s*(?:\n|$|Claims\s+Administrator\s+guideline|MAXIMUS\s+guideline|Decision\s+rationale))",
    I,
)

_PARTIAL_AUTHORISED = re.compile(
    r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.\s*(?P<auth>.+?)\s+was\s+authorized\s+by"
    r"\s+the\s+Claims\s+Administrator\.\s*The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the"
    r"\s+original\s+request,?\s*(?:is\s+)?(?P<rem>.+?)(?:,?\s+is)?\s*$",
    I | S,
)
_PARTIAL_OTHER = re.compile(
    r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.\s*The\s+Claims\s+Administrator\s+"
    r"authorized\s+(?P<auth>.+?),?\s+leaving\s+the\s+original\s+request\s+IMR\s+eligible\.\s*"
    r"The\s+original\s+request,?\s*(?P<rem>.+?)(?:,?\s+is)?\s*$",
    I | S,
)
_PARTIAL_HINT = re.compile(
    r"original\s+request|authorized\s+by\s+the\s+Claims|IMR\s+eligible", I
)
_WAS_ORIGINAL = re.compile(r"was\s+the\s+original\s+request", I)
#: Partial-authorisation headings are three sentences (the longest real one has 550
#: characters); the patterns above backtrack quadratically, so longer headings are not tried.
MAX_PARTIAL_HEADING = 4000


def parse_letter(letter: LetterText) -> Determination:
    """Parse one letter; raise NotADeterminationError when it has no decided items."""
    text = letter.text
    det = Determination(source=letter.source, text_length=len(text))
    items_start = _items_start(text)
    if items_start is None or not _OUTCOME.search(text, items_start):
        what = (
            "no 'IMR ISSUES, DECISIONS AND RATIONALES' section and no item ending in "
            "'Upheld' or 'Overturned'"
        )
        raise NotADeterminationError(letter.source.path or letter.source.name, f"{what}: not an "
                                     "IMR final determination letter")
    how = _SECTION_HOW.search(text)
    head_end = how.start() if how else min(items_start, 3000)
    det.header = _parse_header(text, 0, head_end)
    det.reviewer = _parse_reviewer(text, 0, items_start)
    summary_match = _SECTION_SUMMARY.search(text, 0, items_start)
    issues = _SECTION_ISSUES.search(text)
    if summary_match:
        s_start = summary_match.end()
        pre = _SUMMARY_PREAMBLE.search(text, s_start, s_start + 400)
        if pre:
            s_start = pre.end()
        s_end = issues.start() if issues and issues.start() > s_start else items_start
        det.summary = _parse_summary(text, s_start, s_end)
        det.worker = _parse_worker(text, s_start, s_end)
    if det.header.date_of_injury:
        # The header table is the record of the claim; summaries sometimes give another date.
        det.worker.date_of_injury = det.header.date_of_injury
    det.items = _parse_items(text, items_start, det.warnings)
    _warn_missing(det)
    return det


# --------------------------------------------------------------------------- helpers


def _fact(text: str, start: int, end: int, value: object | None = None) -> Fact:
    """A fact whose span is trimmed of surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Fact(collapse(text[start:end]) if value is None else value, Span(start, end))


def parse_date(raw: str) -> date | None:
    """US letter dates: 07/16/2008, 11/7/07, 10-20-2016, October 20, 2016."""
    raw = raw.strip()
    m = re.fullmatch(r"(\d{1,2})\s*[/-]\s*(\d{1,2})\s*[/-]\s*(\d{2,4})", raw)
    try:
        if m:
            month, day, year = (int(g) for g in m.groups())
            if year < 100:
                year += 2000 if year <= 30 else 1900
            return date(year, month, day)
        m = re.fullmatch(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})", raw)
        if m and m.group(1)[:3].lower() in _MONTHS:
            return date(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))
    except ValueError:
        return None
    return None


def _items_start(text: str) -> int | None:
    m = _SET_FORTH.search(text)
    if m:
        return m.end()
    m = _SECTION_ISSUES.search(text)
    if m:
        return m.end()
    first = _MARK_CA.search(text) or _MARK_MX.search(text)
    if first:
        # Letters cut before the section heading: items start at the first heading line.
        line_start = text.rfind("\n", 0, max(0, first.start() - 1))
        return max(0, text.rfind("\n", 0, max(0, line_start)) + 1)
    return None


# --------------------------------------------------------------------------- header

_HEADER_FIELDS: list[tuple[str, str, str]] = [
    ("case_number", r"Case\s+Number\s*:\s*(CM\s*\d{2}\s*-\s*\d{7})", "id"),
    ("date_assigned", r"Date\s+Assigned\s*:\s*(" + _DATE + ")", "date"),
    ("date_of_injury", r"Date\s+of\s+Injury\s*:\s*(" + _DATE + ")", "date"),
    ("decision_date", r"Decision\s+Date\s*:\s*(" + _DATE + ")", "date"),
    ("ur_denial_date", r"UR\s+Denial\s+Date\s*:\s*(" + _DATE + ")", "date"),
    ("priority", r"Priority\s*:\s*([A-Za-z]+)", "word"),
    ("application_received", r"Application\s+Received\s*:\s*(" + _DATE + ")", "date"),
]


def _parse_header(text: str, start: int, end: int) -> Header:
    header = Header()
    for name, pattern, kind in _HEADER_FIELDS:
        m = re.compile(pattern, I).search(text, start, end)
        if not m:
            continue
        raw = m.group(1)
        value: object
        if kind == "date":
            value = parse_date(re.sub(r"\s+", "", raw) if "/" in raw or "-" in raw else raw)
            if value is None:
                continue
        elif kind == "id":
            value = re.sub(r"\s+", "", raw).upper()
        else:
            value = raw.capitalize()
        setattr(header, name, Fact(value, Span(m.start(1), m.end(1))))
    return header


# --------------------------------------------------------------------------- reviewer

_STATES_TABLE = re.compile(
    r"State\s*\(s\)\s+of\s+Licensure\s*:(.*?)"
    r"(?=Certification\s*\(s\)|CLINICAL\s+CASE|\n[ \t]*\n|$)",
    I | S,
)
_SPECIALTY_TABLE = re.compile(
    r"Certification\s*\(s\)\s*/\s*Specialty\s*:(.*?)(?=State\s*\(s\)|CLINICAL\s+CASE|\n[ \t]*\n|$)",
    I | S,
)
#: One sentence; each of its lists is bounded (real ones are under 60 characters) so that a
#: text repeating its opening words without finishing the sentence is read in linear time.
_PROSE = re.compile(
    r"(?:expert\s+)?reviewer\s+is\s+Board\s+Certified\s+in\s+(?P<spec>.{1,400}?)"
    r"(?:,?\s+(?:and\s+)?has\s+a\s+subspecialty\s+in\s+(?P<sub>.{1,400}?))?"
    r",?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+(?P<states>.{1,400}?)\.",
    I | S,
)


def _split_list(text: str, start: int, end: int, and_splits: bool) -> list[Fact[str]]:
    """Comma (and, optionally, 'and') separated values with their spans."""
    sep = r",|;|\band\b(?!\s+(?:Immunology|Rehabilitation|Palliative))" if and_splits else r",|;"
    facts: list[Fact[str]] = []
    pos = start
    for m in re.finditer(sep, text[start:end]):
        piece_end = start + m.start()
        if text[pos:piece_end].strip():
            facts.append(_fact(text, pos, piece_end))
        pos = start + m.end()
    if text[pos:end].strip():
        facts.append(_fact(text, pos, end))
    return [f for f in facts if f.value]


def _parse_reviewer(text: str, start: int, end: int) -> ExpertReviewer:
    reviewer = ExpertReviewer()
    states = _STATES_TABLE.search(text, start, end)
    specs = _SPECIALTY_TABLE.search(text, start, end)
    if states or specs:
        reviewer.credential_form = "table"
        if states:
            reviewer.licensure_states = _split_list(text, states.start(1), states.end(1), False)
        if specs:
            reviewer.specialties = _split_list(text, specs.start(1), specs.end(1), False)
        return reviewer
    prose = _PROSE.search(text, start, end)
    if prose:
        reviewer.credential_form = "prose"
        reviewer.specialties = _split_list(text, prose.start("spec"), prose.end("spec"), True)
        if prose.group("sub"):
            reviewer.specialties += _split_list(text, prose.start("sub"), prose.end("sub"), True)
        reviewer.licensure_states = _split_list(
            text, prose.start("states"), prose.end("states"), True
        )
    return reviewer


# --------------------------------------------------------------------------- worker, summary

_AGE = re.compile(r"\b(\d{1,3})\s*-?\s*years?\s*-?\s*old\b", I)
_SEX = re.compile(r"\b(female|male|woman|man|gentleman|lady)\b", I)
_SEX_ONLY = re.compile(r"injured\s+worker\s+(?:is|was)\s+an?\s+(female|male)\b", I)
_SEX_WORDS = {"female": "female", "woman": "female", "lady": "female", "male": "male",
              "man": "male", "gentleman": "male"}
_DOI_PATTERNS = [
    re.compile(r"(?:industrial|work[- ]related|occupational|industrial-work)\s+injur(?:y|ies)"
               r"\s+(?:on|date\s+of|dated)\s+(" + _DATE + ")", I),
    re.compile(r"date\s+of\s+injury\s+(?:on|of|is|was)?\s*(" + _DATE + ")", I),
    re.compile(r"(" + _DATE + r")\s+date\s+of\s+injury", I),
    re.compile(r"occupational\s+claim\s+from\s+(" + _DATE + ")", I),
    re.compile(r"injur(?:y|ies|ed)\b[^.]{0,160}?\bon\s+(" + _DATE + ")", I),
]
_MECHANISM_STATED = re.compile(
    r"mechanism\s+of\s+(?:the\s+)?injury\s+(?:(?:is|was)\s+)?(?:(?:detailed|described|reported|"
    r"noted|documented|listed|given)\s+)?(?:as|occurred\s+when|was\s+when)\s+(?P<how>[^.]+)\.",
    I,
)
_MECHANISM_WORDS = (
    r"\b(?:as\s+a\s+result\s+of|while\s+(?:she\s+|he\s+)?(?:was\s+)?(?:working|lifting|"
    r"pulling|pushing|carrying|walking|moving|driving|playing|climbing|bending)|(?:she|he|worker)\s+"
    r"(?:reported\s+)?(?:stepping|slipped|fell|tripped|was\s+(?:lifting|pulling|struck|hit|"
    r"carrying|pinned|crushed))|slipped\s+and\s+fell|tripped\s+and\s+fell|was\s+(?:struck|hit)"
    r"\s+by)"
)
#: The sentence (from the search start, at the earliest) that narrates how the injury happened.
_MECHANISM_NARRATED = re.compile(r"[^.]*?" + _MECHANISM_WORDS + r"[^.]*\.", I | S)
_MECHANISM_CUE = re.compile(_MECHANISM_WORDS, I | S)
_DIAGNOSES = re.compile(
    r"(?:diagnosed\s+(?:as\s+having|with)|(?:current\s+)?diagnoses\s+(?:(?:are|were)\s+"
    r"(?:documented|noted|"
    r"listed)\s+as|have\s+included|include[sd]?|are|were|of)|current\s+diagnoses|"
    r"being\s+treated\s+for)\s*:?\s*\(?(?P<list>[^.()]+(?:\([^)]*\)[^.()]*)*)",
    I,
)
_TREATMENTS = re.compile(
    r"(?:treatment(?:s)?\s+to\s+date\s+(?:has|have|is)?\s*(?:included|includes|include|"
    r"consisted\s+of)?|treatment\s+(?:has|have)\s+included|treatment\s+rendered\s+included|"
    r"treatments?\s+included)\s*:?\s*\(?(?P<list>[^.()]+(?:\([^)]*\)[^.()]*)*)",
    I,
)


def _parse_worker(text: str, start: int, end: int) -> InjuredWorker:
    worker = InjuredWorker()
    age = _AGE.search(text, start, end)
    if age and 14 <= int(age.group(1)) <= 110:
        worker.age = Fact(int(age.group(1)), Span(age.start(1), age.end(1)))
        sex = _SEX.search(text, age.end(), min(end, age.end() + 40))
        if sex:
            worker.sex = Fact(_SEX_WORDS[sex.group(1).lower()], Span(sex.start(1), sex.end(1)))
    if worker.sex is None:
        sex = _SEX_ONLY.search(text, start, min(end, start + 800))
        if sex:
            worker.sex = Fact(sex.group(1).lower(), Span(sex.start(1), sex.end(1)))
    first = min(end, start + 1200)
    for pattern in _DOI_PATTERNS:
        m = pattern.search(text, start, first)
        if m:
            raw = re.sub(r"\s+", " ", m.group(1))
            value = parse_date(raw.replace(" ", "") if re.match(r"\d", raw) else raw)
            if value:
                worker.date_of_injury = Fact(value, Span(m.start(1), m.end(1)))
                break
    # every stated mechanism ends at a full stop: searching no further than the last one lets
    # the first "mechanism of injury as" succeed, instead of each scanning to the end in vain
    last_stop = text.rfind(".", start, end)
    stated = _MECHANISM_STATED.search(text, start, last_stop + 1) if last_stop >= 0 else None
    if stated:
        worker.injury_mechanism = _fact(text, stated.start("how"), stated.end("how"))
    else:
        narrated = _narrated(text, start, min(end, start + 1500))
        if narrated:
            worker.injury_mechanism = _fact(text, narrated.start(), narrated.end())
    return worker


def _narrated(text: str, start: int, end: int) -> re.Match[str] | None:
    """``_MECHANISM_NARRATED.search(text, start, end)`` without its quadratic misses: its lazy
    lead rescans a sentence from every start position in it.  The match starts where the
    sentence of the first narrating words starts (not before ``start``) and needs a full stop
    after them; any later words would need one too."""
    words = _MECHANISM_CUE.search(text, start, end)
    if words is None or text.find(".", words.end(), end) < 0:
        return None
    return _MECHANISM_NARRATED.search(text, max(start, text.rfind(".", start, words.start()) + 1),
                                      end)


_AND = re.compile(r"\s+and\s+")


def _split_phrases(text: str, start: int, end: int) -> list[Fact[str]]:
    """Split a summary list 'a, b (c, d), e and f' into phrases.

    Commas outside parentheses always separate.  'and' separates only in the last piece, and
    only when that piece was not already introduced by an Oxford ', and' ("... x-ray of the
    pelvis, and MRI of the pelvis and left hip" keeps "pelvis and left hip" whole).
    """
    pieces: list[tuple[int, int]] = []
    depth = 0
    pos = start
    for i in range(start, end):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",;":
            pieces.append((pos, i))
            pos = i + 1
    pieces.append((pos, end))
    last_start, last_end = pieces[-1]
    lead = re.match(r"\s*(?:and|or)\s+", text[last_start:last_end])
    if lead:
        pieces[-1] = (last_start + lead.end(), last_end)
    else:
        depth = 0
        cut = None
        for i in range(last_start, last_end):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth = max(0, depth - 1)
            elif depth == 0 and i > last_start and _AND.match(text, i, last_end):
                cut = i
                break
        if cut is not None:
            after = _AND.match(text, cut, last_end)
            assert after is not None
            pieces[-1:] = [(last_start, cut), (after.end(), last_end)]
    facts: list[Fact[str]] = []
    for a, b in pieces:
        lead = re.match(r"\s*(?:and|or)\s+", text[a:b])
        fact = _fact(text, a + (lead.end() if lead else 0), b)
        value = fact.value.strip(" :")
        if value and len(value) < 300:
            facts.append(Fact(value, fact.span))
    return facts


def _parse_summary(text: str, start: int, end: int) -> CaseSummary:
    summary = CaseSummary(text=_fact(text, start, end) if text[start:end].strip() else None)
    for pattern, target in ((_DIAGNOSES, summary.diagnoses),
                            (_TREATMENTS, summary.treatments_to_date)):
        m = pattern.search(text, start, end)
        if m:
            target.extend(_split_phrases(text, m.start("list"), m.end("list")))
    return summary


# --------------------------------------------------------------------------- items


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    s = text.rfind("\n", 0, pos) + 1
    e = text.find("\n", pos)
    return s, len(text) if e < 0 else e


def _ends_sentence(line: str) -> bool:
    line = line.rstrip()
    return bool(re.search(r"[.!?](?:[\"')\]]*)$", line))


def _heading_start(text: str, colon: int, lower: int) -> int:
    """Where an item heading begins, walking back from its outcome colon.

    A heading starts on a new line after the previous item's rationale, which ends a sentence.
    Headings can wrap over several lines, and a partial authorisation heading holds whole
    sentences ("X was the original request. Y was authorized ..."), so a line ending a sentence
    only bounds the heading once the heading is complete.
    """
    start, _ = _line_bounds(text, colon)
    start = max(start, lower)
    for _ in range(12):
        prev_end = start - 1
        while prev_end > lower and text[prev_end - 1].isspace():
            prev_end -= 1
        if prev_end <= lower:
            return _skip_space(text, lower, colon)
        prev_start, _ = _line_bounds(text, prev_end - 1)
        prev_start = max(prev_start, lower)
        heading = text[start:colon]
        complete = not _PARTIAL_HINT.search(heading) or bool(_WAS_ORIGINAL.search(heading))
        if complete and _ends_sentence(text[prev_start:prev_end]):
            break
        if complete and any(
            rx.search(text, prev_start, prev_end) for rx in (_MARK_DR, _MARK_CA, _MARK_MX)
        ):
            break
        start = prev_start
    return _skip_space(text, start, colon)


def _skip_space(text: str, pos: int, limit: int) -> int:
    while pos < limit and text[pos].isspace():
        pos += 1
    return pos


def _parse_items(text: str, start: int, warnings: list[str]) -> list[DisputedItem]:
    outcomes = [m for m in _OUTCOME.finditer(text, start) if not _inside_marker(text, m.start())]
    items: list[DisputedItem] = []
    lower = start
    heads: list[tuple[int, re.Match[str]]] = []
    for m in outcomes:
        heads.append((_heading_start(text, m.start(), lower), m))
        lower = m.end()
    for index, (h_start, m) in enumerate(heads):
        body_end = heads[index + 1][0] if index + 1 < len(heads) else len(text)
        items.append(_parse_item(text, index + 1, h_start, m, body_end, warnings))
    return items


def _inside_marker(text: str, colon: int) -> bool:
    """True when the colon belongs to 'guideline:' or 'rationale:' rather than a heading."""
    before = text[max(0, colon - 30):colon].lower()
    return before.rstrip().endswith(("guideline", "rationale"))


def _parse_item(
    text: str, number: int, h_start: int, outcome: re.Match[str], body_end: int,
    warnings: list[str],
) -> DisputedItem:
    colon = outcome.start()
    heading = _fact(text, h_start, colon)
    label = heading
    original = authorised = None
    raw_heading = text[h_start:colon]
    partial_patterns: tuple[re.Pattern[str], ...] = (_PARTIAL_AUTHORISED, _PARTIAL_OTHER)
    if len(raw_heading) > MAX_PARTIAL_HEADING:
        partial_patterns = ()
        warnings.append(f"item {number}: heading of {len(raw_heading):,} characters (limit "
                        f"{MAX_PARTIAL_HEADING:,}) not read as a partial authorisation")
    for pattern in partial_patterns:
        pm = pattern.match(raw_heading)
        if pm:
            original = _fact(text, h_start + pm.start("orig"), h_start + pm.end("orig"))
            authorised = _fact(text, h_start + pm.start("auth"), h_start + pm.end("auth"))
            label = _fact(text, h_start + pm.start("rem"), h_start + pm.end("rem"))
            break
    else:
        is_suffix = re.search(r",?\s+is\s*$", raw_heading, I)
        if is_suffix:
            label = _fact(text, h_start, h_start + is_suffix.start())
    label = Fact(label.value.rstrip(" ,"), label.span)
    item = DisputedItem(
        number=number,
        heading=heading,
        label=label,
        outcome=Fact(outcome.group(1).capitalize(), Span(outcome.start(1), outcome.end(1))),
        original_request=original,
        authorized_portion=authorised,
    )
    body_start = outcome.end()
    marks = sorted(
        [(m.start(), m.end(), kind) for kind, rx in (("ca", _MARK_CA), ("mx", _MARK_MX),
                                                     ("dr", _MARK_DR))
         for m in rx.finditer(text, body_start, body_end)]
    )
    seen: set[str] = set()
    for i, (_m_start, m_end, kind) in enumerate(marks):
        if kind in seen:
            continue  # a marker word repeated inside a rationale is text, not a new part
        seen.add(kind)
        nxt = next((s for s, _, k in marks[i + 1:] if k not in seen), body_end)
        part_end = nxt if kind != "dr" else body_end
        if kind == "dr":
            if text[m_end:part_end].strip():
                item.rationale = _fact(text, m_end, part_end)
            break
        party: Party = "claims-administrator" if kind == "ca" else "expert-reviewer"
        item.statements.append(_statement(text, m_end, part_end, party))
    short = item.label.value[:60]
    if "ca" not in seen:
        warnings.append(f"item {number} ({short}): no Claims Administrator guideline statement")
    if "mx" not in seen:
        warnings.append(f"item {number} ({short}): no expert reviewer (MAXIMUS) guideline "
                        "statement")
    if "dr" not in seen:
        warnings.append(f"item {number} ({short}): no decision rationale")
    return item


# --------------------------------------------------------------------------- statements

#: "Claims Administrator guideline:" / "MAXIMUS guideline:" opening a statement
STATEMENT_LABEL = re.compile(r"^\s*(?:Claims\s+Administrator|MAXIMUS)\s+guideline\s*:\s*", re.I)
#: "The Claims Administrator did not cite any medical evidence for its decision."
NO_EVIDENCE = re.compile(r"did\s+not\s+cite\s+any\s+medical\s+evidence", re.I)
OUTSIDE_MTUS = re.compile(
    r"based\s+their\s+decision\s+on\s+recommendation\(?s?\)?\s+outside\s+of\s+the\s+MTUS"
    r"|did\s+not\s+base\s+their\s+decision\s+on\s+the\s+MTUS",
    re.I,
)


_STATEMENT_CHARS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                  "\u00a0": " ", "\u2013": "-"})
#: The whitespace a statement's text changes: runs, line breaks, a space at either end or
#: after a hyphen (a soft wrap); a lone space between words stays and is copied with them.
_STATEMENT_SPACE = re.compile(r"\s{2,}|[^\S ]|^ | \Z|(?<=-) ")


class StatementText:
    """Whitespace-normalised statement text with a map back to raw offsets.

    The citation grammar (imrgraph.resolve.guidelines) reads this form; every span it makes
    goes through ``span`` so it points at the words of the letter itself.
    """

    def __init__(self, raw: str, start: int) -> None:
        self.start = start
        text = raw.translate(_STATEMENT_CHARS)  # one character for one: offsets stay
        parts: list[str] = []
        pos: list[int] = []
        done = 0
        for m in _STATEMENT_SPACE.finditer(text):
            i, j = m.span()
            parts.append(text[done:i])
            pos.extend(range(done, i))
            # soft-wrapped word ("Non- \nMTUS", "Electro-\ndiagnostic", URLs): join it up
            soft = i > 1 and text[i - 1] == "-" and text[i - 2].isalnum()
            if not soft and pos and j < len(text):
                parts.append(" ")
                pos.append(i)
            done = j
        parts.append(text[done:])
        pos.extend(range(done, len(text)))
        self.s = "".join(parts)
        self.pos = pos

    def span(self, a: int, b: int) -> Span:
        """Raw-letter span of normalised range [a, b)."""
        if b <= a:
            p = self.pos[a] if a < len(self.pos) else (self.pos[-1] + 1 if self.pos else 0)
            return Span(self.start + p, self.start + p)
        return Span(self.start + self.pos[a], self.start + self.pos[b - 1] + 1)

    def fact(self, a: int, b: int) -> Fact[str]:
        return Fact(self.s[a:b], self.span(a, b))



def parse_statement(text: str, start: int, party: Party) -> GuidelineStatement:
    """One party's statement as the letter writes it (``start`` its offset there): its body,
    wording and plain-text flags.  Its citations are left to ``imrgraph.resolve``, which
    reads them from ``written`` against the guideline vocabulary."""
    t = StatementText(text, start)
    lead = STATEMENT_LABEL.match(t.s)
    body0 = lead.end() if lead else 0
    return GuidelineStatement(
        party=party,
        text=t.fact(body0, len(t.s)),
        written=Fact(text, Span(start, start + len(text))),
        cited_no_evidence=bool(NO_EVIDENCE.search(t.s)),
        outside_mtus=bool(OUTSIDE_MTUS.search(t.s)),
    )


def _statement(text: str, start: int, end: int, party: Party) -> GuidelineStatement:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return parse_statement(text[start:end], start, party)


def _warn_missing(det: Determination) -> None:
    w = det.warnings
    if det.header.case_number is None:
        w.append("no header table: case number not stated (identified by content hash)")
    if not det.reviewer.specialties and not det.reviewer.licensure_states:
        w.append("no expert reviewer credentials (specialty, state of licensure) found")
    if det.summary.text is None:
        w.append("no clinical case summary found")
    if det.worker.age is None:
        w.append("injured worker's age not stated")
    if det.worker.sex is None:
        w.append("injured worker's sex not stated")
    if det.worker.date_of_injury is None:
        w.append("date of injury not stated")
