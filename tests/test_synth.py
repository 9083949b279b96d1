"""The synthetic corpus: deterministic, realistic, and read back exactly as generated.

Why: the scale benchmarks and the validation-equivalence test rest on synthetic letters, so
they must parse like real ones.  Every fact the generator wrote (header, credentials, worker,
items, outcomes, partial authorisations, both statements with their citations and pages, the
rationale) is compared with what ``imrgraph.parse`` reads back.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from imrgraph import api
from imrgraph.errors import ImrgraphError
from imrgraph.ingest import LetterText, normalise_text
from imrgraph.pipeline import determination_of
from imrgraph.records import Determination, Fact, SourceDocument
from imrgraph.resolve.treatments import classify_item
from imrgraph.resources import files
from imrgraph.testing import synth
from imrgraph.testing.synth import (
    GL,
    LetterTruth,
    generate,
    generate_letter,
    generate_with_truth,
    guideline_slugs,
    item_labels,
    summary_counts,
    truth_jsonable,
    write_corpus,
)

SEED = 2024
N = 300


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str, LetterTruth]]:
    return list(generate_with_truth(N, SEED))


def _parse(name: str, text: str) -> Determination:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return determination_of(LetterText(normalise_text(text),
                                       SourceDocument(name, digest, "text/plain")))


def _v(fact: Fact | None) -> object:
    return fact.value if fact is not None else None


def _differences(det: Determination, t: LetterTruth) -> list[str]:
    """Every field where the parsed record and the generator's truth disagree."""
    out: list[str] = []

    def eq(what: str, parsed: object, truth: object) -> None:
        if parsed != truth:
            out.append(f"{t.name} {what}: parsed {parsed!r}, generated {truth!r}")

    h = det.header
    eq("case number", _v(h.case_number), t.case_number)
    eq("date assigned", _v(h.date_assigned), t.date_assigned)
    eq("date of injury", _v(h.date_of_injury), t.date_of_injury)
    eq("decision date", _v(h.decision_date), t.decision_date)
    eq("UR denial date", _v(h.ur_denial_date), t.ur_denial_date)
    eq("application received", _v(h.application_received), t.application_received)
    eq("priority", _v(h.priority), t.priority)
    eq("age", _v(det.worker.age), t.age)
    eq("sex", _v(det.worker.sex), t.sex)
    eq("worker date of injury", _v(det.worker.date_of_injury), t.date_of_injury)
    eq("credential form", det.reviewer.credential_form, t.credential_form)
    eq("specialties", tuple(f.value for f in det.reviewer.specialties), t.specialties)
    eq("states", tuple(f.value for f in det.reviewer.licensure_states), t.licensure_states)
    eq("item count", len(det.items), len(t.items))
    for parsed, truth in zip(det.items, t.items, strict=False):
        n = f"item {parsed.number}"
        eq(f"{n} label", parsed.label.value, truth.label)
        eq(f"{n} outcome", parsed.outcome.value, truth.outcome)
        eq(f"{n} original request", _v(parsed.original_request), truth.original_request)
        eq(f"{n} authorised portion", _v(parsed.authorized_portion), truth.authorized_portion)
        eq(f"{n} rationale", _v(parsed.rationale), truth.rationale)
        eq(f"{n} parties", [s.party for s in parsed.statements],
           [s.party for s in truth.statements])
        for ps, ts in zip(parsed.statements, truth.statements, strict=False):
            eq(f"{n} {ts.party} no evidence", ps.cited_no_evidence, ts.cited_no_evidence)
            eq(f"{n} {ts.party} outside MTUS", ps.outside_mtus, ts.outside_mtus)
            eq(f"{n} {ts.party} citations",
               [(c.guideline, tuple(str(p) for p in c.pages)) for c in ps.citations],
               [(c.guideline, c.pages) for c in ts.citations])
    eq("warnings", det.warnings, [])
    return out


def test_same_seed_gives_same_bytes(tmp_path: Path) -> None:
    first = list(generate(40, 7))
    assert first == list(generate(40, 7))
    assert first != list(generate(40, 8))
    paths = write_corpus(tmp_path, 40, 7)
    assert [(p.name, p.read_bytes()) for p in paths] == [(n, t.encode()) for n, t in first]
    # a letter depends only on (seed, index): generation can start anywhere or run in parallel
    assert generate_letter(7, 39)[:2] == first[39]
    assert list(generate_with_truth(5, 7, start=35)) == [generate_letter(7, i)
                                                         for i in range(35, 40)]


def test_case_numbers_are_unique_and_well_formed() -> None:
    from imrgraph.testing.synth import _case_number

    numbers = [_case_number(3, i, 2016)[5:] for i in range(200_000)]
    assert len(set(numbers)) == len(numbers)
    names = [name for name, _ in generate(500, 3)]
    assert len(set(names)) == 500
    assert all(re.fullmatch(r"CM\d{2}-[5-9]\d{6}\.txt", n) for n in names)


def test_every_synthetic_letter_parses_as_generated(
    corpus: list[tuple[str, str, LetterTruth]],
) -> None:
    problems = [d for name, text, truth in corpus for d in _differences(_parse(name, text), truth)]
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:15])


