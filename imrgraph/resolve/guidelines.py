"""Guideline statements of IMR letters -> structured, vocabulary-resolved citations.

A letter gives, per disputed item, two statements ("Claims Administrator guideline: ..." and
"MAXIMUS guideline: ...").  Each holds one or more "Decision based on ..." sentences, and each
sentence may cite several works, chapters, sections and page lists.  This module parses them
with a small grammar (see ``parse_guideline_statement``) and resolves every cited thing against
the SKOS vocabulary ``ontology/guidelines.ttl`` so that the same guideline cited in different
words (2015 vs 2016 layouts, "Low Back Chapter" vs "Low Back - Lumbar & Thoracic") becomes the
same graph node.  Which words name which work (ODG, ACOEM and its editions, the MTUS works,
UpToDate ...) and the editions assumed are data there too (``imr:CitationCue``).  Citations the
vocabulary lacks are never dropped: the record names a node minted from the cited words and the
concept they were found under (``gl:x/<sha1>``, ``in_vocabulary`` False, ``broader``).

The grammar works on a whitespace-normalised copy of the statement that keeps, for every
character, its offset in the raw text (``imrgraph.parse.StatementText``), so each ``Span``
points at the cited words of the letter itself.  Nothing here keeps state between statements.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from rdflib import Graph, URIRef

from imrgraph.parse import NO_EVIDENCE, OUTSIDE_MTUS, StatementText, parse_statement
from imrgraph.records import GuidelineCitation, GuidelineStatement, PageRange, Party
from imrgraph.resolve.skos import Concept, SkosIndex, load_index, vocabulary_graph
from imrgraph.vocab import GL, IMR

VOCABULARY_FILE = "guidelines.ttl"

__all__ = [
    "GuidelineIndex",
    "guideline_graph",
    "guideline_index",
    "label_key",
    "mint_iri",
    "parse_guideline_statement",
    "parse_pages",
    "resolve_statement",
]

# --------------------------------------------------------------------------- label matching

_FILLER_PARENS = re.compile(
    r"\((?:updated[^)]*|online\s+version|web\s+version|acute\s*(?:&|and)\s*chronic|chronic)\)", re.I
)
_DROP_WORDS = {"chapter", "section", "topic"}
_SECTION_ON = re.compile(r"^\s*section\s+on\s+")
_POSSESSIVE = re.compile(r"'s\b")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-\s*(?=[a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ANY_PARENS = re.compile(r"\([^)]*\)")


def _singular(word: str) -> str:
    """Crude singular so "MRIs", "NSAIDs", "Studies" match their other spellings."""
    keep = ("ss", "us", "sis", "vis", "tis", "xis")  # "Pelvis", "Adhesiolysis", "Stress"
    if len(word) > 3 and word.endswith("s") and not word.endswith(keep):
        return word[:-1]
    return word


def label_key(label: str) -> str:
    """Normalised matching key of a label: case, punctuation, '&'/'and', plurals, suffixes.

    Both vocabulary labels and cited words go through this, so a spelling matches when the two
    keys are equal.  Filler such as "(Acute & Chronic)", "(updated 11/22/16)", "(Online
    Version)" and the words "Chapter"/"Section"/"Topic" carry no identity and are dropped.
    Keys of label-sized words are remembered (the grammar asks for the same ones again and
    again); long runs of words are not, so a batch of hostile letters cannot fill memory.
    """
    return _cached_key(label) if len(label) <= _CACHED_LABEL else _key(label)


_CACHED_LABEL = 512
_FIND_CACHE = 65536


def _key(label: str) -> str:
    s = unicodedata.normalize("NFKD", label)
    s = s.replace("®", " ").replace("™", " ").replace("\u2019", "'").replace("\u2018", "'")
    s = s.lower()
    s = _FILLER_PARENS.sub(" ", s)
    s = _SECTION_ON.sub(" ", s)
    s = s.replace("&", " and ")
    s = _POSSESSIVE.sub("s", s).replace("'", "")
    s = _WORD_HYPHEN.sub("", s)
    s = _NON_ALNUM.sub(" ", s)
    return " ".join(_singular(w) for w in s.split() if w not in _DROP_WORDS)


_cached_key = lru_cache(maxsize=8192)(_key)


def _loose_key(label: str) -> str:
    """Key without any parenthetical, for "MRI (magnetic resonance imaging)" == "MRI"."""
    return label_key(_ANY_PARENS.sub(" ", label))



# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Cue:
    """One imr:CitationCue of ontology/guidelines.ttl: words that name a work in a context."""

    iri: str
    context: str  # "MTUS" | "non-MTUS" | "free source"
    pattern: re.Pattern[str] | None
    work: str
    priority: int = 0
    default: bool = False
    edition_cue: re.Pattern[str] | None = None
    edition_from_cue: str | None = None
    default_edition: str | None = None
    title_end: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Anchor:
    """Cues of one context sharing a pattern: the works those words may name, best first."""

    pattern: re.Pattern[str]
    cues: tuple[Cue, ...]

    @property
    def default(self) -> Cue:
        return next((c for c in self.cues if c.default), self.cues[0])


class GuidelineIndex:
    """The guideline vocabulary indexed for matching cited words.

    Every label of every concept is indexed under each of its ancestors, so a lookup can be
    confined to one work or chapter ("MRI" under ODG Low Back vs under ODG Shoulder).
    """

    def __init__(self, skos: SkosIndex) -> None:
        self.skos = skos
        self.concepts: dict[str, Concept] = skos.concepts
        # the hierarchy questions the grammar asks per cited piece, answered once per concept
        # (the vocabulary is read-only, so these are the same answers the graph would give)
        self._ancestors = {iri: list(skos.parents(iri)) for iri in self.concepts}
        self._work = {iri: ([iri, *up])[-1] for iri, up in self._ancestors.items()}
        #: concept -> key -> descendant IRIs (strict keys), and the same for loose keys
        self.strict: dict[str, dict[str, set[str]]] = {}
        self.loose: dict[str, dict[str, set[str]]] = {}
        for iri, c in self.concepts.items():
            for scope in [iri, *self._ancestors[iri]]:
                # a concept is also findable "below itself" so a scope can name its own topic
                for label in c.labels:
                    self.strict.setdefault(scope, {}).setdefault(label_key(label), set()).add(iri)
                    self.loose.setdefault(scope, {}).setdefault(_loose_key(label), set()).add(iri)
        #: label key of an MTUS head ("MTUS <head> <year>") -> the work or chapter it names
        self.mtus_heads: dict[str, str] = {}
        for iri, c in self.concepts.items():
            work = self.work_of(iri)
            head_level = skos.value(work, IMR.mtusHeadLevel)
            is_head = c.level == "work" or (head_level is not None and c.level == str(head_level))
            if bool(skos.value(work, IMR.mtus)) and is_head:
                for label in c.labels:
                    self.mtus_heads.setdefault(label_key(label), iri)
        #: cited words longer than this cannot name a concept (see ``find``): three times the
        #: longest label leaves room for filler ("Chapter", "(updated 11/22/16)") and keeps the
        #: grammar's prefix matching linear in a statement's length
        self.longest_citable = 3 * max(
            (len(label) for c in self.concepts.values() for label in c.labels), default=0
        )
        self.cues = [self._cue(iri) for iri in skos.instances(IMR.CitationCue)]
        self.cues.sort(key=lambda c: -c.priority)
        self._anchors = {ctx: self._group(ctx) for ctx in {c.context for c in self.cues}}
        self._free_sources = [c for c in self.cues if c.context == "free source"]
        self._chapter = {iri: skos.at_level(iri, "chapter") for iri in self.concepts}
        self._notations: dict[tuple[str, str], str] = {}
        for iri, c in self.concepts.items():
            if c.notation is not None:  # the first in file order, as SkosIndex.by_notation
                self._notations.setdefault((skos.top(iri), c.notation), iri)
        self._chapter_number = {iri: self._number(iri) for iri in self.concepts}
        #: answers of ``find`` (a pure function of its arguments here), bounded so a batch of
        #: hostile letters cannot fill memory
        self._find = lru_cache(maxsize=_FIND_CACHE)(self._find_uncached)

    def _cue(self, iri: str) -> Cue:
        v = self.skos.value

        def rx(prop: URIRef) -> re.Pattern[str] | None:
            text = v(iri, prop)
            return re.compile(str(text), re.I) if text is not None else None

        def text(prop: URIRef) -> str | None:
            value = v(iri, prop)
            return str(value) if value is not None else None

        return Cue(
            iri=iri,
            context=str(v(iri, IMR.cueContext)),
            pattern=rx(IMR.pattern),
            work=str(v(iri, IMR.cuedWork)),
            priority=self.skos.integer(iri, IMR.matchPriority),
            default=bool(v(iri, IMR.defaultCue)),
            edition_cue=rx(IMR.editionCue),
            edition_from_cue=text(IMR.editionFromCue),
            default_edition=text(IMR.defaultEdition),
            title_end=rx(IMR.titleEndPattern),
        )

    def anchors(self, context: str) -> list[Anchor]:
        """The work anchors of one sentence context, cues sharing a pattern grouped."""
        return self._anchors.get(context, [])

    def _group(self, context: str) -> list[Anchor]:
        groups: dict[str, tuple[re.Pattern[str], list[Cue]]] = {}
        for cue in self.cues:
            if cue.context == context and cue.pattern is not None:
                groups.setdefault(cue.pattern.pattern, (cue.pattern, []))[1].append(cue)
        return [Anchor(pattern, tuple(cues)) for pattern, cues in groups.values()]

    def free_sources(self) -> list[Cue]:
        """Free-source cues, highest priority first (the last, without a pattern, takes all)."""
        return self._free_sources

    def level(self, iri: str) -> str:
        return self.concepts[iri].level or "topic"

    def ancestors(self, iri: str) -> list[str]:
        return list(self._ancestors[iri])

    def work_of(self, iri: str) -> str:
        return self._work[iri]

    def chapter_of(self, iri: str) -> Concept | None:
        return self._chapter[iri]

    def by_notation(self, work: str, notation: str) -> str | None:
        return self._notations.get((work, notation))

    def chapter_number(self, iri: str | None) -> int | None:
        """ACOEM chapter number of a concept (chapters 1-15 are cited by number)."""
        return self._chapter_number.get(iri) if iri else None

    def _number(self, iri: str) -> int | None:
        chapter = self.chapter_of(iri)
        numbered = self.skos.value(self.work_of(iri), IMR.numberedChapters)
        if chapter and numbered is not None and bool(numbered) and chapter.notation:
            return int(chapter.notation)
        return None

    def find(
        self,
        scope: str,
        text: str,
        *,
        strict_only: bool = False,
        direct: bool = False,
        level: str | None = None,
    ) -> str | None:
        """The unique concept below ``scope`` one of whose labels matches ``text``.

        Words longer than ``longest_citable`` name nothing: no label is that long, and
        computing their keys would make a crafted statement's parse quadratic."""
        if len(text) > self.longest_citable:
            return None
        return self._find(scope, text, strict_only, direct, level)

    def _find_uncached(
        self, scope: str, text: str, strict_only: bool, direct: bool, level: str | None
    ) -> str | None:
        keys = [(self.strict, label_key(text))]
        if not strict_only:
            keys.append((self.loose, _loose_key(text)))
            keys.append((self.loose, label_key(text)))
            k = label_key(text)
            if k.endswith(" guideline"):
                keys.append((self.strict, k[: -len(" guideline")]))
        for index, key in keys:
            if not key:
                continue
            hits = index.get(scope, {}).get(key, set())
            if direct:
                hits = {h for h in hits if self.concepts[h].parent == scope}
            if level:
                hits = {h for h in hits if self.level(h) == level}
            if len(hits) == 1:
                return next(iter(hits))
            if len(hits) > 1:
                # prefer the shallowest (a topic over its own sub-topic)
                depth = {h: len(self._ancestors[h]) for h in hits}
                best = min(depth.values())
                top = [h for h in hits if depth[h] == best]
                if len(top) == 1:
                    return top[0]
        return None


