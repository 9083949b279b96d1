"""Crafted letters that once made parsing superlinear (issue 16, item 7), made on the fly.

Each maker takes a real letter's text and a size in characters and returns the letter with
about that much extra text of one hostile kind: header lines repeated inside a guideline
statement, one very long guideline statement or sentence, a statement with no separators, deeply
nested parentheses, a very long rationale, heading, diagnosis list or run of abbreviations, very
many items.  ``CRAFTED`` names them all; tests/test_hostile.py times each at two sizes.
"""

from __future__ import annotations

from collections.abc import Callable

HEADER_LINES = (
    "Case Number: CM16-0248698\n"
    "Date Assigned: 01/04/2017 Date of Injury: 10/26/2016\n"
    "Decision Date: 02/02/2017 UR Denial Date: 12/23/2016\n"
    "Priority: Standard Application Received: 12/28/2016\n"
    "Claims Administrator guideline:\n"
)
CITATIONS = (
    "Decision based on MTUS ACOEM Practice Guidelines, Chapter 12, Low Back Complaints, "
    "page 303; ODG Low Back Chapter, MRI; "
)
_CA = "Claims Administrator guideline:"
_MX = "MAXIMUS guideline:"
_DR = "Decision rationale:"


def _repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit) + 1)


def _insert(text: str, marker: str, extra: str, after: bool = True) -> str:
    at = text.index(marker) + (len(marker) if after else 0)
    return text[:at] + extra + text[at:]


def header_flood(text: str, size: int) -> str:
    """Header table lines repeated inside the first item's expert reviewer statement."""
    return _insert(text, _DR, _repeat(HEADER_LINES, size) + "\n", after=False)


def header_flood_end(text: str, size: int) -> str:
    """Header table lines repeated after the letter (inside its last rationale)."""
    return text + "\n" + _repeat(HEADER_LINES, size)


def _in_statement(opener: str, unit: str) -> Callable[[str, int], str]:
    """A maker putting ``opener`` and ``unit`` repeated into the first Claims Administrator
    statement."""
    def make(text: str, size: int) -> str:
        return _insert(text, _CA, " " + opener + _repeat(unit, size))

    return make


#: one statement made of thousands of citation sentences
long_statement = _in_statement("", CITATIONS)
#: one "Decision based on" sentence citing the same chapters thousands of times
one_long_sentence = _in_statement(
    "Decision based on ",
    "MTUS ACOEM Practice Guidelines, Chapter 12, Low Back Complaints, page 303; ")
#: a 2016-layout MTUS sentence naming thousands of works with years
mtus_years = _in_statement(
    "Decision based on MTUS ", "Low Back Complaints 2004, Section(s): Special Studies, and ")
#: a Non-MTUS sentence with thousands of work anchors and URLs
non_mtus_anchors = _in_statement(
    "Decision based on Non-MTUS Citation ",
    "ODG Low Back Chapter, MRI; ACOEM Chapter 12 Low Back Complaints; http://www.odg-twc.com ")
#: citation words with no comma, colon or full stop between them
no_separators = _in_statement(
    "Decision based on Non-MTUS Citation ODG ",
    "Low Back Lumbar and Thoracic Knee and Leg MRI Elbow Heat therapy ")


def nested_parentheses(text: str, size: int) -> str:
    """A guideline statement of deeply nested parentheses around a citation."""
    depth = size // 2
    body = "(" * depth + "ODG Low Back Chapter, MRI" + ")" * depth
    return _insert(text, _CA, " Decision based on Non-MTUS Citation " + body + ". ")


def long_rationale(text: str, size: int) -> str:
    """A rationale of thousands of sentences, with abbreviations and guideline quotations."""
    unit = ("The MTUS states that MRI is recommended, e.g. when red flags are present. "
            "In this case, there is no documentation of red flags or failed conservative care. "
            "\"Physical therapy 10 visits over 8 weeks\" is recommended. ")
    return _insert(text, _DR, " " + _repeat(unit, size))


def _in_heading(unit: str) -> Callable[[str, int], str]:
    """A maker putting ``unit`` repeated into the first item's heading, before its outcome."""
    def make(text: str, size: int) -> str:
        first = text.index(_CA)
        colon = max(text.rfind(": Upheld", 0, first), text.rfind(": Overturned", 0, first))
        return text[:colon] + " " + _repeat(unit, size) + text[colon:]

    return make


#: an item heading of one enormous line
long_heading = _in_heading("X-rays lumbar spine ")
#: a heading repeating the partial-authorisation words thousands of times
partial_heading = _in_heading(
    "Norco was the original request. Norco #60 was authorized by the Claims ")
#: a heading naming a drug and a frequency thousands of times
drug_heading = _in_heading("Norco 10/325mg daily #90 Tylenol #3 ")
#: a course of treatment named with a frequency word thousands of times
course_heading = _in_heading("Physical therapy daily 2 x ")


def many_items(text: str, size: int) -> str:
    """The letter's first item repeated thousands of times (a plausible structure)."""
    start = text.index("set forth below:") + len("set forth below:")
    second = text.index(_CA, text.index(_DR))
    block_end = text.rindex(":", 0, second)  # the second item's outcome colon
    block_end = text.rindex("\n", 0, text.rindex("\n", 0, block_end - 1)) + 1
    return text[:start] + _repeat(text[start:block_end], size) + text[start:]


def credential_prose(text: str, size: int) -> str:
    """Thousands of unfinished credential sentences (and no credentials table) before the
    case summary."""
    unit = "The expert reviewer is Board Certified in Orthopaedic Surgery and has a practice "
    text = text.replace("State(s) of Licensure:", "Licensure").replace(
        "Certification(s)/Specialty:", "Specialty")
    return _insert(text, "CLINICAL CASE SUMMARY", _repeat(unit, size) + "\n", after=False)


def abbreviations(text: str, size: int) -> str:
    """A rationale "sentence" of thousands of abbreviations that never end it."""
    return _insert(text, _DR, " There is no documentation, " + _repeat("e.g. Norco vs. Motrin ",
                                                                       size) + ". ")


def long_diagnoses(text: str, size: int) -> str:
    """A case summary's diagnosis list of one enormous phrase (no comma, no full stop)."""
    unit = "lumbar sprain with radiculopathy (L4-L5) "
    return _insert(text, "case file, including all medical records:",
                   " The current diagnoses are " + _repeat(unit, size) + ". ")


def mechanism(text: str, size: int) -> str:
    """A case summary repeating how the injury happened without ever ending the sentence."""
    unit = "the mechanism of injury was described as lifting boxes and "
    text = text.replace("mechanism of injury", "cause")
    return _insert(text, "IMR ISSUES, DECISIONS", "In summary " + _repeat(unit, size) + "\n",
                   after=False)


CRAFTED: dict[str, Callable[[str, int], str]] = {
    "header-flood": header_flood,
    "header-flood-end": header_flood_end,
    "long-statement": long_statement,
    "one-long-sentence": one_long_sentence,
    "mtus-years": mtus_years,
    "non-mtus-anchors": non_mtus_anchors,
    "no-separators": no_separators,
    "nested-parentheses": nested_parentheses,
    "long-rationale": long_rationale,
    "long-heading": long_heading,
    "many-items": many_items,
    "credential-prose": credential_prose,
    "partial-heading": partial_heading,
    "drug-heading": drug_heading,
    "course-heading": course_heading,
    "abbreviations": abbreviations,
    "long-diagnoses": long_diagnoses,
    "mechanism": mechanism,
}
