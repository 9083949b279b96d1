"""Namespaces are defined once (imrgraph.vocab) and IMR matches the ontology it names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef

from imrgraph.resources import files
from imrgraph.vocab import IMR, PREFIXES, bind_prefixes

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    graph = Graph()
    for path in files("ontology", "*.ttl"):
        graph.parse(path, format="turtle")
    base = str(IMR)
    return {str(s)[len(base):] for s in graph.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(base)}


def test_imr_terms_are_the_ontology_terms() -> None:
    """Regenerate with `python scripts/gen_vocab.py` when the ontology gains or loses terms."""
    members = set(IMR.__annotations__)
    assert members == _declared()


def test_misspelt_term_fails() -> None:
    assert IMR.Determination == URIRef("https://w3id.org/imrgraph/ontology#Determination")
    with pytest.raises(AttributeError):
        _ = IMR.Determinaton


def test_generator_is_idempotent(tmp_path: Path) -> None:
    """The generated block is what scripts/gen_vocab.py writes from today's ontology."""
    code = ("import sys; sys.path.insert(0, 'scripts'); import gen_vocab as g; "
            "print(g.block(g.declared_terms()), end='')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout in (ROOT / "imrgraph" / "vocab.py").read_text(encoding="utf-8")


def test_prefixes_bind() -> None:
    graph = bind_prefixes(Graph())
    bound = {p: str(n) for p, n in graph.namespaces()}
    for prefix, ns in PREFIXES.items():
        assert bound[prefix] == str(ns)


def test_no_module_defines_its_own_namespace() -> None:
    for path in (ROOT / "imrgraph").rglob("*.py"):
        if path.name == "vocab.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "Namespace(" not in text, path
        assert '"https://w3id.org/imrgraph/' not in text or path.name == "synth.py", path
