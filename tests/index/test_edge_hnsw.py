"""The HNSW settings of an Edge shard: chosen by catalog size, recorded in the index metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.domain.catalog import Product
from app.index.edge import LARGE_CATALOG, EdgeIndex, hnsw_settings


def test_small_catalog_keeps_qdrant_defaults() -> None:
    assert hnsw_settings(1_179) == {"m": 16, "ef_construct": 100, "hnsw_ef": None, "profile": "default"}


def test_large_catalog_gets_denser_graph_and_wider_beam() -> None:
    large = hnsw_settings(LARGE_CATALOG)
    assert (large["m"], large["ef_construct"], large["hnsw_ef"]) == (32, 200, 128)
    assert hnsw_settings(LARGE_CATALOG - 1)["profile"] == "default"


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
