"""The vectorised feature build (serving) computes exactly what ``feature_vector`` (the
specification, used by training) computes, on real candidate lists and on edge cases."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from app.bootstrap import Services
from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState, Filters
from app.pipeline.extract.rules import RulesExtractor
from recsys.candidates import CandidateSource, ParsedQuery
from recsys.evaluate import load_judged
from recsys.features import (
    FEATURES,
    ProductTable,
    QueryContext,
    context_for,
    feature_matrix,
    listing_of,
    price_fit,
    price_fit_column,
    reference_matrix,
)
from recsys.ranker import LightGbmRanker
from recsys.runtime import unit_vectors

TOLERANCE = 1e-6  # float32 cosines: a matrix product may round differently from a vector product


@pytest.fixture(scope="module")
def vectors(services: Services) -> dict[str, np.ndarray]:
    return unit_vectors(services.index, [p.id for p in services.catalog.all()])


@pytest.fixture(scope="module")
def table(services: Services, vectors: dict[str, np.ndarray]) -> ProductTable:
    return ProductTable.build(services.catalog.all(), vectors)


@pytest.fixture(scope="module")
def lists(services: Services) -> list[tuple[Filters, list[Candidate]]]:
    """21 held-out queries (every 6th) retrieved *without* filters, paired with their hand-annotated
    constraints: the candidates then meet, miss and ignore the constraints in every combination."""
    source = CandidateSource(
        RulesExtractor(load_vocabulary(), CatalogStore(services.engine).brands()),
        services.encoder,
        services.index,
        services.catalog,
    )
    golden = load_judged()[::6]
    open_queries = [ParsedQuery(q.query, Filters(), q.query) for q in golden]
    vecs = source.encode(open_queries)
    return [
        (q.constraints, source.retrieve(pq, v)) for q, pq, v in zip(golden, open_queries, vecs, strict=True)
    ]


def contexts(
    lists: list[tuple[Filters, list[Candidate]]], vectors: dict[str, np.ndarray]
) -> list[tuple[QueryContext, list[Candidate]]]:
    """Each list with a session: its 5th-9th candidates were seen, its 12th is in the cart."""
    out = []
    for filters, cands in lists:
        seen = [c.product_id for c in cands[4:9]]
        ctx = context_for(filters, cands, vectors, seen, [cands[11].product_id])
        out.append((ctx, cands))
    return out


def both(
    ctx: QueryContext,
    cands: list[Candidate],
    catalog: CatalogSnapshot,
    table: ProductTable,
    vectors: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    reference = reference_matrix(ctx, cands, catalog.many([c.product_id for c in cands]), vectors)
    return feature_matrix(ctx, cands, table), reference


def test_feature_matrix_equals_the_reference_on_real_candidate_lists(
    services: Services, lists, table: ProductTable, vectors: dict[str, np.ndarray]
) -> None:  # type: ignore[no-untyped-def]
    for ctx, cands in contexts(lists, vectors):
        got, want = both(ctx, cands, services.catalog, table, vectors)
        assert got.shape == want.shape == (len(cands), len(FEATURES))
        for j, name in enumerate(FEATURES):
            np.testing.assert_allclose(got[:, j], want[:, j], rtol=0, atol=TOLERANCE, err_msg=name)


def test_all_but_the_session_cosines_are_bit_identical(
    services: Services, lists, table: ProductTable, vectors: dict[str, np.ndarray]
) -> None:  # type: ignore[no-untyped-def]
    exact = [j for j, name in enumerate(FEATURES) if not name.startswith("session_")]
    for ctx, cands in contexts(lists, vectors):
        got, want = both(ctx, cands, services.catalog, table, vectors)
        assert np.array_equal(got[:, exact], want[:, exact])


def test_the_real_lists_cover_met_missed_and_not_asked_values(
    services: Services, lists, table: ProductTable, vectors: dict[str, np.ndarray]
) -> None:  # type: ignore[no-untyped-def]
    """Guards the equality tests above against comparing only constant columns."""
    stacked = np.vstack(
        [both(ctx, c, services.catalog, table, vectors)[1] for ctx, c in contexts(lists, vectors)]
    )
    col = {name: stacked[:, j] for j, name in enumerate(FEATURES)}
    for name in ("match_category", "match_gender", "match_color"):
        assert {-1.0, 0.0, 1.0} <= set(col[name].tolist()), name
    assert ((col["price_fit"] > 0) & (col["price_fit"] < 1)).any()
    assert (col["session_seen_sim"] > -1).all() and (col["session_cart_sim"] > -1).all()
    assert (col["in_sparse"] == 0).any() and (col["in_sparse"] == 1).any()


def product(pid: str, **kw: object) -> Product:
    return Product.model_validate({"id": pid, "source": "t", "sku": pid, "name": pid, "price": 50.0, **kw})


def test_matches_follow_the_reference_case_whitespace_and_unisex_rules() -> None:
    products = [
        product("a", gender="Unisex", colors=[" Black "], brand="Luma ", category="Jackets"),
        product("b", gender="women", colors=["black", "Blue"], sizes=["m"], materials=["Nylon"]),
        product("c", gender=None, brand=None, category=None, rating=4.5, review_count=0),
        product("d", gender="men", sizes=[" M"], rating=3.0, review_count=2, popularity=7),
    ]
    catalog = CatalogSnapshot(products, "v")
    cands = [
        Candidate(product_id=p.id, dense_score=None, sparse_score=1.0, retrieval_rank=i)
        for i, p in enumerate(products)
    ]
    asks = [
        Filters(gender="Men", color="BLACK ", size="M", material="nylon", brand="luma", category=" jackets"),
        Filters(gender="women", color="blue", price_min=60, price_max=80),
        Filters(),
    ]
    table = ProductTable.build(products)
    for filters in asks:
        ctx = context_for(filters, cands)
        got, want = both(ctx, cands, catalog, table, {})
        assert np.array_equal(got, want), filters


def test_price_fit_column_equals_price_fit_on_every_branch() -> None:
    prices = np.array([0.0, 10.0, 19.99, 20.0, 35.0, 50.0, 50.01, 75.0, 100.0, 250.0])
    for lo, hi in [
        (None, None),
        (20.0, None),
        (None, 50.0),
        (20.0, 50.0),
        (0.0, 0.0),
        (60.0, 40.0),
        (0.0, None),
    ]:
        want = [price_fit(float(p), lo, hi) for p in prices]
        assert price_fit_column(prices, lo, hi).tolist() == want, (lo, hi)


def test_ranker_scores_equal_the_model_on_the_reference_features(
    services: Services, lists, vectors: dict[str, np.ndarray]
) -> None:  # type: ignore[no-untyped-def]
    """End to end: same scores as predicting on ``feature_vector`` rows; unknown ids are dropped."""
    filters, cands = lists[0]
    reference = reference_matrix(
        context_for(filters, cands, vectors),
        cands,
        services.catalog.many([c.product_id for c in cands]),
        vectors,
    )
    booster = lgb.train(
        {"objective": "regression", "num_leaves": 7, "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1},
        lgb.Dataset(reference, label=reference[:, 0] + reference[:, 7], feature_name=list(FEATURES)),
        num_boost_round=10,
    )
    ranker = LightGbmRanker(booster, "test", vectors, services.catalog)
    ghost = Candidate(product_id="t:not-in-catalog", dense_score=0.1, retrieval_rank=len(cands))
    state = ConversationState(conversation_id="c", filters=filters)
    ranked = ranker.rank([*cands, ghost], services.catalog, state)
    want = dict(
        zip((c.product_id for c in cands), np.round(booster.predict(reference), 6).tolist(), strict=True)
    )
    assert {c.product_id: c.rank_score for c in ranked} == want


def test_ranker_builds_a_new_table_for_a_new_snapshot(
    services: Services, vectors: dict[str, np.ndarray]
) -> None:
    booster = lgb.train(
        {"objective": "regression", "verbose": -1},
        lgb.Dataset(
            np.eye(len(FEATURES)), label=np.arange(len(FEATURES), dtype=float), feature_name=list(FEATURES)
        ),
        num_boost_round=1,
    )
    ranker = LightGbmRanker(booster, "test", vectors, services.catalog)
    smaller = CatalogSnapshot(services.catalog.all()[:10], "smaller")
    assert ranker.table_for(services.catalog) is ranker.table_for(services.catalog)
    assert len(ranker.table_for(smaller).row) == 10


def test_in_stock_is_the_candidates_live_availability_in_both_paths() -> None:
    """f3: 1.0 a unit of the asked variant is left, 0.0 sold out, -1.0 not read (offline lists)."""
    products = [product(p) for p in "abc"]
    cands = [
        Candidate(product_id=p.id, dense_score=0.5, retrieval_rank=i, in_stock=flag)
        for i, (p, flag) in enumerate(zip(products, (True, False, None), strict=True))
    ]
    ctx = context_for(Filters(size="M"), cands)
    got, want = both(ctx, cands, CatalogSnapshot(products, "v"), ProductTable.build(products), {})
    column = FEATURES.index("in_stock")
    assert got[:, column].tolist() == want[:, column].tolist() == [1.0, 0.0, -1.0]


def test_the_lightgbm_ranker_sees_in_stock_and_can_rank_on_it() -> None:
    """A model whose label is availability puts the sold-out twin last; the explained features
    carry the value the model saw."""
    products = [product(p) for p in ("sold", "kept")]
    catalog = CatalogSnapshot(products, "v")
    rows = np.zeros((40, len(FEATURES)))
    rows[:, FEATURES.index("in_stock")] = np.tile([0.0, 1.0], 20)
    booster = lgb.train(
        {"objective": "regression", "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1},
        lgb.Dataset(rows, label=rows[:, FEATURES.index("in_stock")], feature_name=list(FEATURES)),
        num_boost_round=5,
    )
    twins = [
        Candidate(product_id="sold", dense_score=0.5, retrieval_rank=0, in_stock=False),
        Candidate(product_id="kept", dense_score=0.5, retrieval_rank=0, in_stock=True),
    ]
    ranked = LightGbmRanker(booster, "test", {}, catalog).rank(
        twins, catalog, ConversationState(conversation_id="c")
    )
    assert [(c.product_id, c.features["in_stock"]) for c in ranked] == [("kept", 1.0), ("sold", 0.0)]


def test_list_weighted_need_columns_equal_the_reference_on_real_lists(
    services: Services, lists, table: ProductTable, vectors: dict[str, np.ndarray]
) -> None:  # type: ignore[no-untyped-def]
    """f4: ``ProductTable.listing`` gives the same ``ListStats`` as ``listing_of`` on the products,
    and the need columns then equal the reference (a query with words some names carry)."""
    for filters, cands in lists:
        query = f"{filters.color or ''} light zip running {filters.category or ''}"
        listing = listing_of(query, services.catalog.many([c.product_id for c in cands]))
        assert table.listing(query, [table.row[c.product_id] for c in cands]) == listing
        got, want = both(
            context_for(filters, cands, vectors, listing=listing), cands, services.catalog, table, vectors
        )
        assert np.array_equal(got, want)
