"""The combined guard's pure parts: the logistic fit and the nonconformity it calibrates."""

from __future__ import annotations

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Filters, Intent, ShoppingTurn
from app.guard.combined import (
    FEATURES,
    CombinedModel,
    Signals,
    features,
    fit_logistic,
    make_model,
    nonconformity,
)
from app.guard.coverage import ProductTypes


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


def _model(need_scores: list[float]) -> CombinedModel:
    return make_model([0.0, 0.0], [0.1] * 19, k=5, alpha=0.05, index_version="i", encoder_version="e",
                      types_version="t", type_vectors_version="v", training={}, need_scores=need_scores)  # fmt: skip


def test_needs_get_their_own_conformal_threshold() -> None:
    model = _model([i / 100 for i in range(1, 20)])
    assert model.need_threshold == 0.19 and model.threshold == 0.1


def test_too_few_needs_leave_the_need_threshold_unset() -> None:
    assert _model([0.5] * 5).need_threshold is None


WATCHES = ProductTypes.from_products(
    [Product(id=i, source="t", sku=i, name="Sport Watch", category="watches", price=10) for i in "ab"], "v"
)
SIGNALS = Signals(nearest=[("a", 0.5)] * 5, phrase_nearest=[("a", 0.5)] * 5, type_sim=0.7)


def _feature(turn: ShoppingTurn, name: str) -> float:
    return features(turn, SIGNALS, 5, WATCHES)[FEATURES.index(name)]


def test_a_store_type_that_only_modifies_the_head_is_not_the_type_asked_for() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="watch battery", head="watch", phrase="watch battery",
                        filters=Filters(category="watches"))  # fmt: skip
    assert (_feature(turn, "type_carried"), _feature(turn, "type_as_modifier")) == (0.0, 1.0)


def test_a_store_type_as_head_is_the_type_asked_for() -> None:
    turn = ShoppingTurn(intent=Intent.search, query="sport watch", head="watch", phrase="sport watch",
                        filters=Filters(category="watches"))  # fmt: skip
    assert (_feature(turn, "type_carried"), _feature(turn, "type_as_modifier")) == (1.0, 0.0)
