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
one. ``estimate_from_logs`` reads the same quantities from the turn log: the randomised slots of
the turns the API's explore stage permuted (``app/pipeline/explore.py``, ``TurnRecord.position_shown``)
and the shoppers' events on them; ``tests/recsys/test_ipw_logs.py`` runs that path end to end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.domain.turn import TurnRecord

#: Clicks each randomised slot needs before its propensity is trusted: the relative standard error of
#: a click-through rate from c clicks is about 1/sqrt(c), so 20 clicks bound it near 22 %.
MIN_CLICKS_PER_POSITION = 20
#: Propensities are clipped here before dividing (clipped IPW): one click deep in the list never
#: weighs more than 1 / 0.05 = 20 clicks at the top, trading a little bias for a bounded variance.
MIN_PROPENSITY = 0.05


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


class TooFewExplored(ValueError):
    """The log holds too few randomised impressions (or clicks on them) to estimate propensities."""


@dataclass(frozen=True)
class PropensityEstimate:
    """Examination propensity per shown slot (p_k / p_0), from the explored turns of the log."""

    propensities: list[float]
    turns: int  # explored turns used
    impressions: list[int]  # randomised impressions per slot
    clicks: list[int]  # of those, clicked (any event from click up)

    def weight(self, position: int) -> float:
        """1 / p(position), clipped at ``MIN_PROPENSITY``; slots below the randomised depth take the
        deepest estimated one (examination only falls further down, so this under-weights them)."""
        p = self.propensities[min(position, len(self.propensities) - 1)]
        return 1.0 / max(p, MIN_PROPENSITY)

    def describe(self) -> str:
        slots = ", ".join(
            f"{k}: {p:.3f} ({c}/{n})"
            for k, (p, c, n) in enumerate(zip(self.propensities, self.clicks, self.impressions, strict=True))
        )
        return (
            f"position propensities from {self.turns} explored turns, {sum(self.impressions)} randomised "
            f"impressions (slot: p_k/p_0 (clicks/impressions)): {slots}"
        )


def randomised_impressions(
    records: Iterable[TurnRecord], grades: Mapping[tuple[str, str], int]
) -> tuple[list[int], list[int], int]:
    """(slot, clicked 0/1) of every randomised impression of the explored turns, and how many turns.
    A product counts as clicked when the shopper clicked, carted or bought it in that turn."""
    positions: list[int] = []
    clicks: list[int] = []
    turns = 0
    for record in records:
        if record.explore_k < 2:
            continue
        turns += 1
        for shown in record.position_shown:
            if shown.randomised:
                positions.append(shown.position)
                clicks.append(int(grades.get((record.turn_id, shown.product_id), 0) >= 1))
    return positions, clicks, turns


def estimate_from_logs(
    records: Iterable[TurnRecord],
    grades: Mapping[tuple[str, str], int],
    min_clicks: int = MIN_CLICKS_PER_POSITION,
) -> PropensityEstimate:
    """Propensities of the randomised slots of the logged explored turns; ``TooFewExplored`` when
    any slot has fewer than ``min_clicks`` clicks (there is nothing sound to divide by)."""
    positions, clicks, turns = randomised_impressions(records, grades)
    if not positions:
        raise TooFewExplored(
            "no explored turns in the log: turn exploring on (CTP_EXPLORE_SHARE, CTP_EXPLORE_TOP_K) "
            "and collect events first, or train without the correction (--no-ipw)"
        )
    depth = max(positions) + 1
    pos = np.asarray(positions)
    clk = np.asarray(clicks)
    shown = [int((pos == k).sum()) for k in range(depth)]
    clicked = [int(clk[pos == k].sum()) for k in range(depth)]
    short = [k for k in range(depth) if clicked[k] < min_clicks]
    if short:
        k = short[0]
        raise TooFewExplored(
            f"too few explored impressions to estimate position propensities: {turns} explored turns, "
            f"{len(positions)} randomised impressions; slot {k} has {clicked[k]} clicks in {shown[k]} "
            f"impressions, {min_clicks} needed in every slot. Explore more (CTP_EXPLORE_SHARE) or longer, "
            "or train without the correction (--no-ipw)"
        )
    estimated = estimate_propensities(positions, clicks, depth)
    return PropensityEstimate([round(float(p), 4) for p in estimated], turns, shown, clicked)
