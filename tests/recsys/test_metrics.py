"""Evaluation metrics on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from recsys.evaluate import mrr_at, ndcg_at, recall_at

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
