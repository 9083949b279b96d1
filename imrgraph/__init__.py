"""imrgraph: California IMR final determinations -> validated RDF knowledge graph.

The stages are importable one by one (``imrgraph.ingest``, ``.parse``, ``.mapping``,
``.validate``, ``.query``) and together through :mod:`imrgraph.api`::

    from imrgraph import api
    result = api.build(["letters/"])          # parse, map, validate
    rows = api.run_query("decisions", result.graph)
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
