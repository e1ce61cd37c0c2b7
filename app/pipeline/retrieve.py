"""Retrieve stage: candidates from the vector index, with the filters pushed into the query.

Filtering inside the index (not after top-k) is what makes "women's jackets under $60" return
women's jackets under $60 even when the nearest 100 vectors are men's hoodies.
"""

from __future__ import annotations

import numpy as np

from app.domain.turn import Candidate, Filters
from app.index.base import SearchMode, VectorIndex


class Retriever:
    def __init__(self, index: VectorIndex, limit: int = 100, mode: SearchMode = "hybrid") -> None:
        self.index = index
        self.limit = limit
        self.mode = mode

    def retrieve(self, query_vec: np.ndarray, text: str, filters: Filters) -> list[Candidate]:
        hits = self.index.search(query_vec, text, filters, self.limit, self.mode)
        return [
            Candidate(
                product_id=h.product_id,
                dense_score=h.dense_score,
                sparse_score=h.sparse_score,
                fused_score=h.score,
                retrieval_rank=h.rank,
            )
            for h in hits
        ]