def guideline_graph() -> Graph:
    """The guideline vocabulary (ontology/guidelines.ttl), parsed once and cached."""
    return vocabulary_graph(VOCABULARY_FILE)


@cache
def guideline_index() -> GuidelineIndex:
    """The guideline vocabulary indexed for matching (built once per process, read-only)."""
    return GuidelineIndex(load_index(VOCABULARY_FILE))


# --------------------------------------------------------------------------- pages

_PAGE_ITEM = r"\d+(?:\s*[-\u2013]\s*\d+)?"
_PAGES = re.compile(
    r"(?:\bPage\(s\)|\bpages?|\bpg\.?|\bpp\.?)\s*:?\s*(?:s\s+)?"
    rf"(?P<list>{_PAGE_ITEM}(?:\s*(?:,|;|\band\b|&)\s*{_PAGE_ITEM})*)",
    re.I,
)


_PAGE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_PAGE_RANGE = re.compile(r"(\d+)(?:\s*[-\u2013]\s*(\d+))?")


def parse_pages(text: str) -> list[PageRange]:
    """ "48-9; 90; 299-301 and 308-9" -> [48-49, 90, 299-301, 308-309].

    An abbreviated end page keeps the start page's leading digits ("308-9" is 308-309).
    """
    out: list[PageRange] = []
    for item in _PAGE_SPLIT.split(text.strip()):
        m = _PAGE_RANGE.fullmatch(item.strip())
        if not m:
            continue
        a, b = m.group(1), m.group(2) or m.group(1)
        if len(b) < len(a):
            b = a[: len(a) - len(b)] + b
        lo, hi = int(a), int(b)
        out.append(PageRange(lo, hi) if hi >= lo else PageRange(lo, lo))
    return out



