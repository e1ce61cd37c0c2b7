"""The dashboard's pure functions."""

from __future__ import annotations

import pytest

from ui.review.metrics import agreement, confusion_matrix, label_rates, risk_coverage, slice_table, waterfall


def test_confusion_matrix_counts_judge_rows_against_human_columns() -> None:
    pairs = [
        {"evaluator": "refusal", "judge": "refused", "human": "answered"},
        {"evaluator": "refusal", "judge": "refused", "human": "refused"},
        {"evaluator": "refusal", "judge": "answered", "human": "answered"},
        {"evaluator": "refusal", "judge": None, "human": "answered"},
        {"evaluator": "relevance", "judge": "relevant", "human": "relevant"},
    ]
    m = confusion_matrix(pairs, "refusal", ["refused", "answered"])
    assert m == [[1, 1], [0, 1]]
    assert agreement(m) == pytest.approx(2 / 3)
    assert agreement([[0, 0], [0, 0]]) is None


def test_label_rates_are_per_day_over_applicable_labels() -> None:
    counts = [
        {"day": "2026-11-25", "evaluator": "hallucination", "label": "hallucinated", "count": 1},
        {"day": "2026-11-25", "evaluator": "hallucination", "label": "grounded", "count": 3},
        {"day": "2026-11-25", "evaluator": "hallucination", "label": "not_applicable", "count": 9},
        {"day": "2026-11-26", "evaluator": "hallucination", "label": "grounded", "count": 2},
        {"day": "2026-11-26", "evaluator": "relevance", "label": "irrelevant", "count": 5},
    ]
    assert label_rates(counts, "hallucination", "hallucinated") == [
        {"day": "2026-11-25", "rate": 0.25, "n": 4},
        {"day": "2026-11-26", "rate": 0.0, "n": 2},
    ]


def test_risk_coverage_walks_thresholds_from_strict_to_lenient() -> None:
    points = [(0.9, False), (0.7, False), (0.5, True), (0.5, False), (0.2, True)]
    assert risk_coverage(points) == [
        {"threshold": 0.9, "coverage": 0.2, "risk": 0.0},
        {"threshold": 0.7, "coverage": 0.4, "risk": 0.0},
        {"threshold": 0.5, "coverage": 0.8, "risk": 0.25},
        {"threshold": 0.2, "coverage": 1.0, "risk": 0.4},
    ]


def test_slice_table_rates_per_value() -> None:
    rows = [
        {"intent": "search", "abstained": True, "latency_ms": 10.0, "feedback": "down"},
        {"intent": "search", "abstained": False, "latency_ms": 30.0, "feedback": "up"},
        {"intent": "smalltalk", "abstained": False, "latency_ms": 5.0, "feedback": None},
    ]
    assert slice_table(rows, "intent") == [
        {"intent": "search", "turns": 2, "abstained": 0.5, "thumbs_down": 0.5, "median_latency_ms": 20.0},
        {"intent": "smalltalk", "turns": 1, "abstained": 0.0, "thumbs_down": None, "median_latency_ms": 5.0},
    ]


def test_waterfall_lays_stages_end_to_end_without_the_total() -> None:
    assert waterfall({"extract": 2.0, "guard": 3.0, "total": 5.5}) == [
        {"stage": "extract", "start": 0.0, "end": 2.0, "ms": 2.0},
        {"stage": "guard", "start": 2.0, "end": 5.0, "ms": 3.0},
    ]
