"""Guideline-usage queries and network statistics, pinned on the five seed letters.

Every expected value below was worked out by hand from the seed letters
(examples/letters/00*.txt; their citations per item are in tests/expected/00*.json):

    000  Preventive Medicine, Occupational Medicine            (hash key)
         1 Physical Therapy 2 x 4 week, Lumbar Spine  Overturned  physical-therapy
           CA: MTUS Chronic Pain Physical Medicine p.99
           ER: ACOEM ch5, ch3, ch12 (pages 48-49; 90; 299-301; 308-309 given for the group),
               Chronic Pain Physical Medicine pp.98-99
         2 MRI of the Lumbar Spine                    Overturned  mri
           CA: ACOEM ch12          ER: ACOEM ch12 pp.303-304, 309; ACR Low Back Pain
    001  Internal Medicine, Allergy and Immunology, Rheumatology
         1 Physical therapy 12 sessions               Upheld      physical-therapy
           CA: MTUS ACOEM (work), ODG (work)
           ER: ACOEM ch12 pp.287-315, Chronic Pain Physical Medicine pp.98-99 (twice: "Physical
               Therapy, Physical Medicine"), ODG Low Back / Physical therapy
    002  Anesthesiology, Pain Management
         1 FOLLOW-UP VISIT ...                        Upheld      office-visit
           CA: ACOEM ch7, ch12 p.127   ER: ACOEM ch7, ch12 pp.127, 300; ODG Pain; ODG Low Back /
               Office visits
         2 PHYSICAL THERAPY 12 VISITS ...             Upheld      physical-therapy
           CA: Chronic Pain Physical Medicine   ER: same p.98; ODG Low Back / Physical therapy
    003  Family Medicine
         1 Nerve Conduction Studies ...               Upheld      nerve-conduction
           CA: ODG Low Back            ER: ACOEM ch12 p.303
         2 Physical Therapy, unknown body part        Upheld      physical-therapy
           CA: Chronic Pain Physical Medicine p.99; ODG Low Back / Physical therapy; ODG Low Back /
               Lumbar sprains and strains           ER: ODG Low Back / Physical therapy
         3 Analgesic medication      Upheld  analgesic        CA: no evidence  ER: CP Opioids 74-80
         4 Anti-inflammatory med.    Upheld  nsaid            CA: no evidence  ER: CP NSAIDs 67-73
         5 Muscle relaxing med.      Upheld  muscle-relaxant  CA: no evidence  ER: CP relax. 63-66
    004  Physical Medicine & Rehabilitation, Pain Management
         1 Spinal stabilization program 2x4 lumbar    Upheld      exercise-program
           CA: ODG Low Back / Physical therapy   ER: ODG Pain / Physical medicine treatment; ODG
               Preface / Physical Therapy Guidelines
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from imrgraph import api
from imrgraph.cli import main
from imrgraph.sparql import (
    GRAPH_ENGINES,
    QueryResult,
    bind_parameters,
    load_query,
    named_queries,
    python_value,
)
from imrgraph.sparql import execute as query_module
from imrgraph.sparql.named import _strip_comments
from imrgraph.viz.network import (
    centrality,
    cocitation_network,
    communities,
    graph_runner,
    usage_network,
    usage_rows,
)

D0, D1, D2, D3, D4 = (f"00{i}_{h}.txt" for i, h in enumerate(
    ["0a410e5aa90ad013", "9c78cd4ffcf5a619", "1601b313b08aa036", "7cc401d07c694c1e",
     "1a808298af5f0d86"]))
PT0 = "Physical Therapy 2 x 4 week, Lumbar Spine"
MRI0 = "MRI of the Lumbar Spine"
PT1 = "Physical therapy 12 sessions"
FU2 = "FOLLOW-UP VISIT WITH ANESTHESIOLOGIST FOR THE LUMBAR"
PT2 = "PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR"
NCS3 = "Nerve Conduction Studies of the lower extremities"
PT3 = "Physical Therapy, unknown body part"
AN3, NS3, MR3 = "Analgesic medication", "Anti-inflammatory medication", "Muscle relaxing medication"
SP4 = "Spinal stabilization program 2x4 lumbar"
CA, ER = "claims-administrator", "expert-reviewer"
ACOEM = "MTUS ACOEM Practice Guidelines, 2nd Edition (2004)"
CPMTG = "MTUS Chronic Pain Medical Treatment Guidelines"
ODG = "Official Disability Guidelines"
ACR = "ACR Appropriateness Criteria"

NEW_QUERIES = ["cases-citing", "party-agreement", "party-agreement-summary", "specialty-outcomes",
               "page-citations", "co-citation", "uncited", "treatment-outcomes",
               "guideline-treatments", "guideline-usage"]


@pytest.fixture(autouse=True, params=GRAPH_ENGINES)
def graph_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both engines for in-memory graphs: Oxigraph and rdflib."""
    monkeypatch.setattr(query_module, "DEFAULT_GRAPH_ENGINE", request.param)
    return request.param


