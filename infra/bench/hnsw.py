"""HNSW tuning on realistic vectors: the catalog's real embeddings, blended and perturbed.

``make bench`` measures uniform and clustered noise; this bench asks the question that matters for
a large catalog: on vectors shaped like the real ones, which graph (m, ef_construct), beam
(hnsw_ef) and quantization hold recall@10 ≥ 0.95 unfiltered and with a ~5 % filter?

Points: each is a blend of two real catalog embeddings (weight of the second ~U(0, 0.5)) plus
Gaussian noise (norm ≈ 0.3), normalised — a continuous cloud around the real products. Payload:
the first product's ``category`` (keyword index) and a uniform ``price`` (float index), so a filter
is correlated with the vectors as in a real store. Queries: real golden shopper queries, encoded
with the serving encoder. Filter: the category closest to 10 % of points and ``price < 50``.
Recall@10 is against exact search on the same shard; latencies on one search thread.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import qdrant_edge as qe
from pydantic import BaseModel

VEC = "dense"
BATCH = 2000
GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden" / "shopper_queries.jsonl"


class HnswConfig(BaseModel):
    m: int = 16
    ef_construct: int = 100
    quantization: str = "none"  # none | int8 | binary
    payload_m: int | None = None


class TunePoint(BaseModel):
    points: int
    config: HnswConfig
    build_s: float
    filtered: bool
    hnsw_ef: int | None
    oversampling: float | None
    acorn: bool = False
    p50_ms: float
    p95_ms: float
    exact_p50_ms: float
    recall_at_10: float


def realistic(base: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` blended, perturbed copies of ``base`` rows and the index of each point's first parent."""
    first = rng.integers(0, len(base), n)
    second = rng.integers(0, len(base), n)
    w = rng.uniform(0, 0.5, (n, 1)).astype(np.float32)
    noise = rng.standard_normal((n, base.shape[1]), dtype=np.float32) * np.float32(
        0.3 / np.sqrt(base.shape[1])
    )
    x = (1 - w) * base[first] + w * base[second] + noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), first


def golden_queries(n: int = 200) -> list[str]:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    return [r["query"] for r in rows][:n]


def _quant(kind: str) -> qe.ScalarQuantizationConfig | qe.BinaryQuantizationConfig | None:
    if kind == "int8":
        return qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99)
    if kind == "binary":
        return qe.BinaryQuantizationConfig()
    return None


