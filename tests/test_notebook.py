"""examples/analysis.ipynb runs from top to bottom (issue 15 item 1), so it cannot rot: a real
kernel executes every cell; no cell may error, and the table, the chart and the roll-up must be
among the outputs."""

from __future__ import annotations

import os

import pytest
from conftest import EXAMPLES, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("pandas")

NOTEBOOK = EXAMPLES / "analysis.ipynb"


def test_the_analysis_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is a child process: it must import this checkout's imrgraph.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any('class="imrgraph-result"' in h and "Overturned" in h for h in html), "table"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chart"
    assert any("Official Disability Guidelines" in h for h in html), "the roll-up to works"
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "'letters': 21" in printed and "SHACL conforms: True" in printed
