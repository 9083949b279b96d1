"""Every field of the bundled letters against values read by hand (tests/expected/*.json)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import EXPECTED, LETTERS, corpus_letters, expected_files, load_expected

from imrgraph.api import parse_file
from imrgraph.records import Determination, GuidelineStatement


def _norm(s: str | None) -> str | None:
    return None if s is None else re.sub(r"\s+", " ", s).strip()


def _loose(s: str) -> str:
    """Compare cited wording without caring about spacing, case or soft-wrap hyphens."""
    return re.sub(r"[\s\-]+", "", s).lower()


@pytest.fixture(scope="module", params=expected_files(), ids=lambda p: p.stem)
def case(request: pytest.FixtureRequest) -> tuple[dict, Determination]:
    expected = load_expected(request.param)
    return expected, parse_file(LETTERS / expected["file"])


def test_header(case: tuple[dict, Determination]) -> None:
    expected, det = case
    for name, value in expected["header"].items():
        fact = getattr(det.header, name)
        got = None if fact is None else (
            fact.value.isoformat() if hasattr(fact.value, "isoformat") else fact.value)
        assert got == value, f"header {name}"


def test_reviewer(case: tuple[dict, Determination]) -> None:
    expected, det = case
    assert [f.value for f in det.reviewer.licensure_states] == expected["reviewer"][
        "licensure_states"]
    assert [f.value for f in det.reviewer.specialties] == expected["reviewer"]["specialties"]


def test_worker(case: tuple[dict, Determination]) -> None:
    expected, det = case
    w = expected["worker"]
    assert (det.worker.age.value if det.worker.age else None) == w["age"]
    assert (det.worker.sex.value if det.worker.sex else None) == w["sex"]
    doi = det.worker.date_of_injury
    assert (doi.value.isoformat() if doi else None) == w["date_of_injury"]


def test_items_and_outcomes(case: tuple[dict, Determination]) -> None:
    expected, det = case
    got = [(i.label.value, i.outcome.value) for i in det.items]
    want = [(_norm(i["label"]), i["outcome"]) for i in expected["items"]]
    assert got == want


def test_partial_authorisations(case: tuple[dict, Determination]) -> None:
    expected, det = case
    for item, want in zip(det.items, expected["items"], strict=True):
        got_orig = item.original_request.value if item.original_request else None
        got_auth = item.authorized_portion.value if item.authorized_portion else None
        assert got_orig == _norm(want["original_request"]), item.label.value
        assert got_auth == _norm(want["authorized_portion"]), item.label.value


def _check_statement(got: GuidelineStatement | None, want: dict, where: str) -> None:
    assert got is not None, f"{where}: statement missing"
    assert got.cited_no_evidence == want["cited_no_evidence"], where
    assert got.outside_mtus == want["outside_mtus"], where
    got_cites = [(c.text.value, c.mtus, [[p.start, p.end] for p in c.pages]) for c in got.citations]
    assert len(got.citations) == len(want["citations"]), f"{where}: {got_cites}"
    for c, cite in zip(got.citations, want["citations"], strict=True):
        assert _loose(cite["cites"]) in _loose(c.text.value), f"{where}: {got_cites}"
        assert c.mtus == cite["mtus"], f"{where}: {cite['cites']}"
        if not cite.get("pages_group"):
            assert [[p.start, p.end] for p in c.pages] == cite["pages"], f"{where}: {got_cites}"


def test_guideline_statements(case: tuple[dict, Determination]) -> None:
    expected, det = case
    for item, want in zip(det.items, expected["items"], strict=True):
        for party, key in (("claims-administrator", "claims_administrator"),
                           ("expert-reviewer", "expert_reviewer")):
            if want.get(key) is None:
                assert item.statement(party) is None
                continue
            _check_statement(item.statement(party), want[key], f"{item.label.value} / {party}")


def test_spans_point_at_the_words(case: tuple[dict, Determination]) -> None:
    expected, det = case
    from imrgraph.ingest import collapse, read_letter

    text = read_letter(LETTERS / expected["file"]).text
    for item in det.items:
        assert collapse(text[item.label.span.start:item.label.span.end]) == item.label.value
        assert text[item.outcome.span.start:item.outcome.span.end].lower() == (
            item.outcome.value.lower())
        for st in item.statements:
            for c in st.citations:
                assert c.text.span.start >= st.text.span.start
                assert c.text.span.end <= st.text.span.end


def _corpus_counts() -> dict[str, tuple[int, int, int]]:
    path = EXPECTED / "all_letters.csv"
    if not path.exists():
        return {}
    with path.open() as fh:
        return {r["file"]: (int(r["items"]), int(r["upheld"]), int(r["overturned"]))
                for r in csv.DictReader(fh)}


@pytest.mark.corpus
@pytest.mark.parametrize("letter", corpus_letters(), ids=lambda p: p.name)
def test_corpus_item_counts_match_a_reading(letter: Path) -> None:
    """All 77 letters: item and outcome counts as a person reading them counted."""
    counts = _corpus_counts()
    if letter.name not in counts:
        pytest.fail(f"{letter.name} missing from tests/expected/all_letters.csv")
    det = parse_file(letter)
    upheld = sum(i.outcome.value == "Upheld" for i in det.items)
    overturned = sum(i.outcome.value == "Overturned" for i in det.items)
    assert (len(det.items), upheld, overturned) == counts[letter.name]


@pytest.mark.corpus
def test_corpus_is_available() -> None:
    """The corpus run (--corpus) has all 77 letters; say so loudly if not."""
    assert corpus_letters(), "../shared/corpus not found beside the checkout"
    assert len(corpus_letters()) == 77


@pytest.mark.parametrize(("name", "mechanism"), [
    ("CM16-0230651.txt", "a slip and fall"),
    ("CM16-0248698.txt", "cumulative trauma"),
    ("CM16-0238035.txt", None),  # "The mechanism of injury was not detailed ..."
    ("000_0a410e5aa90ad013.txt", "She reported stepping onto a broken step stool that collapsed "
     "causing her to fall onto her left leg and side and also cutting her arms and hands from "
     "hitting a shelf as she fell."),
    ("003_7cc401d07c694c1e.txt", "The injured workers and 37-year-old female who is reported to "
     "have sustained injuries to her low back as a result of lifting trash bags on 01/09/14."),
])
def test_how_the_injury_happened(name: str, mechanism: str | None) -> None:
    det = parse_file(LETTERS / name)
    assert (det.worker.injury_mechanism.value if det.worker.injury_mechanism else None) == (
        mechanism)


@pytest.mark.parametrize(("name", "diagnoses", "treatments"), [
    ("000_0a410e5aa90ad013.txt",
     ["lumbago", "left leg radiculopathy with hip flexor weakness",
      "left hip degenerative joint disease"],
     ["laboratory studies", "physical therapy (only done immediately after the injury in 2008)",
      "medication regimen", "magnetic resonance imaging of the lumbosacral spine",
      "x-ray of the pelvis", "magnetic resonance imaging of the pelvis and left hip"]),
    ("001_9c78cd4ffcf5a619.txt",
     ["lumbago", "spasm of muscle", "therapeutic drug monitoring", "long term use of medications",
      "chronic pain syndrome", "obesity", "hypertension"],
     ["disc replacement in 2010", "physical therapy", "oral medications"]),
    ("CM16-0239569.txt", None, None),
])
def test_diagnoses_and_treatments_to_date(name: str, diagnoses: list[str] | None,
                                          treatments: list[str] | None) -> None:
    det = parse_file(LETTERS / name)
    got_dx = [f.value for f in det.summary.diagnoses]
    if diagnoses is None:
        assert got_dx and not any(d.startswith("are documented") for d in got_dx)
        return
    assert got_dx == diagnoses
    assert [f.value for f in det.summary.treatments_to_date] == treatments
