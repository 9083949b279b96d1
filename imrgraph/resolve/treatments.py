"""Classify disputed item labels against the treatment and body-region vocabularies.

An IMR letter names each disputed item in free words ("Physical Therapy 2 x 4 week, Lumbar
Spine", "Norco 10/325mg #90").  To compare decisions across letters the graph needs what kind of
treatment each item is, for which body region, and how much was asked for.  What the words mean
lives in ``ontology/treatments.ttl`` (SKOS labels); this module only finds those labels in an
item label and reads the numbers (frequencies, counts, strengths) with a few small regexes.

How a label is read:

1. The label is cut into lower-case word tokens; simple plurals are folded ("braces" = "brace",
   "extremities" = "extremity"; words of four letters or fewer are kept, so TENS is not "ten").
2. Every SKOS pref/alt/hidden label of the treatment scheme found in the label is a candidate;
   overlapping candidates are resolved longest first ("epidural steroid injection" beats
   "injection").
3. The item's concept is the candidate with the highest ``imr:matchPriority``, then the longest,
   then the earliest.  A drug stands for its drug class.  Other candidates under the same top
   concept refine it: a broader one gives way to a narrower one ("Labs to include: EKG" is an
   EKG), and siblings give their common broader concept ("EMG/NCV" is electrodiagnostics).
4. Nothing recognised: a label with a drug strength ("50mg", "5%") is an unknown medication,
   anything else ``tx:other``; both with ``in_vocabulary`` False, never dropped.

Frequencies are read as sessions per week times weeks: "2 x 4 week", "2x4", "two times a week for
four weeks", "1 times 8" (once a week for eight weeks).  For a range ("2-3 times a week for 6
weeks", "7-10 days") the upper bound is taken, since it is what the request would authorise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rdflib import Graph

from imrgraph.records import TreatmentClassification
from imrgraph.resolve.skos import SkosIndex, load_index, vocabulary_graph
from imrgraph.vocab import IMR, RG, TX

TX_SCHEME = TX["scheme"]
RG_SCHEME = RG["scheme"]
TX_OTHER = TX["other"]
TX_MEDICATION = TX["medication"]
TX_DRUGS = TX["drugs"]
RG_UNKNOWN = RG["unknown"]

VOCABULARY_FILE = "treatments.ttl"


# ------------------------------------------------------------------ tokens

_TOKEN = re.compile(r"[a-z0-9]+")


def _fold(token: str) -> str:
    """Fold simple plurals so "braces" matches "brace"; short words (TENS, labs) stay as written."""
    if len(token) > 4 and not token[-1].isdigit():
        if token.endswith("ies"):
            return token[:-3] + "y"
        if token.endswith(("ches", "shes", "xes", "sses")):
            return token[:-2]
        if token.endswith("s") and not token.endswith(("ss", "us", "is")):
            return token[:-1]
    return token


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded lower-case word tokens with their character offsets in ``text``."""
    return [(_fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text.lower())]


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(t for t, _, _ in _tokens(text))


# ------------------------------------------------------------------ vocabulary index


@dataclass(frozen=True)
class _Match:
    concept: str
    start: int  # token index
    end: int  # token index, exclusive
    length: int  # characters of the normalised label (ranking)
    priority: int


