"""Resolution as its own pure step, and mapping as a pure function of one resolved record.

Two letters crafted from a real one (examples/letters/CM16-0229336.txt) cite the same topic the
vocabulary lacks ("Widget traction therapy") under two ODG chapters.  Its minted node must be
one per chapter, each with one skos:broader, and a letter's triples must be the same whatever
else is in the batch and in whatever order letters are read, resolved and mapped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LETTERS
from rdflib import Literal

from imrgraph import api
from imrgraph.cli import main
from imrgraph.ingest import read_letter
from imrgraph.mapping import LetterTriples, determination_triples
from imrgraph.parse import parse_letter
from imrgraph.records import Determination, to_jsonable
from imrgraph.resolve import resolve_determination
from imrgraph.resolve.guidelines import guideline_graph, guideline_index
from imrgraph.vocab import GL, GL_SCHEME, IMR, RDF, SKOS

TEMPLATE = LETTERS / "CM16-0229336.txt"
CITED = "Official Disability Guidelines, 2016, Web Version, Criteria for skilled nursing facility."
TOPIC = "Widget traction therapy"


def gl(slug: str) -> str:
    """A guideline IRI as records hold it (a plain string)."""
    return str(GL[slug])


def _crafted(folder: Path, case: str, chapter: str) -> Path:
    """The template letter with another case number and an ODG citation of TOPIC."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert CITED in text and "CM16-0229336" in text
    text = text.replace("CM16-0229336", case)
    text = text.replace(CITED, f"Official Disability Guidelines, {chapter}, {TOPIC}.")
    path = folder / f"{case}.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return (_crafted(tmp_path, "CM16-9990001", "Neck and Upper Back Chapter"),
            _crafted(tmp_path, "CM16-9990002", "Shoulder Chapter"))


def _lines(letter: LetterTriples) -> set[str]:
    return {" ".join(t.n3() for t in triple) for triple in [*letter.triples, *letter.shared]}


def _by_key(build: api.BuildResult) -> dict[str, set[str]]:
    return {letter.key: _lines(letter) for letter in build.letters}


def test_letter_triples_do_not_depend_on_batch_or_order(pair: tuple[Path, Path]) -> None:
    a, b = pair
    runs = {name: _by_key(api.build([str(p) for p in paths], include_vocabulary=False,
                                     validate=False))
            for name, paths in {"A+B": (a, b), "B+A": (b, a), "A": (a,), "B": (b,)}.items()}
    assert runs["A+B"]["CM16-9990001"] == runs["B+A"]["CM16-9990001"] == runs["A"]["CM16-9990001"]
    assert runs["A+B"]["CM16-9990002"] == runs["B+A"]["CM16-9990002"] == runs["B"]["CM16-9990002"]
    # resolving both before mapping either (as a parallel or staged build does) changes nothing
    resolved = [api.parse_file(b), api.parse_file(a)]
    assert _lines(determination_triples(resolved[1])) == runs["A"]["CM16-9990001"]
    assert _lines(determination_triples(resolved[0])) == runs["B"]["CM16-9990002"]


def test_same_topic_under_two_chapters_is_two_nodes_each_with_one_parent(
    pair: tuple[Path, Path],
) -> None:
    graph = api.build([str(p) for p in pair], include_vocabulary=False, validate=False).graph
    minted = [s for s in graph.subjects(IMR.inVocabulary, Literal(False))
              if graph.value(s, SKOS.prefLabel) == Literal(TOPIC, lang="en")]
    parents = sorted(str(o) for s in minted for o in graph.objects(s, SKOS.broader))
    assert len(minted) == 2
    assert parents == [gl("odg/neck-upper-back"), gl("odg/shoulder")]
    for node in minted:
        assert len(list(graph.objects(node, SKOS.broader))) == 1
        assert str(node).startswith(gl("x/"))


def test_no_guideline_node_has_two_parents(fixture_build: api.BuildResult) -> None:
    graph = fixture_build.graph
    concepts = set(graph.subjects(SKOS.inScheme, GL_SCHEME))
    assert any(str(c).startswith(gl("x/")) for c in concepts)  # minted nodes are checked too
    for concept in concepts:
        assert len(set(graph.objects(concept, SKOS.broader))) <= 1, concept


