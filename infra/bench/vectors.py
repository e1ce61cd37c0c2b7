"""Vector search scaling on synthetic 384-d vectors with Qdrant Edge's HNSW.

For each size (10k, 100k, optionally 1M) and each distribution (normalised uniform random, and
clustered: 100 Gaussian clusters — closer to real embeddings, and harder for HNSW), a shard is
built with the same settings as the app's index (``indexing_threshold`` low enough that
``optimize()`` builds HNSW; payload indexes on a keyword and a float field), then 200 queries are
timed with and without a filter (``cat == c3 AND price < 50``: ~5 % of the points pass), and their
top-10 is compared with exact search (``SearchParams(exact=True)``) for recall@10 — the figure
that silently drops as an HNSW index grows or a filter gets selective. Unfiltered search is also
timed with a wider beam (``hnsw_ef=HIGH_EF``): the knob that buys recall back, and its price.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import qdrant_edge as qe
from pydantic import BaseModel

DIM = 384
VEC = "dense"
BATCH = 2000
N_QUERIES = 200
HIGH_EF = 256


class ScalePoint(BaseModel):
    points: int
    distribution: str
    build_s: float
    filtered: bool
    hnsw_ef: int | None = None
    p50_ms: float
    p95_ms: float
    exact_p50_ms: float
    recall_at_10: float


def synthetic(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        x = rng.standard_normal((n, DIM), dtype=np.float32)
    else:
        centers = rng.standard_normal((100, DIM), dtype=np.float32)
        x = centers[rng.integers(0, 100, n)] + 0.35 * rng.standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def build(path: Path, vectors: np.ndarray, rng: np.random.Generator) -> qe.EdgeShard:
    config = qe.EdgeConfig(
        vectors={VEC: qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        max_search_threads=1,
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1),
        wal_enabled=False,
    )
    shard = qe.EdgeShard.create(str(path), config)
    shard.update(qe.UpdateOperation.create_field_index("cat", qe.PayloadSchemaType.Keyword))
    shard.update(qe.UpdateOperation.create_field_index("price", qe.PayloadSchemaType.Float))
    cats = rng.integers(0, 10, len(vectors))
    prices = rng.uniform(0, 100, len(vectors))
    for start in range(0, len(vectors), BATCH):
        points = [
            qe.Point(i, {VEC: vectors[i].tolist()}, {"cat": f"c{cats[i]}", "price": float(prices[i])})
            for i in range(start, min(start + BATCH, len(vectors)))
        ]
        shard.update(qe.UpdateOperation.upsert_points(points))
    shard.optimize()
    return shard


def _flt() -> qe.Filter:
    return qe.Filter(
        must=[
            qe.FieldCondition("cat", match=qe.MatchValue("c3")),
            qe.FieldCondition("price", range=qe.RangeFloat(lt=50.0)),
        ]
    )


def _search(
    shard: qe.EdgeShard, q: np.ndarray, flt: qe.Filter | None, exact: bool, ef: int | None = None
) -> tuple[float, list[int]]:
    req = qe.QueryRequest(
        limit=10,
        query=qe.Query.Nearest(q.tolist(), using=VEC),
        filter=flt,
        params=qe.SearchParams(exact=exact, hnsw_ef=None if exact else ef),
    )
    t0 = time.perf_counter()
    hits = shard.query(req)
    return (time.perf_counter() - t0) * 1000, [int(h.id) for h in hits]


def measure(shard: qe.EdgeShard, queries: np.ndarray, n: int, kind: str, build_s: float) -> list[ScalePoint]:
    out = []
    for flt, ef in ((None, None), (None, HIGH_EF), (_flt(), None)):
        approx_t, exact_t, recalls = [], [], []
        for q in queries:
            t, ids = _search(shard, q, flt, exact=False, ef=ef)
            te, truth = _search(shard, q, flt, exact=True)
            approx_t.append(t)
            exact_t.append(te)
            recalls.append(len(set(ids) & set(truth)) / max(len(truth), 1))
        out.append(
            ScalePoint(
                points=n,
                distribution=kind,
                build_s=round(build_s, 1),
                filtered=flt is not None,
                hnsw_ef=ef,
                p50_ms=round(statistics.median(approx_t), 3),
                p95_ms=round(float(np.percentile(approx_t, 95)), 3),
                exact_p50_ms=round(statistics.median(exact_t), 3),
                recall_at_10=round(statistics.mean(recalls), 4),
            )
        )
    return out


def scale(n: int, kind: str, seed: int = 7) -> list[ScalePoint]:
    rng = np.random.default_rng(seed)
    vectors = synthetic(n, kind, rng)
    queries = synthetic(N_QUERIES, kind, np.random.default_rng(seed + 1)) if kind == "random" else None
    if queries is None:  # clustered queries come from the same clusters: perturb stored points
        picks = vectors[rng.integers(0, n, N_QUERIES)] + 0.2 * rng.standard_normal(
            (N_QUERIES, DIM), dtype=np.float32
        )
        queries = picks / np.linalg.norm(picks, axis=1, keepdims=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"ctp-bench-{n}-"))
    try:
        t0 = time.perf_counter()
        shard = build(tmp / "shard", vectors, rng)
        build_s = time.perf_counter() - t0
        del vectors
        try:
            return measure(shard, queries, n, kind, build_s)
        finally:
            shard.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
