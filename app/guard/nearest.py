"""The first, uncalibrated guard: top-1 cosine against a fixed threshold.

Kept as the fallback the wiring uses only when no calibration can be computed (the calibration
queries are not deployed, say); it does not fence. The default is ``app.guard.density``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.domain.turn import Candidate, GuardDecision, ShoppingTurn
from app.guard.intent import decided_by_intent
from app.index.base import VectorIndex


class NearestNeighbourGuard:
    method = "nn-cosine"

    def __init__(self, index: VectorIndex, min_similarity: float, k: int = 5) -> None:
        self.index = index
        self.min_similarity = min_similarity
        self.k = k
        self.version = f"{self.method}@{min_similarity:.3f}"

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        decided, decision = decided_by_intent(turn, query_vec, self.version)
        if decided or query_vec is None:  # the second test only narrows the type for mypy
            return decision
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

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        return list(ranked), []
