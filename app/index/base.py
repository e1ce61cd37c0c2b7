"""The vector-index interface the pipeline depends on.

Two implementations: ``EdgeIndex`` (Qdrant Edge, embedded, the default) and ``ServerIndex``
(``qdrant-client`` against a Qdrant server or cluster). Both store one dense vector (MiniLM,
cosine) and one sparse BM25 vector per product, with the filterable payload indexed, and both push
``Filters`` into the query — results are never post-filtered.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from app.domain.catalog import Product
from app.domain.turn import Filters

SearchMode = Literal["hybrid", "dense", "sparse"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")

#: Names of the two vectors every point carries, in both backends.
DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
#: Reciprocal-rank-fusion constant: a hit at 0-based rank r in an arm adds 1 / (RRF_K + r)
#: (the same convention as Qdrant's ``Fusion.Rrf``).
RRF_K = 60
#: Each hybrid arm fetches at least this many candidates before fusion.
PREFETCH_MIN = 100

_POINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://chat-to-purchase/product")


def point_id(product_id: str) -> str:
    """The Qdrant point id of a product: a UUID5 of its id (Qdrant ids must be ints or UUIDs)."""
    return str(uuid.uuid5(_POINT_NAMESPACE, product_id))


class SearchHit(BaseModel):
    product_id: str
    rank: int  # 1-based rank in the returned list
    score: float  # the score the mode ranks by (RRF score for hybrid)
    dense_score: float | None = None  # cosine similarity, when the product is in the dense arm
    sparse_score: float | None = None  # BM25 score, when the product is in the sparse arm


Scored = list[tuple[str, float]]  # (product_id, score), best first


def ordered(arm: Scored) -> Scored:
    """Best first, equal scores by product id. Qdrant Edge returns equal scores (frequent in BM25
    over short product texts) in an order that varies from call to call; results, logged turns and
    evals must not."""
    return sorted(arm, key=lambda hit: (-hit[1], hit[0]))


def rrf_fuse(arms: Sequence[Scored], limit: int, k: int = RRF_K) -> Scored:
    """Reciprocal rank fusion of already ``ordered`` arms: sum of 1 / (k + 0-based rank)."""
    fused: dict[str, float] = {}
    for arm in arms:
        for rank, (pid, _) in enumerate(arm):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank)
    return ordered(list(fused.items()))[:limit]


def assemble_hits(ranked: Scored, dense_arm: Scored, sparse_arm: Scored) -> list[SearchHit]:
    """Turn a ranked list plus the two arm result lists into ``SearchHit`` rows.

    In "dense" and "sparse" mode ``ranked`` is that arm itself; in "hybrid" it is the fused list
    and each hit gets the score of every arm it appears in (None where it is absent).
    """
    dense = dict(dense_arm)
    sparse = dict(sparse_arm)
    return [
        SearchHit(
            product_id=pid,
            rank=i,
            score=score,
            dense_score=dense.get(pid),
            sparse_score=sparse.get(pid),
        )
        for i, (pid, score) in enumerate(ranked, start=1)
    ]


def hybrid_hits(dense_arm: Scored, sparse_arm: Scored, limit: int) -> list[SearchHit]:
    """Hybrid results from the two (filtered) arms: RRF-fused, with both per-arm scores."""
    dense_arm, sparse_arm = ordered(dense_arm), ordered(sparse_arm)
    return assemble_hits(rrf_fuse([dense_arm, sparse_arm], limit), dense_arm, sparse_arm)


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
