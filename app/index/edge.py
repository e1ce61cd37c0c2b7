"""``EdgeIndex``: the vector index embedded in the process with Qdrant Edge (the default backend).

On disk, ``path`` is a symbolic link to one *generation* directory holding a complete shard and
its metadata file::

    var/qdrant-edge/products            -> products.gen-20250101T120000-1a2b3c
    var/qdrant-edge/products.gen-...    (edge_config.json, segments/, ctp_index.json)

``rebuild`` writes a new shard into a hidden build directory, optimises and flushes it, renames it
to a generation and then atomically re-points the link (``os.replace`` of a symlink). A crash
mid-build leaves only an ignored build directory; a process that still has the previous
generation open keeps reading it (the previous generation is kept on disk; older ones are
deleted) until it calls ``refresh()``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from app.domain.catalog import Product
from app.domain.turn import Filters
from app.index.base import (
    DENSE_VECTOR,
    PREFETCH_MIN,
    SEARCH_MODES,
    SPARSE_VECTOR,
    Scored,
    SearchHit,
    SearchMode,
    assemble_hits,
    hybrid_hits,
    ordered,
    point_id,
)
from app.index.filters import FLOAT_FIELDS, KEYWORD_FIELDS, edge_filter
from app.index.sparse import sparse_document, sparse_query

log = logging.getLogger(__name__)

META_FILE = "ctp_index.json"
UPSERT_BATCH = 256
_PID = ["product_id"]

#: From this many products on, the shard is built with the large-catalog HNSW settings below.
LARGE_CATALOG = 50_000
#: From this many on, with the settings measured at 1M realistic vectors (docs/performance.md).
HUGE_CATALOG = 500_000


def hnsw_settings(count: int) -> dict[str, Any]:
    """The HNSW graph, search beam and quantization for a catalog of ``count`` products, recorded in
    the index metadata (``ctp_index.json``) so the settings a build was tuned with travel with it.

    Small catalogs keep Qdrant's defaults (m=16, ef_construct=100, default beam, no quantization):
    at the demo's size recall is 1.0 either way. Large ones use a denser graph, a wider build beam,
    a search beam of 128 and int8 scalar quantization with rescoring of 2× oversampled candidates:
    on 100k realistic vectors (``python -m infra.bench.hnsw``) recall@10 0.995 at a lower p50 than
    the default graph's 0.98 (docs/performance.md, "HNSW at scale").

    Huge ones (≥ 500k) use the configuration measured at 1M realistic vectors: Qdrant's default graph
    with int8 + rescoring, extra links among points sharing a payload value (``payload_m`` 16, so a
    selective category filter still finds a connected graph) and a search beam of 768: recall@10
    0.988 unfiltered and 0.963 with a 5 % filter, against 0.882 / 0.792 at beam 128 without the
    payload links. m 32 / ef_construct 200 was not finished at 1M on this hardware."""
    if count >= HUGE_CATALOG:
        return {
            "m": 16,
            "ef_construct": 100,
            "payload_m": 16,
            "hnsw_ef": 768,
            "quantization": "int8",
            "oversampling": 2.0,
            "profile": "huge",
        }
    if count >= LARGE_CATALOG:
        return {
            "m": 32,
            "ef_construct": 200,
            "hnsw_ef": 128,
            "quantization": "int8",
            "oversampling": 2.0,
            "profile": "large",
        }
    return {
        "m": 16,
        "ef_construct": 100,
        "hnsw_ef": None,
        "quantization": None,
        "oversampling": None,
        "profile": "default",
    }


def _sparse(pair: tuple[list[int], list[float]]) -> qe.SparseVector:
    return qe.SparseVector(pair[0], pair[1])


def _scored(points: list[qe.ScoredPoint]) -> Scored:
    return [(str((p.payload or {})["product_id"]), float(p.score)) for p in points]


def _as_list(dense: np.ndarray) -> list[float]:
    vec = np.asarray(dense, dtype=np.float32).ravel()
    return [float(x) for x in vec]


class EdgeIndex:
    """Qdrant Edge shard at ``path`` (see the module doc for the on-disk layout).

    Thread-safe for concurrent searches; ``rebuild`` and ``refresh`` swap the shard under a lock
    and close the replaced shard only at the next swap, so searches in flight finish on it.

    ``search_threads`` is the shard's search pool size, fixed when ``rebuild`` creates a shard
    (loading keeps the value on disk). One thread per worker process, like torch: measured on a
    busy 2-core box it is slightly faster than the CPU-count default for a catalog of a few
    thousand products, which fits in one segment anyway.
    """

    def __init__(self, path: Path, search_threads: int | None = 1) -> None:
        self.path = Path(path)
        self._search_threads = search_threads
        self._lock = threading.RLock()
        self._shard: qe.EdgeShard | None = None
        self._retired: qe.EdgeShard | None = None
        self._loaded_dir: Path | None = None
        self._meta: dict[str, Any] = {}
        self._open_current()

    # --- lifecycle -----------------------------------------------------------------------------

    def _current_dir(self) -> Path | None:
        """The generation directory ``path`` points at, if it holds a shard."""
        target = self.path.resolve()
        return target if (target / "edge_config.json").exists() else None

    def _open_current(self) -> None:
        target = self._current_dir()
        if target is None:
            return
        t0 = time.perf_counter()
        shard = qe.EdgeShard.load(str(target))
        meta_file = target / META_FILE
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        self._install(shard, target, meta)
        log.info("loaded edge shard %s in %.0f ms", target, 1000 * (time.perf_counter() - t0))

    def _install(self, shard: qe.EdgeShard, directory: Path, meta: dict[str, Any]) -> None:
        with self._lock:
            if self._retired is not None:
                self._retired.close()
            self._retired = self._shard
            self._shard, self._loaded_dir, self._meta = shard, directory, meta

    def refresh(self) -> bool:
        """Load the newest generation if another process rebuilt the index; True if swapped."""
        target = self._current_dir()
        if target is None or target == self._loaded_dir:
            return False
        self._open_current()
        return True

    def close(self) -> None:
        with self._lock:
            for shard in (self._retired, self._shard):
                if shard is not None:
                    shard.close()
            self._shard = self._retired = None
            self._loaded_dir, self._meta = None, {}

    # --- build -----------------------------------------------------------------------------------

    @contextmanager
    def _build_lock(self) -> Iterator[None]:
        """One builder at a time per index path, across processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / f".{self.path.name}.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def rebuild(self, products: Sequence[Product], dense: np.ndarray, version: str) -> None:
        """Build a complete new shard beside the current one and swap it in atomically."""
        if dense.shape[0] != len(products):
            raise ValueError(f"{len(products)} products but {dense.shape[0]} dense vectors")
        ids = [p.id for p in products]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate product ids")
        dim = int(dense.shape[1])
        with self._build_lock():
            parent, name = self.path.parent, self.path.name
            for stale in parent.glob(f".{name}.build-*"):
                shutil.rmtree(stale, ignore_errors=True)
            build_dir = parent / f".{name}.build-{uuid.uuid4().hex[:8]}"
            try:
                self._write_shard(build_dir, products, dense, dim, version)
            except BaseException:
                shutil.rmtree(build_dir, ignore_errors=True)  # a hard crash leaves it to the next build
                raise
            generation = parent / f"{name}.gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
            build_dir.rename(generation)
            self._point_link_at(generation)
            self._collect_garbage(keep={generation, self._loaded_dir})
        self._open_current()

    def _write_shard(
        self, directory: Path, products: Sequence[Product], dense: np.ndarray, dim: int, version: str
    ) -> None:
        t0 = time.perf_counter()
        hnsw = hnsw_settings(len(products))
        config = qe.EdgeConfig(
            vectors={
                DENSE_VECTOR: qe.EdgeVectorParams(
                    size=dim,
                    distance=qe.Distance.Cosine,
                    hnsw_config=qe.HnswIndexConfig(
                        m=hnsw["m"],
                        ef_construct=hnsw["ef_construct"],
                        full_scan_threshold=10_000,
                        payload_m=hnsw.get("payload_m"),
                    ),
                    quantization_config=(
                        qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99)
                        if hnsw["quantization"] == "int8"
                        else None
                    ),
                )
            },
            sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            max_search_threads=self._search_threads,
            # Index every segment whatever its size (threshold in KB; 0 would disable indexing), so
            # optimize() turns the build into an HNSW graph and an immutable sparse inverted index.
            # Measured on 3.3k products: same recall (1.0 vs exact), slightly lower latency.
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1),
            # Written once, then read only: flush() at the end is the durability point.
            wal_enabled=False,
        )
        shard = qe.EdgeShard.create(str(directory), config)
        try:
            for field in KEYWORD_FIELDS:
                shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
            for field in FLOAT_FIELDS:
                shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Float))
            for start in range(0, len(products), UPSERT_BATCH):
                batch = products[start : start + UPSERT_BATCH]
                points = [
                    qe.Point(
                        point_id(p.id),
                        {
                            DENSE_VECTOR: _as_list(dense[start + i]),
                            SPARSE_VECTOR: _sparse(sparse_document(p.embedding_text())),
                        },
                        p.payload(),
                    )
                    for i, p in enumerate(batch)
                ]
                shard.update(qe.UpdateOperation.upsert_points(points))
            shard.optimize()  # blocks until HNSW and the sparse index are built
            shard.flush()
            count = shard.count(qe.CountRequest(exact=True))
        finally:
            shard.close()
        meta = {"version": version, "count": count, "dim": dim, "built_at": time.time(), "hnsw": hnsw}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2))
        log.info("built edge shard %s: %d points in %.1f s", directory, count, time.perf_counter() - t0)

    def _point_link_at(self, generation: Path) -> None:
        """Atomically make ``path`` a symlink to ``generation`` (a relative link)."""
        if self.path.exists() and not self.path.is_symlink():
            # A plain shard directory from elsewhere: keep it as a generation, then link.
            self.path.rename(self.path.parent / f"{self.path.name}.gen-legacy-{uuid.uuid4().hex[:6]}")
        tmp_link = self.path.parent / f".{self.path.name}.link-{uuid.uuid4().hex[:6]}"
        tmp_link.symlink_to(generation.name)
        os.replace(tmp_link, self.path)

    def _collect_garbage(self, keep: set[Path | None]) -> None:
        """Delete generations other than the new one and the one this process has open."""
        for gen in self.path.parent.glob(f"{self.path.name}.gen-*"):
            if gen.resolve() not in {k.resolve() for k in keep if k is not None}:
                shutil.rmtree(gen, ignore_errors=True)

    # --- queries -----------------------------------------------------------------------------------

    def _current(self) -> qe.EdgeShard | None:
        with self._lock:
            return self._shard

    def _dense_params(self) -> qe.SearchParams | None:
        """The search beam the loaded generation was built for (None: Qdrant's default)."""
        with self._lock:
            hnsw = self._meta.get("hnsw") or {}
        ef, oversampling = hnsw.get("hnsw_ef"), hnsw.get("oversampling")
        if not ef and not oversampling:
            return None
        quant = (
            qe.QuantizationSearchParams(rescore=True, oversampling=float(oversampling))
            if oversampling
            else None
        )
        return qe.SearchParams(hnsw_ef=int(ef) if ef else None, quantization=quant)

    def search(
        self,
        dense: np.ndarray,
        text: str,
        filters: Filters,
        limit: int,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """Top ``limit`` products for ``mode``, with ``filters`` applied inside the index."""
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown search mode {mode!r}")
        shard = self._current()
        if shard is None or limit <= 0:
            return []
        flt = edge_filter(filters)
        payload = qe.PayloadSelector.Include(_PID)
        dense_q = qe.Query.Nearest(_as_list(dense), using=DENSE_VECTOR)
        sparse_pair = sparse_query(text)
        sparse_q = qe.Query.Nearest(_sparse(sparse_pair), using=SPARSE_VECTOR) if sparse_pair[0] else None
        if mode == "dense":
            req = qe.QueryRequest(
                limit=limit, query=dense_q, filter=flt, with_payload=payload, params=self._dense_params()
            )
            arm = ordered(_scored(shard.query(req)))
            return assemble_hits(arm, arm, [])
        if mode == "sparse":
            if sparse_q is None:  # no content words: nothing can match lexically
                return []
            req = qe.QueryRequest(limit=limit, query=sparse_q, filter=flt, with_payload=payload)
            arm = ordered(_scored(shard.query(req)))
            return assemble_hits(arm, [], arm)
        # Hybrid: both arms, each with the filter, as one planned batch; fused here by RRF. This is
        # what Prefetch + Fusion.Rrf computes, but (1) it also yields the per-arm scores the ranker
        # needs without running the arms twice, and (2) ties are broken by product id, whereas the
        # engine's order among equal scores changes from call to call.
        depth = max(limit, PREFETCH_MIN)
        arms = [
            qe.QueryRequest(
                limit=depth, query=dense_q, filter=flt, with_payload=payload, params=self._dense_params()
            )
        ]
        if sparse_q is not None:
            arms.append(qe.QueryRequest(limit=depth, query=sparse_q, filter=flt, with_payload=payload))
        results = [_scored(r) for r in shard.query_batch(qe.QueryBatchRequest(arms))]
        return hybrid_hits(results[0], results[1] if len(results) > 1 else [], limit)

    def nearest(self, dense: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Unfiltered top-k products by cosine similarity, best first."""
        shard = self._current()
        if shard is None or k <= 0:
            return []
        req = qe.QueryRequest(
            limit=k,
            query=qe.Query.Nearest(_as_list(dense), using=DENSE_VECTOR),
            with_payload=qe.PayloadSelector.Include(_PID),
            params=self._dense_params(),
        )
        return ordered(_scored(shard.query(req)))

    def vectors(self, product_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored (normalised) dense vectors of the products that exist, by product id."""
        shard = self._current()
        if shard is None or not product_ids:
            return {}
        records = shard.retrieve(
            [point_id(pid) for pid in product_ids],
            with_payload=qe.PayloadSelector.Include(_PID),
            with_vector=[DENSE_VECTOR],
        )
        out: dict[str, np.ndarray] = {}
        for rec in records:
            vec = rec.vector
            if isinstance(vec, dict) and rec.payload:
                out[str(rec.payload["product_id"])] = np.asarray(vec[DENSE_VECTOR], dtype=np.float32)
        return out

    def version(self) -> str | None:
        with self._lock:
            version = self._meta.get("version")
        return str(version) if version is not None else None

    def count(self) -> int:
        shard = self._current()
        return 0 if shard is None else int(shard.count(qe.CountRequest(exact=True)))

    def info(self) -> dict[str, Any]:
        """Metadata of the loaded generation (version, count, dim, built_at) and its directory."""
        with self._lock:
            return {**self._meta, "directory": str(self._loaded_dir) if self._loaded_dir else None}