# --------------------------------------------------------------------------- minting


def mint_iri(label: str, broader: str | None) -> str:
    """IRI of the node a citation outside the vocabulary names.

    Its identity is the cited words (as a matching key) AND the concept they were found under,
    so "Neck and Upper Back Chapter, X" and "Shoulder Chapter, X" are two nodes, each with one
    skos:broader, whatever else was parsed before.
    """
    key = label_key(label) if broader is None else f"{broader}\n{label_key(label)}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    return f"{GL}x/{digest}"


# --------------------------------------------------------------------------- the grammar

_DECISION = re.compile(r"Decision\s+based\s+on\b\s*", re.I)
_NON_MTUS = re.compile(r"Non-?\s*MTUS\s*(?:Citation\b\s*)?:?\s*", re.I)
_MTUS = re.compile(r"MTUS\b\s*:?\s*", re.I)
_URL = re.compile(r"(?:https?://|www\.)[^\s,;]+", re.I)
#: words that separate pieces of a citation, or carry no identity (edition notes, publisher)
_FILLER = (
    r"\(ODG\)|Work\s+Loss\s+Data\s+Institute|\(\d+(?:st|nd|rd|th)\s+Annual\s+Edition\)"
    r"|\b(?P<ord>\d)(?:st|nd|rd|th)\s+(?:Edition|ed)\b\.?"
    r"|\(?(?<![/\d])(?P<year>(?:19|20)\d\d)\)?(?![/\d])"
    r"|\bWeb\s+Version\b|\(Online\s+Version\)|\(updated[^)]*\)"
    r"|\bOccupational\s+Medicine\s+Practice\s+Guidelines\b|\bRevised\b|\(\d\)"
)
_CHUNK_SEP = re.compile(rf"\s*[,;:/]\s*|\s+-\s+|\s*-\s+|\.(?=\s|$)|{_FILLER}", re.I)
_SECTION_SEP = re.compile(r"\s*[,;]\s*")
_TRIM = " ,;:./-\"'"
_TOKEN = re.compile(r"\([^)]*\)?|[^\s(]+")
_PARENTHESISED = re.compile(r"\([^()]*\)")
_PAREN = re.compile(r"[()]")
_CHAPTER_NUMBER = re.compile(r"Chapter\s+(\d+)\b[\s,.:]*", re.I)
_CONNECTORS = {"", "and", "the", "and the", "or"}
_AND_SEP = re.compile(r"\s+(?:&|and)\s+", re.I)
_FILLER_RX = re.compile(_FILLER, re.I)
#: "<Work> <year>[ Guidelines]" heads of 2016-17 MTUS sentences, and what joins them
_HEAD_YEAR = re.compile(r"\s+((?:19|20)\d\d)\b(?:\s+Guidelines\b)?(?=\s*(?:[,.;]|$))")
_HEAD_JOIN = re.compile(r",?\s+and\s+|;\s*")
_JOIN_AT_END = re.compile(r",?\s+and\s+$|;\s*$")
_YEAR_AFTER_SPACE = re.compile(r"\s+(?:19|20)\d\d")
_SECTIONS_CASED = re.compile(r"[\s,]*Section\(s\)")
_SECTIONS = re.compile(r"[\s,]*Section\(s\)\s*:?\s*", re.I)
_NUMBERED_SECTION = re.compile(r"\d+(?:\.\d+)*\s")
_NUMBER_CUT = re.compile(r",\s*(?=\d+(?:\.\d+)+\s)")
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_TRAILING_CONNECTOR = re.compile(r"(?:[\s,;.:]*\b(?:and\s+the|and|the)\b)+[\s,;.:]*$", re.I)
_CHAPTER_PREFIX = re.compile(r"^Chapter\s+\d+\b[\s,.:]*", re.I)


