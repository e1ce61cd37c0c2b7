"""Agreement metrics on small examples computed by hand."""

from __future__ import annotations

import pytest

from evals.agreement import accuracy, agreement, cohen_kappa, confusion, per_label

# 10 items: reference has 6 "a", 4 "b"; predicted agrees on 4 a's and 3 b's.
REF = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b"]
PRED = ["a", "a", "a", "a", "b", "b", "b", "b", "b", "a"]


def test_accuracy_is_the_share_of_identical_labels() -> None:
    assert accuracy(REF, PRED) == pytest.approx(0.7)


def test_kappa_corrects_for_chance_agreement() -> None:
    # p_o = 0.7; p_e = (6·5 + 4·5) / 100 = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert cohen_kappa(REF, PRED) == pytest.approx(0.4)


def test_kappa_is_one_for_perfect_agreement_and_zero_at_chance() -> None:
    assert cohen_kappa(["x", "y", "x"], ["x", "y", "x"]) == pytest.approx(1.0)
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == pytest.approx(0.0)


def test_per_label_precision_recall_f1() -> None:
    scores = per_label(REF, PRED)
    # a: tp 4, fp 1, fn 2 → p 0.8, r 2/3, f1 = 2·0.8·(2/3)/(0.8+2/3) = 0.7273
    assert scores["a"].precision == pytest.approx(0.8)
    assert scores["a"].recall == pytest.approx(4 / 6)
    assert scores["a"].f1 == pytest.approx(0.727272, abs=1e-5)
    assert scores["a"].support == 6
    # b: tp 3, fp 2, fn 1 → p 0.6, r 0.75
    assert (scores["b"].precision, scores["b"].recall) == (pytest.approx(0.6), pytest.approx(0.75))


def test_confusion_rows_are_reference_columns_are_predicted() -> None:
    assert confusion(REF, PRED, ["a", "b"]) == [[4, 2], [1, 3]]


def test_agreement_bundles_the_metrics() -> None:
    a = agreement(REF, PRED)
    assert (a.n, a.labels, a.confusion) == (10, ["a", "b"], [[4, 2], [1, 3]])


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError):
        accuracy(["a"], ["a", "b"])
