"""Why a denial held or fell: the reasons an expert reviewer's rationale states, with evidence.

Every disputed item ends with a "Decision rationale" paragraph.  Most rationales quote a
guideline and then apply it: "In this case, there is no documentation of ...".  This module reads
the applying sentences for the reasons of the scheme in ``ontology/reasons.ttl``; which words state
which reason are cues in that file (regular expressions with two shorthands, documented there), so
this module only cuts sentences, sets quoted guideline text aside, and runs the cues.

Rules, in order:

* guideline text -- quotations, and a sentence from a guideline attribution ("MTUS states that",
  "Per the ODG") to its end or to an applying phrase ("here, however,") -- is never evidence;
* a reason belongs to the side of the outcome: an upheld item only gets reasons whose
  ``imr:supportsOutcome`` is ``imr:Upheld``; when none matches, ``other-upheld`` /
  ``other-overturned`` with the whole rationale as evidence;
* in one stretch of text a narrower concept stands for its broader one (``no-red-flags`` rather
  than ``indications-not-met`` twice);
* guideline quantities of visits ("10 visits over 8 weeks", a "six-visit clinical trial") are read
  from the whole rationale, except where the words before the number say it is the request's; the
  smallest stated upper bound (the initial trial, usually) is compared with the requested visits.

Evidence spans are offsets into the letter text, like every other Fact: the rationale's value is
whitespace-collapsed, so local offsets are mapped back through the collapsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdflib import RDFS, SKOS, Graph, URIRef

from imrgraph.records import (
    Determination,
    DisputedItem,
    Fact,
    GuidelineQuantity,
    ItemReasons,
    QuantityComparison,
    ReasonFinding,
    Span,
)
from imrgraph.resolve.treatments import classify_item
from imrgraph.resources import data_dir
from imrgraph.vocab import IMR, RS

RS_SCHEME = RS["scheme"]
VOCABULARY_FILE = "reasons.ttl"
OTHER = {"Upheld": "other-upheld", "Overturned": "other-overturned"}

_NUMBER_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty"))}
_NUMBER = r"(?:\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_ABBREVIATIONS = {"e.g", "i.e", "ie", "vs", "dr", "mr", "ms", "mrs", "no", "fig", "approx", "st"}


try:  # the standard library's regex parser: it tells which words every match of a cue contains
    import re._parser as _re_parser  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - another Python: cues are scanned without a prefilter
    _re_parser = None


def _cue(pattern: str, bounded: bool = True) -> re.Pattern[str]:
    """A cue of reasons.ttl as a compiled regex (shorthands expanded, word-bounded)."""
    body = pattern.replace(" … ", r"[^.]{0,120}?").replace("{N}", _NUMBER)
    if bounded:
        body = rf"(?<![\w-])(?:{body})(?!\w)"
    return re.compile(body, re.IGNORECASE)


def _clauses(items: Any) -> list[frozenset[str]]:
    """What every match of a parsed regex contains: clauses of lower-case strings, each of which
    has one of its strings in any match.  Only what a match consumes counts (no lookarounds);
    what cannot be told (classes, optional parts) requires nothing, so the answer never rules
    out a text the regex would match."""
    p = _re_parser
    clauses: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        word = "".join(run).lower()
        if word.isascii() and len(word) >= 3:
            clauses.append(frozenset((word,)))
        run.clear()

    for op, av in items:
        if op is p.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is p.SUBPATTERN:
            clauses.extend(_clauses(av[-1]))
        elif op is p.ATOMIC_GROUP:
            clauses.extend(_clauses(av))
        elif op in (p.MAX_REPEAT, p.MIN_REPEAT, p.POSSESSIVE_REPEAT) and av[0] >= 1:
            clauses.extend(_clauses(av[2]))
        elif op is p.BRANCH:
            best = [_best(_clauses(alternative)) for alternative in av[1]]
            if all(best):
                clauses.append(frozenset().union(*best))
    flush()
    return clauses


def _best(clauses: list[frozenset[str]]) -> frozenset[str]:
    """The most telling of ``clauses`` (longest shortest string, then fewest strings); empty
    when there is none."""
    ranked = sorted(clauses, key=lambda c: (-min(map(len, c)), len(c)))
    return ranked[0] if ranked else frozenset()


def _needles(regex: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """The prefilter of a compiled cue: up to three clauses, the most telling ones."""
    if _re_parser is None:
        return ()
    clauses = _clauses(_re_parser.parse(regex.pattern, regex.flags))
    ranked = sorted(set(clauses), key=lambda c: (-min(map(len, c)), len(c), sorted(c)))
    return tuple(ranked[:3])


def _trie(words: Iterable[str]) -> str:
    """``words`` as one regex that matches, at a place, the longest of them that starts there
    (greedy optional tails; siblings differ in their first character)."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def regex(node: dict[str, dict]) -> str:
        tails = [re.escape(ch) + regex(child) for ch, child in sorted(node.items()) if ch]
        if not tails:
            return ""
        body = tails[0] if len(tails) == 1 else "(?:" + "|".join(tails) + ")"
        return f"(?:{body})?" if "" in node else body

    return regex(tree)


