"""Store statistics and crash safety: the sums answer the aggregate queries with the rows of
the full queries after builds, rebuilds and removals; a build killed while it replaces letters
leaves every letter in its old or new version, and the rerun skips what was finished."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import LETTERS, run_cli
from rdflib.plugins.sparql import prepareQuery

from imrgraph import api
from imrgraph import store as st
from imrgraph.errors import UsageError
from imrgraph.mapping import SHARED_GRAPH, letter_graph_iri
from imrgraph.sparql import bind_parameters, execute, load_query, named_queries, run
from imrgraph.sparql.execute import from_statistics
from imrgraph.sparql.params import accepted_values
from imrgraph.store import build as build_mod
from imrgraph.store import stats as stats_mod
from imrgraph.store.letterstore import vocabulary_nquads
from imrgraph.store.stats import STATS_FILE, stats_forms
from imrgraph.testing.synth import write_corpus

_KEY = re.compile(r"CM\d{2}-\d{7}")


def rewrite_as_new_versions(folder: Path, seed: int) -> None:
    """Every letter in ``folder`` replaced by another synthetic letter (other items, outcomes,
    citations) under the same case number: a changed letter of the same case."""
    files = sorted(folder.glob("*.txt"))
    others = write_corpus(folder.parent / f"other-{seed}", len(files), seed)
    for path, other in zip(files, sorted(others), strict=True):
        old_key = _KEY.search(path.read_text(encoding="utf-8")).group(0)  # type: ignore[union-attr]
        text = other.read_text(encoding="utf-8")
        new_key = _KEY.search(text).group(0)  # type: ignore[union-attr]
        path.write_text(text.replace(new_key, old_key), encoding="utf-8")


def parameter_values(name: str, store: st.LetterStore) -> list[dict[str, str]]:
    """Every value of the parameters the sums are split by; for page-citations, whose
    parameters are free, every way of naming each cited work (IRI, gl:slug, labels in another
    case), a name no work has, and several thresholds."""
    form = stats_forms()[name]
    split = [dict(zip(form.params, values, strict=True))
             for values in itertools.product(*form.params.values())]
    if name == "pharmaceutical-share":
        return [{"drug_class": c} for c in drug_class_names(store)]
    if name != "page-citations":
        return split
    names = ["any", "no such work"]
    works = execute.on_oxigraph(store.ox, """
        PREFIX imr: <https://w3id.org/imrgraph/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?W ?label WHERE {
          ?c imr:guidelineWork ?W .
          OPTIONAL { { ?W skos:prefLabel ?label } UNION { ?W skos:altLabel ?label } }
        }""")
    for iri, label in works.rows:
        names += [iri, "gl:" + iri.rsplit("/", 1)[-1]] + ([label, label.upper()] if label else [])
    return [{"work": work, "min_citations": n} for work in dict.fromkeys(names)
            for n in ("1", "2", "5")]


def drug_class_names(store: st.LetterStore) -> list[str]:
    """pharmaceutical-share's free drug_class: every concept of the treatment vocabulary by
    local name (classes, their broader concepts, categories), and names no class has."""
    concepts = execute.on_oxigraph(store.ox, """
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?c WHERE { ?c skos:inScheme <https://w3id.org/imrgraph/treatment/scheme> }
        ORDER BY ?c""")
    names = [iri.rsplit("/", 1)[-1] for iri, in concepts.rows]
    assert {"opioid", "nsaid", "analgesic", "medication"} <= set(names)
    return [*names, "Opioid", "tx:opioid", "no such class", "", "opioid>"]


#: The aggregate named queries the statistics must answer (issue 14).
AGGREGATES = {"guideline-outcomes", "treatment-outcomes", "specialty-outcomes",
              "party-agreement-summary", "guideline-treatments", "reason-outcomes", "co-citation",
              "page-citations", "treatment-subcategory-outcomes", "pharmaceutical-share",
              "drug-outcomes", "guideline-by-party", "outcome-summary", "outcomes-by-period",
              "region-outcomes"}


def assert_statistics_answer_as_full_queries(db: Path) -> set[str]:
    """Every aggregate with a statistics form, every parameter value: identical rows."""
    checked = set()
    with st.LetterStore.open(db, read_only=True) as store:
        assert store.stats is not None and store.stats.current()
        for name in sorted(stats_forms()):
            query = load_query(name)
            for params in parameter_values(name, store):
                via = from_statistics(store, query, params)
                full = run(query, store, params, statistics=False)
                assert via is not None, (name, params)
                assert (via.columns, via.rows) == (full.columns, full.rows), (name, params)
                assert run(query, store, params).rows == full.rows
                checked.add(name)
    return checked


def test_statistics_equal_full_queries_after_builds_rebuilds_removals(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    shutil.copytree(LETTERS, folder)
    synthetic = tmp_path / "synthetic"
    write_corpus(synthetic, 40, seed=5)
    db = tmp_path / "db"
    first = st.build_store([str(folder), str(synthetic)], db, jobs=1, batch_size=16)
    assert len(first.added) == 61
    assert assert_statistics_answer_as_full_queries(db) >= AGGREGATES

    # Rebuild: 40 changed letters (subtract the old contribution, add the new), 5 new ones.
    rewrite_as_new_versions(synthetic, seed=6)
    write_corpus(tmp_path / "more", 5, seed=7)
    again = st.build_store([str(folder), str(synthetic), str(tmp_path / "more")], db, jobs=1,
                           batch_size=16)
    assert len(again.replaced) == 40 and len(again.added) == 5
    assert again.summary()[st.UNCHANGED] == 21
    assert_statistics_answer_as_full_queries(db)

    # Removal subtracts.
    with st.LetterStore.open(db) as store:
        keys = sorted(store.letters())[:7]
        removed, _ = store.remove([st.LetterInfo(g, "").key for g in keys])
        assert len(removed) == 7
    assert_statistics_answer_as_full_queries(db)

    # A new vocabulary or imrgraph: statistics are recounted by the build that follows.
    meta = json.loads((db / st.META_FILE).read_text())
    (db / st.META_FILE).write_text(json.dumps({**meta, "fingerprint": "old"}))
    st.build_store([str(folder)], db, jobs=1)
    assert_statistics_answer_as_full_queries(db)


def test_statistics_count_drugs_and_answer_for_an_emptied_store(tmp_path: Path) -> None:
    """The letters reach what the pharmaceutical forms count (classes, drugs, a class and its
    broader class); once every letter is removed the statistics still answer as the full
    queries (pharmaceutical-share's one row of zeros)."""
    db = tmp_path / "db"
    write_corpus(tmp_path / "synthetic", 40, seed=5)
    st.build_store([str(LETTERS), str(tmp_path / "synthetic")], db, jobs=1)
    share = load_query("pharmaceutical-share")
    with st.LetterStore.open(db, read_only=True) as store:
        drugs = run(load_query("drug-outcomes"), store, {"level": "drug"}).rows
        assert {r[1] for r in drugs} - {"(no drug named)"} and len({r[0] for r in drugs}) > 2
        opioid = run(share, store, {"drug_class": "opioid"}, statistics=False).rows[0]
        analgesic = run(share, store, {"drug_class": "analgesic"}, statistics=False).rows[0]
        assert 0 < opioid[4] < analgesic[4] < analgesic[1] < analgesic[0]
        keys = [st.LetterInfo(g, "").key for g in store.letters()]
    with st.LetterStore.open(db) as store:
        assert len(store.remove(keys)[0]) == len(keys)
    assert_statistics_answer_as_full_queries(db)
    with st.LetterStore.open(db, read_only=True) as store:
        assert run(share, store).rows == [[0, 0, 0, 0, 0, 0, 0]]


def test_statistics_of_an_emptied_store_and_default_parameters(tmp_path: Path) -> None:
    """Every letter removed: the sums are empty, and each form must then give what the full
    query gives over no letters (outcome-summary: no row, not a row of zeros).  With letters,
    a query run without parameters (their defaults) is answered from the statistics too."""
    folder = tmp_path / "letters"
    write_corpus(folder, 12, seed=41)
    db = tmp_path / "db"
    st.build_store([str(folder)], db, jobs=1, batch_size=5)
    with st.LetterStore.open(db, read_only=True) as store:
        for name in sorted(stats_forms()):
            query = load_query(name)
            via = from_statistics(store, query, {})
            full = run(query, store, statistics=False)
            assert via is not None and via.rows, name
            assert (via.columns, via.rows) == (full.columns, full.rows), name
    with st.LetterStore.open(db) as store:
        removed, _ = store.remove([info.key for info in store.letters().values()])
        assert len(removed) == 12
        assert store.stats is not None and store.stats.rows("outcome-summary", ()) == []
    assert assert_statistics_answer_as_full_queries(db) >= AGGREGATES
    with st.LetterStore.open(db, read_only=True) as store:
        assert run("outcome-summary", store).rows == []


def test_a_batch_counted_from_its_own_quads_counts_as_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's statistics are counted over its letters' N-Quads and the vocabulary (all of
    them, or only the quads with the predicates the count forms read; in one store, or a slice
    of letters at a time): the same sums as the whole store gives for those letters."""
    synthetic = tmp_path / "synthetic"
    write_corpus(synthetic, 30, seed=11)
    paths = sorted(str(p) for p in [*LETTERS.glob("*.txt"), *synthetic.glob("*.txt")])
    build_mod._init_worker(frozenset())
    payloads = [p for p in map(build_mod.process_letter, paths) if p.key]
    data = b"".join(p.letter + p.shared for p in payloads)
    graphs = [str(letter_graph_iri(p.key)) for p in payloads]
    st.build_store(paths, tmp_path / "db", jobs=1)
    with st.LetterStore.open(tmp_path / "db", read_only=True) as store:
        whole = stats_mod.contributions(store.ox, graphs)
    predicates = stats_mod.counted_predicates()
    assert predicates is not None and b"<https://w3id.org/imrgraph/ontology#outcome>" in predicates
    vocabulary = vocabulary_nquads()
    assert whole and stats_mod.batch_contribution(vocabulary, data, graphs) == whole
    assert stats_mod.batch_contribution(vocabulary, data, graphs, predicates) == whole
    assert len(stats_mod.quads_with(data, predicates)) < len(data) / 2
    # A larger batch is counted in slices, each with all of the batch's shared nodes: a letter
    # may cite a guideline node that a letter of another slice brought.
    assert data.count(f"<{SHARED_GRAPH}>".encode()) > 0
    monkeypatch.setattr(stats_mod, "COUNT_SLICE", 7)
    assert stats_mod.batch_contribution(vocabulary, data, graphs) == whole
    assert stats_mod.batch_contribution(vocabulary, data, graphs, predicates) == whole


def test_a_batch_counted_in_slices_sees_the_shared_nodes_of_every_slice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch larger than a counting slice gives the sums of one store, also when a letter
    cites a minted guideline (rolled up to its chapter through a shared skos:broader triple)
    whose shared triples came with a letter of another slice."""
    build_mod._init_worker(frozenset())
    payloads = [p for p in map(build_mod.process_letter, map(str, sorted(LETTERS.glob("*.txt"))))
                if p.key]
    graphs = [str(letter_graph_iri(p.key)) for p in payloads]
    guideline = b" <https://w3id.org/imrgraph/ontology#guideline> "
    last = payloads[-1].letter
    line = next(x for x in last.splitlines(keepends=True) if guideline in x)
    cited = line.split(b" ")[2]
    minted = b"<https://w3id.org/imrgraph/id/guideline/test-minted>"
    shared = f" <{SHARED_GRAPH}> .\n".encode()
    minted_node = (minted + b" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                   b"<http://www.w3.org/2004/02/skos/core#Concept>" + shared
                   + minted + b" <http://www.w3.org/2004/02/skos/core#broader> " + cited + shared)
    letters = [p.letter + p.shared for p in payloads]
    letters[-1] = last.replace(line, line.replace(cited, minted))
    data = minted_node + b"".join(letters)  # brought by the first letter, cited by the last
    vocabulary = vocabulary_nquads()
    whole = stats_mod.batch_contribution(vocabulary, data, graphs)
    assert whole != stats_mod.batch_contribution(vocabulary, b"".join(letters), graphs)
    monkeypatch.setattr(stats_mod, "COUNT_SLICE", 1)
    assert stats_mod.batch_contribution(vocabulary, data, graphs) == whole
    assert stats_mod.batch_contribution(vocabulary, data, graphs,
                                        stats_mod.counted_predicates()) == whole


@pytest.mark.parametrize(("pattern", "fixed"), [
    ("?i imr:outcome ?o ; imr:statement/imr:citation ?c", True),
    ("?g skos:broader+ ?a . ?a ^skos:broader ?b", True),
    ("?i ?p ?o", False),
    ("?g skos:broader* ?a", False),
    ("?c skos:broader* <https://w3id.org/imrgraph/treatment/medication>", True),
    ("<https://w3id.org/imrgraph/treatment/medication> ^skos:broader? ?c", True),
    ("?g !skos:broader ?a", False),
    ("?i imr:outcome ?o FILTER NOT EXISTS { ?i ?p ?x }", False),
    ("?i imr:outcome ?o FILTER EXISTS { ?i imr:reason ?x }", True),
])
def test_predicates_of_a_count_form_are_read_from_its_patterns(pattern: str, fixed: bool) -> None:
    """Only forms whose every pattern names its predicate may be counted over fewer quads."""
    text = ("PREFIX imr: <https://w3id.org/imrgraph/ontology#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            f"SELECT * WHERE {{ GRAPH ?graph {{ {pattern} }} }}")
    found: set[str] = set()
    assert stats_mod._pattern_predicates(prepareQuery(text).algebra, found) is fixed
    if fixed:
        named = set(re.findall(r"(imr|skos):(\w+)", pattern))
        assert found == {("https://w3id.org/imrgraph/ontology#" if ns == "imr" else
                          "http://www.w3.org/2004/02/skos/core#") + local for ns, local in named}


def test_statistics_answer_only_where_they_are_exact(tmp_path: Path) -> None:
    db = tmp_path / "db"
    st.build_store([str(LETTERS)], db, jobs=1)
    graph = api.build([str(LETTERS)]).graph
    own_copy = tmp_path / "guideline-outcomes.rq"
    own_copy.write_text(load_query("guideline-outcomes").text)
    with st.LetterStore.open(db) as store:
        query = load_query("guideline-outcomes")
        assert from_statistics(store, query, {}) is not None
        # A graph file has no statistics: the full query runs, with the same rows.
        assert run(query, graph).rows == run(query, store).rows
        # A user's own query file, a page sliced by the caller, a value the sums do not hold.
        assert from_statistics(store, load_query(str(own_copy)), {}) is None
        with pytest.raises(UsageError, match="accepts work | chapter | topic"):
            run(query, store, {"level": "no-such-level"})  # checked before any answer
        # Pages of the statistics' answer are slices of it.
        whole = run(query, store).rows
        assert run(query, store, limit=4, offset=2).rows == whole[2:6]
        # Stale statistics (e.g. invalidated by a vocabulary change) are not used.
        assert store.stats is not None
        store.stats.invalidate()
        assert from_statistics(store, query, {}) is None
        assert run(query, store).rows == whole


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _letter_quads(db: Path) -> dict[str, list[str]]:
    with st.LetterStore.open(db) as store:  # writable: recovery happens here
        return {g: sorted(store.graph_quads(g).decode().splitlines()) for g in store.letters()}


def test_killed_replacing_build_loses_no_letter_and_rerun_skips_finished(
        tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    paths = write_corpus(folder, 240, seed=11)
    db = tmp_path / "db"
    st.build_store([str(folder)], db, jobs=1, batch_size=20)
    old = _letter_quads(db)
    with st.LetterStore.open(db, read_only=True) as store:
        old_sha = {g: info.sha256 for g, info in store.letters().items()}
    assert len(old) == 240
    rewrite_as_new_versions(folder, seed=12)
    new_sha = {str(letter_graph_iri(_KEY.search(p.read_text()).group(0))): _sha(p)  # type: ignore[union-attr]
               for p in paths}
    assert set(new_sha) == set(old_sha)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "imrgraph", "build", str(folder), "--store",
                             str(db), "--force", "--batch-size", "20", "-j", "1", "-q",
                             "--no-validate"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    killed_mid_batch = False
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(db / STATS_FILE, timeout=5) as con:
                done = con.execute("SELECT COUNT(*) FROM letters, meta WHERE meta.name = "
                                   "'force-run' AND letters.run = meta.value").fetchone()[0]
        except sqlite3.Error:
            done = 0
        if done >= 60 and (db / st.PENDING_FILE).exists():
            proc.send_signal(signal.SIGKILL)
            killed_mid_batch = True
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert killed_mid_batch, "the build finished (or stalled) before it could be killed"

    after = _letter_quads(db)
    assert set(after) == set(old)  # no letter missing
    with st.LetterStore.open(db, read_only=True) as store:
        sha_after = {g: info.sha256 for g, info in store.letters().items()}
    finished = {g for g, sha in sha_after.items() if sha == new_sha[g]}
    assert 60 <= len(finished) < 240
    for g, sha in sha_after.items():
        assert sha in (old_sha[g], new_sha[g])
        if sha == old_sha[g]:
            assert after[g] == old[g]  # the old version, whole

    rerun = st.build_store([str(folder)], db, jobs=1, batch_size=20, force=True)
    assert rerun.summary()[st.UNCHANGED] == len(finished)  # finished letters are skipped
    assert sorted(rerun.replaced) == sorted(st.LetterInfo(g, "").key
                                            for g in set(old) - finished)
    final = _letter_quads(db)
    for g in finished:
        assert after[g] == final[g]  # what the crashed build finished was the whole new version
    with st.LetterStore.open(db, read_only=True) as store:
        assert {g: i.sha256 for g, i in store.letters().items()} == new_sha
    assert_statistics_answer_as_full_queries(db)
    # Once finished, a forced build rebuilds everything again.
    again = st.build_store([str(folder)], db, jobs=1, batch_size=120, force=True)
    assert len(again.replaced) == 240


@pytest.mark.parametrize("stage", ["journal-written", "graphs-removed"])
def test_interrupted_replacement_is_finished_on_open(tmp_path: Path, stage: str) -> None:
    """The two crash points of a replacement, made by hand: the recovery finishes the batch."""
    folder = tmp_path / "letters"
    write_corpus(folder, 6, seed=21)
    db = tmp_path / "db"
    st.build_store([str(folder)], db, jobs=1)
    before = _letter_quads(db)
    rewrite_as_new_versions(folder, seed=22)
    reference = tmp_path / "reference"
    st.build_store([str(folder)], reference, jobs=1)
    expected = _letter_quads(reference)
    data = b"".join(("\n".join(q) + "\n").encode() for q in expected.values())
    with st.LetterStore.open(db) as store:
        graphs = sorted(expected)
        record = {"graphs": graphs, "replaced": graphs, "load": True, "letters": {},
                  "batch": store.stats.applied_batch + 1, "journal": True}  # type: ignore[union-attr]
        (db / st.letterstore.JOURNAL_FILE).write_bytes(data)
        (db / st.PENDING_FILE).write_text(json.dumps(record))
        if stage == "graphs-removed":
            for g in graphs[:3]:
                store.ox.remove_graph(st.letterstore.ox.NamedNode(g))
    assert _letter_quads(db) == expected != before
    assert not (db / st.PENDING_FILE).exists()


def listing_parameters(name: str) -> list[dict[str, str]]:
    """More parameter values of the paged listings: each level, guidelines named at each
    level of the vocabulary and in each way."""
    query = load_query(name)
    if name == "cases-citing":
        return [{"guideline": g, "party": p} for g in ("ODG", "gl:odg", "low back complaints",
                                                         "MTUS ACOEM")
                for p in ("any", "expert-reviewer")]
    names = sorted(query.parameters)
    choices = [accepted_values(query.parameters[p]) or [] for p in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def test_listing_pages_come_from_the_first_letters(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    synthetic = tmp_path / "synthetic"
    write_corpus(synthetic, 30, seed=31)
    twin = tmp_path / "twin"  # another case whose file has the same name as a bundled letter
    twin.mkdir()
    first = sorted(LETTERS.glob("CM*.txt"))[0]
    text = first.read_text(encoding="utf-8")
    key = _KEY.search(text).group(0)  # type: ignore[union-attr]
    (twin / first.name).write_text(text.replace(key, "CM99-0000001"), encoding="utf-8")
    db = tmp_path / "db"
    st.build_store([str(LETTERS), str(synthetic), str(twin)], db, jobs=1)
    monkeypatch.setattr(execute, "FIRST_SLICE", 3)  # many slices, some ending on the twins
    monkeypatch.setattr(execute, "SLICE_GROWTH", 2)
    listings = [q for q in named_queries().values() if q.pages_by_document]
    assert {"decisions", "citations", "uncited", "party-agreement", "claim-age", "timeliness",
            "partial-authorisations"} <= {q.name for q in listings}
    with st.LetterStore.open(db, read_only=True) as store:
        for query in listings:
            params = {"guideline": "Low Back Complaints"} if "guideline" in query.parameters \
                else {}
            full = run(query, store, params, statistics=False).rows
            assert len(full) > 20, query.name
            for more in listing_parameters(query.name):
                more_full = run(query, store, more, statistics=False).rows
                assert more_full, (query.name, more)
                for limit in (5, len(more_full) // 2, len(more_full)):
                    assert run(query, store, more, limit=limit).rows == more_full[:limit], (
                        query.name, more, limit)
            assert execute.page_by_letters(store, query, bind_parameters(query, params),
                                           5) is not None
            for limit, offset in ((5, 0), (7, 3), (40, 11), (len(full), 0), (3, len(full) - 2)):
                want = full[offset:offset + limit]
                assert run(query, store, params, limit=limit, offset=offset).rows == want, (
                    query.name, limit, offset)
                assert run(query.sliced(limit, offset), store, params).rows == want


@pytest.mark.parametrize("stage", ["copying", "old-renamed", "swapped"])
def test_interrupted_compaction_leaves_every_letter(tmp_path: Path, stage: str) -> None:
    """Compaction keeps every quad and the statistics; a crash at each of its steps (made by
    hand) leaves a whole store that the next open tidies."""
    folder = tmp_path / "letters"
    write_corpus(folder, 30, seed=23)
    db = tmp_path / "db"
    st.build_store([str(folder)], db, jobs=1, batch_size=8, compact=False)
    before = _letter_quads(db)
    with st.LetterStore.open(db) as store:
        store.compact()
    assert _letter_quads(db) == before
    assert_statistics_answer_as_full_queries(db)
    live, new, old = (db / st.letterstore.DB_DIR, db / st.letterstore.COMPACT_DIR,
                      db / st.letterstore.OLD_DB_DIR)
    if stage == "copying":  # a partial copy beside the store
        new.mkdir()
        (new / "000001.sst").write_bytes(b"partial")
    elif stage == "old-renamed":  # the old database renamed away, the copy not yet in place
        shutil.copytree(live, new)
        live.rename(old)
        assert st.is_store(db)
    else:  # the copy in place, the old database not yet removed
        shutil.copytree(live, old)
    assert _letter_quads(db) == before
    assert live.is_dir() and not new.exists() and not old.exists()
    assert_statistics_answer_as_full_queries(db)


def test_build_compact_is_asked_for_and_keeps_every_letter(tmp_path: Path) -> None:
    """``build --store --compact`` ends with the store rewritten (same quads, same statistics,
    no folder of the copy left); ``--compact`` without a store is a usage error."""
    folder = tmp_path / "letters"
    write_corpus(folder, 24, seed=29)
    plain, compacted = tmp_path / "plain", tmp_path / "compacted"
    ran = run_cli("build", "-q", "--store", str(plain), "--batch-size", "8", "-j", "1",
                  str(folder))
    assert ran.returncode == 0, ran.stderr
    ran = run_cli("build", "-q", "--store", str(compacted), "--batch-size", "8", "-j", "1",
                  "--compact", str(folder))
    assert ran.returncode == 0, ran.stderr
    assert _letter_quads(compacted) == _letter_quads(plain)
    assert_statistics_answer_as_full_queries(compacted)
    assert not (compacted / st.letterstore.COMPACT_DIR).exists()
    assert not (compacted / st.letterstore.OLD_DB_DIR).exists()
    ran = run_cli("build", "--compact", "-o", str(tmp_path / "g.ttl"), str(folder))
    assert ran.returncode == 2 and "--store" in ran.stderr