def _parsed(path: Path) -> Determination:
    return parse_letter(read_letter(path))


def test_parse_leaves_resolution_to_resolve(pair: tuple[Path, Path]) -> None:
    parsed = _parsed(pair[0])
    statements = [s for i in parsed.items for s in i.statements]
    assert statements and all(s.citations == [] and s.written for s in statements)
    assert all(i.treatment is None for i in parsed.items)
    before = json.dumps(to_jsonable(parsed))
    resolved = resolve_determination(parsed)
    assert json.dumps(to_jsonable(parsed)) == before  # the input record is not changed
    ca = resolved.items[0].statement("claims-administrator")
    assert ca is not None and [c.guideline_label for c in ca.citations] == [TOPIC]
    (cite,) = ca.citations
    assert not cite.in_vocabulary and cite.broader == gl("odg/neck-upper-back")
    assert cite.work == gl("odg")
    # spans still point at the cited words of the letter
    text = read_letter(pair[0]).text
    assert re.sub(r"\s+", " ", text[cite.text.span.start:cite.text.span.end]) == cite.text.value
    assert resolved.items[0].treatment is not None
    assert resolved.items[0].treatment.category != ""


def test_parse_does_not_import_the_resolver() -> None:
    code = ("import sys, imrgraph.parse; "
            "print(any(m.startswith('imrgraph.resolve') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_records_are_json_with_classification_and_parents(pair: tuple[Path, Path]) -> None:
    record = to_jsonable(api.parse_file(pair[1]))
    data = json.loads(json.dumps(record))
    item = data["items"][0]
    assert item["treatment"]["category"].startswith("https://w3id.org/imrgraph/treatment/")
    assert isinstance(item["treatment"]["is_medication"], bool)
    (cite,) = item["statements"][0]["citations"]
    assert cite["broader"] == str(gl("odg/shoulder")) and cite["in_vocabulary"] is False
    run = CliRunner().invoke(main, ["extract", str(pair[1]), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["items"][0]["treatment"] == item["treatment"]
    assert json.loads(run.output)["items"][0]["statements"][0]["citations"][0] == cite


# ------------------------------------------------------------------ cues are data


def test_citation_cues_are_well_formed() -> None:
    graph = guideline_graph()
    cues = list(graph.subjects(RDF.type, IMR.CitationCue))
    assert len(cues) >= 10
    contexts = {str(graph.value(c, IMR.cueContext)) for c in cues}
    assert contexts == {"MTUS", "non-MTUS", "free source"}
    for cue in cues:
        work = graph.value(cue, IMR.cuedWork)
        assert (work, SKOS.inScheme, GL_SCHEME) in graph, cue
        assert str(graph.value(work, IMR.level)) == "work", cue
        for prop in (IMR.pattern, IMR.editionCue, IMR.titleEndPattern):
            value = graph.value(cue, prop)
            if value is not None:
                re.compile(str(value))
    catch_all = [c for c in cues if str(graph.value(c, IMR.cueContext)) == "free source"
                 and graph.value(c, IMR.pattern) is None]
    assert len(catch_all) == 1


def test_cues_reach_the_grammar() -> None:
    index = guideline_index()
    mtus = {c.work: c.default_edition for a in index.anchors("MTUS") for c in a.cues}
    assert mtus[gl("mtus-acoem")] == "2004" and mtus[gl("mtus-chronic-pain")] == "2009"
    acoem = [a for a in index.anchors("non-MTUS") if len(a.cues) > 1]
    assert [{c.work for c in a.cues} for a in acoem] == [{gl("mtus-acoem"), gl("acoem-3")}]
    assert acoem[0].default.work == gl("acoem-3")
    assert index.free_sources()[-1].pattern is None
    assert index.mtus_heads["low back complaint"] == gl("mtus-acoem/ch12")
    assert index.mtus_heads["chronic pain medical treatment guideline"] == gl("mtus-chronic-pain")
