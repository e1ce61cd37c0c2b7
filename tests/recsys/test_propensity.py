"""Learning from clicks with a known position bias: the IPW-corrected model recovers the true order
better than the naive one (simulated shoppers, seeded)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from recsys.propensity import estimate_propensities, ipw_targets
from recsys.train import list_ndcg

DEPTH = 10
ETA = 1.2  # true examination probability at position k: (1 / (k + 1)) ** ETA


def examine(k: np.ndarray) -> np.ndarray:
    return (1.0 / (k + 1)) ** ETA


def simulate(rng: np.random.Generator, lists: int, randomise: bool) -> tuple[np.ndarray, ...]:
    """Lists of 10 products with two features: ``quality`` (drives relevance) and ``promo`` (the
    logging ranker's favourite, unrelated to relevance). The logging ranker orders by promo, or at
    random on the exploration share."""
    xs, pos, clicks, rel = [], [], [], []
    for _ in range(lists):
        quality = rng.random(DEPTH)
        promo = rng.random(DEPTH)
        relevance = quality**2
        order = rng.permutation(DEPTH) if randomise else np.argsort(-promo)
        position = np.empty(DEPTH, dtype=np.intp)
        position[order] = np.arange(DEPTH)
        click = (rng.random(DEPTH) < examine(position) * relevance).astype(int)
        xs.append(np.column_stack([quality, promo]))
        pos.append(position)
        clicks.append(click)
        rel.append(relevance)
    return np.vstack(xs), np.concatenate(pos), np.concatenate(clicks), np.concatenate(rel)


def fit(x: np.ndarray, y: np.ndarray) -> lgb.Booster:
    params = {"objective": "regression", "num_leaves": 7, "learning_rate": 0.1, "verbose": -1, "seed": 1}
    return lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=80)


def true_order_ndcg(model: lgb.Booster, rng: np.random.Generator) -> float:
    x, _, _, rel = simulate(rng, 300, randomise=True)
    scores = model.predict(x)
    grades = np.round(rel * 3).astype(int)
    return float(
        np.mean(
            [
                list_ndcg(list(grades[i : i + DEPTH][np.argsort(-scores[i : i + DEPTH])]))
                for i in range(0, len(x), DEPTH)
            ]
        )
    )


def test_propensities_from_randomised_impressions_recover_the_true_bias() -> None:
    _, pos, clicks, _ = simulate(np.random.default_rng(0), 6000, randomise=True)
    estimated = estimate_propensities(pos, clicks, DEPTH)
    assert estimated[:5] == pytest.approx(examine(np.arange(5)), abs=0.05)


def test_ipw_model_recovers_the_true_order_better_than_the_naive_one() -> None:
    rng = np.random.default_rng(1)
    _, epos, eclicks, _ = simulate(rng, 4000, randomise=True)  # exploration share
    propensity = estimate_propensities(epos, eclicks, DEPTH)
    x, pos, clicks, _ = simulate(rng, 4000, randomise=False)  # logged by the promo ranker
    naive = fit(x, clicks.astype(float))
    corrected = fit(x, ipw_targets(pos, clicks, propensity))
    eval_rng = np.random.default_rng(2)
    naive_ndcg = true_order_ndcg(naive, eval_rng)
    corrected_ndcg = true_order_ndcg(corrected, np.random.default_rng(2))
    assert corrected_ndcg > naive_ndcg + 0.01