class _Vocabulary:
    """The SKOS labels of the treatment and region schemes, indexed for phrase lookup."""

    def __init__(self, skos: SkosIndex) -> None:
        self.skos = skos
        self.pref: dict[str, str] = {}
        self.broader: dict[str, list[str]] = {}
        self.priority: dict[str, int] = {}
        self.count_unit: dict[str, str] = {}
        self.drugs: set[str] = skos.members(str(TX_DRUGS))
        self.index: dict[str, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        for scheme in (TX_SCHEME, RG_SCHEME):
            by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
            for c in skos.in_scheme(str(scheme)):
                concept = skos.concepts[c]
                self.pref[c] = concept.pref or c
                self.broader[c] = list(concept.broader)
                self.priority[c] = skos.integer(c, IMR.matchPriority)
                unit = skos.value(c, IMR.countUnit)
                if unit is not None:
                    self.count_unit[c] = str(unit)
                for label in (*concept.labels, *concept.hidden):
                    words = _phrase(label)
                    if words and (words, c) not in by_first.get(words[0], []):
                        by_first.setdefault(words[0], []).append((words, c))
            self.index[str(scheme)] = by_first

    def ancestors(self, concept: str) -> list[str]:
        """The concept and everything broader, nearest first."""
        return self.skos.lineage(concept)

    def is_under(self, concept: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(concept)

    def top(self, concept: str) -> str:
        return self.ancestors(concept)[-1]

    def inherited_unit(self, concept: str) -> str | None:
        return next((self.count_unit[c] for c in self.ancestors(concept) if c in self.count_unit),
                    None)

    def find(self, scheme: str, toks: list[tuple[str, int, int]]) -> list[_Match]:
        """Non-overlapping label occurrences, longest first (maximal munch), in text order."""
        by_first = self.index[str(scheme)]
        words = [t for t, _, _ in toks]
        found: list[_Match] = []
        for i, w in enumerate(words):
            for phrase, concept in by_first.get(w, ()):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    found.append(_Match(concept, i, i + len(phrase), len(" ".join(phrase)),
                                        self.priority.get(concept, 0)))
        found.sort(key=lambda m: (-m.length, m.start))
        taken: set[int] = set()
        chosen: list[_Match] = []
        for m in found:
            span = set(range(m.start, m.end))
            if not span & taken:
                taken |= span
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)


@cache
def _vocabulary() -> _Vocabulary:
    return _Vocabulary(load_index(VOCABULARY_FILE))


def treatment_graph() -> Graph:
    """The treatment, drug and body-region vocabularies (ontology/treatments.ttl), parsed once."""
    return vocabulary_graph(VOCABULARY_FILE)


# ------------------------------------------------------------------ numbers

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "sixteen": 16,
    "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30,
    "once": 1, "twice": 2, "thrice": 3, "single": 1,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")
_N = r"(\d+)(?:\s*(?:-|to|or)\s*(\d+))?"  # a number or a range; the upper bound is used
_TIMES = r"(?:x|times?|sessions?|visits?)"
_WEEK = r"(?:weeks?|wks?)"
_PER_WEEK = rf"(?:{_TIMES}\s*)?(?:a|per|/|each|every)?\s*(?:{_WEEK}|weekly)"
_FREQ_PER_WEEK = re.compile(
    rf"\b{_N}\s*{_PER_WEEK}\s*(?:,\s*)?(?:for|x|times|over|during)?\s*(?:a\s+total\s+of\s+)?"
    rf"{_N}\s*{_WEEK}")
_FREQ_N_BY_M = re.compile(
    rf"\b{_N}\s*(?:x|times)\s*{_N}\b(?!\s*(?:mg|mcg|%|hours?|days?|months?|a\s+day|per\s+day))"
    rf"(?:\s*(?:{_WEEK}|visits?|sessions?))?")
_DAILY = re.compile(r"\b(?:daily|every\s+day|7\s*days\s*a\s*week)\b")
_N_WEEKS = re.compile(rf"\b{_N}\s*{_WEEK}")
_SESSIONS = re.compile(  # "12 sessions", "6 additional acupuncture visits"
    rf"\b{_N}\s*(?:[a-z]+\s+){{0,3}}?(sessions?|visits?|treatments?|appointments?)\b")
_SESSIONS_OF = re.compile(r"\b(\d+)\s+(sessions?|visits?)\s+of\b")
_TIMES_N = re.compile(r"(?:\bx|\btimes)\s*(\d+)\b")
_HASH = re.compile(r"#\s*(\d+)\b(?:\s*([a-z]+))?")
_QTY = re.compile(r"\b(?:qty|quantity)\s*[:#]?\s*(\d+)\b")
_DURATION = re.compile(rf"\b{_N}[\s-]*(days?|weeks?|months?)\b")
_AMOUNT = re.compile(r"\b(\d+(?:\.\d+)?)\s*(grams?|gms?|g|ml)\b")
_STRENGTH = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)*)\s*(mg|mcg|%)(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(ml|g|hr|h)\b)?",
    re.I)
