"""Abstention metrics against hand-computed values (scikit-learn as a cross-check)."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from evals.ood_metrics import abstention_at, aupr, auroc, fpr_at_tpr, risk_coverage

IN = [0.1, 0.2, 0.3, 0.4]  # in-scope nonconformity scores
OUT = [0.35, 0.5, 0.6]  # out-of-scope (positive)


def test_auroc_by_hand() -> None:
    # pairs (out > in): 0.35 beats 3 of 4, 0.5 and 0.6 beat all 4 → 11 / 12
    assert auroc(IN, OUT) == pytest.approx(11 / 12)


def test_auroc_counts_ties_as_half() -> None:
    assert auroc([0.5], [0.5]) == 0.5


def test_aupr_by_hand() -> None:
    # ranked high→low: 0.6+ 0.5+ 0.4- 0.35+ → AP = (1/3)(1) + (1/3)(1) + (1/3)(3/4) = 11/12
    assert aupr(IN, OUT) == pytest.approx(11 / 12)


def test_fpr_at_95_tpr_by_hand() -> None:
    # 95% of 4 in-scope → keep all 4 (t = 0.4): out-of-scope ≤ 0.4 is only 0.35 → 1/3
    assert fpr_at_tpr(IN, OUT) == pytest.approx(1 / 3)


def test_abstention_precision_recall_at_threshold() -> None:
    at = abstention_at(IN, OUT, threshold=0.3)  # abstains on 0.4 (in), 0.35, 0.5, 0.6 (out)
    assert at.precision == pytest.approx(3 / 4)
    assert at.recall == 1.0
    assert at.false_abstain == pytest.approx(1 / 4)


def test_risk_coverage_by_hand() -> None:
    coverage, risk = risk_coverage([0.1, 0.2], [0.3, 0.15])
    assert list(coverage) == [0.25, 0.5, 0.75, 1.0]
    assert list(risk) == pytest.approx([0.0, 0.5, 1 / 3, 0.5])


def test_agrees_with_scikit_learn_on_random_scores_with_ties() -> None:
    rng = np.random.default_rng(7)
    ins = list(np.round(rng.normal(0.3, 0.1, 300), 2))
    outs = list(np.round(rng.normal(0.5, 0.1, 200), 2))
    y = [0] * len(ins) + [1] * len(outs)
    assert auroc(ins, outs) == pytest.approx(roc_auc_score(y, ins + outs))
    assert aupr(ins, outs) == pytest.approx(average_precision_score(y, ins + outs))


def test_risk_at_a_traffic_share_does_not_depend_on_the_set_sizes() -> None:
    from evals.ood_metrics import risk_coverage_at_share

    small = risk_coverage_at_share([0.1, 0.2], [0.3, 0.9], 0.1)
    big = risk_coverage_at_share([0.1, 0.2] * 10, [0.3, 0.9] * 100, 0.1)
    assert np.allclose(small[0], big[0]) and np.allclose(small[1], big[1])
    # accepting everything: coverage 1, risk = the stated share
    assert small[0][-1] == 1.0 and abs(small[1][-1] - 0.1) < 1e-12
