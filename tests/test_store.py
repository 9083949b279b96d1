"""The persistent store: same answers as the file graph, incremental rebuilds, export, pool."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import LETTERS, SEEDS, CliRun, run_cli

from imrgraph import api
from imrgraph import store as st
from imrgraph.errors import UsageError
from imrgraph.mapping import SHARED_GRAPH, letter_graph_iri
from imrgraph.sparql import NamedQuery, format_result, named_queries, python_value
from imrgraph.sparql import run as run_query
from imrgraph.store.letterstore import dump_bytes
from imrgraph.store.oxi import nquads, oxigraph_value, to_quads, to_rdflib
from imrgraph.vocab import IMR

CHANGED = "CM16-0248698"

#: Values for required parameters that the query headers only describe in words.
REQUIRED_EXAMPLES = {"guideline": ["Low Back Complaints", "ODG", "gl:mtus-acoem/ch12"]}


def parameter_sets(query: NamedQuery) -> list[dict[str, str]]:
    """The defaults (with an example for each required value), then one variant per parameter
    that documents its alternatives ("a | b | c"): each value path is exercised, fast."""
    base: dict[str, str] = {}
    for name, param in query.parameters.items():
        if param.default is None:
            examples = re.findall(r'"([^"]+)"', param.doc) or REQUIRED_EXAMPLES.get(name, [])
            if not examples:
                return []
            base[name] = examples[0]
    sets = [base]
    for name, param in query.parameters.items():
        choices = re.match(r"^\s*([\w-]+(?:\s*\|\s*[\w-]+)+)", param.doc)
        if param.default is not None and choices:
            other = [c for c in re.split(r"\s*\|\s*", choices.group(1)) if c != param.default]
            if other:
                sets.append({**base, name: other[0]})
    return sets


CORE = ("decisions", "citations", "guideline-outcomes")


def query_cases(variants: Iterable[str] | None = None) -> list[tuple[str, dict[str, str]]]:
    """Every named query (including ones other contributors add) with its parameter sets;
    only the queries in ``variants`` (all when None) get more than their defaults."""
    cases = [(name, values) for name, q in sorted(named_queries().items())
             for i, values in enumerate(parameter_sets(q))
             if i == 0 or variants is None or name in variants]
    assert set(CORE) <= {n for n, _ in cases}
    return cases


def ids(case: tuple[str, dict[str, str]]) -> str:
    name, values = case
    return name + "".join(f"-{k}={v}" for k, v in sorted(values.items()))


def comparable(query: NamedQuery, rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as compared across engines: GROUP_CONCAT lists sorted, since SPARQL leaves the
    order of concatenated values to each engine (rdflib and Oxigraph differ)."""
    separators = re.findall(r'SEPARATOR\s*=\s*"([^"]+)"', query.text, re.IGNORECASE)
    if "GROUP_CONCAT" not in query.text.upper():
        return rows

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for sep in separators or [" "]:
            if sep in value:
                return sep.join(sorted(value.split(sep)))
        return value

    return [[cell(v) for v in row] for row in rows]


def merged_triples(data: bytes, fmt: ox.RdfFormat) -> set[Any]:
    """Triples of a serialisation, graphs dropped."""
    out = set()
    for item in ox.parse(data, fmt):
        out.add(item.triple if isinstance(item, ox.Quad) else item)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> st.StoreBuildResult:
    """The bundled letters built into a store, in this process."""
    return st.build_store([str(LETTERS)], tmp_path_factory.mktemp("store") / "db", jobs=1)


@pytest.fixture(scope="module")
def opened(built: st.StoreBuildResult) -> Iterator[st.LetterStore]:
    """The built store, open read-only for the whole module (opening costs ~0.1 s)."""
    with st.LetterStore.open(built.directory, read_only=True) as store:
        yield store


@pytest.fixture(scope="module")
def letters_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("letters")
    for path in LETTERS.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


