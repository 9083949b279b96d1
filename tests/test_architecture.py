"""The module graph of imrgraph: no import cycles, imports point down, ``api`` is a facade.

Every ``import`` is counted, also those inside functions: a lazy import that dodges a cycle is
still a cycle.  Lazy imports are allowed only for heavy optional libraries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
from conftest import ROOT

PACKAGE = ROOT / "imrgraph"
#: Stages below the pipeline, and what they must never import.
LOWER = ("ingest", "pdf", "parse", "resolve", "mapping", "validate", "records", "errors")
HIGHER = ("store", "sparql", "remote", "viz", "report", "cli", "api", "pipeline")
#: Third-party libraries a function may import lazily (slow to import, needed by few commands).
LAZY_OK = ("matplotlib", "pandas", "pyshacl_turbo", "pypdf", "pypdfium2", "cryptography",
           "playwright",
           "reportlab")
#: Lazy imports that the resolve work (issue 11 item 1: mapping made pure, citations and
#: treatments moved into imrgraph/resolve) removes; none may be added.  Empty it when it lands.
KNOWN_LAZY: set[tuple[str, str]] = set()
#: The one deliberate exception for imrgraph modules (issue 14 item 5): ``imrgraph --help`` and
#: ``--version`` must start without the heavy stack (rdflib, pyoxigraph, pyshacl, networkx...),
#: so the CLI modules import the api facade inside each command, and the package's top-level
#: ``imrgraph.query()`` imports the query package when called, keeping ``import imrgraph`` light.
LAZY_IMRGRAPH = {"imrgraph.cli": {"imrgraph.api"}, "imrgraph": {"imrgraph.sparql"}}


def _lazy_allowed(module: str, target: str | None) -> bool:
    """A lazy import of an imrgraph module that LAZY_IMRGRAPH allows (cli.* counts as cli)."""
    owner = "imrgraph.cli" if module.startswith("imrgraph.cli") else module
    return target is not None and target in LAZY_IMRGRAPH.get(owner, set())


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The imrgraph module an import names: the longest existing prefix (a package is its
    ``__init__``); None outside imrgraph."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]
             ) -> list[tuple[str, int, bool, str]]:
    """(imported name, line, inside a function, imported top-level library) for every import;
    ``from imrgraph import x`` names module imrgraph.x when it exists."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: list[tuple[str, int, bool, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                               | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append((alias.name, child.lineno, nested, alias.name.split(".")[0]))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    base = base if is_package else base[:-1]
                    base = base[:len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for alias in child.names:
                    full = f"{target}.{alias.name}"
                    named = full if full in modules else target
                    out.append((named, child.lineno, nested, target.split(".")[0]))
            visit(child, nested)

    visit(tree, False)
    return out


def _graph() -> tuple[nx.DiGraph, list[str]]:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    lazy: list[str] = []
    for module, path in modules.items():
        for name, line, in_function, top in _imports(module, path, modules):
            target = _resolve(name, modules)
            known = (str(path.relative_to(ROOT)), target) in KNOWN_LAZY
            if in_function and top not in LAZY_OK and not known and not _lazy_allowed(
                    module, target):
                lazy.append(f"{path.relative_to(ROOT)}:{line}: import {name} inside a function")
            if module == "imrgraph" and _lazy_allowed(module, target):
                # imrgraph.query() imports the query package when called (and names its types
                # under TYPE_CHECKING only); every module reads imrgraph.__version__, so
                # counting these would make each of them a "cycle" that never runs.
                continue
            if target is not None and target != module:
                graph.add_edge(module, target, line=line)
    return graph, lazy


def test_the_module_graph_sees_every_module_and_known_edges() -> None:
    """Guards the checker itself: it must find the edges that are known to exist."""
    graph, _ = _graph()
    assert {"imrgraph.api", "imrgraph.cli", "imrgraph.store.letterstore",
            "imrgraph.sparql.execute"} <= set(graph)
    assert graph.has_edge("imrgraph.cli.common", "imrgraph.api")
    assert graph.has_edge("imrgraph.store.build", "imrgraph.pipeline")
    assert graph.has_edge("imrgraph.sparql.execute", "imrgraph.store.letterstore")


def test_the_lazy_exception_is_narrow() -> None:
    """Only the api facade (from the CLI) and the query package (from the package top) may be
    imported lazily; anything else inside a function is still reported."""
    assert _lazy_allowed("imrgraph.cli.query", "imrgraph.api")
    assert not _lazy_allowed("imrgraph.cli.query", "imrgraph.pipeline")
    assert not _lazy_allowed("imrgraph.store.build", "imrgraph.api")
    assert not _lazy_allowed("imrgraph.viz", "imrgraph.sparql")


def test_no_import_cycles() -> None:
    graph, _ = _graph()
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles:\n" + "\n".join(
        " -> ".join(c + [c[0]]) for c in sorted(cycles, key=len)[:20])


def test_nothing_inside_the_package_imports_the_api_facade() -> None:
    graph, _ = _graph()
    users = sorted(m for m in graph.predecessors("imrgraph.api")
                   if not m.startswith("imrgraph.cli"))
    assert not users, f"modules importing imrgraph.api (only the CLI may): {users}"


def test_the_cli_uses_only_the_api_and_errors() -> None:
    graph, _ = _graph()
    allowed = {"imrgraph", "imrgraph.api", "imrgraph.errors"}
    wrong = sorted((m, t) for m in graph if m.startswith("imrgraph.cli")
                   for t in graph.successors(m)
                   if t not in allowed and not t.startswith("imrgraph.cli"))
    assert not wrong, f"CLI modules importing below the facade: {wrong}"


def test_lower_stages_never_import_higher_ones() -> None:
    graph, _ = _graph()
    wrong = []
    for module in graph:
        stage = module.split(".")[1] if "." in module else ""
        if stage not in LOWER:
            continue
        for target in graph.successors(module):
            if target.split(".")[1:2] and target.split(".")[1] in HIGHER:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "lower stages importing higher ones: " + ", ".join(wrong)


def test_imports_inside_functions_are_only_heavy_optional_libraries() -> None:
    _, lazy = _graph()
    assert not lazy, "\n".join(lazy)