@dataclass
class _Cite:
    """A citation before it becomes a record: what was recognised, and where."""

    iri: str | None  # vocabulary concept, or None when minted
    scope: str | None  # deepest recognised concept above a minted one
    a: int
    b: int
    chapter: tuple[int, int] | None = None
    section: tuple[int, int] | None = None
    pages: list[PageRange] = field(default_factory=list)
    url: str | None = None
    work: str | None = None  # explicit work for minted nodes


class _Parser:
    """Parses one statement; holds the normalised text and the vocabulary."""

    def __init__(self, text: StatementText, index: GuidelineIndex) -> None:
        self.t = text
        self.s = text.s
        self.v = index

    # ---- pieces

    def pieces(self, a: int, b: int, sep: re.Pattern[str]) -> list[tuple[int, int]]:
        """Split [a, b) at separators outside parentheses; trim each piece."""
        # the parenthesised stretches, "(" to its ")" inclusive (an unclosed one runs to b)
        opens: list[int] = []
        closes: list[int] = []
        depth = 0
        for m in _PAREN.finditer(self.s, a, b):
            if m.group(0) == "(":
                depth += 1
                if depth == 1:
                    opens.append(m.start())
            elif depth:
                depth -= 1
                if not depth:
                    closes.append(m.start())
        if depth:
            closes.append(b - 1)
        cuts: list[tuple[int, int]] = []
        for m in sep.finditer(self.s, a, b):
            if m.end() == m.start():
                continue
            k = bisect_right(opens, m.start()) - 1
            inside = k >= 0 and m.start() <= closes[k] and not m.group(0).startswith("(")
            if not inside:
                cuts.append((m.start(), m.end()))
        out, prev = [], a
        for c0, c1 in [*cuts, (b, b)]:
            piece = self.trim(prev, c0)
            if piece[1] > piece[0]:
                out.append(piece)
            prev = max(prev, c1)
        return out

    def trim(self, a: int, b: int) -> tuple[int, int]:
        while a < b and self.s[a] in _TRIM:
            a += 1
        while b > a and self.s[b - 1] in _TRIM:
            b -= 1
        # balance a dangling "(" / ")" left by a cut
        if self.s[a:b].count("(") < self.s[a:b].count(")") and self.s[b - 1] == ")":
            b -= 1
        return a, b

    def tokens_ends(self, a: int, b: int, until: int | None = None) -> list[int]:
        """End offsets of word / parenthetical tokens of [a, b), for prefix matching; only
        those up to ``until`` when given (the tokens are read no further than that)."""
        if until is None or until >= b:
            return [m.end() for m in _TOKEN.finditer(self.s, a, b)]
        # a token ending beyond ``until`` ends beyond it in the window too: dropping those
        # leaves exactly the ends the whole range has up to ``until``
        return [e for m in _TOKEN.finditer(self.s, a, until + 1) if (e := m.end()) <= until]

    # ---- matching over pieces

    def match_prefix(
        self, pieces: list[tuple[int, int]], i: int, scope: str, level: str
    ) -> tuple[str, int, int] | None:
        """Longest run pieces[i..j] (the last possibly cut short) naming a ``level`` concept.

        Returns (iri, j, end offset).  Joining pieces lets labels with commas match
        ("Forearm, Wrist, and Hand"); cutting the last one lets "Pain (Chronic) Acupuncture"
        yield the chapter "Pain (Chronic)".
        """
        a = pieces[i][0]
        until = a + self.v.longest_citable
        for j in range(min(len(pieces) - 1, i + 5), i - 1, -1):
            if pieces[j][0] > until:
                continue
            for end in reversed(self.tokens_ends(pieces[j][0], pieces[j][1], until)):
                hit = self.v.find(scope, self.s[a:end], strict_only=True, direct=True, level=level)
                if hit:
                    return hit, j, end
        return None

    def match_run(
        self, pieces: list[tuple[int, int]], i: int, scopes: list[str]
    ) -> tuple[str, int, str] | None:
        """Longest run of whole pieces i..j naming a concept below one of ``scopes``."""
        a = pieces[i][0]
        for j in range(min(len(pieces) - 1, i + 6), i - 1, -1):
            if pieces[j][1] - a > self.v.longest_citable:
                continue  # too long to name a concept (and not worth slicing)
            text = self.s[a : pieces[j][1]]
            for scope in scopes:
                hit = self.v.find(scope, text)
                if hit and self.v.level(hit) != "work":
                    return hit, j, scope
        return None

    # ---- the walk shared by all citation forms

    def walk(
        self,
        pieces: list[tuple[int, int]],
        work: str,
        chapter: str | None,
        chapter_span: tuple[int, int] | None,
        *,
        topics_first: bool,
    ) -> list[_Cite]:
        """Resolve pieces to chapter / topic citations under ``work``.

        A chapter mentioned without a topic is cited itself; a chapter followed by topics is
        cited through them (the topic's skos:broader names the chapter).
        """
        out: list[_Cite] = []
        pending = chapter  # chapter whose own citation is due unless a topic follows
        pending_span = chapter_span
        used = False
        pieces = list(pieces)

        def flush() -> None:
            nonlocal used
            if pending and not used and pending_span:
                out.append(_Cite(pending, None, *pending_span, chapter=pending_span))
            used = False

        def set_chapter(iri: str, span: tuple[int, int]) -> None:
            nonlocal pending, pending_span, used
            if iri == pending and pending_span and not used:
                pending_span = (pending_span[0], span[1])  # "Chapter 7, Independent Medical ..."
                return
            flush()
            pending, pending_span, used = iri, span, False

        def add_topic(iri: str | None, a: int, b: int) -> None:
            """Cite a topic (or mint one when ``iri`` is None).  The first topic after a
            chapter mention carries the chapter words too ("Low Back Chapter, Heat therapy")."""
            nonlocal used
            start = pending_span[0] if pending_span and not used and pending_span[0] < a else a
            used = True
            end = b
            if self.s[start:b].count("(") > self.s[start:b].count(")") and self.s[b : b + 1] == ")":
                end = b + 1  # "Low Back (Shock wave therapy)"
            scope = None if iri else (pending or work)
            out.append(_Cite(iri, scope, start, end, chapter=pending_span, section=(a, b)))

        def scopes() -> list[str]:
            return [pending, work] if pending else [work]

        i = 0
        while i < len(pieces):
            a, b = pieces[i]
            if self.s[a] == "(" and self.s[b - 1] == ")" and _PARENTHESISED.fullmatch(
                self.s, a, b
            ):
                a, b = pieces[i] = self.trim(a + 1, b - 1)  # "Low Back (Shock wave therapy)"
            # "Chapter 12 Low Back Complaints"
            m = _CHAPTER_NUMBER.match(self.s, a, b)
            if m:
                hit = self.v.by_notation(work, m.group(1))
                if hit:
                    rest = self.trim(m.end(), b)
                    rest_key = label_key(self.s[rest[0] : rest[1]])
                    if not rest_key or any(
                        label_key(x) == rest_key for x in self.v.concepts[hit].labels
                    ):
                        set_chapter(hit, (a, b))
                        i += 1
                    else:
                        set_chapter(hit, (a, m.end()))
                        pieces[i] = rest
                    continue
            if topics_first and pending:
                run = self.match_run(pieces, i, [pending])
                if run:
                    hit, j, _ = run
                    add_topic(hit, a, pieces[j][1])
                    i = j + 1
                    continue
            pre = self.match_prefix(pieces, i, work, "chapter")
            if pre:
                hit, j, end = pre
                set_chapter(hit, (a, end))
                rest = self.trim(end, pieces[j][1])
                if rest[1] > rest[0]:
                    pieces[j] = rest
                    i = j
                else:
                    i = j + 1
                continue
            if not pending:
                # "MRI Elbow": topic first, chapter last
                ends = self.tokens_ends(a, b)
                starts = [a] + [e for e in ends[:-1]]
                found = False
                for st in starts[1:]:
                    if b - st > self.v.longest_citable:
                        continue  # too long to name a chapter
                    st0 = self.trim(st, b)[0]
                    hit = self.v.find(
                        work, self.s[st0:b], strict_only=True, direct=True, level="chapter"
                    )
                    if hit:
                        pre_a, pre_b = self.trim(a, st0)
                        topic = self.v.find(hit, self.s[pre_a:pre_b])
                        set_chapter(hit, (st0, b))
                        add_topic(topic, pre_a, pre_b)
                        out[-1].a, out[-1].b = a, b  # "MRI Elbow" as a whole
                        found = True
                        break
                if found:
                    i += 1
                    continue
            run = self.match_run(pieces, i, scopes())
            if run:
                hit, j, _ = run
                add_topic(hit, a, pieces[j][1])
                i = j + 1
                continue
            key = label_key(self.s[a:b])
            if not key or key in _CONNECTORS or key == "guideline":
                if key == "guideline" and pending and pending_span and not used:
                    pending_span = (pending_span[0], b)  # "Knee and Leg Chapter Guidelines"
                i += 1
                continue
            # "Surgery for shoulder dislocation & Surgery for biceps tenodesis"
            parts = [p for p in self.pieces(a, b, _AND_SEP)]
            if len(parts) > 1:
                hits = [self.v.find(scopes()[0], self.s[p0:p1]) for p0, p1 in parts]
                if all(hits):
                    for h, (p0, p1) in zip(hits, parts, strict=True):
                        add_topic(h, p0, p1)
                    i += 1
                    continue
            add_topic(None, a, b)
            i += 1
        flush()
        return out

    # ---- page groups

    def page_groups(self, a: int, b: int) -> list[tuple[int, int, list[PageRange]]]:
        """Split [a, b) after each page list: 2015 letters put one list after a group of
        chapters ("Chapter 5 ..., Chapter 3 ..., Chapter 12 ... Page(s): s 48-9; 90; ...")."""
        groups, prev = [], a
        for m in _PAGES.finditer(self.s, a, b):
            groups.append((prev, m.start(), parse_pages(m.group("list"))))
            prev = m.end()
        if prev < b:
            groups.append((prev, b, []))
        return groups

    def chunk(
        self, work: str, a: int, b: int, anchor: tuple[int, int], edition_default: str | None
    ) -> tuple[list[_Cite], str | None]:
        """One work's stretch of a sentence -> citations; also the edition it states."""
        edition = edition_default
        for m in _FILLER_RX.finditer(self.s[a:b]):
            if m.group("year"):
                edition = m.group("year")
            elif m.group("ord") and not edition:
                edition = {"1": "1st", "2": "2nd", "3": "3rd"}.get(
                    m.group("ord"), m.group("ord") + "th"
                )
        cites: list[_Cite] = []
        for g0, g1, pages in self.page_groups(a, b):
            group = self.walk(self.pieces(g0, g1, _CHUNK_SEP), work, None, None, topics_first=False)
            for c in group:
                c.pages = list(pages)
            if not group and pages and cites:
                for c in cites:
                    if not c.pages:
                        c.pages = list(pages)
            cites.extend(group)
        if not cites:
            pages = [p for _, _, ps in self.page_groups(a, b) for p in ps]
            cites.append(_Cite(work, None, *anchor, pages=pages))
        return cites, edition

    # ---- sentences

    def mtus_sentence(self, a: int, b: int) -> list[tuple[_Cite, str | None, bool]]:
        """2016-17 "MTUS <Work> <year>[, Section(s): ...][, and <Work> <year> ...]", else the
        2015 form "MTUS ACOEM Chapter 12 ... Page(s): ..., Chronic Pain Treatment Guidelines ..."
        """
        years = list(
            _HEAD_YEAR.finditer(self.s[a:b])
        )
        heads: list[tuple[int, int, int, str | None]] = []  # start, year end, year, iri
        # where a next head may start ("..., and <Work>", "; <Work>"): found once, looked up
        # per year, so a sentence naming thousands of works stays linear
        joins = [(a + x.start(), a + x.end())
                 for x in _HEAD_JOIN.finditer(self.s[a:b])]
        join_starts = [x0 for x0, _ in joins]
        prev = a
        for m in years:
            ys, ye = a + m.start(), a + m.end()
            if heads:
                between = joins[bisect_left(join_starts, prev):bisect_right(join_starts, ys)]
                starts = [x1 for _, x1 in between if x1 <= ys]
            else:
                starts = [a]
            if not starts:
                continue
            chosen, iri = starts[-1], None
            for st in starts:
                if ys - st > self.v.longest_citable:
                    continue  # too long to name a work
                hit = self.v.mtus_heads.get(label_key(self.s[st:ys]))
                if hit:
                    chosen, iri = st, hit
                    break
            if not heads and iri is None and not _SECTIONS_CASED.match(self.s[ye:b]):
                break  # not the 2016 layout (an unknown work is kept when it lists sections)
            heads.append((chosen, ye, int(m.group(1)), iri))
            prev = ye
        if heads:
            return self.mtus_2016(heads, a, b)
        return self.mtus_2015(a, b)

    def mtus_2016(
        self, heads: list[tuple[int, int, int, str | None]], a: int, b: int
    ) -> list[tuple[_Cite, str | None, bool]]:
        out: list[tuple[_Cite, str | None, bool]] = []
        for k, (hs, ye, year, iri) in enumerate(heads):
            end = b
            if k + 1 < len(heads):
                nxt = heads[k + 1][0]
                m = _JOIN_AT_END.search(self.s[ye:nxt])
                end = ye + m.start() if m else nxt
            head_end = hs + len(self.s[hs:ye].rstrip())
            year_at = _YEAR_AFTER_SPACE.search(self.s[hs:ye])
            name_end = hs + (year_at.start() if year_at else ye - hs)
            edition = str(year)
            if iri is None:  # a work the vocabulary lacks: one node for all it names
                hs, end = self.trim(hs, end)
                out.append((_Cite(None, None, hs, end, chapter=(hs, name_end)), edition, True))
                continue
            level = self.v.level(iri)
            work = self.v.work_of(iri)
            chapter = iri if level == "chapter" else None
            sec = _SECTIONS.match(self.s[ye:end])
            cites: list[_Cite] = []
            span = (hs, name_end)
            if sec:
                s0, s1 = self.trim(ye + sec.end(), end)
                if _NUMBERED_SECTION.match(self.s[s0:s1]):
                    cites = self.numbered(work, s0, s1)
                else:
                    # the head chapter itself is only cited when no section resolves
                    cites = self.walk(
                        self.pieces(s0, s1, _SECTION_SEP), work, chapter, None, topics_first=True
                    )
                    for c in cites:
                        if c.chapter is None and chapter:
                            c.chapter = span
            if not cites:
                cites = [_Cite(iri, None, hs, head_end, chapter=span if chapter else None)]
            cites[0].a = min(cites[0].a, hs)  # "Low Back Complaints 2004, Section(s): Summary"
            out.extend((c, edition, True) for c in cites)
        return out

    def numbered(self, work: str, a: int, b: int) -> list[_Cite]:
        """Opioid guideline sections: "3.3.9 Opioids for ...: Maintenance ..., 1.4 ..." ."""
        out = []
        starts = [a] + [a + m.end() for m in _NUMBER_CUT.finditer(self.s[a:b])]
        for k, st in enumerate(starts):
            en = starts[k + 1] if k + 1 < len(starts) else b
            p0, p1 = self.trim(st, en)
            number = _SECTION_NUMBER.match(self.s[p0:p1])
            num = number.group(0) if number else ""
            hit = self.v.by_notation(work, num) or self.v.find(work, self.s[p0:p1])
            out.append(_Cite(hit, None if hit else work, p0, p1, section=(p0, p1)))
        return out

    def mtus_2015(self, a: int, b: int) -> list[tuple[_Cite, str | None, bool]]:
        anchors = sorted(
            (m.start(), m.end(), cue.work, cue.default_edition)
            for anchor in self.v.anchors("MTUS")
            for cue in anchor.cues
            for m in anchor.pattern.finditer(self.s, a, b)
        )
        anchors = [x for k, x in enumerate(anchors) if k == 0 or x[0] >= anchors[k - 1][1]]
        out: list[tuple[_Cite, str | None, bool]] = []
        lead = self.trim(a, anchors[0][0] if anchors else b)
        if lead[1] > lead[0]:
            out.append((_Cite(None, None, *lead, section=lead), None, True))
        for k, (s0, s1, work, ed) in enumerate(anchors):
            end = anchors[k + 1][0] if k + 1 < len(anchors) else b
            cites, edition = self.chunk(work, s1, end, (s0, s1), ed)
            out.extend((c, edition, True) for c in cites)
        return out

    def non_mtus_sentence(self, a: int, b: int) -> list[tuple[_Cite, str | None, bool]]:
        """ODG / ACOEM / ACR citations, URLs, and anything else as its own titled source."""
        out: list[tuple[_Cite, str | None, bool]] = []
        blocked: list[tuple[int, int]] = []
        for m in _URL.finditer(self.s, a, b):
            u0, u1 = m.start(), m.end()
            while u1 > u0 and self.s[u1 - 1] in ".)":
                u1 -= 1
            url = self.s[u0:u1]
            out.append((_Cite(None, None, u0, u1, url=url), None, False))
            blocked.append((m.start(), m.end()))
        found: list[tuple[int, int, int, Anchor]] = []
        url_starts = [x0 for x0, _ in blocked]  # in text order, not overlapping
        for k, anchor in enumerate(self.v.anchors("non-MTUS")):
            for m in anchor.pattern.finditer(self.s, a, b):
                u = bisect_right(url_starts, m.start()) - 1
                if u < 0 or m.start() >= blocked[u][1]:  # not inside a URL
                    found.append((m.start(), m.end(), k, anchor))
        found.sort(key=lambda x: x[:3])
        anchors = [(s0, s1, anchor) for s0, s1, _, anchor in found]
        anchors = [x for k, x in enumerate(anchors) if k == 0 or x[0] >= anchors[k - 1][1]]
        # a work's stretch runs to the next anchor or URL; the rest is free text
        stretches: list[tuple[int, int, int, Anchor]] = []
        anchor_starts = [x[0] for x in anchors]  # sorted
        for s0, s1, work in anchors:
            k = bisect_right(anchor_starts, s0)
            u = bisect_left(url_starts, s1)
            end = min(
                ([anchor_starts[k]] if k < len(anchor_starts) else [])
                + ([url_starts[u]] if u < len(url_starts) else []) + [b]
            )
            stretches.append((s0, s1, self.strip_connector(s1, end), work))
        covered = sorted(blocked + [(s0, e) for s0, _, e, _ in stretches])
        prev = a
        for x0, x1 in [*covered, (b, b)]:
            seg = self.trim(prev, x0)
            if seg[1] > seg[0] and label_key(self.s[seg[0] : seg[1]]) not in _CONNECTORS:
                out.append((self.free_source(*seg), None, False))
            prev = max(prev, x1)
        for s0, s1, end, anchor in stretches:
            cites, edition = self.anchored(anchor, s0, s1, end)
            out.extend((c, edition, False) for c in cites)
        return out

    def strip_connector(self, a: int, b: int) -> int:
        m = _TRAILING_CONNECTOR.search(self.s[a:b])
        return a + m.start() if m else b

    def anchored(
        self, anchor: Anchor, s0: int, s1: int, end: int
    ) -> tuple[list[_Cite], str | None]:
        """One work's stretch of a non-MTUS sentence.  When the anchor's words name several
        works (ACOEM: the 2nd edition adopted in the MTUS, or the 3rd), the edition words in
        the stretch decide; else the default cue's work and then the others are tried and the
        first whose words resolve below it wins; else the default cue's work is assumed."""
        body = self.s[s1:end]
        if len(anchor.cues) == 1:
            return self.chunk(anchor.cues[0].work, s1, end, (s0, s1), None)
        chosen = next((c for c in anchor.cues if c.edition_cue and c.edition_cue.search(body)),
                      None)
        order = [chosen] if chosen else [anchor.default] + [
            c for c in anchor.cues if c is not anchor.default]
        for cue in order:
            cites, edition = self.chunk(cue.work, s1, end, (s0, s1), None)
            if edition is None and cue.edition_from_cue and cue.edition_cue \
                    and cue.edition_cue.search(body):
                edition = cue.edition_from_cue
            if len(order) == 1 or any(c.iri and c.iri != cue.work for c in cites):
                return cites, edition
        return self.chunk(anchor.default.work, s1, end, (s0, s1), None)

    def free_source(self, a: int, b: int) -> _Cite:
        """A source outside the guideline works: its own node titled with the cited words,
        below the work the first matching free-source cue names (UpToDate, FDA label, ...)."""
        text = self.s[a:b]
        cues = self.v.free_sources()
        cue = next((c for c in cues if c.pattern is None or c.pattern.search(text)), cues[-1])
        if cue.title_end is not None:
            m = cue.title_end.search(text)
            t1 = a + m.start() if m and m.start() > 0 else b
            a, b = self.trim(a, t1)
        return _Cite(None, cue.work, a, b, section=(a, b), work=cue.work)

    # ---- records

    def record(self, c: _Cite, edition: str | None, mtus: bool) -> GuidelineCitation:
        v = self.v
        text = self.t.fact(c.a, c.b)
        chapter_text = self.s[c.chapter[0] : c.chapter[1]] if c.chapter else None
        section_text = self.s[c.section[0] : c.section[1]] if c.section else None
        if chapter_text:
            chapter_text = _CHAPTER_PREFIX.sub("", chapter_text)
            chapter_text = chapter_text or None
        if c.iri:
            chapter = v.chapter_of(c.iri)
            if chapter and chapter.iri == c.iri and section_text and not chapter_text:
                chapter_text, section_text = section_text, None  # "General Approaches: <ch>"
            return GuidelineCitation(
                text=text,
                mtus=mtus,
                guideline=c.iri,
                guideline_label=v.concepts[c.iri].pref,
                in_vocabulary=True,
                work=v.work_of(c.iri),
                edition=edition,
                chapter_number=v.chapter_number(c.iri),
                chapter=chapter_text,
                section=section_text,
                pages=c.pages,
                url=c.url,
            )
        label = c.url or (section_text if section_text else text.value)
        scope = c.scope if c.scope in v.concepts else None
        return GuidelineCitation(
            text=text,
            mtus=mtus,
            guideline=mint_iri(label, scope),
            guideline_label=label,
            in_vocabulary=False,
            work=c.work or (v.work_of(scope) if scope else None),
            edition=edition,
            chapter_number=v.chapter_number(scope),
            chapter=chapter_text,
            section=None if c.url else section_text,
            pages=c.pages,
            url=c.url,
            broader=scope,
        )


