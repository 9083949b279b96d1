"""`imrgraph viz`: files, exports read back, and the HTML page in a real headless Chromium."""

from __future__ import annotations

import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph

from imrgraph import api
from imrgraph.cli import main
from imrgraph.viz import HTML_NAME, render_all, render_html
from imrgraph.viz.network import (
    UsageRow,
    case_numbers,
    export_copy,
    graph_runner,
    prune,
    usage_network,
    usage_rows,
)

CHROMIUM = Path("/usr/bin/chromium")
FILES = [HTML_NAME, "guideline-usage.png", "guideline-usage.svg", "losses.png", "losses.svg",
         "guideline-usage.graphml", "guideline-usage.gexf", "outcomes-by-guideline.png",
         "outcomes-by-treatment.png"]
LOW_BACK = "MTUS ACOEM ch. 12 › Low Back Complaints"


@pytest.fixture(scope="module")
def seed(seed_build: api.BuildResult) -> Graph:
    return seed_build.graph


@pytest.fixture(scope="module")
def seed_rows(seed: Graph) -> list[UsageRow]:
    return usage_rows(graph_runner(seed), "chapter")


@pytest.fixture(scope="module")
def seed_network(seed: Graph, seed_rows: list[UsageRow]) -> nx.Graph:
    return usage_network(seed_rows, "chapter", case_of=case_numbers(graph_runner(seed)))


