"""The wheel carries ontology/, shapes/, queries/ and the package data files (the HTML page's
markup, style and script; the synthetic-letter tables) and the py.typed marker, so imrgraph
works from any directory and type checkers read its annotations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_contains_vocabularies_shapes_and_queries(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
         str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    wheel = next(tmp_path.glob("imrgraph-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, suffix in (("ontology", ".ttl"), ("shapes", ".ttl"), ("queries", ".rq")):
        shipped = {n for n in names if n.startswith(f"imrgraph/data/{folder}/")}
        on_disk = {f"imrgraph/data/{folder}/{p.name}" for p in (ROOT / folder).glob(f"*{suffix}")}
        assert on_disk and on_disk <= shipped, f"{folder}: {sorted(on_disk - shipped)}"
    for folder, pattern in (("viz", "page.*"), ("testing/data", "*.toml")):
        on_disk = {f"imrgraph/{folder}/{p.name}"
                   for p in (ROOT / "imrgraph" / folder).glob(pattern)}
        assert on_disk and on_disk <= names, f"{folder}: {sorted(on_disk - names)}"
    assert {"imrgraph/viz/page.html", "imrgraph/viz/page.css", "imrgraph/viz/page.js"} <= names
    code = {p.relative_to(ROOT).as_posix() for p in (ROOT / "imrgraph").rglob("*.py")}
    assert "imrgraph/cli/__init__.py" in code and code <= names, (  # every subpackage ships
        f"modules missing from the wheel (add their package to pyproject.toml): "
        f"{sorted(code - names)}")
    # the report's page template, style and bands are package data beside its code
    report_data = {f"imrgraph/report/{p.name}" for p in (ROOT / "imrgraph" / "report").iterdir()
                   if p.suffix in (".html", ".css", ".json")}
    assert {"imrgraph/report/template.html", "imrgraph/report/report.css",
            "imrgraph/report/bands.json"} <= report_data <= names, sorted(report_data - names)
    # PEP 561: the marker that tells type checkers the installed package has inline types
    assert "imrgraph/py.typed" in names


def test_installed_package_finds_its_data_outside_the_checkout(tmp_path: Path) -> None:
    """Run from an unrelated folder with the checkout off sys.path."""
    code = ("import sys; sys.path = [p for p in sys.path if p not in ('', '.')]; "
            "import imrgraph.resources as r, imrgraph.sparql as q; "
            "print(r.data_dir('queries')); print(sorted(q.named_queries())); "
            "import imrgraph.viz.page as p, imrgraph.testing.synth as s; "
            "print(len(p._asset('page.js')), len(s.FAMILIES))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "decisions" in run.stdout and "guideline-outcomes" in run.stdout
    script_chars, families = map(int, run.stdout.split()[-2:])
    assert script_chars > 1000 and families > 10
