"""The combined guard's pure parts: the logistic fit and the nonconformity it calibrates."""

from __future__ import annotations

import numpy as np

from app.guard.combined import fit_logistic, make_model, nonconformity


def test_the_fit_separates_separable_classes() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1.0, 0.3, (50, 2)), rng.normal(-1.0, 0.3, (200, 2))])
    y = np.r_[np.ones(50), np.zeros(200)]
    w = fit_logistic(x, y)
    assert nonconformity(list(w), [1.0, 1.0]) < 0.1 < 0.9 < nonconformity(list(w), [-1.0, -1.0])


def test_the_model_threshold_is_the_conformal_quantile() -> None:
    scores = [i / 100 for i in range(1, 20)]  # n = 19, alpha 0.05 → rank 19
    model = make_model([0.0, 0.0], scores, k=5, alpha=0.05, index_version="i", encoder_version="e",
                       types_version="t", type_vectors_version="v", training={})  # fmt: skip
    assert model.rank == 19 and model.threshold == 0.19
    assert model.matches("i", "e", "t", 0.05, "v") and not model.matches("j", "e", "t", 0.05, "v")
    assert not model.matches("i", "e", "t", 0.05, "w")