def test_build_accounts_for_every_input(built: st.StoreBuildResult) -> None:
    s = built.summary()
    assert s["inputs"] == 21 and s["letters"] == 21 and s["added"] == 21
    assert s["replaced"] == 0 and s[st.UNCHANGED] == 0 and s["letters_in_store"] == 21
    assert built.validation.conforms
    report = st.read_report(built.directory)
    assert report["summary"]["items"] == 85
    assert {Path(i["path"]).name for i in report["inputs"]} == {p.name for p in
                                                               LETTERS.iterdir()}


def test_one_named_graph_per_letter(built: st.StoreBuildResult, fixture_build: Any) -> None:
    with st.LetterStore.open(built.directory, read_only=True) as store:
        graphs = {g.value for g in store.ox.named_graphs()}
        shared = store.graph_size(SHARED_GRAPH)
    keys = {letter.key for letter in fixture_build.letters}
    assert graphs == {str(letter_graph_iri(k)) for k in keys} | {str(SHARED_GRAPH)}
    assert shared >= len(api.vocabulary_graph())


def test_union_equals_file_graph(built: st.StoreBuildResult, fixture_build: Any) -> None:
    with st.LetterStore.open(built.directory, read_only=True) as store:
        union = dump_bytes(store, "nt")
        assert len(store) == len(fixture_build.graph)  # no triple stored twice
    expected = fixture_build.graph.serialize(format="nt", encoding="utf-8")
    assert merged_triples(union, ox.RdfFormat.N_TRIPLES) == merged_triples(
        expected, ox.RdfFormat.N_TRIPLES)


# rdflib takes ~0.5 s per query here: alternatives of the README's contract queries only.
@pytest.mark.parametrize("case", query_cases(variants=CORE), ids=ids)
def test_queries_equal_file_graph(opened: st.LetterStore, fixture_build: Any,
                                  case: tuple[str, dict[str, str]]) -> None:
    name, values = case
    query = named_queries()[name]
    expected = run_query(query, fixture_build.graph, values, engine="rdflib")
    got = run_query(query, opened, values)
    assert got.columns == expected.columns
    assert comparable(query, got.rows) == comparable(query, expected.rows)
    assert expected.rows or name not in ("decisions", "citations", "guideline-outcomes")


def test_store_validation_conforms(built: st.StoreBuildResult) -> None:
    with st.LetterStore.open(built.directory, read_only=True) as store:
        report = store.validate(jobs=1)
    assert report.conforms and not report.violations


def test_rebuild_unchanged_is_skipped_and_fast(letters_copy: Path, tmp_path: Path) -> None:
    first = st.build_store([str(letters_copy)], tmp_path / "db", jobs=1)
    with st.LetterStore.open(tmp_path / "db", read_only=True) as store:
        before = store.quads()
    started = time.monotonic()
    again = st.build_store([str(letters_copy)], tmp_path / "db", jobs=1)
    elapsed = time.monotonic() - started
    assert again.summary()[st.UNCHANGED] == 21 and not again.added and not again.replaced
    report = st.read_report(tmp_path / "db")
    assert {i["status"] for i in report["inputs"]} == {st.UNCHANGED}
    assert report["summary"]["unchanged"] == 21
    assert all(i["key"] and i["items"] > 0 for i in report["inputs"])
    assert elapsed < 1.5 and elapsed < first.seconds
    with st.LetterStore.open(tmp_path / "db", read_only=True) as store:
        assert store.quads() == before


def _graph_quads(store: st.LetterStore, graph: str) -> list[str]:
    return sorted(store.graph_quads(graph).decode().splitlines())


