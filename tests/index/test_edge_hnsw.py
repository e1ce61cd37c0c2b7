"""The HNSW settings of an Edge shard: chosen by catalog size, recorded in the index metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index import edge
from app.index.edge import HUGE_CATALOG, LARGE_CATALOG, EdgeIndex, hnsw_settings


def test_small_catalog_keeps_qdrant_defaults() -> None:
    small = hnsw_settings(1_179)
    assert (small["m"], small["ef_construct"], small["hnsw_ef"], small["quantization"]) == (
        16,
        100,
        None,
        None,
    )


def test_large_catalog_gets_denser_graph_and_wider_beam() -> None:
    large = hnsw_settings(LARGE_CATALOG)
    assert (large["m"], large["ef_construct"], large["hnsw_ef"]) == (32, 200, 128)
    assert (large["quantization"], large["oversampling"]) == ("int8", 2.0)
    assert hnsw_settings(LARGE_CATALOG - 1)["profile"] == "default"


def test_huge_catalog_gets_payload_links_and_the_beam_measured_at_1m() -> None:
    huge = hnsw_settings(HUGE_CATALOG)
    assert (huge["m"], huge["ef_construct"], huge["payload_m"], huge["hnsw_ef"]) == (16, 100, 16, 768)
    assert (huge["quantization"], huge["oversampling"]) == ("int8", 2.0)
    assert hnsw_settings(HUGE_CATALOG - 1)["profile"] == "large"


def test_rebuild_records_the_settings(catalog: list[Product], tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((len(catalog), 384)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    index = EdgeIndex(tmp_path / "products")
    try:
        index.rebuild(catalog, dense, "v1")
        assert index.info()["hnsw"] == hnsw_settings(len(catalog))
        assert index.nearest(dense[0], 1)[0][0] == catalog[0].id
    finally:
        index.close()


def _random_vectors(n: int, seed: int) -> np.ndarray:
    dense = np.random.default_rng(seed).standard_normal((n, 384)).astype(np.float32)
    return dense / np.linalg.norm(dense, axis=1, keepdims=True)


def test_large_profile_builds_a_quantized_shard_that_finds_the_nearest(
    catalog: list[Product], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge, "LARGE_CATALOG", 10)  # exercise the large-catalog path on a small catalog
    dense = _random_vectors(len(catalog), 1)
    index = EdgeIndex(tmp_path / "products")
    try:
        index.rebuild(catalog, dense, "v1")
        assert index.info()["hnsw"]["profile"] == "large"
        assert [pid for pid, _ in index.nearest(dense[3], 1)] == [catalog[3].id]
        hits = index.search(dense[3], catalog[3].name, Filters(), 5, mode="dense")
        assert hits[0].product_id == catalog[3].id
    finally:
        index.close()


def test_huge_profile_builds_a_shard_whose_filtered_search_finds_the_nearest(
    catalog: list[Product], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge, "HUGE_CATALOG", 10)  # the 1M profile, exercised on a small catalog
    dense = _random_vectors(len(catalog), 2)
    index = EdgeIndex(tmp_path / "products")
    try:
        index.rebuild(catalog, dense, "v1")
        assert index.info()["hnsw"]["profile"] == "huge"
        target = catalog[3]
        hits = index.search(dense[3], target.name, Filters(category=target.category), 5, mode="dense")
        assert hits[0].product_id == target.id
    finally:
        index.close()