@pytest.fixture(scope="module")
def seed_viz(seed: Graph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("viz")
    result = render_all(graph_runner(seed), out)
    assert [p.name for p in result.files] == FILES
    return out


# ------------------------------------------------------------------ files and exports


def test_every_file_is_written(seed_viz: Path) -> None:
    for name in FILES:
        assert (seed_viz / name).stat().st_size > 1000, name
    for name in ("guideline-usage.png", "outcomes-by-guideline.png", "outcomes-by-treatment.png"):
        assert (seed_viz / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(seed_viz / "guideline-usage.svg").getroot()
    assert svg.tag.endswith("svg")


def _svg_text(path: Path) -> str:
    """The SVG's <text> content: labels kept as text (svg.fonttype none), not glyph paths."""
    root = ET.parse(path).getroot()
    return " ".join("".join(t.itertext()) for t in root.iter() if t.tag.endswith("}text"))


def test_pictures_keep_labels_whole_and_say_what_they_show(seed_viz: Path,
                                                           seed_network: nx.Graph) -> None:
    usage = _svg_text(seed_viz / "guideline-usage.svg")
    guidelines = sum(1 for _, d in seed_network.nodes(data=True) if d["kind"] == "guideline")
    # wrapped, never cut: every word of the display label is there, no ellipsis
    assert all(word in usage for word in LOW_BACK.split()) and "…" not in usage
    # the title counts what is drawn, of how many, and how they were chosen
    assert f"of {guidelines} guidelines, those with most items overturned" in usage
    assert "size and (n) = items citing it" in usage
    losses = _svg_text(seed_viz / "losses.svg")
    assert "Where guidelines lose" in losses and "cited by any party" in losses
    lbc = seed_network.nodes["https://w3id.org/imrgraph/guideline/mtus-acoem/ch12"]
    assert f"{lbc['overturned']}/{lbc['items']}" in losses  # the row's total cell: k/n


def test_rank_chooses_the_top_guidelines(seed_network: nx.Graph) -> None:
    from imrgraph.viz.charts import top_subgraph

    def guidelines(rank: str) -> list[str]:
        sub = top_subgraph(seed_network, 2, rank)
        return sorted(n for n, d in sub.nodes(data=True) if d["kind"] == "guideline")

    by = {n: (d["items"], d["overturned"]) for n, d in seed_network.nodes(data=True)
          if d["kind"] == "guideline"}
    most = sorted(by, key=lambda n: (-by[n][0], -by[n][1], seed_network.nodes[n]["label"], n))
    assert guidelines("volume") == sorted(most[:2])
    over = sorted(by, key=lambda n: (-by[n][1], -by[n][0], seed_network.nodes[n]["label"], n))
    assert guidelines("overturned") == sorted(over[:2])
    assert guidelines("volume") != guidelines("rate")


def _types(items: Iterator[dict[str, Any]]) -> dict[str, set[type]]:
    seen: dict[str, set[type]] = {}
    for data in items:
        for key, value in data.items():
            seen.setdefault(key, set()).add(type(value))
    return seen


def test_export_attributes_are_clean(seed_network: nx.Graph) -> None:
    clean = export_copy(seed_network)
    for kind, types in (("node", _types(d for _, d in clean.nodes(data=True))),
                        ("edge", _types(d for _, _, d in clean.edges(data=True)))):
        for key, found in types.items():
            assert len(found) == 1, f"{kind} attribute {key} has types {found}"
            assert found <= {str, int, float, bool}, f"{kind} attribute {key}: {found}"
    every_node_key = set.intersection(*(set(d) for _, d in clean.nodes(data=True)))
    assert every_node_key == set(_types(d for _, d in clean.nodes(data=True)))


def test_graphml_and_gexf_read_back(seed_viz: Path, seed_network: nx.Graph) -> None:
    expected = export_copy(seed_network)
    graphml = nx.read_graphml(seed_viz / "guideline-usage.graphml")
    gexf = nx.read_gexf(seed_viz / "guideline-usage.gexf")
    for back in (graphml, gexf):
        assert set(back.nodes) == set(expected.nodes)
        assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in expected.edges}
    for node, data in expected.nodes(data=True):
        assert graphml.nodes[node] == data
        assert gexf.nodes[node] == data
    for a, b, data in expected.edges(data=True):
        assert graphml.edges[a, b] == data
        # GEXF gives every edge an id and stores the weight as a float.
        back = dict(gexf.edges[a, b])
        back.pop("id")
        assert back.pop("weight") == pytest.approx(data["weight"])
        assert back == {k: v for k, v in data.items() if k != "weight"}
    assert graphml.graph["level"] == "chapter" and graphml.graph["letters"] == 5


def test_seed_network_by_hand(seed_network: nx.Graph) -> None:
    # Chapter level: e.g. "Low Back Complaints" (ACOEM ch12) was cited for 000's two items,
    # 001's physical therapy, 002's follow-up visit and 003's nerve conduction studies.
    lbc = seed_network.nodes["https://w3id.org/imrgraph/guideline/mtus-acoem/ch12"]
    assert (lbc["items"], lbc["upheld"], lbc["overturned"]) == (5, 3, 2)
    assert lbc["letters"] == 4 and lbc["kind"] == "guideline"
    kinds = [d["kind"] for _, d in seed_network.nodes(data=True)]
    assert kinds.count("treatment") == 8  # every seed item's category has a citation
    assert nx.is_bipartite(seed_network)


def test_html_page_is_self_contained(seed_viz: Path) -> None:
    page = (seed_viz / HTML_NAME).read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link|img|iframe|object|embed)\b[^>]*>", page, re.I)
    for tag in tags:
        for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", tag, re.I):
            assert url.startswith("data:"), f"external resource in {tag}"
    assert "@import" not in page and "url(" not in page
    assert page.count("</script>") == 2


def test_label_text_cannot_break_out_of_the_page() -> None:
    evil = '</script><script>alert(1)</script> @@SCRIPT@@ <b>&amp;'
    rows = [UsageRow("urn:g:1", evil, "urn:t:1", "Physical therapy", "urn:i:1", "a.txt",
                     "expert-reviewer", "Upheld", 1)]
    page = render_html(usage_network(rows))
    assert page.count("</script>") == 2 and page.count("<script") == 2
    assert "alert(1)</script>" not in page