def build(
    path: Path, vectors: np.ndarray, cats: list[str], prices: np.ndarray, cfg: HnswConfig
) -> qe.EdgeShard:
    config = qe.EdgeConfig(
        vectors={
            VEC: qe.EdgeVectorParams(
                size=vectors.shape[1],
                distance=qe.Distance.Cosine,
                hnsw_config=qe.HnswIndexConfig(
                    m=cfg.m,
                    ef_construct=cfg.ef_construct,
                    full_scan_threshold=10_000,
                    payload_m=cfg.payload_m,
                ),
                quantization_config=_quant(cfg.quantization),
            )
        },
        max_search_threads=1,
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1),
        wal_enabled=False,
    )
    shard = qe.EdgeShard.create(str(path), config)
    shard.update(qe.UpdateOperation.create_field_index("category", qe.PayloadSchemaType.Keyword))
    shard.update(qe.UpdateOperation.create_field_index("price", qe.PayloadSchemaType.Float))
    for start in range(0, len(vectors), BATCH):
        points = [
            qe.Point(i, {VEC: vectors[i].tolist()}, {"category": cats[i], "price": float(prices[i])})
            for i in range(start, min(start + BATCH, len(vectors)))
        ]
        shard.update(qe.UpdateOperation.upsert_points(points))
        if (start // BATCH) % 50 == 0:
            _progress(f"upserted {min(start + BATCH, len(vectors))}/{len(vectors)}")
    _progress(f"optimize (HNSW m={cfg.m} ef_construct={cfg.ef_construct}, {cfg.quantization}) started")
    shard.optimize()
    _progress("optimize done")
    return shard


def _progress(msg: str) -> None:
    """A timestamped line on stderr, so a long build shows how far it got."""
    import sys

    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _search(
    shard: qe.EdgeShard,
    q: np.ndarray,
    flt: qe.Filter | None,
    exact: bool,
    ef: int | None,
    oversampling: float | None,
    acorn: bool = False,
) -> tuple[float, list[int]]:
    quant = (
        None
        if exact or oversampling is None
        else qe.QuantizationSearchParams(rescore=True, oversampling=oversampling)
    )
    req = qe.QueryRequest(
        limit=10,
        query=qe.Query.Nearest(q.tolist(), using=VEC),
        filter=flt,
        params=qe.SearchParams(
            exact=exact,
            hnsw_ef=None if exact else ef,
            quantization=quant,
            acorn=qe.AcornSearchParams(enable=True) if acorn and not exact else None,
        ),
    )
    t0 = time.perf_counter()
    hits = shard.query(req)
    return (time.perf_counter() - t0) * 1000, [int(h.id) for h in hits]


def tune(
    base: np.ndarray,
    base_cats: list[str],
    queries: np.ndarray,
    n: int,
    configs: list[HnswConfig],
    beams: list[int | None],
    seed: int = 7,
    report: Callable[[TunePoint], None] | None = None,
) -> list[TunePoint]:
    rng = np.random.default_rng(seed)
    vectors, parent = realistic(base, n, rng)
    cats = [base_cats[i] for i in parent]
    prices = rng.uniform(0, 100, n)
    counts = Counter(cats)
    target = min(counts, key=lambda c: abs(counts[c] / n - 0.10))
    flt = qe.Filter(
        must=[
            qe.FieldCondition("category", match=qe.MatchValue(target)),
            qe.FieldCondition("price", range=qe.RangeFloat(lt=50.0)),
        ]
    )
    out: list[TunePoint] = []
    for cfg in configs:
        tmp = Path(tempfile.mkdtemp(prefix=f"ctp-hnsw-{n}-"))
        try:
            t0 = time.perf_counter()
            shard = build(tmp / "shard", vectors, cats, prices, cfg)
            build_s = time.perf_counter() - t0
            try:
                _progress(f"built in {build_s:.1f} s; exact search for the ground truth")
                truth = {
                    f: [_search(shard, q, fl, True, None, None) for q in queries]
                    for f, fl in ((False, None), (True, flt))
                }
                overs: list[float | None] = [None] if cfg.quantization == "none" else [2.0]
                # ACORN (two-hop expansion past filtered-out neighbours) only matters with a filter.
                for filtered, fl, acorn in ((False, None, False), (True, flt, False), (True, flt, True)):
                    for ef in beams:
                        for ov in overs:
                            times, recalls = [], []
                            for q, (_, exact_ids) in zip(queries, truth[filtered], strict=True):
                                t, ids = _search(shard, q, fl, False, ef, ov, acorn)
                                times.append(t)
                                recalls.append(len(set(ids) & set(exact_ids)) / max(len(exact_ids), 1))
                            point = TunePoint(
                                points=n,
                                config=cfg,
                                build_s=round(build_s, 1),
                                filtered=filtered,
                                hnsw_ef=ef,
                                oversampling=ov,
                                acorn=acorn,
                                p50_ms=round(statistics.median(times), 3),
                                p95_ms=round(float(np.percentile(times, 95)), 3),
                                exact_p50_ms=round(statistics.median(t for t, _ in truth[filtered]), 3),
                                recall_at_10=round(statistics.mean(recalls), 4),
                            )
                            out.append(point)
                            if report is not None:
                                report(point)
            finally:
                shard.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:  # pragma: no cover - a benchmark entry point
    import argparse

    from app.catalog.store import CatalogStore
    from app.index.encoders import open_encoder
    from app.index.factory import open_index
    from app.settings import Settings
    from app.storage.db import make_engine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument(
        "--configs",
        default="16:100:none,32:200:none,32:200:int8,16:100:binary",
        help="m:ef_construct:none|int8|binary[:payload_m], comma-separated",
    )
    ap.add_argument("--beams", default="0,64,128,256")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    products = CatalogStore(engine).all()
    engine.dispose()
    index = open_index(settings)
    stored = index.vectors([p.id for p in products])
    index.close()
    ids = [p.id for p in products if p.id in stored]
    base = np.stack([stored[i] for i in ids]).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    cat_of = {p.id: str(p.payload().get("category") or "none") for p in products}
    enc = open_encoder(settings.encoder, settings.var_dir)
    queries = enc.encode(golden_queries())
    configs = []
    for spec in args.configs.split(","):
        m, efc, quant, *payload_m = spec.split(":")  # optional 4th part: payload_m
        configs.append(
            HnswConfig(
                m=int(m),
                ef_construct=int(efc),
                quantization=quant,
                payload_m=int(payload_m[0]) if payload_m else None,
            )
        )
    beams = [int(b) or None for b in args.beams.split(",")]
    print(f"{len(base)} real {enc.version} vectors → {args.points} points; {len(queries)} golden queries")
    print(
        f"{'m':>3} {'efc':>4} {'quant':<9} {'build s':>7} {'filter':<9} {'ef':>5} {'p50':>7} {'p95':>7} {'exact':>7} {'recall':>7}"
    )
    rows = []

    def show(p: TunePoint) -> None:
        rows.append(p.model_dump())
        c = p.config
        quant = c.quantization + (f"+pm{c.payload_m}" if c.payload_m else "")
        print(
            f"{c.m:>3} {c.ef_construct:>4} {quant:<9} {p.build_s:>7.1f} {('acorn' if p.acorn else 'yes') if p.filtered else 'no':<9} "
            f"{p.hnsw_ef or 'def':>5} {p.p50_ms:>7.3f} {p.p95_ms:>7.3f} {p.exact_p50_ms:>7.3f} {p.recall_at_10:>7.4f}",
            flush=True,
        )

    tune(base, [cat_of[i] for i in ids], queries, args.points, configs, beams, report=show)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
