"""Rank stage interface and the transparent first scorer.

``HeuristicRanker`` is a readable baseline: retrieval evidence first, then how well the product
matches what the shopper asked for, then availability, then rating. Every feature it uses is recorded on the candidate
so the review console shows *why* a product ranked where it did. The LightGBM recommender in
``recsys`` implements the same ``Ranker`` interface.
"""

from __future__ import annotations

import math
from typing import Protocol

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState, Filters


class Ranker(Protocol):
    version: str

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        """Candidates re-ordered best first, each with ``rank_score`` (and ``features``) set."""


def structured_match(product: Product, filters: Filters) -> float:
    """Share of the shopper's *soft* wishes the product meets. Hard filters are already enforced
    by retrieval; this rewards products that also carry the asked-for colour/size/material among
    several, which the payload filter treats as a plain yes/no."""
    wanted = 0
    met = 0
    if filters.color:
        wanted += 1
        met += filters.color in [c.lower() for c in product.colors]
    if filters.size:
        wanted += 1
        met += filters.size in [s.upper() for s in product.sizes]
    if filters.material:
        wanted += 1
        met += filters.material in [m.lower() for m in product.materials]
    return met / wanted if wanted else 1.0


#: Weight of availability: more than the structured-match (0.10) or rating (0.07) term can give, so
#: a product whose asked-for variant is sold out ranks below an in-stock one of similar retrieval
#: evidence; less than the retrieval term's range, so a far better match still shows. (A product
#: sold out in every variant never shows at all: the fence filters it.)
STOCK_WEIGHT = 0.15


def stock_value(candidate: Candidate) -> float:
    """1.0 when a unit of the asked variant is left, or stock was not read (unknown counts as in
    stock, as untracked SKUs do); 0.0 when it is sold out."""
    return 0.0 if candidate.in_stock is False else 1.0


def rating_prior(product: Product) -> float:
    """Bayesian-shrunk rating in [0, 1]: a single 5-star review does not beat forty 4-star ones."""
    prior_mean, prior_weight = 3.5, 5.0
    if not product.review_count or product.rating is None:
        return prior_mean / 5
    n = product.review_count
    return ((product.rating * n + prior_mean * prior_weight) / (n + prior_weight)) / 5


class HeuristicRanker:
    version = "heuristic-v2"  # v2: availability term (issue 17)

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        scored: list[Candidate] = []
        for c in candidates:
            product = catalog.get(c.product_id)
            if product is None:  # index ahead of the catalog snapshot: never show what we can't describe
                continue
            features = {
                "retrieval": 1.0 / (1.0 + math.log1p(c.retrieval_rank)),
                "dense": c.dense_score or 0.0,
                "match": structured_match(product, state.filters),
                "rating": rating_prior(product),
                "popularity": math.log1p(product.popularity) / 10,
                "in_stock": stock_value(c),
            }
            score = (
                0.55 * features["retrieval"]
                + 0.25 * features["dense"]
                + 0.10 * features["match"]
                + 0.07 * features["rating"]
                + 0.03 * features["popularity"]
                + STOCK_WEIGHT * features["in_stock"]
            )
            scored.append(c.model_copy(update={"rank_score": round(score, 6), "features": features}))
        scored.sort(key=lambda c: c.rank_score or 0.0, reverse=True)
        return scored