def test_prune_keeps_the_heaviest_edges() -> None:
    graph = usage_network(_synthetic_rows(300, 200, 1500))
    pruned, threshold = prune(graph, 60)
    assert pruned.number_of_nodes() <= 60 < graph.number_of_nodes()
    assert threshold > 1
    assert all(d["weight"] >= threshold for _, _, d in pruned.edges(data=True))
    heavier = [(a, b) for a, b, d in graph.edges(data=True) if d["weight"] >= threshold]
    assert {frozenset(e) for e in pruned.edges} == {frozenset(e) for e in heavier}
    assert prune(graph, 0)[0] is graph


def test_viz_command(seed: Graph, tmp_path: Path) -> None:
    graph_file = tmp_path / "seed.ttl"
    seed.serialize(graph_file, format="turtle", encoding="utf-8")
    cli = CliRunner()
    out = cli.invoke(main, ["viz", str(graph_file), "-o", str(tmp_path / "pics"), "--level",
                            "work", "--treatment-level", "top", "--top", "5"])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "pics").iterdir()) == sorted(FILES)
    work = nx.read_graphml(tmp_path / "pics" / "guideline-usage.graphml")
    assert {d["label"] for _, d in work.nodes(data=True) if d["kind"] == "treatment"} == {
        "Physical therapy / physical medicine", "Medication", "Electrodiagnostic testing",
        "Imaging", "Office visits, consultations, referrals and evaluations"}
    assert cli.invoke(main, ["viz", str(graph_file), "--level", "section"]).exit_code == 2
    assert cli.invoke(main, ["viz", str(graph_file), "--rank", "size"]).exit_code == 2
    out = cli.invoke(main, ["viz", str(graph_file), "-o", str(tmp_path / "er"), "--party",
                            "expert-reviewer", "--rank", "rate"])
    assert out.exit_code == 0, out.output
    assert "cited by the expert reviewer" in _svg_text(tmp_path / "er" / "losses.svg")
    assert cli.invoke(main, ["viz"]).exit_code == 2


# ------------------------------------------------------------------ the page in Chromium


def _synthetic_rows(guidelines: int, treatments: int, items: int, seed: int = 7
                    ) -> list[UsageRow]:
    """A corpus-like spread: a few guidelines and categories are cited far more than the rest."""
    rng = random.Random(seed)
    rows = []
    for item in range(items):
        t = int(rng.paretovariate(1.0)) % treatments if rng.random() < 0.6 else \
            rng.randrange(treatments)
        outcome = "Upheld" if rng.random() < 0.8 else "Overturned"
        for _ in range(rng.randint(1, 3)):
            g = int(rng.paretovariate(0.8)) % guidelines if rng.random() < 0.6 else \
                rng.randrange(guidelines)
            rows.append(UsageRow(
                f"https://w3id.org/imrgraph/guideline/x/{g}", f"Guideline {g}",
                f"https://w3id.org/imrgraph/treatment/x/{t}", f"Treatment category {t}",
                f"urn:item:{item}", f"CM16-{item // 3:07d}.txt",
                rng.choice(["claims-administrator", "expert-reviewer"]), outcome, 1))
    return rows


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium "
                    "chromium-driver; scripts/test.sh does it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=args, headless=True,
            viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