def folded(text: str) -> str | None:
    """``text`` in lower case for the cues' prefilter, or None when it is not ASCII (outside
    ASCII, ignoring case matches more than ``str.lower`` tells, so nothing is ruled out)."""
    return text.lower() if text.isascii() else None


@dataclass(frozen=True)
class Cue:
    """A compiled cue and the words every match of it contains: a substring test on the
    lower-cased text rules most texts out before the regex scans them (same results)."""

    regex: re.Pattern[str]
    needles: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, regex: re.Pattern[str]) -> Cue:
        return cls(regex, _needles(regex))

    @property
    def groupindex(self) -> Any:
        return self.regex.groupindex

    def possible(self, lower: str | None) -> bool:
        """False only when no match can be in the text whose :func:`folded` form is ``lower``.
        (Loops, not ``all``/``any`` of generators: this runs per segment and cue.)"""
        if lower is None:
            return True
        for clause in self.needles:
            for n in clause:
                if n in lower:
                    break
            else:
                return False
        return True

    def live(self, present: frozenset[str] | None) -> bool:
        """:meth:`possible` for a text whose needles that occur are ``present`` (None: all)."""
        return present is None or not any(map(present.isdisjoint, self.needles))

    def search(self, text: str, pos: int = 0, lower: str | None = None) -> re.Match[str] | None:
        """``regex.search``; ``lower`` is ``folded(text)`` when the caller has it."""
        if lower is None:
            lower = folded(text)
        return self.regex.search(text, pos) if self.possible(lower) else None



@dataclass(frozen=True)
class ReasonConcept:
    """One concept of the reasons scheme with its compiled cues."""

    iri: str
    slug: str
    label: str
    top: str  # slug of the top concept it rolls up to
    side: str  # "Upheld" | "Overturned"
    cues: tuple[Cue, ...]
    excludes: tuple[Cue, ...]
    ancestors: tuple[str, ...]  # slugs of broader concepts, nearest first


