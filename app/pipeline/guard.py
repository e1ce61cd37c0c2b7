"""Guard stage: abstain when the search lands where the catalog has no supporting evidence.

``Guard`` is the interface the pipeline calls: ``check`` before retrieval, ``fence`` after ranking.
The default implementation is ``app.guard.density.DensityGuard`` (k-th-neighbour distance with a
conformal threshold, see ``docs/abstention.md``). ``NearestNeighbourGuard`` is the first,
uncalibrated guard (top-1 cosine against a fixed threshold), kept as the fallback the wiring uses
only when no calibration can be computed; it does not fence.

Only product searches are guarded: small talk and cart/checkout turns are not searches, and a turn
the extractor already classed as out of scope abstains without consulting the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from app.domain.turn import SEARCH_INTENTS, Candidate, GuardDecision, Intent, ShoppingTurn
from app.index.base import VectorIndex


class Guard(Protocol):
    version: str

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        """A decision for search turns, ``None`` for turns the guard does not apply to."""

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        """The ranked candidates a reply may present, and the product ids fenced out."""


def decided_by_intent(
    turn: ShoppingTurn, query_vec: np.ndarray | None, version: str
) -> tuple[bool, GuardDecision | None]:
    """The rule every guard applies before looking at the index: ``(True, decision)`` when the
    intent alone decides — an out-of-scope turn abstains, a non-search turn (or one with nothing
    to embed) is not guarded (``None``) — and ``(False, None)`` when the index must be consulted."""
    if turn.intent is Intent.out_of_scope:
        return True, GuardDecision(
            abstain=True, method="intent", version=version, reason="extractor: out of scope"
        )
    if turn.intent not in SEARCH_INTENTS or query_vec is None:
        return True, None
    return False, None


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
