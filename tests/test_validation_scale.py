"""Per-letter SHACL validation reports exactly what whole-graph validation reports.

Why: ``build`` validates letter by letter (bounded memory, parallel), which is only right if
no shape looks across letters.  This test builds a sample - the bundled letters, ~200
synthetic letters, and letters broken on purpose - validates the merged graph with pySHACL (the
reference engine) in one go, each letter's graph on its own, and each letter in 2 worker
processes, and asserts the reports hold the same set of (focus node, path, constraint
component, severity, message, value).  When pyshacl-turbo is installed (``engine="auto"``
uses it) its per-letter and whole-graph reports must be that same set too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import LETTERS, ROOT
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import XSD

from imrgraph import api
from imrgraph.mapping import LetterTriples, determination_triples, graph_of
from imrgraph.testing.synth import write_corpus
from imrgraph.validate import ValidationReport, engine_in_use, validate_graph, validate_letters
from imrgraph.vocab import IMR, SDO, bind_prefixes

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.validate_parallel import letter_ntriples, validate_letters_parallel  # noqa: E402

Triples = list[tuple]
Key = tuple[str, str, str, str, str, str]


def _first(triples: Triples, cls: URIRef) -> URIRef:
    return sorted(s for s, p, o in triples if p == RDF.type and o == cls)[0]


def _no_outcome(triples: Triples) -> Triples:
    item = _first(triples, IMR.DisputedItem)
    return [t for t in triples if not (t[0] == item and t[1] == IMR.outcome)]


def _second_party(triples: Triples) -> Triples:
    citation = _first(triples, IMR.GuidelineCitation)
    party = next(o for s, p, o in triples if s == citation and p == IMR.citingParty)
    other = (IMR.ExpertReviewerParty if party == IMR.ClaimsAdministratorParty
             else IMR.ClaimsAdministratorParty)
    return [*triples, (citation, IMR.citingParty, other)]


def _pages_backwards(triples: Triples) -> Triples:
    pr = _first(triples, IMR.PageRange)
    kept = [t for t in triples if not (t[0] == pr and t[1] in (SDO.pageStart, SDO.pageEnd))]
    return [*kept, (pr, SDO.pageStart, Literal(315, datatype=XSD.integer)),
            (pr, SDO.pageEnd, Literal(287, datatype=XSD.integer))]


def _bad_case_number(triples: Triples) -> Triples:
    det = _first(triples, IMR.Determination)
    kept = [t for t in triples if not (t[0] == det and t[1] == IMR.caseNumber)]
    return [*kept, (det, IMR.caseNumber, Literal("CM16-12345"))]


def _age(value: Literal) -> Callable[[Triples], Triples]:
    def breaker(triples: Triples) -> Triples:
        worker = _first(triples, IMR.InjuredWorker)
        kept = [t for t in triples if not (t[0] == worker and t[1] == IMR.age)]
        return [*kept, (worker, IMR.age, value)]

    return breaker


#: breaker, the (path, constraint) it must cause, and whether the letter needs page ranges
BREAKERS: list[tuple[Callable[[Triples], Triples], str, str, bool]] = [
    (_no_outcome, "imr:outcome", "MinCountConstraintComponent", False),
    (_second_party, "imr:citingParty", "MaxCountConstraintComponent", False),
    (_pages_backwards, "schema:pageStart", "LessThanOrEqualsConstraintComponent", True),
    (_bad_case_number, "imr:caseNumber", "PatternConstraintComponent", False),
    (_age(Literal(7, datatype=XSD.integer)), "imr:age", "MinInclusiveConstraintComponent", False),
    (_age(Literal(130, datatype=XSD.integer)), "imr:age", "MaxInclusiveConstraintComponent",
     False),
    (_age(Literal("thirty-one")), "imr:age", "DatatypeConstraintComponent", False),
]


def _keys(report: ValidationReport) -> set[Key]:
    return {(v.focus_node, v.path, v.constraint, v.severity, v.message, v.value)
            for v in report.results}


def _letter_key(focus_node: str) -> str:
    """The case key in a focus node's IRI (.../determination/<key>/...)."""
    found = re.search(r"determination/([^/>]+)", focus_node)
    assert found, focus_node
    return found.group(1)