class ReasonScheme:
    """The reasons vocabulary loaded for matching: concepts, their cues, the setting-aside cues."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        slug_of = {str(c): str(graph.value(c, SKOS.notation))
                   for c in graph.subjects(SKOS.inScheme, RS_SCHEME)}
        broader = {str(c): [str(b) for b in graph.objects(URIRef(c), SKOS.broader)]
                   for c in slug_of}
        self.concepts: dict[str, ReasonConcept] = {}
        for iri, slug in slug_of.items():
            chain: list[str] = []
            todo = list(broader[iri])
            while todo:
                b = todo.pop(0)
                if b not in chain:
                    chain.append(b)
                    todo.extend(broader.get(b, []))
            side = graph.value(URIRef(iri), IMR.supportsOutcome)
            self.concepts[slug] = ReasonConcept(
                iri=iri, slug=slug,
                label=str(graph.value(URIRef(iri), SKOS.prefLabel) or slug),
                top=slug_of[chain[-1]] if chain else slug,
                side=str(side).rsplit("#", 1)[-1] if side is not None else "",
                cues=tuple(Cue.of(_cue(str(c))) for c in graph.objects(URIRef(iri), IMR.cue)),
                excludes=tuple(
                    Cue.of(_cue(str(c))) for c in graph.objects(URIRef(iri), IMR.excludeCue)),
                ancestors=tuple(slug_of[b] for b in chain))
        scheme = RS_SCHEME

        def cues(prop: URIRef, bounded: bool = True) -> list[Cue]:
            return [Cue.of(_cue(str(c), bounded)) for c in graph.objects(scheme, prop)]

        self.guideline_text = cues(IMR.guidelineTextCue)
        self.applying = cues(IMR.applyingCue)
        self.case = cues(IMR.caseCue)
        self.boilerplate = cues(IMR.boilerplateCue)
        self.request = cues(IMR.requestCue, bounded=False)
        # each concept once (``subjects`` yields it per cue): a cue read twice finds nothing new
        self.quantity = [Cue.of(_cue(str(c)))
                         for concept in dict.fromkeys(graph.subjects(IMR.quantityCue, None))
                         for c in graph.objects(concept, IMR.quantityCue)]
        every = [*self.guideline_text, *self.applying, *self.case, *self.boilerplate,
                 *self.request, *self.quantity]
        every += [cue for c in self.concepts.values() for cue in c.cues + c.excludes]
        needles = {n for cue in every for clause in cue.needles for n in clause}
        self._finder = re.compile(f"(?=({_trie(needles)}))", re.DOTALL) if needles else None
        # a needle found at a place means every needle that begins it is there too
        self._begins = {n: frozenset(m for m in needles if n.startswith(m)) for n in needles}

    def present(self, lower: str | None) -> frozenset[str] | None:
        """The cues' needles that occur in a text given as its :func:`folded` form: read once per
        rationale, they rule out every cue that can match none of its sentences.  One scan finds
        the longest needle at every place (a trie, so each place costs a character or two)."""
        if lower is None or self._finder is None:
            return None
        begins = self._begins
        return frozenset().union(*(begins[n] for n in set(self._finder.findall(lower))))

    def top_concepts(self) -> list[ReasonConcept]:
        return [c for c in self.concepts.values() if not c.ancestors]

    def on_side(self, outcome: str) -> list[ReasonConcept]:
        return [c for c in self.concepts.values() if c.side == outcome and c.cues]


def reason_graph() -> Graph:
    """The reasons vocabulary (ontology/reasons.ttl) as a graph."""
    graph = Graph()
    graph.parse(data_dir("ontology") / VOCABULARY_FILE, format="turtle")
    graph.bind("rs", RS)
    graph.bind("rdfs", RDFS)
    return graph


@cache
def reason_scheme() -> ReasonScheme:
    return ReasonScheme(reason_graph())


# ------------------------------------------------------------------ text


#: The whitespace ``collapse`` changes: a line-break hyphenation, else any run but one space
#: (a lone space stays as it is, so it is copied with the words around it).
_CHANGED_SPACE = re.compile(r"(?P<hyphen>(?<=\w-)[ ]*\n\s*(?=\w))|\s{2,}|[^\S ]")


def _collapsed(raw: str) -> tuple[str, list[int]]:
    """``imrgraph.ingest.collapse`` of ``raw`` with, per output character, its offset in ``raw``."""
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _CHANGED_SPACE.finditer(raw):
        out.append(raw[pos:m.start()])
        where.extend(range(pos, m.start()))
        if not m.group("hyphen"):
            out.append(" ")
            where.append(m.start())
        pos = m.end()
    out.append(raw[pos:])
    where.extend(range(pos, len(raw)))
    text = "".join(out)
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return text, where[lead:lead + len(text)]


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")
_LONGEST_ABBREVIATION = max(map(len, _ABBREVIATIONS))


def _word_before(text: str, start: int, end: int) -> str:
    """The letters and dots just before ``end`` (not before ``start``), read backwards only
    as far as an abbreviation can be long, so a long "sentence" is not rescanned per dot."""
    i = end
    while i > start and text[i - 1] in _WORD_CHARS:
        i -= 1
        if end - i > _LONGEST_ABBREVIATION:
            break
    return text[i:end]


_SENTENCE_END = re.compile(r"[.!?][\"')]?(?= +[\"'(]?[A-Z0-9])")
_QUOTED = re.compile(r'"[^"]*"')
_THREE_LETTERS = re.compile(r"[A-Za-z]{3}")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ranges of a collapsed paragraph (abbreviations such as "e.g." do not end one)."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        word = _word_before(text, start, m.start())
        if word and (word.lower() in _ABBREVIATIONS or len(word) == 1):
            continue
        ranges.append((start, m.end()))
        start = m.end()
        while start < len(text) and text[start] == " ":
            start += 1
    if start < len(text):
        ranges.append((start, len(text)))
    return ranges


def _live(cues: Iterable[Cue], present: frozenset[str] | None) -> list[Cue]:
    return [c for c in cues if c.live(present)]


def _any_match(cues: list[Cue], text: str, lower: str | None) -> bool:
    """Whether one of ``cues`` matches ``text`` (``lower`` its :func:`folded` form); a loop, as
    it runs per segment and concept."""
    for c in cues:  # noqa: SIM110 - a loop: any() of a generator costs a frame per call
        if c.possible(lower) and c.regex.search(text):
            return True
    return False


def _guideline_mask(text: str, sentences: list[tuple[int, int]], scheme: ReasonScheme,
                    present: frozenset[str] | None) -> bytearray:
    """Per character: True where the text is guideline text or boilerplate (never evidence).

    A guideline summary runs from its attribution over the following sentences until one turns
    to the case (``imr:caseCue``: the patient, the request, the records, "As ..." reasoning) or an
    applying phrase ("here, however,") cuts it.
    """
    mask = bytearray(len(text))
    for m in _QUOTED.finditer(text):
        mask[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    boilerplate = _live(scheme.boilerplate, present)
    guideline_text = _live(scheme.guideline_text, present)
    case = _live(scheme.case, present)
    applying_cues = _live(scheme.applying, present)
    summary = False
    for start, end in sentences:
        sentence = text[start:end]
        lower = folded(sentence)
        if _any_match(boilerplate, sentence, lower):
            mask[start:end] = b"\x01" * (end - start)
            continue
        hits = [hit for c in guideline_text if (hit := c.search(sentence, lower=lower))]
        if not hits:
            if summary and not _any_match(case, sentence, lower):
                mask[start:end] = b"\x01" * (end - start)
            else:
                summary = False
            continue
        first = min(hits, key=lambda m: m.start())
        stop = len(sentence)
        applying = [cut.start() for c in applying_cues
                    if (cut := c.search(sentence, first.end(), lower))]
        if applying:
            stop = min(applying)
        mask[start + first.start():start + stop] = b"\x01" * (stop - first.start())
        summary = not applying and first.start() == 0
    return mask


def _segments(text: str, sentences: list[tuple[int, int]], mask: bytearray
              ) -> Iterable[tuple[int, int]]:
    """Stretches of one sentence that are not guideline text, trimmed of spaces and punctuation."""
    for start, end in sentences:
        i = mask.find(0, start, end)
        while i >= 0:
            j = mask.find(1, i, end)
            if j < 0:
                j = end
            a, b = i, j
            while a < b and not text[a].isalnum():
                a += 1
            while b > a and text[b - 1] in " ,;:":
                b -= 1
            if _THREE_LETTERS.search(text, a, b):
                yield a, b
            i = mask.find(0, j, end)


# ------------------------------------------------------------------ reading


@dataclass
class _Rationale:
    """A rationale's collapsed text and how to turn its local offsets into letter offsets."""

    text: str
    where: list[int]
    base: int

    def fact(self, start: int, end: int) -> Fact[str]:
        span = Span(self.base + self.where[start], self.base + self.where[end - 1] + 1)
        return Fact(self.text[start:end], span)

    @classmethod
    def of(cls, rationale: Fact[str], letter_text: str) -> _Rationale:
        raw = letter_text[rationale.span.start:rationale.span.end]
        text, where = _collapsed(raw)
        if text != rationale.value:  # the letter text is not the one parsed: no spans to map
            raise ValueError("rationale text does not match the letter text at its span")
        return cls(text, where, rationale.span.start)


