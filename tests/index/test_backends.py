"""The contract both vector-index backends satisfy: the same tests against Qdrant Edge (a shard in
``tmp_path``) and ``ServerIndex`` over ``QdrantClient(":memory:")``, with real MiniLM vectors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index.base import RRF_K, SearchHit, SearchMode, VectorIndex
from app.index.embedder import Encoder
from tests.index.conftest import matches, open_backend

FILTER_CASES = [
    Filters(category="jackets", gender="women"),
    Filters(color="Black", size="m"),
    Filters(material="Leather", price_max=150),
    Filters(brand="Stride", price_min=60, price_max=95),
    Filters(gender="men", category="boots"),
    Filters(category="tees", gender="women"),
]
MODES: list[SearchMode] = ["dense", "sparse", "hybrid"]


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.product_id for h in hits]


def search(
    index: VectorIndex, encoder: Encoder, text: str, filters: Filters, limit: int, mode: SearchMode
) -> list[SearchHit]:
    return index.search(encoder.encode_query(text), text, filters, limit, mode)


# --- filters are pushed down ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_filter_matching_two_far_away_products_returns_exactly_those(
    built_index: VectorIndex, encoder: Encoder, mode: SearchMode
) -> None:
    hits = search(built_index, encoder, "black running jacket", Filters(category="cookware"), 10, mode)
    assert sorted(ids(hits)) == ["test:28", "test:29"]
    assert [h.rank for h in hits] == [1, 2]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f.model_dump(exclude_none=True)))
def test_every_hit_satisfies_every_filter(
    built_index: VectorIndex,
    encoder: Encoder,
    catalog: list[Product],
    by_id: dict[str, Product],
    filters: Filters,
    mode: SearchMode,
) -> None:
    hits = search(built_index, encoder, "comfortable black leather jacket for women", filters, 50, mode)
    assert all(matches(by_id[h.product_id], filters) for h in hits)
    expected = {p.id for p in catalog if matches(p, filters)}
    assert expected, "each case should match something"
    if mode != "sparse":  # dense scores every matching product, so the filtered set comes back whole
        assert set(ids(hits)) == expected


def test_price_range_excludes_out_of_range_products(
    built_index: VectorIndex, encoder: Encoder, catalog: list[Product], by_id: dict[str, Product]
) -> None:
    hits = search(built_index, encoder, "jacket", Filters(price_min=50, price_max=100), 100, "hybrid")
    assert hits
    assert all(50 <= by_id[h.product_id].price <= 100 for h in hits)
    outside = {p.id for p in catalog if not 50 <= p.price <= 100}
    assert outside and not outside & set(ids(hits))


def test_filtered_dense_search_is_exact(
    built_index: VectorIndex, encoder: Encoder, catalog: list[Product], embeddings: np.ndarray
) -> None:
    """Filtered dense results equal a brute-force cosine ranking of the matching products."""
    filters = Filters(gender="women", price_max=100)
    query = encoder.encode_query("something warm for winter")
    hits = built_index.search(query, "something warm for winter", filters, 5, "dense")
    scores = embeddings @ query
    brute = sorted(
        ((p.id, float(s)) for p, s in zip(catalog, scores, strict=True) if matches(p, filters)),
        key=lambda x: -x[1],
    )[:5]
    assert ids(hits) == [pid for pid, _ in brute]
    np.testing.assert_allclose([h.score for h in hits], [s for _, s in brute], atol=1e-4)
    assert all(h.dense_score == h.score and h.sparse_score is None for h in hits)


# --- modes ---------------------------------------------------------------------------------------


def test_hybrid_is_rrf_of_the_two_arms_with_per_arm_scores(
    built_index: VectorIndex, encoder: Encoder
) -> None:
    text = "black leather boots"
    dense = search(built_index, encoder, text, Filters(), 100, "dense")
    sparse = search(built_index, encoder, text, Filters(), 100, "sparse")
    fused = search(built_index, encoder, text, Filters(), 100, "hybrid")
    assert set(ids(fused)) == set(ids(dense)) | set(ids(sparse))  # the union of both arms
    assert [h.rank for h in fused] == list(range(1, len(fused) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(fused))
    rank_in = [{h.product_id: h for h in arm} for arm in (dense, sparse)]
    for hit in fused:
        arm_hits = [arm.get(hit.product_id) for arm in rank_in]
        assert hit.score == pytest.approx(sum(1 / (RRF_K + h.rank - 1) for h in arm_hits if h), rel=1e-9)
        d, s = arm_hits
        assert (hit.dense_score, hit.sparse_score) == (d and d.score, s and s.score)
    assert any(h.sparse_score is None for h in fused)  # products without the words are dense-only
    assert fused[0].product_id == "test:09"  # black leather boots: first in both arms
    top = search(built_index, encoder, text, Filters(), 5, "hybrid")
    assert [h.model_dump() for h in top] == [h.model_dump() for h in fused[:5]]


def test_results_are_deterministic_despite_equal_scores(built_index: VectorIndex, encoder: Encoder) -> None:
    """Several women's products score the same for "women" in BM25; ties are broken by id."""
    text, filters = "warm boots for women", Filters(gender="women")
    for mode in MODES:
        runs = {tuple(ids(search(built_index, encoder, text, filters, 20, mode))) for _ in range(10)}
        assert len(runs) == 1, mode
    sparse = search(built_index, encoder, text, filters, 20, "sparse")
    tied = [(a, b) for a, b in itertools.pairwise(sparse) if a.score == b.score]
    assert tied and all(a.product_id < b.product_id for a, b in tied)


