"""Judging pools: blind (deduplicated, shuffled by query id) and extendable by rounds."""

from __future__ import annotations

from app.domain.turn import Filters
from recsys.golden import GoldenQuery
from recsys.pools import extend_pools, pool_of, unjudged_share


def test_pool_is_the_deduplicated_union_of_each_top_k() -> None:
    pool = pool_of("q007", [["a", "b", "c"], ["c", "d", "e"]], depth=2)
    assert sorted(pool) == ["a", "b", "c", "d"]


def test_pool_order_depends_on_the_query_not_on_which_ranking_proposed_what() -> None:
    assert pool_of("q007", [["a", "b"], ["c", "d"]]) == pool_of("q007", [["d", "c"], ["b", "a"]])


def test_unjudged_share_counts_top_k_results_without_a_grade() -> None:
    assert unjudged_share([["a", "b", "x", "y"]], [{"a": 3, "b": 0}], k=4) == 0.5


def test_extending_adds_only_unpooled_products_as_the_next_round() -> None:
    pools = [{"id": "q007", "query": "q", "need": "n", "products": ["a", "b"]}]
    q = GoldenQuery(id="q007", query="q", split="test", constraints=Filters())
    pools, added = extend_pools(pools, [q], {"LightGBM": [(["b", "c"], {})]})
    assert (added, pools[0]["round2"]) == (1, ["c"])
    pools, added = extend_pools(pools, [q], {"LightGBM": [(["c", "d"], {})]})
    assert (added, pools[0]["round3"]) == (1, ["d"])


def test_extending_to_a_deeper_depth_pools_every_ranking_past_the_old_depth() -> None:
    pools = [{"id": "q007", "query": "q", "need": "n", "products": ["a", "c"]}]
    q = GoldenQuery(id="q007", query="q", split="train", constraints=Filters())
    runs = {"hybrid": [(["a", "b", "e"], {})], "dense": [(["c", "d", "f"], {})]}
    pools, added = extend_pools(pools, [q], runs, depth=2)
    assert (added, sorted(pools[0]["round2"])) == (2, ["b", "d"])