@pytest.fixture(scope="module")
def seed(seed_build: api.BuildResult) -> Graph:
    assert seed_build.report.summary()["letters"] == 5
    return seed_build.graph


#: Results per graph (never changed here; kept alive so its id is not reused), engine, query
#: and parameters: many tests ask the seed graph the same question, and rdflib's engine takes
#: seconds for some of them.
_RESULTS: dict[tuple[int, str, str, tuple[tuple[str, str], ...]], tuple[Graph, QueryResult]] = {}


def answer(graph: Graph, name: str, params: Mapping[str, str]) -> QueryResult:
    """``api.run_query`` on the current engine, computed once per graph, engine, query and
    parameters for the run."""
    key = (id(graph), query_module.DEFAULT_GRAPH_ENGINE, name, tuple(sorted(params.items())))
    if key not in _RESULTS:
        _RESULTS[key] = (graph, api.run_query(name, graph, dict(params)))
    return _RESULTS[key][1]


def seed_runner(graph: Graph) -> Callable[[str, Mapping[str, str]], QueryResult]:
    """An ``analysis`` runner over ``graph`` that shares :func:`answer`'s results."""
    return lambda name, params: answer(graph, name, params)


def run(graph: Graph, name: str, **params: str) -> list[dict[str, Any]]:
    return answer(graph, name, params).as_dicts()


def rows_of(graph: Graph, name: str, columns: list[str], **params: str) -> list[tuple]:
    return [tuple(r[c] for c in columns) for r in run(graph, name, **params)]


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize("name", NEW_QUERIES)
def test_header_states_purpose_parameters_and_columns(name: str, seed: Graph) -> None:
    query = named_queries()[name]
    text = query.path.read_text(encoding="utf-8") if query.path else query.text
    assert re.search(r"^# name: ", text, re.M) and re.search(r"^# purpose: \S", text, re.M)
    assert re.search(r"^# param: ", text, re.M) and re.search(r"^# columns: \S", text, re.M)
    assert len(query.purpose) > 40
    lines = text.splitlines()
    for line, after in zip(lines, lines[1:], strict=False):
        if line.startswith("# param:"):  # `imrgraph queries` shows one line per parameter
            assert not re.match(r"#\s{3,}\S", after), f"{name}: parameter doc continues"
    used = set(re.findall(r"\?_([A-Za-z]\w*)", text))
    assert used == set(query.parameters), "every ?_param declared in the header, and only those"
    for p in query.parameters.values():
        assert p.doc, f"{name}: parameter {p.name} undocumented"
        if p.name != "guideline":  # the one required parameter
            assert p.default is not None, f"{name}: parameter {p.name} has no default"
    params = {"guideline": "ODG"} if name == "cases-citing" else {}
    result = answer(seed, name, params)
    assert result.columns == query.columns, "header columns = result columns"


# ------------------------------------------------------------------ cases-citing


