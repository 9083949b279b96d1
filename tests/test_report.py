"""The IMR report on the bundled letters: every number checked against a count made here from
the letters' records (parsed letters, item classification), never against the report's own
queries; the report's queries agree on rdflib and Oxigraph; the page opens cleanly in Chromium.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, LETTERS
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

# Chromium as test_viz launches it (skips when chromium or playwright is missing).
from test_viz import browser  # noqa: F401

from imrgraph import api
from imrgraph.records import Determination, DisputedItem, TreatmentClassification
from imrgraph.report import build_report, wilson_interval
from imrgraph.resolve.treatments import classify_item

IMR = Namespace("https://w3id.org/imrgraph/ontology#")
TX = "https://w3id.org/imrgraph/treatment/"
TX_SCHEME = URIRef(TX + "scheme")
RG_SCHEME = URIRef("https://w3id.org/imrgraph/region/scheme")
NEW_QUERIES = [
    ("outcome-summary", {}), ("outcomes-by-period", {"period": "month"}),
    ("outcomes-by-period", {"period": "quarter"}), ("outcomes-by-period", {"period": "year"}),
    ("timeliness", {}), ("claim-age", {}), ("treatment-subcategory-outcomes", {}),
    ("region-outcomes", {"level": "region"}), ("region-outcomes", {"level": "top"}),
    ("drug-outcomes", {"level": "class"}), ("drug-outcomes", {"level": "drug"}),
    ("pharmaceutical-share", {"drug_class": "opioid"}),
    ("pharmaceutical-share", {"drug_class": "analgesic"}), ("partial-authorisations", {}),
    ("guideline-by-party", {"level": "chapter"}), ("guideline-by-party", {"level": "topic"}),
]


# ------------------------------------------------------------------ independent counts


@dataclass
class Item:
    det: Determination
    item: DisputedItem
    cls: TreatmentClassification

    @property
    def overturned(self) -> bool:
        return self.item.outcome.value == "Overturned"


class Vocabulary:
    """Walks the SKOS hierarchy of the built graph (which carries the vocabularies)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def ancestors(self, iri: str) -> list[str]:
        seen, todo = [iri], [URIRef(iri)]
        while todo:
            for b in self.graph.objects(todo.pop(), SKOS.broader):
                if str(b) not in seen:
                    seen.append(str(b))
                    todo.append(b)
        return seen

    def top(self, iri: str, scheme: URIRef) -> str:
        return next((a for a in self.ancestors(iri)
                     if (URIRef(a), SKOS.topConceptOf, scheme) in self.graph), iri)

    def label(self, iri: str) -> str:
        value = self.graph.value(URIRef(iri), SKOS.prefLabel)
        return str(value) if value is not None else iri

    def chapter_of(self, iri: str) -> str:
        """The chapter a cited guideline rolls up to, else the guideline as cited."""
        return next((a for a in self.ancestors(iri)
                     if (URIRef(a), IMR.level, Literal("chapter")) in self.graph), iri)

    def guideline_label(self, iri: str) -> str:
        """The concept's display label (data: ontology/guideline-labels.ttl, or emitted with a
        minted concept), else its preferred label."""
        return str(self.graph.value(URIRef(iri), IMR.displayLabel) or self.label(iri))


@pytest.fixture(scope="module")
def built() -> api.BuildResult:
    return api.build([str(LETTERS)])


@pytest.fixture(scope="module")
def items(built: api.BuildResult) -> list[Item]:
    return [Item(d, i, classify_item(i.label.value)) for d in built.determinations
            for i in d.items]


@pytest.fixture(scope="module")
def vocab(built: api.BuildResult) -> Vocabulary:
    return Vocabulary(built.graph)