def _findings(r: _Rationale, outcome: str, scheme: ReasonScheme,
              present: frozenset[str] | None) -> list[ReasonFinding]:
    sentences = _sentences(r.text)
    mask = _guideline_mask(r.text, sentences, scheme, present)
    concepts = [(c, cues, _live(c.excludes, present)) for c in scheme.on_side(outcome)
                if (cues := _live(c.cues, present))]
    found: list[ReasonFinding] = []
    for a, b in _segments(r.text, sentences, mask):
        segment = r.text[a:b]
        lower = folded(segment)
        hits = [c for c, cues, excludes in concepts
                if _any_match(cues, segment, lower) and not _any_match(excludes, segment, lower)]
        covered = {anc for c in hits for anc in c.ancestors}
        for c in hits:
            if c.slug not in covered:
                found.append(ReasonFinding(c.iri, c.slug, c.top, r.fact(a, b)))
    if not found and outcome in OTHER:
        other = scheme.concepts[OTHER[outcome]]
        found.append(ReasonFinding(other.iri, other.slug, other.top, r.fact(0, len(r.text))))
    return found


def _number(word: str | None) -> int | None:
    if word is None:
        return None
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower())


def _quantities(r: _Rationale, scheme: ReasonScheme,
                present: frozenset[str] | None) -> list[GuidelineQuantity]:
    found: dict[int, GuidelineQuantity] = {}
    for cue in _live(scheme.quantity, present):
        for m in cue.regex.finditer(r.text):
            groups = m.groupdict()
            at = m.start("low") if groups.get("low") else m.start("high")
            before = r.text[max(0, at - 40):at]
            if at in found or any(c.search(before) for c in scheme.request):
                continue
            visits = _number(groups.get("high")) or _number(groups.get("low"))
            if visits:
                found[at] = GuidelineQuantity(visits, _number(groups.get("weeks")),
                                                     r.fact(m.start(), m.end()))
    return [found[k] for k in sorted(found)]