def test_changed_letter_replaces_only_its_graph(letters_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    shutil.copytree(letters_copy, folder)
    db = tmp_path / "db"
    st.build_store([str(folder)], db, jobs=1)
    target = str(letter_graph_iri(CHANGED))
    with st.LetterStore.open(db, read_only=True) as store:
        others = {g: _graph_quads(store, g) for g in store.letters() if g != target}
        before = store.graph_size(target)
        old_sha = store.letters()[target].sha256
    path = folder / f"{CHANGED}.txt"
    text = path.read_text(encoding="utf-8")
    changed = text.replace("State(s) of Licensure: Texas, New York",
                           "State(s) of Licensure: Texas, New York, Ohio")
    assert changed != text
    path.write_text(changed, encoding="utf-8")

    result = st.build_store([str(folder)], db, jobs=1)
    assert result.replaced == [CHANGED] and not result.added
    assert result.summary()[st.UNCHANGED] == 20
    with st.LetterStore.open(db, read_only=True) as store:
        after = store.graph_size(target)
        assert after == before + 1  # one more imr:licensedIn
        assert store.letters()[target].sha256 != old_sha
        assert {g: _graph_quads(store, g) for g in store.letters() if g != target} == others
        merged = dump_bytes(store, "nt")
    # The store now equals a fresh file build of the changed folder.
    fresh = api.build([str(folder)]).graph.serialize(format="nt", encoding="utf-8")
    assert merged_triples(merged, ox.RdfFormat.N_TRIPLES) == merged_triples(
        fresh, ox.RdfFormat.N_TRIPLES)


def test_remove_letters_and_orphaned_shared_nodes(letters_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "db"
    st.build_store([str(letters_copy)], db, jobs=1)
    gone = ["CM16-0249536", "CM16-0229336"]
    with st.LetterStore.open(db) as store:
        removed, missing = store.remove(gone + ["no-such-case"])
        assert removed == gone and missing == ["no-such-case"]
        assert len(store.letters()) == 19
        merged = dump_bytes(store, "nt")
    rest = [str(p) for p in sorted(letters_copy.iterdir()) if p.stem not in gone]
    fresh = api.build(rest).graph.serialize(format="nt", encoding="utf-8")
    assert merged_triples(merged, ox.RdfFormat.N_TRIPLES) == merged_triples(
        fresh, ox.RdfFormat.N_TRIPLES)
    again = st.build_store([str(letters_copy)], db, jobs=1)
    assert sorted(again.added) == sorted(gone) and again.summary()[st.UNCHANGED] == 19


@pytest.mark.parametrize("fmt", ["nq", "trig"])
def test_export_datasets_round_trip(built: st.StoreBuildResult, tmp_path: Path,
                                    fmt: str) -> None:
    out = tmp_path / f"store.{fmt}"
    with st.LetterStore.open(built.directory, read_only=True) as store:
        count = store.export(out, fmt)
        expected = set(store.ox)
    copy = ox.Store()
    copy.load(path=str(out), format=st.STORE_EXPORT_FORMATS[fmt])
    assert set(copy) == expected and count == len(expected)
    assert len({q.graph_name for q in copy}) == 22


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
def test_export_merged(built: st.StoreBuildResult, fixture_build: Any, tmp_path: Path,
                       fmt: str) -> None:
    out = tmp_path / f"store.{fmt}"
    with st.LetterStore.open(built.directory, read_only=True) as store:
        store.export(out, fmt)
    expected = fixture_build.graph.serialize(format="nt", encoding="utf-8")
    assert merged_triples(out.read_bytes(), st.STORE_EXPORT_FORMATS[fmt]) == merged_triples(
        expected, ox.RdfFormat.N_TRIPLES)


def test_parallel_build_equals_sequential(built: st.StoreBuildResult, tmp_path: Path) -> None:
    result = st.build_store([str(LETTERS)], tmp_path / "db", jobs=2, batch_size=4)
    assert result.summary()["letters"] == 21 and result.validation.conforms
    with st.LetterStore.open(tmp_path / "db", read_only=True) as parallel, \
            st.LetterStore.open(built.directory, read_only=True) as sequential:
        assert parallel.quads() == sequential.quads()
    assert [i.path for i in result.report.inputs] == [
        i.path for i in st.build_store([str(LETTERS)], tmp_path / "db", jobs=2).report.inputs]


def test_duplicates_and_rejects_like_file_build(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS[1], folder / "a.txt")
    shutil.copy(SEEDS[1], folder / "b-same-content.txt")
    (folder / "c-same-case.txt").write_text(SEEDS[1].read_text(encoding="utf-8") + "\n\n")
    (folder / "d-empty.txt").write_text("")
    for _ in range(2):  # the second run checks duplicates of stored (skipped) letters
        result = st.build_store([str(folder)], tmp_path / "db", jobs=1)
        expected = api.build([str(folder)]).report
        statuses = [(Path(i.path).name, i.status) for i in result.report.inputs]
        assert [s for _, s in statuses[1:]] == [i.status for i in expected.inputs][1:]
        assert statuses[0][1] in (api.BUILT, st.UNCHANGED)
        assert [i.reason for i in result.report.inputs[1:]] == [
            i.reason for i in expected.inputs[1:]]


def test_interrupted_batch_is_rebuilt(letters_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "db"
    letters = [str(letters_copy / f"{key}.txt") for key in (CHANGED, "CM16-0249170")]
    st.build_store(letters, db, jobs=1)
    victim = str(letter_graph_iri(CHANGED))
    (db / st.PENDING_FILE).write_text(json.dumps([victim]))
    with st.LetterStore.open(db) as store:  # recovery happens on open
        assert victim not in store.letters()
    again = st.build_store(letters, db, jobs=1)
    assert again.added == [CHANGED] and again.summary()[st.UNCHANGED] == 1


def test_new_vocabulary_rebuilds_everything(letters_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "db"
    st.build_store([str(SEEDS[1]), str(SEEDS[2])], db, jobs=1)
    meta = json.loads((db / st.META_FILE).read_text())
    (db / st.META_FILE).write_text(json.dumps({**meta, "fingerprint": "old"}))
    again = st.build_store([str(SEEDS[1])], db, jobs=1)
    assert again.rebuilt_all and len(again.replaced) == 1 and len(again.stale) == 1
    # The letter left stale is rebuilt when its file comes again, not skipped as unchanged.
    last = st.build_store([str(SEEDS[1]), str(SEEDS[2])], db, jobs=1)
    assert len(last.replaced) == 1 and last.summary()[st.UNCHANGED] == 1 and not last.stale


def test_missing_store_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no imrgraph store"):
        st.LetterStore.open(tmp_path / "nothing", read_only=True)


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliRun:
    """The command in-process with $IMRGRAPH_STORE unset unless ``env`` sets it."""
    return run_cli(*args, cwd=cwd, env={st.ENV_STORE: None, **(env or {})})


def test_cli_store_commands(tmp_path: Path, seed_build: api.BuildResult) -> None:
    seeds = [str(s) for s in SEEDS]
    run = _cli("build", *seeds, "--store", cwd=tmp_path)  # default ./imrgraph-store
    assert run.returncode == 0, run.stderr
    assert "5 letter(s) built" in run.stdout and st.is_store(tmp_path / st.DEFAULT_STORE_DIR)
    on_store = _cli("query", "citations", "--store", "--format", "csv", cwd=tmp_path)
    assert on_store.returncode == 0, on_store.stderr
    on_file = format_result(run_query(named_queries()["citations"], seed_build.graph), "csv")
    assert on_store.stdout == on_file and on_file.count("\n") > 20
    # IMRGRAPH_STORE alone selects the store for build and for reading commands.
    env = {st.ENV_STORE: str(tmp_path / "envstore")}
    run = _cli("build", *seeds[:2], cwd=tmp_path, env=env)
    assert run.returncode == 0 and "envstore" in run.stdout, run.stderr
    run = _cli("build", *seeds[:2], cwd=tmp_path, env=env)
    assert "2 unchanged" in run.stdout
    run = _cli("query", "decisions", "--format", "json", cwd=tmp_path, env=env)
    assert {r["document"] for r in json.loads(run.stdout)} == {Path(s).name for s in seeds[:2]}
    run = _cli("validate", cwd=tmp_path, env=env)
    assert run.returncode == 0 and "conforms" in run.stdout, run.stderr
    run = _cli("export", "--format", "nq", "-o", "all.nq", cwd=tmp_path, env=env)
    assert run.returncode == 0 and (tmp_path / "all.nq").stat().st_size > 0, run.stderr
    run = _cli("remove", "CM15-0028659", cwd=tmp_path, env=env)
    assert run.returncode == 0 and "1 left" in run.stdout, run.stderr
    run = _cli("query", "decisions", "--store", str(tmp_path / "none"), cwd=tmp_path)
    assert run.returncode == 2 and "no imrgraph store" in run.stderr


def test_store_validation_reports_violations(tmp_path: Path) -> None:
    db = tmp_path / "db"
    st.build_store([str(SEEDS[1])], db, jobs=1)
    with st.LetterStore.open(db) as store:
        item = next(store.ox.quads_for_pattern(None, ox.NamedNode(str(IMR.outcome)), None))
        store.ox.remove(item)
        report = store.validate(jobs=1)
    assert not report.conforms
    assert [v.focus_node for v in report.violations] == [
        "<https://w3id.org/imrgraph/id/determination/CM15-0028659/item/1>"]


def test_store_info(built: st.StoreBuildResult) -> None:
    from click.testing import CliRunner

    from imrgraph.cli import main

    run = CliRunner().invoke(main, ["store-info", "--store", str(built.directory), "--letters"])
    assert run.exit_code == 0, run.output
    with st.LetterStore.open(built.directory) as store:
        quads = len(store.ox)
    assert f"letters: 21; quads: {quads};" in run.output
    assert "last build: inputs 21" in run.output
    assert "CM16-0248698\t" in run.output


@pytest.mark.parametrize("term", [
    ox.NamedNode("https://w3id.org/imrgraph/id/determination/CM16-1"),
    ox.BlankNode("b0"),
    ox.Literal("Low Back Complaints"),
    ox.Literal("Rückenschmerz", language="de"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("007", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("-3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("0.4", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
    ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    ox.Literal("2016-12-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")),
])
def test_oxigraph_values_match_rdflib_values(term: object) -> None:
    # The fast path for store rows must give exactly what rdflib's conversion gives.
    assert oxigraph_value(term) == python_value(to_rdflib(term))
    assert type(oxigraph_value(term)) is type(python_value(to_rdflib(term)))


def test_nquads_text_is_what_oxigraph_serialises(seed_build: api.BuildResult) -> None:
    """The worker writes N-Quads itself; every line must be what pyoxigraph writes, escapes,
    language tags and datatypes included, and an invalid IRI must still be refused."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import XSD

    s, p = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    odd = [Literal('quote " backslash \\ newline \n tab \t bell \x07 del \x7f é 😀'),
           Literal("x", lang="EN-us"), Literal("x", datatype=XSD.string), Literal(True),
           Literal("July 4", datatype=XSD.date), BNode("b1"), URIRef("https://example.org/é")]
    triples = [*seed_build.graph, *((s, p, o) for o in odd)]
    graph = letter_graph_iri("CM-1")
    assert nquads(triples, graph) == ox.serialize(list(to_quads(triples, graph)),
                                                  format=ox.RdfFormat.N_QUADS)
    assert nquads([], graph) == b""
    with pytest.raises(ValueError):
        nquads([(s, p, URIRef("https://example.org/a b"))], graph)


@pytest.mark.parametrize("name", ["decisions", "citations", "guideline-outcomes"])
def test_pages_are_slices_of_the_whole_listing(opened: st.LetterStore, fixture_build: Any,
                                               name: str) -> None:
    # --limit/--offset give a page of the ordered rows, the same on the store and on rdflib.
    query = named_queries()[name]
    whole = run_query(query, opened).rows
    assert len(whole) > 12
    for limit, offset in ((5, 0), (5, 5), (4, len(whole) - 2), (0, 0)):
        page = query.sliced(limit, offset)
        assert run_query(page, opened).rows == whole[offset:offset + limit]
        assert run_query(page, fixture_build.graph).rows == \
            run_query(query, fixture_build.graph).rows[offset:offset + limit]
    assert run_query(query.sliced(None, 10), opened).rows == whole[10:]


def test_page_of_a_query_with_its_own_limit_is_refused() -> None:
    query = NamedQuery(name="top", text="SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    with pytest.raises(UsageError, match="its own LIMIT"):
        query.sliced(2)
    assert query.sliced(None, 0) is query