@pytest.fixture(scope="module")
def out(built: api.BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    build_report(lambda name, params: api.run_query(name, built.graph, params), folder,
                 source="examples/letters")
    return folder


@pytest.fixture(scope="module")
def report(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def table(report: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(t["rows"] for s in report["sections"] for t in s["tables"] if t["key"] == key)


def outcome_rows(groups: dict[str, list[Item]]) -> Counter[tuple]:
    return Counter((g, len(its), sum(i.overturned for i in its)) for g, its in groups.items())


def report_rows(rows: list[dict[str, Any]], key: str) -> Counter[tuple]:
    return Counter((r[key], r["items"], r["overturned"]) for r in rows)


def grouped(items: list[Item], by: Any) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        keys = by(i)
        for k in keys if isinstance(keys, list) else [keys]:
            groups[k].append(i)
    return groups


def value(fact: Any) -> Any:
    return fact.value if fact is not None else None


def p90(values: list[float]) -> float:
    """The 90th percentile interpolated between closest ranks, written out by hand."""
    s = sorted(values)
    rank = 0.9 * (len(s) - 1)
    low = int(rank)
    high = min(low + 1, len(s) - 1)
    return s[low] + (s[high] - s[low]) * (rank - low)


# ------------------------------------------------------------------ the numbers


def test_overall_and_json_keys(report: dict[str, Any], built: api.BuildResult,
                               items: list[Item]) -> None:
    over = sum(i.overturned for i in items)
    o = report["overall"]
    assert o["letters"] == len(built.determinations) == 21
    assert (o["items"], o["overturned"], o["upheld"]) == (len(items), over, len(items) - over)
    assert o["overturn_rate"] == pytest.approx(over / len(items), abs=1e-4)
    # 10 of 85 by hand: p = 0.11765, z = 1.95996; centre 0.13418, half-width 0.06898
    assert (o["overturn_rate_ci_low"], o["overturn_rate_ci_high"]) == pytest.approx(
        (0.0652, 0.2032), abs=1e-4)
    assert set(report["timeliness"]) >= {
        "median_days_assigned_to_decision", "p90_days_assigned_to_decision",
        "median_days_received_to_decision", "p90_days_received_to_decision"}
    assert set(o) >= {"letters", "items", "upheld", "overturned", "overturn_rate"}


def test_wilson_interval_against_hand_computed_values() -> None:
    # 5 of 10: centre (0.5 + 0.19207) / 1.38415 = 0.5, half 1.41599 * 0.18631 = 0.26340
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    # 0 of 10: the upper bound is z^2 / (n + z^2) = 3.84146 / 13.84146
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson_interval(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-5)
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_volume_by_month(report: dict[str, Any], built: api.BuildResult) -> None:
    months: dict[str, list[Determination]] = defaultdict(list)
    for d in built.determinations:
        decided = value(d.header.decision_date)
        months[decided.isoformat()[:7] if decided else "(no decision date)"].append(d)
    expected = {m: (len(ds), sum(len(d.items) for d in ds),
                    sum(i.outcome.value == "Overturned" for d in ds for i in d.items))
                for m, ds in months.items()}
    rows = table(report, "volume-by-month")
    assert {r["period"]: (r["letters"], r["items"], r["overturned"]) for r in rows} == expected
    assert [r["period"] for r in rows][-1] == "(no decision date)"
    for period, key in (("quarter", "outcomes-by-quarter"), ("year", "outcomes-by-year")):
        def name(m: str, period: str = period) -> str:
            if m.startswith("("):
                return m
            return m[:4] if period == "year" else f"{m[:4]}-Q{(int(m[5:7]) + 2) // 3}"
        totals: Counter[str] = Counter()
        for m, (_, n, _) in expected.items():
            totals[name(m)] += n
        assert {r["period"]: r["items"] for r in table(report, key)} == dict(totals)
    per_letter = Counter(len(d.items) for d in built.determinations)
    sizes = {r["band"]: r["letters"] for r in table(report, "items-per-letter")}
    assert sizes["1 item"] == per_letter[1]
    assert sizes["11 or more items"] == sum(v for k, v in per_letter.items() if k >= 11)
    assert sum(sizes.values()) == len(built.determinations)


def test_outcomes_by_category_and_subcategory(report: dict[str, Any], items: list[Item],
                                              vocab: Vocabulary) -> None:
    tops = grouped(items, lambda i: vocab.label(vocab.top(i.cls.category, TX_SCHEME)))
    assert report_rows(table(report, "outcomes-by-category"), "treatment") == outcome_rows(tops)
    for r in table(report, "outcomes-by-category"):
        assert r["share_n"] == len(items)

    def sub(i: Item) -> str:
        top = vocab.top(i.cls.category, TX_SCHEME)
        return "(unspecified)" if top == i.cls.category else vocab.label(i.cls.category)

    subs = grouped(items, lambda i: f"{vocab.label(vocab.top(i.cls.category, TX_SCHEME))}|"
                                    f"{sub(i)}")
    got = Counter((f"{r['category']}|{r['subcategory']}", r["items"], r["overturned"])
                  for r in table(report, "outcomes-by-subcategory"))
    assert got == outcome_rows(subs)


def test_pharmaceuticals(report: dict[str, Any], items: list[Item], vocab: Vocabulary) -> None:
    pharma = [i for i in items if TX + "medication" in vocab.ancestors(i.cls.category)]
    opioids = [i for i in pharma
               if i.cls.drug_class and TX + "opioid" in vocab.ancestors(i.cls.drug_class)]
    p = report["pharmaceuticals"]
    assert (p["items"], p["pharmaceutical_items"], p["class_items"]) == (
        len(items), len(pharma), len(opioids))
    assert p["pharmaceutical_overturned"] == sum(i.overturned for i in pharma)
    assert p["class_overturned"] == sum(i.overturned for i in opioids)
    assert p["pharmaceutical_share"] == pytest.approx(len(pharma) / len(items), abs=1e-4)
    assert p["class_share_of_pharmaceuticals"] == pytest.approx(len(opioids) / len(pharma),
                                                                abs=1e-4)
    classes = grouped(pharma, lambda i: vocab.label(i.cls.drug_class) if i.cls.drug_class
                      else "(class not recognised)")
    assert report_rows(table(report, "outcomes-by-drug-class"), "drug_class") == \
        outcome_rows(classes)
    drugs = grouped(pharma, lambda i: [
        f"{vocab.label(i.cls.drug_class) if i.cls.drug_class else '(class not recognised)'}|"
        f"{vocab.label(d)}" for d in i.cls.drugs] or [
        f"{vocab.label(i.cls.drug_class) if i.cls.drug_class else '(class not recognised)'}|"
        "(no drug named)"])
    got = Counter((f"{r['drug_class']}|{r['drug']}", r["items"], r["overturned"])
                  for r in table(report, "outcomes-by-drug"))
    assert got == outcome_rows(drugs)


def test_specialty_region_and_partial_authorisations(report: dict[str, Any],
                                                     items: list[Item],
                                                     vocab: Vocabulary) -> None:
    specialties = grouped(items, lambda i: [s.value for s in i.det.reviewer.specialties]
                          or ["(not stated)"])
    rows = table(report, "outcomes-by-specialty")
    assert report_rows(rows, "specialty") == outcome_rows(specialties)
    assert {r["specialty"]: r["letters"] for r in rows} == {
        s: len({id(i.det) for i in its}) for s, its in specialties.items()}
    regions = grouped(items, lambda i: [vocab.label(r) for r in i.cls.regions]
                      or ["(no region named)"])
    assert report_rows(table(report, "outcomes-by-body-part"), "region") == \
        outcome_rows(regions)
    tops = grouped(items, lambda i: sorted({vocab.label(vocab.top(r, RG_SCHEME))
                                            for r in i.cls.regions}) or ["(no region named)"])
    assert report_rows(table(report, "outcomes-by-body-region"), "region") == \
        outcome_rows(tops)
    partial = [i for i in items if i.item.authorized_portion is not None]
    assert partial, "the example letters include partial authorisations"
    [summary] = table(report, "partial-authorisations")
    assert (summary["items"], summary["overturned"], summary["share_n"]) == (
        len(partial), sum(i.overturned for i in partial), len(items))
    assert sorted(r["item"] for r in table(report, "partial-authorisation-items")) == sorted(
        i.item.label.value for i in partial)


def test_timeliness(report: dict[str, Any], built: api.BuildResult) -> None:
    months: dict[str, list[tuple[int | None, int | None]]] = defaultdict(list)
    for d in built.determinations:
        h = d.header
        decided = value(h.decision_date)
        if decided is None:
            continue
        assigned, received = value(h.date_assigned), value(h.application_received)
        months[decided.isoformat()[:7]].append(
            ((decided - assigned).days if assigned else None,
             (decided - received).days if received else None))
    every = [pair for pairs in months.values() for pair in pairs]
    assigned = [a for a, _ in every if a is not None]
    received = [r for _, r in every if r is not None]
    t = report["timeliness"]
    assert t["median_days_assigned_to_decision"] == statistics.median(assigned)
    assert t["p90_days_assigned_to_decision"] == pytest.approx(p90(assigned))
    assert t["median_days_received_to_decision"] == statistics.median(received)
    assert t["p90_days_received_to_decision"] == pytest.approx(p90(received))
    rows = {r["period"]: r for r in table(report, "timeliness")}
    for month, pairs in months.items():
        days = [a for a, _ in pairs if a is not None]
        assert rows[month]["letters"] == len(pairs)
        assert rows[month]["median_days_assigned_to_decision"] == statistics.median(days)
        assert rows[month]["p90_days_assigned_to_decision"] == pytest.approx(p90(days))


def test_claim_age_and_worker(report: dict[str, Any], items: list[Item]) -> None:
    edges = [("under 6 months", 183), ("6-12 months", 365), ("1-2 years", 731),
             ("2-5 years", 1826), ("5-10 years", 3653), ("10 years and over", 10**9)]

    def claim_age(i: Item) -> str:
        injured: date | None = value(i.det.worker.date_of_injury)
        decided: date | None = value(i.det.header.decision_date)
        if injured is None or decided is None:
            return "(not stated)"
        days = (decided - injured).days
        return next(label for label, high in edges if days < high)

    assert report_rows(table(report, "claim-age"), "group") == outcome_rows(
        grouped(items, claim_age))

    def age(i: Item) -> str:
        years = value(i.det.worker.age)
        if years is None:
            return "(not stated)"
        return ("under 30" if years < 30 else "60 and over" if years >= 60
                else f"{years // 10 * 10}-{years // 10 * 10 + 9}")

    assert report_rows(table(report, "worker-age"), "group") == outcome_rows(grouped(items, age))
    assert report_rows(table(report, "worker-sex"), "group") == outcome_rows(
        grouped(items, lambda i: value(i.det.worker.sex) or "(not stated)"))


def test_guidelines_by_party(report: dict[str, Any], items: list[Item],
                             vocab: Vocabulary) -> None:
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {p: {"citations": 0, "items": set(), "over": set()} for p in ("ca", "er")})
    for i in items:
        for s in i.item.statements:
            party = "ca" if s.party == "claims-administrator" else "er"
            for c in s.citations:
                g = groups[vocab.chapter_of(c.guideline)][party]
                g["citations"] += 1
                g["items"].add(id(i))
                if i.overturned:
                    g["over"].add(id(i))
    expected = Counter(
        (vocab.guideline_label(G), *(x for p in ("ca", "er") for x in (
            g[p]["citations"], len(g[p]["items"]), len(g[p]["over"]))))
        for G, g in groups.items())
    got = Counter((r["guideline"], r["ca_citations"], r["ca_items"], r["ca_overturned"],
                   r["er_citations"], r["er_items"], r["er_overturned"])
                  for r in table(report, "guidelines-by-party"))
    assert got == expected
    reasons: Counter[tuple[str, str]] = Counter()
    overturned: Counter[tuple[str, str]] = Counter()
    for i in items:
        for party, name in (("claims-administrator", "Claims administrator"),
                            ("expert-reviewer", "Expert reviewer")):
            s = i.item.statement(party)  # type: ignore[arg-type]
            reason = ("letter gives no statement for the party" if s is None
                      else "said it cited no medical evidence" if s.cited_no_evidence
                      else "statement cites no recognised guideline" if not s.citations
                      else None)
            if reason:
                reasons[name, reason] += 1
                overturned[name, reason] += i.overturned
    rows = table(report, "uncited")
    assert {(r["party"], r["reason"]): (r["items"], r["overturned"]) for r in rows} == {
        k: (n, overturned[k]) for k, n in reasons.items()}
    assert all(r["share_n"] == len(items) for r in rows)


def test_small_cells_are_marked_and_never_ranked_first(out: Path, report: dict[str, Any]) -> None:
    chronological = {"volume-by-month", "outcomes-by-quarter", "outcomes-by-year", "claim-age",
                     "worker-age", "worker-sex", "items-per-letter"}
    small_cells = 0
    for section in report["sections"]:
        for t in section["tables"]:
            rates = [c for c in t["columns"] if f"{c}_small_n" in (t["rows"] or [{}])[0]]
            for r in t["rows"]:
                for c in rates:
                    assert r[f"{c}_small_n"] == (r[f"{c}_n"] < 10), (t["key"], r)
                    small_cells += r[f"{c}_small_n"] and r[f"{c}_n"] > 0
            if t["key"] in chronological or "overturn_rate" not in rates:
                continue
            flags = [r["overturn_rate_small_n"] for r in t["rows"]]
            assert flags == sorted(flags), f"{t['key']}: a small cell ranked above a large one"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert small_cells > 0
    assert html.count('class="num rate small"') == small_cells


def test_files_one_csv_per_table(out: Path, report: dict[str, Any]) -> None:
    keys = [t["key"] for s in report["sections"] for t in s["tables"]]
    assert len(keys) == len(set(keys))
    for key in keys:
        with (out / f"{key}.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(table(report, key))
    html = (out / "report.html").read_text(encoding="utf-8")
    # self-contained: no script, nothing fetched (cited web addresses appear only as text)
    assert "<script" not in html
    assert re.search(r"""(src|href)=["']?(https?:|//)""", html) is None
    assert html.count("<svg") >= 10 and "<text" in html  # charts inline, text kept as text


# ------------------------------------------------------------------ the queries


@pytest.mark.parametrize(("name", "params"), NEW_QUERIES,
                         ids=[f"{n}-{'-'.join(p.values())}" for n, p in NEW_QUERIES])
def test_queries_give_the_same_rows_on_rdflib_and_oxigraph(
        built: api.BuildResult, name: str, params: dict[str, str]) -> None:
    ox = api.run_query(name, built.graph, params)
    rd = api.run_query(name, built.graph, params, engine="rdflib")
    assert ox.columns == rd.columns
    assert ox.rows == rd.rows
    assert ox.rows


@pytest.mark.parametrize(("name", "params"), [
    ("outcomes-by-period", {"period": "week"}), ("region-outcomes", {"level": "regions"}),
    ("drug-outcomes", {"level": "drugs"}), ("guideline-by-party", {"level": "chapters"})])
def test_a_value_the_query_does_not_accept_is_a_usage_error(
        built: api.BuildResult, name: str, params: dict[str, str]) -> None:
    """The header's list of accepted values is enforced: never a silent default."""
    from imrgraph.errors import UsageError

    (key, value), = params.items()
    with pytest.raises(UsageError, match=f"parameter {key} accepts .*not '{value}'"):
        api.run_query(name, built.graph, params)


def test_timeliness_and_claim_age_queries_count_days(built: api.BuildResult) -> None:
    by_doc = {d.source.name: d for d in built.determinations}
    for r in api.run_query("timeliness", built.graph).as_dicts():
        h = by_doc[r["document"]].header
        decided, assigned = value(h.decision_date), value(h.date_assigned)
        assert r["decision_date"] == (decided.isoformat() if decided else "")
        assert r["days_assigned_to_decision"] == (
            (decided - assigned).days if decided and assigned else None)
    rows = api.run_query("claim-age", built.graph).as_dicts()
    assert len(rows) == sum(len(d.items) for d in built.determinations)
    for r in rows:
        d = by_doc[r["document"]]
        injured, decided = value(d.worker.date_of_injury), value(d.header.decision_date)
        assert r["claim_age_days"] == ((decided - injured).days if injured and decided else None)
        assert r["worker_age"] == value(d.worker.age)
        assert r["outcome"] == d.items[r["item_number"] - 1].outcome.value


def test_day_counts_cross_leap_days_and_year_ends() -> None:
    """The query's calendar arithmetic against Python's, over dates chosen to break it."""
    dates = ["2015-12-31", "2016-01-01", "2016-02-28", "2016-02-29", "2016-03-01",
             "2000-02-29", "1999-12-31", "2100-03-01", "2017-07-15"]
    graph = Graph()
    for n, text in enumerate(dates):
        det = URIRef(f"urn:det:{n}")
        graph.add((det, IMR.dateAssigned, Literal(date.fromisoformat(dates[0]))))
        graph.add((det, IMR.decisionDate, Literal(date.fromisoformat(text))))
    text = (Path(__file__).resolve().parent.parent / "queries" / "timeliness.rq").read_text()
    # Only the day-number sub-select matters here: the letters need no source file.
    text = text.replace("{ SELECT ?determination ?source WHERE "
                        "{ ?determination prov:wasDerivedFrom ?source } }", "")
    text = text.replace("{ SELECT ?source ?document WHERE { ?source dcterms:title ?document } }",
                        "BIND(STR(?determination) AS ?document)")
    text = text.replace("{ SELECT ?determination WHERE { ?determination a imr:Determination } }",
                        "{ SELECT ?determination WHERE { ?determination imr:decisionDate ?x } }")
    from imrgraph.sparql import parse_query_text, run

    query = parse_query_text(text, "timeliness-probe")
    for engine in ("oxigraph", "rdflib"):
        got = {r["decision_date"]: r["days_assigned_to_decision"]
               for r in run(query, graph, engine=engine).as_dicts()}
        assert got == {d: (date.fromisoformat(d) - date.fromisoformat(dates[0])).days
                       for d in dates}, engine


# ------------------------------------------------------------------ the page


def test_report_page_in_chromium(browser: Any, out: Path, report: dict[str, Any],  # noqa: F811
                                 tmp_path: Path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto((out / "report.html").resolve().as_uri())
        keys = [t["key"] for s in report["sections"] for t in s["tables"]]
        assert page.locator("figure.table-figure").count() == len(keys)
        for key in keys:
            assert page.locator(f"figure#{key} table").is_visible()
        # the headline figure reads the overall rate
        o = report["overall"]
        assert f"{100 * o['overturn_rate']:.1f} %" in page.locator(".key-figures").inner_text()
        # every chart's labels are real text, laid out with a size
        box = page.locator("#outcomes-by-category svg").bounding_box()
        assert box and box["width"] > 500 and box["height"] > 100
        assert "Medication" in (page.locator("#outcomes-by-category svg").text_content() or "")
        page.screenshot(path=str(tmp_path / "report-top.png"))
        page.locator("#guidelines-by-party").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "report-guidelines.png"))
        page.emulate_media(media="print")
        page.screenshot(path=str(tmp_path / "report-print.png"), full_page=True)
        assert (tmp_path / "report-print.png").stat().st_size > 50_000
        assert errors == []
        assert requests == []
    finally:
        page.close()


# ------------------------------------------------------------------ the real letters


@pytest.mark.corpus
def test_report_on_the_real_letters(tmp_path: Path) -> None:
    real = CORPUS / "real" / "text"
    if not real.is_dir():
        pytest.skip(f"{real} is absent (the shared corpus is not beside this checkout)")
    result = api.build([str(real)])
    report = build_report(lambda n, p: api.run_query(n, result.graph, p), tmp_path)
    letters = result.determinations
    outcomes = [i.outcome.value for d in letters for i in d.items]
    assert report.overall["letters"] == len(letters)
    assert report.overall["items"] == len(outcomes)
    assert report.overall["overturned"] == outcomes.count("Overturned")
    assert (tmp_path / "report.html").stat().st_size > 50_000


# ------------------------------------------------------------------ the command


def test_report_command_on_a_graph_file_and_a_store(tmp_path: Path) -> None:
    """`imrgraph report` writes the same report.json from a graph file and from a store."""
    from click.testing import CliRunner

    from imrgraph.cli import main

    graph = tmp_path / "g.ttl"
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(LETTERS), "-o", str(graph), "-q"])
    assert built.exit_code == 0, built.output
    store = tmp_path / "store"
    assert runner.invoke(main, ["build", str(LETTERS), "--store", str(store), "-q",
                                "--jobs", "1"]).exit_code == 0
    outputs = {}
    for name, args in (("file", [str(graph)]), ("store", ["--store", str(store)])):
        out = tmp_path / f"report-{name}"
        result = runner.invoke(main, ["report", *args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert (out / "report.html").is_file() and list(out.glob("*.csv"))
        outputs[name] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert outputs["file"]["overall"] == outputs["store"]["overall"]
    assert outputs["file"]["overall"]["letters"] == len(list(LETTERS.glob("*.txt")))
    both = runner.invoke(main, ["report", str(graph), "--store", str(store)])
    assert both.exit_code == 2 and "not several" in both.output


def test_reasons_section_counts_the_records_reasons(out: Path, built: api.BuildResult) -> None:
    """Each reason's items and share equal a count over the records' reasons (the reader's
    findings per item), per outcome side."""
    items: Counter[str] = Counter()
    sides: Counter[str] = Counter()
    for det in built.determinations:
        for item in det.items:
            sides[item.outcome.value] += 1
            assert item.reasons is not None
            for code in item.reasons.codes:
                items[code] += 1
    with (out / "reason-shares.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["reason"]: int(r["items"]) for r in rows} == dict(items)
    for r in rows:
        assert int(r["share_n"]) == sides[r["side"]]
        assert float(r["share"]) == pytest.approx(int(r["items"]) / sides[r["side"]], abs=1e-4)
