"""Fencing: a reply may present only products inside the query's green-lit neighbourhood.

Pure: given the ranked candidates (whose ``dense_score`` is the cosine to the query when the dense
arm retrieved them) and the cosines looked up for the others, keep those at least ``radius`` similar
to the query. Order is preserved; a candidate with no known similarity is fenced out (no evidence
that it is near).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.domain.turn import Candidate


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
