"""Ranking features: pure functions with exact values."""

from __future__ import annotations

import numpy as np

from app.domain.catalog import Product
from app.domain.turn import Candidate, Filters
from recsys.features import (
    FEATURES,
    bayes_rating,
    context_for,
    feature_vector,
    listing_of,
    match_gender,
    match_value,
    max_similarity,
    overlap,
    price_fit,
    relative,
    terms_of,
    variant_has,
)


def jacket(**kw: object) -> Product:
    base: dict[str, object] = {
        "id": "t:jacket", "source": "t", "sku": "j", "name": "Jacket", "category": "jackets",
        "gender": "women", "brand": "Luma", "price": 80.0, "colors": ["Black", "Blue"],
        "sizes": ["S", "M"], "materials": ["Nylon"], "rating": 4.0, "review_count": 3, "popularity": 9,
    }  # fmt: skip
    return Product.model_validate({**base, **kw})


def test_match_value_distinguishes_met_missing_and_not_asked() -> None:
    assert [match_value("black", ["Black"]), match_value("red", ["Black"]), match_value(None, ["Black"])] == [
        1.0,
        0.0,
        -1.0,
    ]


def test_unisex_products_meet_either_gender() -> None:
    assert (match_gender("men", "unisex"), match_gender("men", "women"), match_gender("men", None)) == (
        1.0,
        0.0,
        0.0,
    )


def test_price_fit_is_one_inside_and_decays_outside_the_range() -> None:
    assert price_fit(40, None, 50) == 1.0
    assert price_fit(75, None, 50) == 0.5
    assert price_fit(150, None, 50) == 0.0
    assert price_fit(15, 20, None) == 0.75
    assert price_fit(15, None, None) == -1.0


def test_relative_score_is_share_of_the_best_in_the_list() -> None:
    assert (relative(2.0, 8.0), relative(None, 8.0), relative(2.0, 0.0)) == (0.25, 0.0, 0.0)


def test_session_similarity_is_the_best_cosine_or_missing() -> None:
    session = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    assert max_similarity(np.array([0.0, 1.0], dtype=np.float32), session) == np.float32(0.8)
    assert max_similarity(np.array([0.0, 1.0], dtype=np.float32), np.zeros((0, 0))) == -1.0


def test_feature_vector_follows_the_fixed_feature_list() -> None:
    cand = Candidate(
        product_id="t:jacket", dense_score=0.5, sparse_score=3.0, fused_score=0.03, retrieval_rank=2
    )
    other = Candidate(product_id="t:x", dense_score=0.8, sparse_score=None, retrieval_rank=1)
    vectors = {
        "t:jacket": np.array([1.0, 0.0], dtype=np.float32),
        "t:seen": np.array([0.0, 1.0], dtype=np.float32),
    }
    ctx = context_for(
        Filters(category="jackets", color="black", price_max=100),
        [cand, other],
        vectors,
        ["t:seen"],
        query="black nylon jackets",
        prices=[80.0, 40.0],
        listing=listing_of("black nylon jackets", [jacket(), jacket(id="t:x", name="Bomber jacket")]),
    )
    values = dict(zip(FEATURES, feature_vector(ctx, cand, jacket(), vectors["t:jacket"]), strict=True))
    assert values == {
        "dense": 0.5, "sparse": 3.0, "dense_rel": 0.625, "sparse_rel": 1.0, "in_dense": 1.0, "in_sparse": 1.0,
        "fused_rank": 2.0, "match_category": 1.0, "match_gender": -1.0, "match_color": 1.0, "match_size": -1.0,
        "match_material": -1.0, "match_brand": -1.0, "price_fit": 1.0, "rating": 4.0,
        "reviews": float(np.log1p(3)), "popularity": float(np.log1p(9)), "session_seen_sim": 0.0,
        "session_cart_sim": -1.0, "info_description": 0.0, "info_sizes": 2.0, "info_colors": 2.0,
        "variant_size": -1.0, "variant_color": 1.0, "rating_bayes": (4.0 * 3 + 3.5 * 5) / 8,
        "price_position": 80.0 / 60.0, "in_stock": -1.0, "need_name": -1.0, "need_text": -1.0,
        "head_in_name": 1.0, "name_twins": 0.0, "info_total": 2.0,
    }  # fmt: skip


def test_terms_are_content_words_singularised() -> None:
    assert terms_of("Hoodies for men, size M — 2 pack of tees") == frozenset({"hoodie", "pack", "tee"})


def test_overlap_is_the_share_of_query_terms_in_a_field_or_missing() -> None:
    assert overlap(frozenset({"zip", "hoodie"}), frozenset({"hoodie", "daphne"})) == 0.5
    assert overlap(frozenset(), frozenset({"hoodie"})) == -1.0


def test_variant_availability_reads_variants_before_the_listed_values() -> None:
    with_variants = jacket(variants=[{"sku": "j-s-blk", "size": "S", "color": "Black"}])
    assert variant_has(with_variants, "M", "black") == (0.0, 1.0)
    assert variant_has(jacket(), "M", None) == (1.0, -1.0)


def test_bayesian_rating_shrinks_few_reviews_towards_the_prior() -> None:
    assert bayes_rating(5.0, 1) < bayes_rating(4.5, 40)
    assert bayes_rating(None, 0) == 3.5
