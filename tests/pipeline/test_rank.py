"""The first scorer: retrieval evidence first, structured match and rating as tie-breakers."""

from __future__ import annotations

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState, Filters
from app.pipeline.rank import HeuristicRanker, rating_prior, structured_match


def product(pid: str, **kw: object) -> Product:
    return Product(id=pid, source="t", sku=pid, name=pid, price=10.0, **kw)  # type: ignore[arg-type]


def test_structured_match_is_the_share_of_soft_wishes_met() -> None:
    p = product("a", colors=["black"], sizes=["M"], materials=["wool"])
    assert structured_match(p, Filters(color="black", size="L")) == 0.5
    assert structured_match(p, Filters()) == 1.0


def test_rating_prior_shrinks_few_reviews_towards_the_mean() -> None:
    one_perfect = product("a", rating=5.0, review_count=1)
    many_good = product("b", rating=4.5, review_count=40)
    assert rating_prior(many_good) > rating_prior(one_perfect)


def test_ranker_drops_candidates_missing_from_the_catalog_and_records_features() -> None:
    catalog = CatalogSnapshot([product("a"), product("b")], version="v")
    cands = [
        Candidate(product_id="ghost", retrieval_rank=1, dense_score=0.9),
        Candidate(product_id="b", retrieval_rank=2, dense_score=0.8),
        Candidate(product_id="a", retrieval_rank=3, dense_score=0.7),
    ]
    ranked = HeuristicRanker().rank(cands, catalog, ConversationState(conversation_id="c"))
    assert [c.product_id for c in ranked] == ["b", "a"]
    assert set(ranked[0].features) == {"retrieval", "dense", "match", "rating", "popularity", "in_stock"}


def test_a_sold_out_product_ranks_below_an_otherwise_identical_in_stock_one() -> None:
    catalog = CatalogSnapshot([product("sold"), product("kept")], version="v")
    twins = [
        Candidate(product_id="sold", retrieval_rank=1, dense_score=0.8, in_stock=False),
        Candidate(product_id="kept", retrieval_rank=1, dense_score=0.8, in_stock=True),
    ]
    ranked = HeuristicRanker().rank(twins, catalog, ConversationState(conversation_id="c"))
    assert [(c.product_id, c.features["in_stock"]) for c in ranked] == [("kept", 1.0), ("sold", 0.0)]


def test_unknown_stock_counts_as_in_stock() -> None:
    catalog = CatalogSnapshot([product("a"), product("b")], version="v")
    cands = [
        Candidate(product_id="a", retrieval_rank=1, dense_score=0.8, in_stock=None),
        Candidate(product_id="b", retrieval_rank=1, dense_score=0.8, in_stock=True),
    ]
    ranked = HeuristicRanker().rank(cands, catalog, ConversationState(conversation_id="c"))
    assert ranked[0].rank_score == ranked[1].rank_score
