"""The HNSW tuning bench reports one row per (filter mode, beam) and measures recall against exact search."""

from __future__ import annotations

import numpy as np

from infra.bench.hnsw import HnswConfig, tune


def _rows() -> list:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((40, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    cats = [f"c{i % 8}" for i in range(40)]
    queries = base[:5]
    return tune(base, cats, queries, 400, [HnswConfig(m=8, ef_construct=32)], [None])


def test_each_beam_is_measured_unfiltered_filtered_and_filtered_with_acorn() -> None:
    rows = _rows()
    assert [(r.filtered, r.acorn) for r in rows] == [(False, False), (True, False), (True, True)]


def test_a_small_filtered_search_is_exact_so_its_recall_is_one() -> None:
    # 400 points sit far below the full-scan threshold: the filter is answered from the payload index.
    filtered = [r for r in _rows() if r.filtered]
    assert [r.recall_at_10 for r in filtered] == [1.0, 1.0]
