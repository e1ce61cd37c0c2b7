"""Position-bias correction for learning from clicks (inverse propensity weighting).

A shopper clicks a shown product only if she examines its position *and* finds it relevant:
``P(click) = P(examine | position) · P(relevant)``. Training on raw clicks therefore also learns
"was shown high", i.e. the old ranker's order. Two pure pieces fix that:

* ``estimate_propensities`` — examination probability per position, from impressions whose top-k
  order was **randomised** (the exploration share): with the order random, relevance is independent
  of position, so the click-through rate at position k over the rate at position 0 is p_k / p_0.
* ``ipw_targets`` — the debiased target ``click / p_position`` (unbiased for P(relevant)); a model
  fit on it recovers relevance instead of the logging ranker's order.

``tests/recsys/test_propensity.py`` simulates shoppers with a known position bias and known
relevance and checks that the corrected model orders fresh lists closer to the truth than the naive
one. Wiring the exploration share into the API and the log reader is not built yet (see
docs/recommender.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def estimate_propensities(positions: Sequence[int], clicks: Sequence[int], depth: int) -> np.ndarray:
    """p_k / p_0 for k < ``depth`` from randomised impressions (position, clicked 0/1). Positions
    never clicked get a floor of 1e-3 so weights stay finite."""
    pos = np.asarray(positions, dtype=np.intp)
    clk = np.asarray(clicks, dtype=np.float64)
    ctr = np.array([clk[pos == k].mean() if (pos == k).any() else 0.0 for k in range(depth)])
    if ctr[0] <= 0:
        raise ValueError("no clicks at the top position: cannot normalise propensities")
    out: np.ndarray = np.clip(ctr / ctr[0], 1e-3, None)
    return out


def ipw_targets(positions: Sequence[int], clicks: Sequence[int], propensity: np.ndarray) -> np.ndarray:
    """``click / p(position)``: the inverse-propensity-weighted relevance target of each row."""
    pos = np.asarray(positions, dtype=np.intp)
    out: np.ndarray = np.asarray(clicks, dtype=np.float64) / propensity[pos]
    return out