def test_corpus_covers_the_structures_of_the_real_letters(
    corpus: list[tuple[str, str, LetterTruth]],
) -> None:
    texts = [text for _, text, _ in corpus]
    truths = [t for _, _, t in corpus]
    counts = summary_counts(truths)
    assert counts["layout_2015"] and counts["layout_2015"] < N // 2
    assert counts["prose_credentials"] and counts["overturned"] and counts["partial"]
    assert any("Board Certified in" in x for x in texts)
    assert any("State(s) of Licensure:" in x for x in texts)
    assert any("was authorized by the Claims" in " ".join(x.split()) for x in texts)
    assert any("leaving the original request IMR eligible" in " ".join(x.split()) for x in texts)
    assert any(re.search(r"\bis:\s*\n\s*(?:Upheld|Overturned)", x) for x in texts)
    assert any(re.search(r":\s*\n\s*(?:Upheld|Overturned)", x) for x in texts)
    assert any("\n \n\n" in x for x in texts)  # 2015 double spacing / 2016 page breaks
    assert any(re.search(r"Non- \n+MTUS", x) for x in texts)  # hyphen broken over lines
    for phrase in ("Section(s):", "Non-MTUS Citation Official Disability Guidelines",
                   "Page(s):", "did not cite any medical evidence", "outside of the MTUS",
                   "did not base their decision on the MTUS", ", and "):
        assert any(phrase in " ".join(x.split()) for x in texts), phrase
    items = [len(t.items) for t in truths]
    assert min(items) == 1 and max(items) >= 10
    pages = [c.pages for t in truths for i in t.items for s in i.statements for c in s.citations]
    assert any(len(p) > 1 for p in pages) and sum(1 for p in pages if p) > 20
    assert len({t.age for t in truths}) > 30 and {t.sex for t in truths} == {"female", "male"}
    assert len({t.date_assigned for t in truths}) > 200


def test_synthetic_letters_build_and_conform(tmp_path: Path) -> None:
    write_corpus(tmp_path, 120, 99)
    result = api.build([str(tmp_path)], include_vocabulary=False)
    summary = result.report.summary()
    assert summary["built"] == 120 and summary["rejected"] == 0, result.report.rejected[:3]
    assert result.validation.conforms
    assert result.validation.results == []


def test_truth_is_json_ready(corpus: list[tuple[str, str, LetterTruth]]) -> None:
    name, _, truth = corpus[0]
    data = json.loads(json.dumps(truth_jsonable(truth)))
    assert data["name"] == name and data["date_assigned"] == truth.date_assigned.isoformat()
    assert len(data["items"]) == len(truth.items)


def test_synth_command_writes_letters_that_build(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from imrgraph.cli import main

    run = CliRunner().invoke(main, ["synth", "5", "-o", str(tmp_path / "c"), "--seed", "3"])
    assert run.exit_code == 0, run.output
    files = sorted((tmp_path / "c").glob("*.txt"))
    assert len(files) == 5
    again = CliRunner().invoke(main, ["synth", "5", "-o", str(tmp_path / "d"), "--seed", "3"])
    assert again.exit_code == 0
    assert [f.read_bytes() for f in files] == [
        f.read_bytes() for f in sorted((tmp_path / "d").glob("*.txt"))]
    result = api.build([str(tmp_path / "c")], include_vocabulary=False)
    assert result.report.summary()["letters"] == 5 and result.validation.conforms


# ------------------------------------------------------------ the tables against the vocabularies


def _vocabulary(name: str) -> Graph:
    """The shipped vocabulary file itself (not a copy of its terms)."""
    graph = Graph()
    for path in files("ontology", name):
        graph.parse(path, format="turtle")
    assert len(graph) > 100, name
    return graph


def test_every_guideline_the_tables_cite_is_a_concept_of_guidelines_ttl() -> None:
    graph = _vocabulary("guidelines.ttl")
    concepts = {str(c) for c in graph.subjects(RDF.type, SKOS.Concept)}
    slugs = guideline_slugs()
    assert len(slugs) > 60  # heads, their sections, non-MTUS and 2015 citations
    missing = sorted(s for s in slugs if GL + s not in concepts)
    assert not missing, f"not in ontology/guidelines.ttl: {missing}"
    for slug in slugs:
        assert graph.value(URIRef(GL + slug), SKOS.prefLabel) is not None, slug


def test_every_item_label_is_recognised_by_treatments_ttl() -> None:
    """A synthetic request the treatment vocabulary cannot classify would not look real."""
    concepts = {str(c) for c in _vocabulary("treatments.ttl").subjects(RDF.type, SKOS.Concept)}
    labels = item_labels()
    assert len(labels) > 100
    unknown = [(label, c.category) for label in labels
               if not (c := classify_item(label)).in_vocabulary or c.category not in concepts]
    assert not unknown, f"not recognised by ontology/treatments.ttl: {unknown[:10]}"


def test_a_broken_table_is_reported_with_its_file() -> None:
    entry = {"name": "x", "labels": ["MRI"], "mtus": [{"head": "elbow", "sections": ["Nope"]}],
             "non_mtus": [], "mtus_2015": [], "chronic_2015": [], "reasons": ["r"],
             "region": "lumbar"}
    with pytest.raises(ImrgraphError, match=r"families\.toml: x: elbow has no section"):
        synth._family(entry)
    entry["mtus"] = []
    entry["non_mtus"] = ["odg-nowhere"]
    with pytest.raises(ImrgraphError, match="unknown non_mtus key"):
        synth._family(entry)
