"""chat-to-purchase: the FastAPI service and the turn pipeline.

Packages, from the inside out:
- ``app.domain``: pydantic models that cross every boundary (products, turns, API bodies).
- ``app.catalog``: source adapters that normalise real catalogs, and the SQL store that is the
  catalog's source of truth.
- ``app.index``: the sentence encoder and the vector index (Qdrant Edge embedded, Qdrant server).
- ``app.pipeline``: the named stages of one shopping turn and the function that runs them.
- ``app.api``: the HTTP surface; it calls the pipeline, never the reverse.
"""