_FORMS = {  # unit of a dispensed count, from the dosage-form word written next to it
    "tab": "tablet", "tabs": "tablet", "tablet": "tablet", "tablets": "tablet",
    "cap": "capsule", "caps": "capsule", "capsule": "capsule", "capsules": "capsule",
    "patch": "patch", "patches": "patch", "pad": "pad", "pads": "pad",
    "box": "box", "boxes": "box", "gram": "gram", "grams": "gram", "g": "gram", "gm": "gram",
    "gms": "gram", "ml": "ml", "bottle": "bottle", "bottles": "bottle", "tube": "tube",
    "tubes": "tube", "kit": "kit", "vial": "vial", "vials": "vial",
}
_UNIT_WORDS = {"session": "session", "visit": "visit", "treatment": "session",
               "appointment": "visit", "day": "day", "week": "week", "month": "month"}


def _numberise(text: str) -> str:
    """Lower-case text with number words written as digits ("two times" -> "2 times")."""
    return _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text.lower())


def _upper(low: str, high: str | None) -> int:
    return int(high) if high else int(low)


def _blank(text: str, start: int, end: int) -> str:
    """Remove a match so a later, looser pattern does not read the same numbers again."""
    return text[:start] + " " * (end - start) + text[end:]


def _daily_for_weeks(text: str) -> tuple[int, re.Match[str]] | None:
    """ "daily for 6 weeks": where the daily word starts, and the first week count after it on
    its line.  Read in one pass: when the first count after a daily word lies on a later line,
    no daily word before that line can have one, so the search goes on from there."""
    pos = 0
    while day := _DAILY.search(text, pos):
        line_end = text.find("\n", day.end())
        weeks = _N_WEEKS.search(text, day.end())
        if weeks is None:
            return None
        if line_end < 0 or weeks.start() < line_end:
            return day.start(), weeks
        pos = text.rfind("\n", 0, weeks.start()) + 1
    return None


def _unit_word(word: str) -> str:
    return _UNIT_WORDS[word.lower().rstrip("s")]


def _read_course(text: str, c: TreatmentClassification, count_unit: str) -> None:
    """Frequency, duration and visit counts of a course of treatment (not of a medication)."""
    if m := _FREQ_PER_WEEK.search(text):
        c.sessions_per_week, c.weeks = _upper(m[1], m[2]), _upper(m[3], m[4])
        text = _blank(text, m.start(), m.end())
    elif daily := _daily_for_weeks(text):
        start, m = daily
        c.sessions_per_week, c.weeks = 7, _upper(m[1], m[2])
        text = _blank(text, start, m.end())
    elif m := _FREQ_N_BY_M.search(text):
        c.sessions_per_week, c.weeks = _upper(m[1], m[2]), _upper(m[3], m[4])
        text = _blank(text, m.start(), m.end())
    if m := _SESSIONS_OF.search(text) or _SESSIONS.search(text):
        if m.re is _SESSIONS_OF:
            c.quantity, c.unit = int(m[1]), _unit_word(m[2])
        else:
            c.quantity, c.unit = _upper(m[1], m[2]), _unit_word(m[3])
    elif m := _HASH.search(text) or _QTY.search(text) or _TIMES_N.search(text):
        c.quantity, c.unit = int(m[1]), count_unit
    if c.sessions_per_week and c.weeks:
        c.total_visits = c.sessions_per_week * c.weeks
        if c.quantity is None:
            c.quantity, c.unit = c.total_visits, count_unit
    elif c.quantity is not None and c.unit in ("session", "visit"):
        c.total_visits = c.quantity
    if c.quantity is None and (m := _DURATION.search(text)):
        c.quantity, c.unit = _upper(m[1], m[2]), _unit_word(m[3])


def _read_medication(label: str, text: str, c: TreatmentClassification, count_unit: str) -> None:
    """Strength, dispensed count and its unit of a medication request."""
    if m := _STRENGTH.search(label):
        c.strength = re.sub(r"\s+", "", m.group(0)).lower()
    forms = [_FORMS[w] for w in re.findall(r"[a-z]+", text) if w in _FORMS]
    if m := _HASH.search(text):
        c.count = int(m[1])
        after = _FORMS.get(m[2] or "")
        c.quantity = c.count
        c.unit = after or next((f for f in forms if f not in ("gram", "ml")), None) or count_unit
    elif m := _AMOUNT.search(_STRENGTH.sub(" ", text)):
        if m[1].isdigit():
            c.quantity, c.unit = int(m[1]), _FORMS.get(m[2], "gram")
    elif m := _QTY.search(text):
        c.quantity, c.unit = int(m[1]), count_unit
    elif m := _DURATION.search(text):
        c.quantity, c.unit = _upper(m[1], m[2]), _unit_word(m[3])


