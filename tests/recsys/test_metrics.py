"""Evaluation metrics on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from recsys.evaluate import mrr_at, ndcg_at, paired_delta, recall_at
from recsys.features import FEATURES
from recsys.train import RankRows, list_ndcg, retrieval_order_ndcg

JUDGED = {"a": 3, "b": 2, "c": 1}


def test_ndcg_of_the_ideal_order_is_one() -> None:
    assert ndcg_at(["a", "b", "c"], JUDGED) == pytest.approx(1.0)


def test_ndcg_of_a_swapped_order() -> None:
    ideal = 7 + 3 / math.log2(3) + 1 / 2
    got = 3 + 7 / math.log2(3) + 1 / 2
    assert ndcg_at(["b", "a", "c"], JUDGED) == pytest.approx(got / ideal)


def test_ndcg_is_zero_without_judgments() -> None:
    assert ndcg_at(["a"], {}) == 0.0


def test_mrr_counts_the_first_product_of_grade_two_or_more() -> None:
    assert mrr_at(["x", "c", "b", "a"], JUDGED) == pytest.approx(1 / 3)
    assert mrr_at(["x", "c"], JUDGED) == 0.0


def test_recall_is_capped_by_k() -> None:
    many = {f"p{i}": 2 for i in range(100)}
    assert recall_at([f"p{i}" for i in range(25)], many, k=50) == 0.5
    assert recall_at(["a", "x", "b"], JUDGED, k=50) == 1.0


def test_paired_delta_counts_wins_losses_and_ties() -> None:
    d = paired_delta([1.0, 1.0, 0.5, 0.8], [1.0, 0.9, 0.7, 0.8])
    assert (d.better, d.worse, d.tied) == (1, 1, 2)
    assert d.mean == pytest.approx(0.025)
    assert d.ci_low <= d.mean <= d.ci_high


def test_paired_delta_interval_excludes_zero_when_every_query_improves() -> None:
    d = paired_delta([0.5] * 30, [0.6] * 30)
    assert (d.mean, d.ci_low, d.ci_high) == (0.1, 0.1, 0.1)


def test_list_ndcg_follows_lightgbm_gain_and_its_all_zero_convention() -> None:
    assert list_ndcg([3, 1, 0]) == pytest.approx(1.0)
    assert list_ndcg([3, 0, 1]) == pytest.approx((7 + 1 / 2) / (7 + 1 / math.log2(3)))
    assert list_ndcg([0, 3]) == pytest.approx(7 / math.log2(3) / 7)
    assert list_ndcg([0, 0]) == 1.0


def test_retrieval_order_ndcg_sorts_each_list_by_fused_rank() -> None:
    col = FEATURES.index("fused_rank")

    def row(rank: int) -> list[float]:
        x = [0.0] * len(FEATURES)
        x[col] = float(rank)
        return x

    rows = RankRows()
    rows.add("q1", [row(1), row(0)], [3, 0])  # stored out of order: the best is ranked second
    assert retrieval_order_ndcg(rows) == pytest.approx(7 / math.log2(3) / 7)
