"""Pure metrics for abstention (out-of-scope detection), on nonconformity scores.

Convention everywhere: a higher score means "less in scope", and out-of-scope is the *positive*
class for AUROC, AUPR and the abstention precision/recall. FPR@95TPR follows the OOD-detection
literature (Hendrycks & Gimpel 2017; Sun et al. 2022): the share of out-of-scope queries still
*accepted* at the threshold that keeps 95% of in-scope queries — the number that matters for a
guard calibrated near α = 0.05.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


def auroc(in_scope: Sequence[float], out_scope: Sequence[float]) -> float:
    """P(out-of-scope score > in-scope score), ties counting one half (Mann–Whitney U / (n·m))."""
    if len(in_scope) == 0 or len(out_scope) == 0:
        raise ValueError("AUROC needs both classes")
    neg = np.sort(np.asarray(in_scope, dtype=float))
    pos = np.asarray(out_scope, dtype=float)
    below = np.searchsorted(neg, pos, side="left")
    not_above = np.searchsorted(neg, pos, side="right")
    wins = below + 0.5 * (not_above - below)
    return float(wins.sum() / (len(neg) * len(pos)))


def aupr(in_scope: Sequence[float], out_scope: Sequence[float]) -> float:
    """Average precision with out-of-scope positive: Σ (Rᵢ − Rᵢ₋₁)·Pᵢ over distinct score
    thresholds, highest first (the step-wise definition scikit-learn uses)."""
    if len(out_scope) == 0:
        raise ValueError("AUPR needs out-of-scope examples")
    scores = np.concatenate([np.asarray(out_scope, float), np.asarray(in_scope, float)])
    labels = np.concatenate([np.ones(len(out_scope)), np.zeros(len(in_scope))])
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_value = np.r_[np.diff(scores) != 0, True]
    tp = np.cumsum(labels)[last_of_value]
    flagged = (np.arange(len(scores)) + 1)[last_of_value]
    precision = tp / flagged
    recall = tp / len(out_scope)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def fpr_at_tpr(in_scope: Sequence[float], out_scope: Sequence[float], tpr: float = 0.95) -> float:
    """Share of out-of-scope scores ≤ t, where t is the smallest in-scope score that keeps (scores
    ≤ t) at least ``tpr`` of the in-scope queries."""
    if len(in_scope) == 0 or len(out_scope) == 0:
        raise ValueError("FPR@TPR needs both classes")
    ranked = sorted(in_scope)
    t = ranked[math.ceil(len(ranked) * Fraction(str(tpr))) - 1]
    return sum(s <= t for s in out_scope) / len(out_scope)


@dataclass(frozen=True)
class AbstentionCounts:
    precision: float
    recall: float
    false_abstain: float  # share of in-scope queries abstained on


def abstention_at(
    in_scope: Sequence[float], out_scope: Sequence[float], threshold: float
) -> AbstentionCounts:
    """Precision and recall of "abstain" (score > threshold) for catching out-of-scope queries,
    and the false-abstain rate on the in-scope ones. Precision is 1.0 when nothing is abstained."""
    tp = sum(s > threshold for s in out_scope)
    fp = sum(s > threshold for s in in_scope)
    return AbstentionCounts(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / len(out_scope) if len(out_scope) else 0.0,
        false_abstain=fp / len(in_scope) if len(in_scope) else 0.0,
    )


def risk_coverage(in_scope: Sequence[float], out_scope: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Selective-prediction curve: accept the lowest-score queries first; at each cut, coverage is
    the share of all queries accepted and risk the share of accepted ones that are out of scope.
    Equal scores are accepted together, so the curve has one point per distinct score."""
    scores = np.concatenate([np.asarray(in_scope, float), np.asarray(out_scope, float)])
    bad = np.concatenate([np.zeros(len(in_scope)), np.ones(len(out_scope))])
    order = np.argsort(scores, kind="mergesort")
    scores, bad = scores[order], bad[order]
    last_of_value = np.r_[np.diff(scores) != 0, True]
    accepted = (np.arange(len(scores)) + 1)[last_of_value]
    risk = np.cumsum(bad)[last_of_value] / accepted
    return accepted / len(scores), risk


def risk_coverage_at_share(
    in_scope: Sequence[float], out_scope: Sequence[float], share: float
) -> tuple[np.ndarray, np.ndarray]:
    """The risk–coverage curve for traffic in which a fraction ``share`` of requests is out of
    scope, whatever the mix of the evaluation sets. At each cut, ``a_in``/``a_out`` are the shares
    of in-scope/out-of-scope queries accepted; coverage = (1 − share)·a_in + share·a_out and
    risk = share·a_out / coverage (the evaluation sets' own sizes no longer matter)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"out-of-scope share must be in (0, 1), got {share}")
    ins = np.sort(np.asarray(in_scope, float))
    outs = np.sort(np.asarray(out_scope, float))
    cuts = np.unique(np.concatenate([ins, outs]))
    a_in = np.searchsorted(ins, cuts, side="right") / max(1, len(ins))
    a_out = np.searchsorted(outs, cuts, side="right") / max(1, len(outs))
    coverage = (1 - share) * a_in + share * a_out
    risk = np.divide(share * a_out, coverage, out=np.zeros_like(coverage), where=coverage > 0)
    return coverage, risk
