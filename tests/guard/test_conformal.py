"""The conformal threshold: the ⌈(n+1)(1−α)⌉-th smallest calibration score."""

import math

import pytest

from app.guard.conformal import abstains, conformal_rank, conformal_threshold, false_abstain_rate


def test_rank_is_ceiling_of_n_plus_one_times_one_minus_alpha() -> None:
    assert conformal_rank(9, 0.2) == 8  # 10 × 0.8 = 8
    assert conformal_rank(10, 0.2) == 9  # 11 × 0.8 = 8.8 → 9


def test_rank_is_exact_where_floating_point_would_round_up() -> None:
    # 20 × (1 − 0.05) is 19.000000000000004 in floats; the rank is 19, not 20.
    assert conformal_rank(19, 0.05) == 19


def test_threshold_is_the_ranked_score() -> None:
    scores = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6]  # n=9, α=0.2 → rank 8 → 0.8
    assert conformal_threshold(scores, 0.2) == 0.8


def test_threshold_is_infinite_when_n_is_too_small_for_alpha() -> None:
    assert conformal_threshold([0.1, 0.2, 0.3], 0.05) == math.inf  # rank ⌈4 × 0.95⌉ = 4 > 3


def test_abstains_strictly_above_the_threshold() -> None:
    assert not abstains(0.8, 0.8)
    assert abstains(0.81, 0.8)


def test_false_abstain_rate_counts_scores_above() -> None:
    assert false_abstain_rate([0.1, 0.5, 0.9, 0.95], 0.8) == 0.5


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1])
def test_alpha_outside_the_open_unit_interval_is_rejected(alpha: float) -> None:
    with pytest.raises(ValueError):
        conformal_rank(10, alpha)