def _letter_graph(letter: LetterTriples) -> Graph:
    graph = bind_prefixes(Graph())
    for t in (*letter.triples, *letter.shared):
        graph.add(t)
    return graph


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[LetterTriples], list[str]]:
    """Bundled + synthetic letters, two of each kind broken; returns letters and broken keys."""
    folder = tmp_path_factory.mktemp("synthetic")
    paths = sorted(LETTERS.glob("*.txt")) + write_corpus(folder, 200, 31337)
    letters = [determination_triples(api.parse_file(p)) for p in paths]
    assert len({letter.key for letter in letters}) == len(letters)
    broken: list[str] = []
    synthetic = letters[21:]
    candidates = iter(range(len(synthetic)))
    for breaker, *_rest, needs_pages in BREAKERS:
        for _ in range(2):
            i = next(i for i in candidates if not needs_pages
                     or any(p == IMR.pageRange for _, p, _ in synthetic[i].triples))
            letter = synthetic[i]
            synthetic[i] = LetterTriples(letter.key, letter.determination,
                                         breaker(list(letter.triples)), list(letter.shared))
            broken.append(letter.key)
    return letters[:21] + synthetic, broken


@pytest.fixture(scope="module")
def reference(sample: tuple[list[LetterTriples], list[str]]) -> ValidationReport:
    """pySHACL on the merged graph of the sample: the report every other way must equal
    (computed once; the slowest step here)."""
    return validate_graph(graph_of(sample[0]), engine="pyshacl")


def test_per_letter_validation_equals_whole_graph_validation(
    sample: tuple[list[LetterTriples], list[str]], reference: ValidationReport,
) -> None:
    letters, broken = sample
    whole = reference
    per_letter = validate_letters((_letter_graph(letter) for letter in letters),
                                  engine="pyshacl")
    # The 2 workers run what build runs (engine "auto"): pyshacl-turbo when installed, else
    # pySHACL; either way their merged report must be the reference's.
    parallel = validate_letters_parallel([letter_ntriples(letter) for letter in letters],
                                         processes=2)

    assert not whole.conforms and not per_letter.conforms and not parallel.conforms
    assert _keys(whole) == _keys(per_letter) == _keys(parallel)
    # not vacuous: every deliberate break is reported, and nothing else is
    found = {(v.path, v.constraint) for v in whole.violations}
    for _breaker, path, component, _ in BREAKERS:
        assert (path, component) in found, (path, component)
    focus_letters = {_letter_key(v.focus_node) for v in whole.results}
    assert focus_letters == set(broken)


def test_default_engine_reports_the_same(
    sample: tuple[list[LetterTriples], list[str]], reference: ValidationReport,
) -> None:
    """What ``build`` runs (engine "auto": pyshacl-turbo when installed) agrees on the merged
    graph with pySHACL (per letter, in workers, it is checked above)."""
    if engine_in_use("auto") == "pyshacl":
        pytest.skip("pyshacl-turbo not installed: the default engine is the reference itself")
    letters, _ = sample
    whole = validate_graph(graph_of(letters), engine="auto")
    assert _keys(whole) == _keys(reference)


def test_vocabulary_adds_no_results(sample: tuple[list[LetterTriples], list[str]],
                                    reference: ValidationReport) -> None:
    """The ontology and SKOS vocabularies conform, so including them changes nothing: 40
    letters with the vocabulary give the reference's results for those letters (per-letter
    validation equals whole-graph validation, above)."""
    letters, broken = sample
    first = {letter.key for letter in letters[:40]}
    assert first & set(broken), "some of the 40 letters are broken on purpose"
    with_vocabulary = validate_graph(graph_of(letters[:40], api.vocabulary_graph()),
                                     engine="pyshacl")
    without = {k for k in _keys(reference) if _letter_key(k[0]) in first}
    assert without and _keys(with_vocabulary) == without


def test_ntriples_round_trip(sample: tuple[list[LetterTriples], list[str]]) -> None:
    """The workers receive exactly each letter's triples."""
    letters, _ = sample
    for letter in letters[:30]:
        parsed = Graph().parse(data=letter_ntriples(letter), format="nt")
        assert set(parsed) == set(_letter_graph(letter))


def test_sample_paths_exist() -> None:
    assert len(list(Path(LETTERS).glob("*.txt"))) == 21