def test_fusion_matches_qdrant_fusion_rrf(
    tmp_path: Path, catalog: list[Product], embeddings: np.ndarray
) -> None:
    """Our RRF gives the scores Qdrant Edge's own Prefetch + Fusion.Rrf gives (no ties here)."""
    import qdrant_edge as qe

    from app.index.edge import EdgeIndex
    from app.index.filters import edge_filter
    from app.index.sparse import sparse_query

    index = EdgeIndex(tmp_path / "products")
    index.rebuild(catalog, embeddings, "v")
    text, filters = "waterproof hiking boots", Filters(price_max=200)
    query = embeddings[9]  # the hiking boots themselves
    ours = index.search(query, text, filters, 20, "hybrid")
    flt = edge_filter(filters)
    arms = [
        qe.Query.Nearest(query.tolist(), using="dense"),
        qe.Query.Nearest(qe.SparseVector(*sparse_query(text)), using="bm25"),
    ]
    request = qe.QueryRequest(
        limit=20,
        query=qe.Fusion.Rrf(k=RRF_K),  # type: ignore[arg-type]  # stub omits Fusion.Rrf
        prefetches=[qe.Prefetch(limit=100, query=q, filter=flt) for q in arms],
        filter=flt,
        with_payload=["product_id"],
    )
    assert index._shard is not None
    engine = {(p.payload or {})["product_id"]: p.score for p in index._shard.query(request)}
    sparse_scores = [h.sparse_score for h in ours if h.sparse_score is not None]
    assert len(set(sparse_scores)) == len(sparse_scores)  # precondition: no BM25 ties
    assert set(engine) == set(ids(ours))
    for hit in ours:
        assert engine[hit.product_id] == pytest.approx(hit.score, rel=1e-5)
    index.close()


def test_rare_word_is_found_lexically(built_index: VectorIndex, encoder: Encoder) -> None:
    """Sparse retrieval returns only products containing the word; dense returns neighbours."""
    sparse = search(built_index, encoder, "zephyrine", Filters(), 10, "sparse")
    dense = search(built_index, encoder, "zephyrine", Filters(), 10, "dense")
    hybrid = search(built_index, encoder, "zephyrine", Filters(), 10, "hybrid")
    assert ids(sparse) == ["test:30"]
    assert sparse[0].sparse_score is not None and sparse[0].sparse_score > 0
    assert len(dense) == 10
    assert hybrid[0].product_id == "test:30"


def test_sparse_stems_and_ignores_stop_words(built_index: VectorIndex, encoder: Encoder) -> None:
    hits = search(built_index, encoder, "the skillets", Filters(), 10, "sparse")
    assert ids(hits) == ["test:29"]
    assert search(built_index, encoder, "the and of", Filters(), 10, "sparse") == []


def test_dense_and_sparse_differ_on_exact_lexical_query(built_index: VectorIndex, encoder: Encoder) -> None:
    text = "chronograph"
    sparse = search(built_index, encoder, text, Filters(), 10, "sparse")
    dense = search(built_index, encoder, text, Filters(), 10, "dense")
    assert ids(sparse) == ["test:26"]
    assert len(dense) == 10 and ids(dense) != ids(sparse)