LOW_BACK_COMPLAINTS = sorted([
    (D0, PT0, ER, "Overturned"), (D0, MRI0, CA, "Overturned"), (D0, MRI0, ER, "Overturned"),
    (D1, PT1, ER, "Upheld"), (D2, FU2, CA, "Upheld"), (D2, FU2, ER, "Upheld"),
    (D3, NCS3, ER, "Upheld"),
])
ODG_CASES = sorted([
    (D1, PT1, CA, "Upheld"), (D1, PT1, ER, "Upheld"), (D2, FU2, ER, "Upheld"),
    (D2, PT2, ER, "Upheld"), (D3, NCS3, CA, "Upheld"), (D3, PT3, CA, "Upheld"),
    (D3, PT3, ER, "Upheld"), (D4, SP4, CA, "Upheld"), (D4, SP4, ER, "Upheld"),
])
COLS = ["document", "item", "party", "outcome"]


@pytest.mark.parametrize("guideline", [
    "Low Back Complaints", "low back complaints", "gl:mtus-acoem/ch12",
    "https://w3id.org/imrgraph/guideline/mtus-acoem/ch12",
    "MTUS ACOEM ch. 12 › Low Back Complaints",  # the display label, as the other queries print it
])
def test_cases_citing_a_chapter(seed: Graph, guideline: str) -> None:
    assert sorted(rows_of(seed, "cases-citing", COLS, guideline=guideline)) == LOW_BACK_COMPLAINTS


@pytest.mark.parametrize("guideline", ["ODG", "Official Disability Guidelines", "gl:odg",
                                       "https://w3id.org/imrgraph/guideline/odg"])
def test_cases_citing_a_work_rolls_down_to_its_chapters_and_topics(seed: Graph,
                                                                   guideline: str) -> None:
    assert sorted(rows_of(seed, "cases-citing", COLS, guideline=guideline)) == ODG_CASES


def test_cases_citing_a_topic_and_a_party(seed: Graph) -> None:
    # "Physical Medicine" is the preferred label of the Chronic Pain topic (another concept has
    # it only as an alternative label, and is therefore not selected).
    assert sorted(rows_of(seed, "cases-citing", COLS, guideline="Physical Medicine")) == sorted([
        (D0, PT0, CA, "Overturned"), (D0, PT0, ER, "Overturned"), (D1, PT1, ER, "Upheld"),
        (D2, PT2, CA, "Upheld"), (D2, PT2, ER, "Upheld"), (D3, PT3, CA, "Upheld")])
    assert sorted(rows_of(seed, "cases-citing", COLS, guideline="ODG", party=ER)) == [
        r for r in ODG_CASES if r[2] == ER]
    # An alternative label only: every concept carrying it (Chronic Pain "Physical Therapy",
    # ODG Low Back "Physical therapy", ...).
    assert len(run(seed, "cases-citing", guideline="physical therapy")) == 8


