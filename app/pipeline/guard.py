"""Guard stage: abstain when the search lands where the catalog has no supporting evidence.

This first guard is deliberately simple and transparent: the cosine similarity of the query
embedding to its nearest catalog product, compared with a configured threshold. It sits behind the
``Guard`` interface so the calibrated density guard (kNN distance with a conformal threshold)
replaces it without touching the pipeline.

Only product searches are guarded: small talk and cart/checkout turns are not searches, and a turn
the extractor already classed as out of scope abstains without consulting the index.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from app.domain.turn import SEARCH_INTENTS, GuardDecision, Intent, ShoppingTurn
from app.index.base import VectorIndex


class Guard(Protocol):
    version: str

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        """A decision for search turns, ``None`` for turns the guard does not apply to."""


class NearestNeighbourGuard:
    method = "nn-cosine"

    def __init__(self, index: VectorIndex, min_similarity: float, k: int = 5) -> None:
        self.index = index
        self.min_similarity = min_similarity
        self.k = k
        self.version = f"{self.method}@{min_similarity:.3f}"

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        if turn.intent is Intent.out_of_scope:
            return GuardDecision(
                abstain=True, method="intent", version=self.version, reason="extractor: out of scope"
            )
        if turn.intent not in SEARCH_INTENTS or query_vec is None:
            return None
        nearest = self.index.nearest(query_vec, self.k)
        score = nearest[0][1] if nearest else 0.0
        abstain = score < self.min_similarity
        return GuardDecision(
            abstain=abstain,
            score=round(float(score), 4),
            threshold=self.min_similarity,
            method=self.method,
            version=self.version,
            reason="nearest product below threshold" if abstain else "",
            nearest=[pid for pid, _ in nearest],
        )
