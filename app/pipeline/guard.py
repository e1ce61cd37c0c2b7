"""Guard stage: abstain when the search lands where the catalog has no supporting evidence.

``Guard`` is the interface the pipeline calls and owns: ``check`` before retrieval, ``fence`` after
ranking. Every implementation lives in ``app/guard/`` (the calibrated density guard, and the
uncalibrated nearest-neighbour fallback), and only the composition root picks one — as
``app.pipeline.rank.Ranker`` is implemented in ``recsys/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from app.domain.turn import Candidate, GuardDecision, ShoppingTurn


class Guard(Protocol):
    version: str

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        """A decision for search turns, ``None`` for turns the guard does not apply to."""

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        """The ranked candidates a reply may present, and the product ids fenced out."""
