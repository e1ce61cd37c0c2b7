"""Fencing: a reply may present only products inside the query's green-lit neighbourhood.

Pure: given the ranked candidates (whose ``dense_score`` is the cosine to the query when the dense
arm retrieved them) and the cosines looked up for the others, keep those at least ``radius`` similar
to the query. Order is preserved; a candidate with no known similarity is fenced out (no evidence
that it is near).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from app.domain.turn import Candidate
from app.index.base import VectorIndex


def fence_candidates(
    ranked: Sequence[Candidate], similarity: Mapping[str, float], radius: float
) -> tuple[list[Candidate], list[str]]:
    kept: list[Candidate] = []
    fenced: list[str] = []
    for c in ranked:
        sim = c.dense_score if c.dense_score is not None else similarity.get(c.product_id)
        if sim is not None and sim >= radius:
            kept.append(c)
        else:
            fenced.append(c.product_id)
    return kept, fenced


def radius_fence(
    index: VectorIndex, query_vec: np.ndarray, ranked: Sequence[Candidate], radius: float | None
) -> tuple[list[Candidate], list[str]]:
    """The fence both calibrated guards apply: candidates the dense arm did not score get their
    cosine from the index's stored vectors; ``radius`` None (no calibration) fences nothing."""
    if radius is None:
        return list(ranked), []
    missing = [c.product_id for c in ranked if c.dense_score is None]
    vectors = index.vectors(missing) if missing else {}
    similarity = {pid: float(np.dot(query_vec, v)) for pid, v in vectors.items()}
    return fence_candidates(ranked, similarity, radius)
