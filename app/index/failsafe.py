"""A vector index that fails loudly: any backend error becomes ``SearchUnavailable``.

Without it an unavailable index surfaces as whatever the backend raises (``httpx.ConnectError``
from ``qdrant-client``, a Rust panic from Qdrant Edge) — a 500 — or, worse, as silence: a closed
Edge shard answers every query with nothing, and the guard would tell the shopper "we don't carry
that" about products we do carry. The API maps ``SearchUnavailable`` to a 503 with Retry-After
(``app.api.faults``); turns that don't search (small talk, cart, checkout) never touch the index and
keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index.base import SearchHit, SearchMode, VectorIndex


class SearchUnavailable(RuntimeError):
    """The product index cannot answer right now."""


class FailSafeIndex:
    """Wraps a ``VectorIndex``; queries raise ``SearchUnavailable`` instead of failing obscurely."""

    def __init__(self, inner: VectorIndex) -> None:
        self.inner = inner

    def search(
        self, dense: np.ndarray, text: str, filters: Filters, limit: int, mode: SearchMode = "hybrid"
    ) -> list[SearchHit]:
        try:
            return self.inner.search(dense, text, filters, limit, mode)
        except Exception as exc:
            raise SearchUnavailable(f"search failed: {type(exc).__name__}") from exc

    def nearest(self, dense: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Unfiltered nearest products. Empty for k > 0 means no catalog is loaded: unavailable."""
        try:
            hits = self.inner.nearest(dense, k)
        except Exception as exc:
            raise SearchUnavailable(f"nearest failed: {type(exc).__name__}") from exc
        if k > 0 and not hits:
            raise SearchUnavailable("the index returned no products: it is closed or empty")
        return hits

    def vectors(self, product_ids: Sequence[str]) -> dict[str, np.ndarray]:
        try:
            return self.inner.vectors(product_ids)
        except Exception as exc:
            raise SearchUnavailable(f"vectors failed: {type(exc).__name__}") from exc

    def rebuild(self, products: Sequence[Product], dense: np.ndarray, version: str) -> None:
        self.inner.rebuild(products, dense, version)

    def version(self) -> str | None:
        return self.inner.version()

    def count(self) -> int:
        return self.inner.count()

    def refresh(self) -> bool:
        refresh = getattr(self.inner, "refresh", None)
        return bool(refresh()) if refresh is not None else False

    def close(self) -> None:
        self.inner.close()
