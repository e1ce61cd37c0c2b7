"""The vector-index interface the pipeline depends on.

Two implementations: ``EdgeIndex`` (Qdrant Edge, embedded, the default) and ``ServerIndex``
(``qdrant-client`` against a Qdrant server or cluster). Both store one dense vector (MiniLM,
cosine) and one sparse BM25 vector per product, with the filterable payload indexed, and both push
``Filters`` into the query — results are never post-filtered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from app.domain.catalog import Product
from app.domain.turn import Filters

SearchMode = Literal["hybrid", "dense", "sparse"]


class SearchHit(BaseModel):
    product_id: str
    rank: int  # 1-based rank in the returned list
    score: float  # the score the mode ranks by (RRF score for hybrid)
    dense_score: float | None = None
    sparse_score: float | None = None


class VectorIndex(Protocol):
    def rebuild(self, products: Sequence[Product], dense: np.ndarray, version: str) -> None:
        """Replace the whole collection with these products (row i of ``dense`` is product i)."""

    def search(
        self,
        dense: np.ndarray,
        text: str,
        filters: Filters,
        limit: int,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """Top ``limit`` products matching ``filters`` for the query vector and query text."""

    def nearest(self, dense: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Unfiltered k nearest products by cosine similarity (for the density guard)."""

    def vectors(self, product_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored dense vectors by product id (fencing, session features)."""

    def version(self) -> str | None:
        """The version recorded by the last rebuild, or None for an empty index."""

    def count(self) -> int: ...

    def close(self) -> None: ...
