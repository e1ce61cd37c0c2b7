"""Feature-group ablation: what each group of ``recsys.features.GROUPS`` adds.

The rows are collected once (exactly as ``recsys.build.train_artifact`` collects them); then the
model is refit with one group's columns replaced by a constant (so no tree can split on them) and
scored on the **dev** lists — the need-judged train-split queries held out from training
(``recsys.build.DEV_SHARE``) — as NDCG@10 over their judged products. The test split is never read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.features import FEATURES, GROUPS
from recsys.train import RankRows, fit, list_ndcg


def without(rows: RankRows, columns: Sequence[str]) -> RankRows:
    """A copy of ``rows`` with ``columns`` set to a constant (-1): the group carries no signal."""
    idx = [FEATURES.index(c) for c in columns]
    x = np.asarray(rows.x, dtype=np.float64)
    x[:, idx] = -1.0
    return RankRows(x.tolist(), list(rows.y), list(rows.qids), list(rows.w))


def dev_ndcg(model_scores: np.ndarray, rows: RankRows, k: int = 10) -> float:
    """Mean NDCG@k of ``rows``' lists ordered by ``model_scores`` (ties by row order)."""
    by_q: dict[str, list[tuple[float, int, int]]] = {}
    for i, (s, y, q) in enumerate(zip(model_scores.tolist(), rows.y, rows.qids, strict=True)):
        by_q.setdefault(q, []).append((-s, i, y))
    return float(np.mean([list_ndcg([y for _, _, y in sorted(lst)], k) for lst in by_q.values()]))


def ablate(train: RankRows, valid: RankRows, dev: RankRows) -> dict[str, float]:
    """Dev NDCG@10 with all features and with each group removed; ``"retrieval order"`` is the
    bar (the dev lists ordered by ``fused_rank``)."""
    out: dict[str, float] = {}
    rank_col = FEATURES.index("fused_rank")
    out["retrieval order (hybrid)"] = dev_ndcg(-np.asarray(dev.x)[:, rank_col], dev)
    for name, cols in [("all features", ()), *((f"− {g}", c) for g, c in GROUPS.items())]:
        model, _ = fit(without(train, cols), extra_valid=without(valid, cols))
        out[name] = dev_ndcg(np.asarray(model.predict(np.asarray(without(dev, cols).x), num_threads=2)), dev)
    return out