class Page:
    """A page opened from disk, recording console errors and any network request."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                self.requests.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.resolve().as_uri())

    def settle(self, timeout: float = 30_000) -> float:
        start = time.monotonic()
        self.page.wait_for_selector("#graph[data-settled='true']", timeout=timeout,
                                    state="attached")
        return time.monotonic() - start

    def data(self, name: str) -> str:
        return self.page.locator("#graph").get_attribute(f"data-{name}") or ""

    def counts(self) -> tuple[int, int, int, int]:
        return (int(self.data("visible-nodes")), int(self.data("visible-edges")),
                int(self.data("drawn-nodes")), int(self.data("drawn-edges")))

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.settle()

    def close(self) -> None:
        self.page.close()


def _expected(rows: list[UsageRow], party: str | None, outcome: str | None) -> tuple[int, int]:
    """Nodes and edges shown under a filter, counted from the query rows (not from the page)."""
    edges = {(r.guideline_id, r.treatment_id) for r in rows
             if (party is None or r.party == party) and (outcome is None or r.outcome == outcome)}
    return len({n for e in edges for n in e}), len(edges)


def test_page_in_chromium(browser: Any, seed_viz: Path, seed_rows: list[UsageRow],
                          seed_network: nx.Graph, tmp_path: Path) -> None:
    page = Page(browser, seed_viz / HTML_NAME)
    try:
        page.settle()
        n, e = seed_network.number_of_nodes(), seed_network.number_of_edges()
        assert page.counts() == (n, e, n, e)
        assert (n, e) == _expected(seed_rows, None, None)
        assert page.data("pruned") == "false"
        page.page.screenshot(path=str(tmp_path / "guideline-usage.png"))
        positions0 = page.page.evaluate("window.imrgraphViz.positions()")

        page.click("button[data-outcome='overturned']")
        over = _expected(seed_rows, None, "Overturned")
        assert over[1] < e
        assert page.counts() == over + over
        assert page.page.locator("#status").inner_text().startswith(f"{over[0]} nodes")
        page.page.screenshot(path=str(tmp_path / "overturned.png"))

        page.click("button[data-party='ca']")
        assert page.counts()[:2] == _expected(seed_rows, "claims-administrator", "Overturned")
        page.click("button[data-outcome='all']")
        page.click("button[data-party='er']")
        assert page.counts()[:2] == _expected(seed_rows, "expert-reviewer", None)
        page.click("button[data-party='any']")
        assert page.counts() == (n, e, n, e)

        # The layout does not move with the filters: back to "any"/"all", same positions.
        assert page.page.evaluate("window.imrgraphViz.positions()") == positions0
        # Every node on screen is labelled: none dropped for lack of room.
        assert page.data("hidden-labels") == "0"
        assert int(page.data("labels")) >= 1

        # Hover the biggest node: the tooltip names it and gives counts and example letters.
        positions = page.page.evaluate("window.imrgraphViz.positions()")
        target = next(p for p in positions if p["label"] == LOW_BACK)
        page.page.evaluate("window.scrollTo(0, 0)")
        box = page.page.locator("canvas").bounding_box()
        if not 0 < target["y"] < box["height"]:  # scroll the column to it (drag)
            page.page.mouse.move(box["x"] + 700, box["y"] + box["height"] - 20)
            page.page.mouse.down()
            page.page.mouse.move(box["x"] + 700, box["y"] + box["height"] - 20
                                 - (target["y"] - box["height"] / 2), steps=4)
            page.page.mouse.up()
            target = next(p for p in page.page.evaluate("window.imrgraphViz.positions()")
                          if p["label"] == LOW_BACK)
        page.page.mouse.move(box["x"] + target["x"], box["y"] + target["y"])
        tip = page.page.locator("#tooltip")
        tip.wait_for(state="visible")
        text = tip.inner_text()
        assert LOW_BACK in text and "items: 5" in text and "e.g. 00" in text
        page.page.screenshot(path=str(tmp_path / "hover.png"))
        assert (tmp_path / "hover.png").stat().st_size > 10_000

        # Click it: only it and its neighbours stay; click again: everything.
        page.page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
        neighbours = seed_network.degree("https://w3id.org/imrgraph/guideline/mtus-acoem/ch12")
        assert page.counts()[:2] == (neighbours + 1, neighbours)
        page.page.screenshot(path=str(tmp_path / "isolated.png"))
        page.page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
        assert page.counts()[:2] == (n, e)

        # Search: the matching nodes and their neighbours.
        page.page.fill("#search", "low back")
        hits = [m for m, d in seed_network.nodes(data=True) if "low back" in d["label"].lower()]
        assert int(page.data("matches")) == len(hits) > 0
        assert page.counts()[0] < n
        page.page.screenshot(path=str(tmp_path / "search.png"))
        page.page.fill("#search", "")
        assert page.counts()[:2] == (n, e)

        # The losses matrix: rows ranked as asked, cells k/n.
        page.page.click("button[data-view='losses']")
        losses = page.page.locator("#losses")
        assert losses.get_attribute("data-rank") == "overturned"
        page.page.click("button[data-rank='volume']")
        most = min((d for _, d in seed_network.nodes(data=True) if d["kind"] == "guideline"),
                   key=lambda d: (-d["items"], -d["overturned"], d["label"]))
        assert losses.get_attribute("data-first") == most["label"]
        assert "2/5" in page.page.locator("#losses-table").inner_text()
        page.page.screenshot(path=str(tmp_path / "losses.png"))
        assert page.errors == []
        assert page.requests == []
    finally:
        page.close()


def test_page_stays_responsive_with_1600_nodes(browser: Any, tmp_path: Path) -> None:
    rows = _synthetic_rows(900, 700, 6000)
    graph = usage_network(rows)
    assert graph.number_of_nodes() >= 1500
    full = tmp_path / "full.html"
    full.write_text(render_html(graph), encoding="utf-8")
    page = Page(browser, full)
    try:
        took = page.settle(timeout=60_000)
        n, e = graph.number_of_nodes(), graph.number_of_edges()
        assert page.counts() == (n, e, n, e)
        assert took < 30, f"layout took {took:.1f} s to settle"
        assert float(page.data("frame-ms")) < 100, "a frame should take well under 0.1 s"
        ticks = page.data("ticks")
        time.sleep(0.3)
        assert page.data("ticks") == ticks, "the layout stops moving once settled"
        page.click("button[data-outcome='overturned']")
        assert page.counts()[:2] == _expected(rows, None, "Overturned")
        assert page.errors == []
        page.page.screenshot(path=str(tmp_path / "full.png"))
    finally:
        page.close()

    shown, threshold = prune(graph, 300)
    pruned_file = tmp_path / "pruned.html"
    pruned_file.write_text(render_html(shown, total_nodes=graph.number_of_nodes(),
                                       total_edges=graph.number_of_edges(),
                                       threshold=threshold), encoding="utf-8")
    page = Page(browser, pruned_file)
    try:
        page.settle()
        assert page.data("pruned") == "true" and int(page.data("threshold")) == threshold
        m, f = shown.number_of_nodes(), shown.number_of_edges()
        assert page.counts() == (m, f, m, f)
        note = page.page.locator("#pruned").inner_text()
        assert f"showing {m} of {graph.number_of_nodes()} nodes" in note
        assert f"at least {threshold} item" in note
        assert page.errors == []
        page.page.screenshot(path=str(tmp_path / "pruned.png"))
    finally:
        page.close()


def test_viz_and_stats_read_a_store(seed_network: nx.Graph, tmp_path: Path) -> None:
    from conftest import SEEDS

    cli = CliRunner()
    store = tmp_path / "store"
    built = cli.invoke(main, ["build", *map(str, SEEDS), "--store", str(store), "-j", "1", "-q"])
    assert built.exit_code == 0, built.output
    out = cli.invoke(main, ["viz", "--store", str(store), "-o", str(tmp_path / "pics")])
    assert out.exit_code == 0, out.output
    back = nx.read_graphml(tmp_path / "pics" / "guideline-usage.graphml")
    assert set(back.nodes) == set(seed_network.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in seed_network.edges}
    stats = cli.invoke(main, ["stats", "--store", str(store), "--format", "json"])
    assert stats.exit_code == 0, stats.output
    assert cli.invoke(main, ["viz", str(tmp_path / "x.ttl"), "--store", str(store)]
                      ).exit_code == 2
