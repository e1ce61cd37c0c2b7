"""``DensityGuard``: abstain when the query's k-th nearest catalog product is too far away.

Score logged with each turn: the cosine similarity to the k-th nearest product (higher = denser =
more in scope, as ``GuardDecision.score`` documents); threshold: the calibrated
``1 − conformal distance threshold``. So ``abstain ⇔ score < threshold ⇔ distance > calibrated
distance``. k and the method were chosen on the validation split (see ``docs/abstention.md``).

The same calibrated radius fences the output: a product may be presented only if its cosine to the
query is at least the radius (``app.guard.fence``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from app.domain.turn import Candidate, GuardDecision, ShoppingTurn
from app.guard.calibration import (
    BatchEncoder,
    Calibration,
    ensure_configured_calibration,
    knn_score,
)
from app.guard.fence import radius_fence
from app.guard.intent import decided_by_intent
from app.guard.nearest import NearestNeighbourGuard
from app.index.base import VectorIndex
from app.pipeline.extract.base import Extractor
from app.settings import Settings

log = logging.getLogger(__name__)

#: Neighbours reported with a decision (the abstain reply names their categories).
REPORTED_NEIGHBOURS = 5


class DensityGuard:
    def __init__(self, index: VectorIndex, calibration: Calibration) -> None:
        self.index = index
        self.calibration = calibration
        self.method = calibration.method
        self.version = calibration.version
        self.fence_radius: float | None = calibration.min_similarity

    def check(self, turn: ShoppingTurn, query_vec: np.ndarray | None) -> GuardDecision | None:
        decided, decision = decided_by_intent(turn, query_vec, self.version)
        if decided or query_vec is None:  # the second test only narrows the type for mypy
            return decision
        k = self.calibration.k
        distance, nearest = knn_score(self.index, query_vec, k, fetch=REPORTED_NEIGHBOURS)
        abstain = distance > self.calibration.threshold
        return GuardDecision(
            abstain=abstain,
            score=round(1.0 - distance, 4),
            threshold=round(self.calibration.min_similarity, 4),
            method=self.method,
            version=self.version,
            reason=f"{k}-th nearest product below the calibrated similarity" if abstain else "",
            nearest=[pid for pid, _ in nearest[:REPORTED_NEIGHBOURS]],
        )

    def fence(self, query_vec: np.ndarray, ranked: Sequence[Candidate]) -> tuple[list[Candidate], list[str]]:
        """Ranked candidates inside the calibrated radius, and the ids fenced out."""
        return radius_fence(self.index, query_vec, ranked, self.fence_radius)


def open_guard(
    settings: Settings, extractor: Extractor, encoder: BatchEncoder, index: VectorIndex
) -> DensityGuard | NearestNeighbourGuard:
    """The guard the API runs: the density guard with the stored calibration when it matches this
    index and encoder, else after calibrating now (seconds; logged). Falls back to the uncalibrated
    top-1 guard only when calibration is impossible (e.g. the golden queries are not deployed)."""
    try:
        cal, recalibrated = ensure_configured_calibration(settings, extractor, encoder, index)
    except (OSError, ValueError) as exc:
        log.error("guard calibration failed (%s): falling back to the uncalibrated nn-cosine guard", exc)
        return NearestNeighbourGuard(index, settings.guard_min_similarity)
    log.info(
        "density guard %s: k=%d alpha=%g n=%d min similarity %.4f (%s)",
        cal.version, cal.k, cal.alpha, cal.n, cal.min_similarity, "recalibrated" if recalibrated else "loaded",
    )  # fmt: skip
    return DensityGuard(index, cal)