def _requested_visits(item: DisputedItem) -> int | None:
    """Visits the item asks for, as the treatment classifier reads its label."""
    treatment = item.treatment if item.treatment is not None else classify_item(item.label.value)
    return treatment.total_visits


def item_reasons(item: DisputedItem, letter_text: str) -> ItemReasons:
    """The reasons, guideline quantities and quantity comparison of one disputed item.

    ``letter_text`` is the normalised letter text the item was parsed from (its spans point
    into it).
    """
    result = ItemReasons(item=item.number, outcome=item.outcome.value)
    if item.rationale is None:
        return result
    scheme = reason_scheme()
    r = _Rationale.of(item.rationale, letter_text)
    present = scheme.present(folded(r.text))
    result.findings = _findings(r, item.outcome.value, scheme, present)
    result.quantities = _quantities(r, scheme, present)
    if result.quantities:
        smallest = min(result.quantities, key=lambda q: q.visits)
        requested = _requested_visits(item)
        result.comparison = QuantityComparison(
            recommended_visits=smallest.visits, requested_visits=requested,
            exceeds=None if requested is None else requested > smallest.visits,
            recommended=smallest.text)
    return result


def determination_reasons(determination: Determination, letter_text: str) -> list[ItemReasons]:
    """``item_reasons`` for every disputed item of one letter, in item order."""
    return [item_reasons(item, letter_text) for item in determination.items]