def _sentences(s: str) -> Iterable[tuple[int, int]]:
    found = list(_DECISION.finditer(s))
    if not found:
        return []
    ends = [m.start() for m in found[1:]] + [len(s)]
    return [(m.end(), e) for m, e in zip(found, ends, strict=True)]


def resolve_statement(
    statement: GuidelineStatement, index: GuidelineIndex | None = None
) -> GuidelineStatement:
    """The statement with its citations parsed and resolved (a new record; the input is kept).

    Grammar, per "Decision based on" sentence of the statement as written:

    * ``MTUS <Work> <year>[ Guidelines][, Section(s): <s1>, <s2>][, and <Work> <year> ...]`` —
      2016-17 letters.  Section titles may contain commas, so known titles are matched longest
      first before splitting on commas; Opioid guideline sections split at their numbers.
    * ``MTUS ACOEM Chapter <n> <title>, Chapter <m> <title> Page(s): <pages>, Chronic Pain
      Treatment Guidelines <topic> Page(s): <pages>`` — 2015 letters.  A page list that follows
      several chapters belongs to that whole group and is attached to each chapter of it: the
      letter does not say which page belongs to which chapter, and attaching to all keeps the
      information without inventing a split.  The editions 2015 letters leave unstated are the
      cues' imr:defaultEdition.
    * ``Non-MTUS Citation <ODG | ACOEM | ACR ...> <chapter>, <topic>; <chapter> ...``, URLs
      (each its own citation) and free titles (UpToDate, FDA labels, articles).
    """
    written = statement.written
    if written is None:  # a record built without the letter's wording: nothing to read
        return statement
    v = index or guideline_index()
    t = StatementText(written.value, written.span.start)
    s = t.s
    body0 = len(s) - len(statement.text.value)
    p = _Parser(t, v)
    raw: list[tuple[_Cite, str | None, bool]] = []
    sentences = list(_sentences(s))
    if not sentences and not NO_EVIDENCE.search(s):
        rest = OUTSIDE_MTUS.sub(" ", s[body0:])
        if label_key(rest):
            m = OUTSIDE_MTUS.search(s, body0)
            a = m.end() if m else body0
            sentences = [(a, len(s))]
    for a, b in sentences:
        a, b = p.trim(a, b)
        if b <= a:
            continue
        m = _NON_MTUS.match(s, a)
        if m:
            raw.extend(p.non_mtus_sentence(m.end(), b))
            continue
        m = _MTUS.match(s, a)
        if m:
            raw.extend(p.mtus_sentence(m.end(), b))
            continue
        raw.extend(p.non_mtus_sentence(a, b))
    return replace(statement, citations=[p.record(c, ed, mtus) for c, ed, mtus in raw])


def parse_guideline_statement(text: str, start: int, party: Party) -> GuidelineStatement:
    """Parse one party's statement as written in a letter (``start`` its offset there) into
    flags and resolved citations: ``imrgraph.parse.parse_statement`` then
    ``resolve_statement``."""
    return resolve_statement(parse_statement(text, start, party))