def test_hybrid_without_content_words_is_the_dense_ranking(
    built_index: VectorIndex, encoder: Encoder
) -> None:
    dense = search(built_index, encoder, "what about these", Filters(), 10, "dense")
    hybrid = search(built_index, encoder, "what about these", Filters(), 10, "hybrid")
    assert ids(hybrid) == ids(dense)
    assert all(h.sparse_score is None and h.dense_score is not None for h in hybrid)
    assert hybrid[0].score == pytest.approx(1 / RRF_K)


def test_unknown_mode_is_rejected(built_index: VectorIndex, encoder: Encoder) -> None:
    with pytest.raises(ValueError, match="unknown search mode"):
        search(built_index, encoder, "jacket", Filters(), 5, "fuzzy")  # type: ignore[arg-type]


def test_limit_is_honoured(built_index: VectorIndex, encoder: Encoder) -> None:
    for mode in MODES:
        assert len(search(built_index, encoder, "black cotton", Filters(), 3, mode)) == 3
        assert search(built_index, encoder, "black cotton", Filters(), 0, mode) == []


# --- nearest, vectors, bookkeeping --------------------------------------------------------------


def test_nearest_is_unfiltered_and_sorted(
    built_index: VectorIndex, encoder: Encoder, catalog: list[Product], embeddings: np.ndarray
) -> None:
    query = encoder.encode_query("pan for cooking eggs")
    got = built_index.nearest(query, 5)
    scores = embeddings @ query
    brute = sorted(zip((p.id for p in catalog), scores.tolist(), strict=True), key=lambda x: -x[1])[:5]
    assert [pid for pid, _ in got] == [pid for pid, _ in brute]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in brute], atol=1e-4)
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    assert got[0][0] == "test:28"
    assert len(built_index.nearest(query, 100)) == len(catalog)


def test_vectors_returns_stored_unit_vectors(
    built_index: VectorIndex, catalog: list[Product], embeddings: np.ndarray
) -> None:
    got = built_index.vectors(["test:01", "test:17", "nope:404"])
    assert set(got) == {"test:01", "test:17"}
    np.testing.assert_allclose(got["test:01"], embeddings[0], atol=1e-5)
    np.testing.assert_allclose(got["test:17"], embeddings[16], atol=1e-5)
    assert built_index.vectors([]) == {}


def test_version_and_count(built_index: VectorIndex, catalog: list[Product]) -> None:
    assert built_index.version() == "test-v1"
    assert built_index.count() == len(catalog)


def test_empty_index_answers_empty(empty_index: VectorIndex, encoder: Encoder) -> None:
    q = encoder.encode_query("jacket")
    assert empty_index.count() == 0
    assert empty_index.version() is None
    for mode in MODES:
        assert empty_index.search(q, "jacket", Filters(), 10, mode) == []
    assert empty_index.nearest(q, 5) == []
    assert empty_index.vectors(["test:01"]) == {}


def test_rebuild_rejects_mismatched_input(empty_index: VectorIndex, catalog: list[Product]) -> None:
    with pytest.raises(ValueError):
        empty_index.rebuild(catalog, np.zeros((3, 384), dtype=np.float32), "bad")
    with pytest.raises(ValueError):
        empty_index.rebuild([catalog[0], catalog[0]], np.zeros((2, 384), dtype=np.float32), "bad")
    assert empty_index.count() == 0


def test_both_backends_agree(
    tmp_path: Path, encoder: Encoder, catalog: list[Product], embeddings: np.ndarray
) -> None:
    """Same results and scores from both backends."""
    edge, server = open_backend("edge", tmp_path), open_backend("server", tmp_path)
    try:
        for index in (edge, server):
            index.rebuild(catalog, embeddings, "same")
        for text, filters in [("warm boots for women", Filters(gender="women")), ("cotton tee", Filters())]:
            for mode in MODES:
                a = search(edge, encoder, text, filters, 100, mode)
                b = search(server, encoder, text, filters, 100, mode)
                assert ids(a) == ids(b)  # ties are broken the same way
                if mode == "hybrid":
                    continue
                a_scores, b_scores = ({h.product_id: h.score for h in hits} for hits in (a, b))
                assert a_scores.keys() == b_scores.keys()
                for pid, score in a_scores.items():
                    assert b_scores[pid] == pytest.approx(score, rel=1e-4)
    finally:
        edge.close()
        server.close()
