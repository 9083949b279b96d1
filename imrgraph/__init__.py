"""imrgraph: California IMR final determinations -> validated RDF knowledge graph.

One call answers a question in a notebook or a script::

    import imrgraph
    result = imrgraph.query("guideline-outcomes", "graph.ttl", {"level": "work"})
    result.to_pandas()        # or pandas.DataFrame(result), or: for row in result: ...

The stages are importable one by one (``imrgraph.ingest``, ``.parse``, ``.mapping``,
``.validate``, ``.sparql``) and together through :mod:`imrgraph.api`.  ``import imrgraph``
itself stays light (the command line starts from it): :func:`query` imports the query
machinery when it is first called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imrgraph.sparql import QueryResult, RdfResult

__version__ = "0.1.0"


def query(query: str, source: Any, params: Mapping[str, str] | None = None, *,
          engine: str | None = None, limit: int | None = None,
          offset: int | None = None) -> QueryResult | RdfResult:
    """Run ``query`` (a named query such as ``"decisions"``, a ``.rq`` file or SPARQL text) on
    ``source`` (a graph file path, a store folder, an rdflib Graph or Dataset, an open store or
    an endpoint URL) with ``params`` bound.

    SELECT and ASK give a :class:`~imrgraph.sparql.QueryResult` (rows as named tuples,
    ``len``, ``to_pandas()``, ``to_csv()``, ``to_json()``, an HTML view in notebooks);
    CONSTRUCT and DESCRIBE give an :class:`~imrgraph.sparql.RdfResult` (``serialize("ttl")``,
    ``graph()``).
    """
    from imrgraph.sparql import answer  # lazily: keeps `import imrgraph` light

    return answer(query, source, params, engine=engine, limit=limit, offset=offset)


__all__ = ["__version__", "query"]
