"""Split-conformal threshold for the guard: pure functions, exact on small arrays.

Nonconformity scores ``s`` are "higher = less like the catalog" (a kNN distance). Given ``n``
held-out in-scope scores, the threshold is the ⌈(n+1)(1−α)⌉-th smallest of them; a new in-scope
query exchangeable with the calibration set then scores above it with probability at most α, so
the guard's false-abstain rate is ≤ α (Vovk et al. 2005; Angelopoulos & Bates 2021).

The rank is computed with ``Fraction`` because (n+1)(1−α) in floating point is off by an ulp for
common values (20 × 0.95 = 19.000000000000004 would round up to 20).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def conformal_rank(n: int, alpha: float) -> int:
    """1-based rank ⌈(n+1)(1−α)⌉ of the calibration score used as the threshold (may exceed n)."""
    if n < 1:
        raise ValueError("conformal calibration needs at least one score")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return math.ceil((n + 1) * (1 - Fraction(str(alpha))))


def conformal_threshold(scores: Sequence[float], alpha: float) -> float:
    """The ⌈(n+1)(1−α)⌉-th smallest score; ``inf`` (never abstain) when that rank exceeds n,
    i.e. when n < 1/α − 1 scores cannot support the guarantee at this α."""
    rank = conformal_rank(len(scores), alpha)
    if rank > len(scores):
        return math.inf
    return float(sorted(scores)[rank - 1])


def abstains(score: float, threshold: float) -> bool:
    """The guard's rule on nonconformity scores: abstain strictly above the threshold."""
    return score > threshold


def false_abstain_rate(in_scope_scores: Sequence[float], threshold: float) -> float:
    """Share of in-scope scores the rule would abstain on."""
    if len(in_scope_scores) == 0:
        return 0.0
    return sum(abstains(s, threshold) for s in in_scope_scores) / len(in_scope_scores)