def _side(text: str) -> str | None:
    """Laterality as written; naming both sides counts as bilateral."""
    if re.search(r"\b(bilateral|bilaterally|bilat|both)\b", text):
        return "bilateral"
    left = re.search(r"\b(left|lt)\b", text) is not None
    right = re.search(r"\b(right|rt)\b", text) is not None
    if left and right:
        return "bilateral"
    return "left" if left else "right" if right else None


# ------------------------------------------------------------------ classification


def _resolve(vocab: _Vocabulary, matches: list[_Match]) -> str | None:
    """The item's treatment concept from the label occurrences found (see module docstring)."""
    if not matches:
        return None

    def as_category(m: _Match) -> str:
        return vocab.broader[m.concept][0] if m.concept in vocab.drugs else m.concept

    best = min(matches, key=lambda m: (-m.priority, -m.length, m.start))
    primary = as_category(best)
    if vocab.is_under(primary, str(TX_MEDICATION)):
        return primary
    top = vocab.top(primary)
    same = {as_category(m) for m in matches if m.concept not in vocab.drugs}
    same = {c for c in same if vocab.top(c) == top} | {primary}
    specific = [c for c in same if not any(o != c and vocab.is_under(o, c) for o in same)]
    if len(specific) == 1:
        return specific[0]
    common = [a for a in vocab.ancestors(specific[0])
              if all(vocab.is_under(o, a) for o in specific[1:])]
    return common[0]


def _regions(vocab: _Vocabulary, toks: list[tuple[str, int, int]]) -> list[str]:
    """Regions named, in text order, leaving out a region when a narrower one is also named."""
    found: list[str] = []
    for m in vocab.find(RG_SCHEME, toks):
        if m.concept not in found:
            found.append(m.concept)
    return [r for r in found if not any(o != r and vocab.is_under(o, r) for o in found)]


def classify_item(label: str) -> TreatmentClassification:
    """Classify one disputed item label (as the letter words it) against the vocabularies."""
    vocab = _vocabulary()
    toks = _tokens(label)
    matches = vocab.find(TX_SCHEME, toks)
    category = _resolve(vocab, matches)
    strength = _STRENGTH.search(label)
    in_vocabulary = category is not None
    if category is None:
        category = str(TX_MEDICATION) if strength else str(TX_OTHER)
    c = TreatmentClassification(category=category, category_label=vocab.pref[category],
                                in_vocabulary=in_vocabulary,
                                is_medication=vocab.is_under(category, str(TX_MEDICATION)))
    c.regions = _regions(vocab, toks)
    text = _numberise(label)
    c.side = _side(text)
    drug_matches = [m for m in matches if m.concept in vocab.drugs]
    count_unit = vocab.inherited_unit(category) or "unit"
    # a drug named in any item is kept ("Toradol injection"); only medications get a class
    c.drugs = list(dict.fromkeys(m.concept for m in drug_matches))
    if drug_matches:
        first = drug_matches[0]
        c.medication_name = label[toks[first.start][1]:toks[first.end - 1][2]]
    if c.is_medication:
        if category != str(TX_MEDICATION):
            c.drug_class = category
        if not drug_matches and strength:
            c.medication_name = label[:strength.start()].strip(" ,;:-") or None
        # numbers inside drug names ("Tylenol #3") are not counts
        bare = list(label)  # one copy, however many drugs the label names
        for m in drug_matches:
            start, end = toks[m.start][1], toks[m.end - 1][2]
            bare[start:end] = " " * (end - start)
        _read_medication(label, _numberise("".join(bare)), c, count_unit)
    else:
        _read_course(text, c, count_unit)
    return c


__all__ = [
    "classify_item",
    "treatment_graph",
]
