"""Named SPARQL queries and the one way to run them.

:mod:`.named` loads a query and binds its parameters, :mod:`.execute` runs it on a graph, a store
or an endpoint (:func:`run`), :mod:`.results` holds and prints the rows.
"""

from __future__ import annotations

from imrgraph.sparql.execute import (
    DEFAULT_GRAPH_ENGINE,
    GRAPH_ENGINES,
    Runner,
    Source,
    answer,
    construct,
    run,
    runner,
)
from imrgraph.sparql.named import (
    NamedQuery,
    Parameter,
    as_query,
    bind_parameters,
    load_query,
    named_queries,
    parse_query_file,
    parse_query_text,
    query_form,
)
from imrgraph.sparql.results import (
    RDF_OUTPUT_FORMATS,
    QueryResult,
    RdfResult,
    format_result,
    format_table,
)
from imrgraph.store.oxi import python_value

__all__ = [
    "RDF_OUTPUT_FORMATS",
    "RdfResult",
    "answer",
    "construct",
    "query_form",
    "DEFAULT_GRAPH_ENGINE",
    "GRAPH_ENGINES",
    "NamedQuery",
    "Parameter",
    "QueryResult",
    "Runner",
    "Source",
    "as_query",
    "bind_parameters",
    "format_result",
    "format_table",
    "load_query",
    "named_queries",
    "parse_query_file",
    "parse_query_text",
    "python_value",
    "run",
    "runner",
]