HOSTILE = [
    '} DROP ALL',
    '"} DROP ALL #',
    "x\" ) } ; DELETE WHERE { ?s ?p ?o } #",
    "Low Back Complaints\"} UNION { ?s ?p ?o",
    "line one\nline two } }",
    "back\\slash \\\" \\u0022 quote",
    "{{{ '''",
    ">) ; CLEAR DEFAULT",
    "<https://w3id.org/imrgraph/guideline/odg>",
    "\t\r\x0b\x0c",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameter_values_are_literals(seed: Graph, value: str) -> None:
    before = set(seed)
    query = load_query("cases-citing")
    text = bind_parameters(query, {"guideline": value})
    safe = bind_parameters(query, {"guideline": "SAFE"})
    # The value takes exactly the place a harmless value takes: one RDF literal wherever the
    # query says ?_guideline.
    assert text.count(Literal(value).n3()) == _strip_comments(query.text).count(
        "?_guideline")
    assert text.replace(Literal(value).n3(), "<V>") == safe.replace(Literal("SAFE").n3(), "<V>")
    assert run(seed, "cases-citing", guideline=value) == []
    assert set(seed) == before


def test_hostile_value_on_the_command_line_and_in_a_users_query(seed: Graph,
                                                              tmp_path: Path) -> None:
    graph_file = tmp_path / "seed.nt"
    seed.serialize(graph_file, format="nt", encoding="utf-8")
    size = graph_file.stat().st_size
    cli = CliRunner()
    out = cli.invoke(main, ["query", "cases-citing", "--graph", str(graph_file),
                            "--param", "guideline=} DROP ALL", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == []
    mine = tmp_path / "mine.rq"
    mine.write_text(
        "# purpose: items with a given label\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?i WHERE { ?i rdfs:label ?label . FILTER(STR(?label) = ?_label) }\n",
        encoding="utf-8")
    for value in HOSTILE:
        out = cli.invoke(main, ["query", str(mine), "--graph", str(graph_file), "--param",
                                f"label={value}", "--format", "json"])
        assert out.exit_code == 0, (value, out.output)
        assert json.loads(out.output) == []
    out = cli.invoke(main, ["query", str(mine), "--graph", str(graph_file), "--param",
                            f"label={MRI0}", "--format", "json"])
    assert [r["i"].rsplit("/", 2)[-2:] for r in json.loads(out.output)] == [["item", "2"]]
    assert graph_file.stat().st_size == size
    assert len(Graph().parse(graph_file, format="nt")) == len(seed)


def test_queries_answer_without_the_vocabularies(seed_build: api.BuildResult) -> None:
    """A graph built with --no-vocabulary has no labels or levels: guidelines stay as cited."""
    bare = Graph()
    for letter in seed_build.letters:
        for t in letter.triples + letter.shared:
            bare.add(t)
    assert sorted(rows_of(bare, "cases-citing", COLS, guideline="gl:mtus-acoem/ch12")) == \
        LOW_BACK_COMPLAINTS
    assert len(run(bare, "uncited")) == 3
    usage = run(bare, "guideline-usage", level="work")
    assert {r["guideline_id"] for r in usage} >= {
        "https://w3id.org/imrgraph/guideline/mtus-acoem/ch12",
        "https://w3id.org/imrgraph/guideline/odg/low-back/physical-therapy"}
    assert {r["party"] for r in usage} == {CA, ER}


# ------------------------------------------------------------------ agreement


def test_party_agreement_per_item(seed: Graph) -> None:
    rows = {(r["document"], r["item"]): r for r in run(seed, "party-agreement")}
    assert len(rows) == 11
    expect = {  # chapter level: (shared, agreement)
        (D0, PT0): (1, "overlap"), (D0, MRI0): (1, "overlap"), (D1, PT1): (0, "different"),
        (D2, FU2): (2, "overlap"), (D2, PT2): (1, "overlap"), (D3, NCS3): (0, "different"),
        (D3, PT3): (1, "overlap"), (D3, AN3): (0, "one-party-cited"),
        (D3, NS3): (0, "one-party-cited"), (D3, MR3): (0, "one-party-cited"),
        (D4, SP4): (0, "different"),
    }
    assert {k: (r["shared"], r["agreement"]) for k, r in rows.items()} == expect
    assert all(r["agree"] == (r["shared"] > 0) for r in rows.values())
    mri = rows[(D0, MRI0)]
    assert mri["outcome"] == "Overturned"
    # display labels: the path from the work's short name (ontology/guideline-labels.ttl)
    low_back = "MTUS ACOEM ch. 12 › Low Back Complaints"
    assert mri["claims_administrator"] == low_back
    assert set(mri["expert_reviewer"].split("; ")) == {low_back,
                                                        "ACR Appropriateness › Low Back Pain"}
    assert rows[(D3, AN3)]["claims_administrator"] == ""
    assert set(rows[(D1, PT1)]["claims_administrator"].split("; ")) == {ACOEM, ODG}
    work = {(r["document"], r["item"]): r["agreement"]
            for r in run(seed, "party-agreement", level="work")}
    assert work[(D4, SP4)] == "same"  # ODG on both sides
    assert work[(D1, PT1)] == "overlap" and work[(D3, NCS3)] == "different"


def test_party_agreement_summary(seed: Graph) -> None:
    cols = ["agreement", "items", "upheld", "overturned", "overturn_rate"]
    assert sorted(rows_of(seed, "party-agreement-summary", cols)) == sorted([
        ("overlap", 5, 3, 2, 0.4), ("different", 3, 3, 0, 0.0),
        ("one-party-cited", 3, 3, 0, 0.0)])
    assert sorted(rows_of(seed, "party-agreement-summary", cols, level="work")) == sorted([
        ("overlap", 6, 4, 2, 0.333), ("one-party-cited", 3, 3, 0, 0.0),
        ("different", 1, 1, 0, 0.0), ("same", 1, 1, 0, 0.0)])
    shares = [r["share"] for r in run(seed, "party-agreement-summary", level="topic")]
    assert sum(shares) == pytest.approx(1.0, abs=0.002)
    # The summary counts what the per-item query lists.
    per_item = Counter(r["agreement"] for r in run(seed, "party-agreement", level="work"))
    summary = {r["agreement"]: r["items"] for r in run(seed, "party-agreement-summary",
                                                      level="work")}
    assert summary == dict(per_item)


# ------------------------------------------------------------------ other named queries


def test_specialty_outcomes(seed: Graph) -> None:
    cols = ["specialty", "letters", "items", "upheld", "overturned", "overturn_rate"]
    assert sorted(rows_of(seed, "specialty-outcomes", cols)) == sorted([
        ("Family Medicine", 1, 5, 5, 0, 0.0), ("Pain Management", 2, 3, 3, 0, 0.0),
        ("Anesthesiology", 1, 2, 2, 0, 0.0), ("Occupational Medicine", 1, 2, 0, 2, 1.0),
        ("Preventive Medicine", 1, 2, 0, 2, 1.0), ("Allergy and Immunology", 1, 1, 1, 0, 0.0),
        ("Internal Medicine", 1, 1, 1, 0, 0.0),
        ("Physical Medicine & Rehabilitation", 1, 1, 1, 0, 0.0),
        ("Rheumatology", 1, 1, 1, 0, 0.0)])


def test_page_citations(seed: Graph) -> None:
    cols = ["work", "page", "citations", "items", "letters"]
    assert rows_of(seed, "page-citations", cols, min_citations="3") == [
        (ACOEM, 300, 3, 3, 3), (ACOEM, 303, 3, 3, 3), (ACOEM, 309, 3, 3, 2),
        (CPMTG, 99, 4, 3, 3), (CPMTG, 98, 3, 3, 3)]
    rows = rows_of(seed, "page-citations", cols)
    # ACOEM: 48, 49, 90, 127 and 287-315; Chronic Pain: 63-80, 98, 99.
    assert Counter(r[0] for r in rows) == {ACOEM: 4 + 29, CPMTG: 18 + 2}
    by_page = {(r[0], r[1]): r[2:] for r in rows}
    assert by_page[(ACOEM, 127)] == (2, 1, 1)  # both parties of 002's first item
    assert by_page[(ACOEM, 48)] == (1, 1, 1)  # one statement, pages given for three chapters
    assert by_page[(ACOEM, 287)] == (1, 1, 1) and by_page[(CPMTG, 74)] == (1, 1, 1)
    assert all(isinstance(r[1], int) for r in rows)
    only = rows_of(seed, "page-citations", cols, work="gl:mtus-chronic-pain")
    assert {r[0] for r in only} == {CPMTG} and len(only) == 20
    assert rows_of(seed, "page-citations", cols, work="ODG") == []  # ODG citations give no pages


def test_co_citation(seed: Graph) -> None:
    cols = ["guideline_a", "guideline_b", "items", "upheld", "overturned"]

    def pairs(**params: str) -> dict[frozenset, tuple]:
        return {frozenset(r[:2]): r[2:] for r in rows_of(seed, "co-citation", cols, **params)}

    assert pairs(level="work") == {
        frozenset({ACOEM, ODG}): (3, 3, 0), frozenset({CPMTG, ODG}): (3, 3, 0),
        frozenset({ACOEM, CPMTG}): (2, 1, 1), frozenset({ACR, ACOEM}): (1, 0, 1)}
    assert pairs(level="work", party=ER) == {
        frozenset({ACOEM, ODG}): (2, 2, 0), frozenset({CPMTG, ODG}): (2, 2, 0),
        frozenset({ACOEM, CPMTG}): (2, 1, 1), frozenset({ACR, ACOEM}): (1, 0, 1)}
    chapter = pairs()
    odg_low_back, low_back = "ODG › Low Back", "MTUS ACOEM ch. 12 › Low Back Complaints"
    physical_medicine = "MTUS Chronic Pain › Physical Medicine"
    assert chapter[frozenset({low_back, odg_low_back})] == (3, 3, 0)
    assert chapter[frozenset({physical_medicine, odg_low_back})] == (3, 3, 0)
    assert chapter[frozenset({low_back, physical_medicine})] == (2, 1, 1)


def test_uncited(seed: Graph) -> None:
    cols = ["document", "item", "party", "outcome", "reason"]
    expect = [(D3, n, CA, "Upheld", "cited-no-evidence") for n in (AN3, NS3, MR3)]
    assert rows_of(seed, "uncited", cols) == expect
    assert rows_of(seed, "uncited", cols, party=CA) == expect
    assert rows_of(seed, "uncited", cols, party=ER) == []


def test_treatment_outcomes(seed: Graph) -> None:
    cols = ["treatment", "items", "upheld", "overturned", "overturn_rate"]
    assert sorted(rows_of(seed, "treatment-outcomes", cols)) == sorted([
        ("Physical therapy", 4, 3, 1, 0.25), ("Magnetic resonance imaging (MRI)", 1, 0, 1, 1.0),
        ("Analgesic", 1, 1, 0, 0.0), ("Muscle relaxant", 1, 1, 0, 0.0),
        ("Nerve conduction studies (NCV / NCS)", 1, 1, 0, 0.0),
        ("Non-steroidal anti-inflammatory drug (NSAID)", 1, 1, 0, 0.0),
        ("Office visit / examination", 1, 1, 0, 0.0),
        ("Therapeutic exercise and stabilisation programs", 1, 1, 0, 0.0)])
    assert sorted(rows_of(seed, "treatment-outcomes", cols, level="top")) == sorted([
        ("Physical therapy / physical medicine", 5, 4, 1, 0.2), ("Medication", 3, 3, 0, 0.0),
        ("Electrodiagnostic testing", 1, 1, 0, 0.0), ("Imaging", 1, 0, 1, 1.0),
        ("Office visits, consultations, referrals and evaluations", 1, 1, 0, 0.0)])


def test_guideline_treatments(seed: Graph) -> None:
    cols = ["guideline", "treatment", "citations", "items", "upheld", "overturned"]
    got = {(r[0], r[1]): r[2:] for r in rows_of(seed, "guideline-treatments", cols,
                                                 level="work")}
    pt = "Physical therapy"
    assert got == {
        (CPMTG, pt): (7, 4, 3, 1), (ODG, pt): (6, 3, 3, 0), (ACOEM, pt): (5, 2, 1, 1),
        (ACOEM, "Office visit / examination"): (4, 1, 1, 0),
        (ODG, "Therapeutic exercise and stabilisation programs"): (3, 1, 1, 0),
        (ACOEM, "Magnetic resonance imaging (MRI)"): (2, 1, 0, 1),
        (ODG, "Office visit / examination"): (2, 1, 1, 0),
        (ACR, "Magnetic resonance imaging (MRI)"): (1, 1, 0, 1),
        (ACOEM, "Nerve conduction studies (NCV / NCS)"): (1, 1, 1, 0),
        (ODG, "Nerve conduction studies (NCV / NCS)"): (1, 1, 1, 0),
        (CPMTG, "Analgesic"): (1, 1, 1, 0), (CPMTG, "Muscle relaxant"): (1, 1, 1, 0),
        (CPMTG, "Non-steroidal anti-inflammatory drug (NSAID)"): (1, 1, 1, 0)}
    ca = {(r[0], r[1]): r[2:] for r in rows_of(seed, "guideline-treatments", cols,
                                                level="work", party=CA)}
    assert ca[(CPMTG, pt)] == (3, 3, 2, 1)  # 000/1, 002/2, 003/2: one citation each
    top = rows_of(seed, "guideline-treatments", cols, level="work", treatment_level="top")
    assert ("MTUS Chronic Pain Medical Treatment Guidelines", "Medication", 3, 3, 3, 0) in top


# ------------------------------------------------------------------ the same on Oxigraph


OX_CASES = [
    ("cases-citing", {"guideline": "Low Back Complaints"}), ("cases-citing", {"guideline": "ODG",
                                                                              "party": CA}),
    ("cases-citing", {"guideline": "} DROP ALL"}), ("party-agreement", {"level": "work"}),
    ("party-agreement-summary", {}), ("specialty-outcomes", {}),
    ("page-citations", {"min_citations": "2"}), ("co-citation", {}),
    ("co-citation", {"level": "topic", "party": ER}), ("uncited", {}),
    ("treatment-outcomes", {"level": "top"}), ("guideline-treatments", {}),
    ("guideline-usage", {"level": "work", "treatment_level": "top"}),
]


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and "; " in value:  # GROUP_CONCAT order is the engine's choice
        return tuple(sorted(value.split("; ")))
    if isinstance(value, float):
        return round(value, 3)
    return value


@pytest.fixture(scope="module")
def oxigraph_seed(seed: Graph) -> ox.Store:
    store = ox.Store()
    store.load(seed.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


@pytest.mark.parametrize(("name", "params"), OX_CASES)
def test_queries_mean_the_same_on_oxigraph(seed: Graph, oxigraph_seed: ox.Store, name: str,
                                           params: dict[str, str]) -> None:
    """Parameters are only read where standard SPARQL can see them (rdflib is more lenient)."""
    text = bind_parameters(load_query(name), params)
    solutions = oxigraph_seed.query(text)
    columns = [v.value for v in solutions.variables]
    ox_rows = []
    for s in solutions:
        row = []
        for c in columns:
            term = s[c]
            if term is None:
                row.append(None)
            elif isinstance(term, ox.Literal):
                row.append(python_value(Literal(term.value, datatype=URIRef(term.datatype.value))
                                        if term.language is None else Literal(term.value)))
            else:
                row.append(term.value)
        ox_rows.append(tuple(_comparable(v) for v in row))
    result = answer(seed, name, params)
    assert columns == result.columns
    rdflib_rows = [tuple(_comparable(v) for v in r) for r in result.rows]
    assert Counter(ox_rows) == Counter(rdflib_rows)


# ------------------------------------------------------------------ networks and statistics


def test_usage_network_counts_match_guideline_outcomes(seed: Graph) -> None:
    for level in ("work", "chapter", "topic"):  # the same labels too ("Chapter / Topic")
        graph = usage_network(usage_rows(seed_runner(seed), level), level)
        nodes = {d["label"]: (d["items"], d["upheld"], d["overturned"])
                 for _, d in graph.nodes(data=True) if d["kind"] == "guideline"}
        outcomes = {r["guideline"]: (r["upheld"] + r["overturned"], r["upheld"], r["overturned"])
                    for r in run(seed, "guideline-outcomes", level=level)}
        assert nodes == outcomes
    work = usage_network(usage_rows(seed_runner(seed), "work"), "work")
    assert sorted(d["label"] for _, d in work.nodes(data=True) if d["kind"] == "guideline") == \
        sorted([ACOEM, CPMTG, ODG, ACR])
    assert work.number_of_edges() == 13  # the guideline-treatments rows at work level
    edge = work["https://w3id.org/imrgraph/guideline/mtus-chronic-pain"][
        "https://w3id.org/imrgraph/treatment/physical-therapy"]
    assert (edge["items"], edge["citations"], edge["upheld"], edge["overturned"]) == (4, 7, 3, 1)
    # 001's claims administrator cited ACOEM and ODG only; 003 item 2's reviewer ODG only.
    assert (edge["items_ca"], edge["items_er"]) == (3, 3)
    assert edge["filters"]["ca"]["overturned"] == [1, 1]


def test_cocitation_network_matches_the_co_citation_query(seed: Graph) -> None:
    for level in ("work", "chapter", "topic"):
        rows = usage_rows(seed_runner(seed), level)
        net = cocitation_network(rows)
        from_networkx = sorted(
            (tuple(sorted((net.nodes[a]["label"], net.nodes[b]["label"]))), d["weight"])
            for a, b, d in net.edges(data=True))
        from_query = sorted((tuple(sorted((r["guideline_a"], r["guideline_b"]))), r["items"])
                            for r in run(seed, "co-citation", level=level))
        assert from_networkx == from_query, level


def test_centrality_and_communities_by_hand(seed: Graph) -> None:
    rows = usage_rows(graph_runner(seed), "work")
    net = cocitation_network(rows)
    ranked = centrality(net, usage_network(rows, "work"))
    # co-citations: ACOEM-ODG 3, CPMTG-ODG 3, ACOEM-CPMTG 2, ACR-ACOEM 1
    assert [(c.guideline, c.weighted_degree, c.partners, c.items, c.treatments)
            for c in ranked] == [(ACOEM, 6, 3, 5, 4), (ODG, 6, 2, 6, 4), (CPMTG, 5, 2, 7, 4),
                                 (ACR, 1, 1, 1, 1)]
    # ACOEM is the only way to ACR: 2 of the 3 pairs of other guidelines route through it.
    assert ranked[0].betweenness == pytest.approx(2 / 3, abs=1e-3)
    assert [c.betweenness for c in ranked[1:]] == [0.0, 0.0, 0.0]
    groups = communities(net)
    members = [set(g.members) for g in groups]
    assert set().union(*members) == {ACOEM, ODG, CPMTG, ACR}
    assert sum(len(m) for m in members) == 4  # a partition
    chapter_net = cocitation_network(usage_rows(graph_runner(seed), "chapter"))
    chapter = communities(chapter_net)
    grouped = [m for g in chapter for m in g.iris]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == {n for n in chapter_net if chapter_net.degree(n) > 0}
    # 003's medication items each cite one Chronic Pain topic: never co-cited, in no community.
    assert "Opioids" not in {m for g in chapter for m in g.members}


def test_stats_command_tables_and_json(seed: Graph, tmp_path: Path) -> None:
    graph_file = tmp_path / "seed.ttl"
    seed.serialize(graph_file, format="turtle", encoding="utf-8")
    cli = CliRunner()
    out = cli.invoke(main, ["stats", str(graph_file), "--level", "work"])
    assert out.exit_code == 0, out.output
    assert "Most central guidelines" in out.output and "Communities" in out.output
    first = next(line for line in out.output.splitlines() if line.strip().startswith("1 "))
    assert ACOEM in first and first.split()[-1] == "0.6667"
    out = cli.invoke(main, ["stats", str(graph_file), "--format", "json"])
    data = json.loads(out.output)
    assert data["level"] == "chapter" and data["central"][0]["guideline"]
    assert {"number", "size", "members", "iris"} <= set(data["communities"][0])
    bad = cli.invoke(main, ["stats", str(graph_file), "--level", "section"])
    assert bad.exit_code == 2
