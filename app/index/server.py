"""``ServerIndex``: the same index through ``qdrant-client``, for a Qdrant server or cluster.

Behaviour matches ``EdgeIndex`` point for point: the same named vectors ("dense" cosine, "bm25"
sparse with the IDF modifier), the same UUID5 point ids, payload, payload indexes, filters,
RRF constant and prefetch depth, and the same BM25 tokenizer (``app.index.sparse``).

``collection`` is an *alias*. ``rebuild`` fills a fresh physical collection
``<collection>__<version>_<rand>`` and then re-points the alias in one atomic alias update, so
readers in every worker switch at once and never see a half-built collection. The previous
physical collection is kept (for requests in flight), older ones are dropped. The version and
point count are stored in the physical collection's metadata (Qdrant >= 1.16; qdrant-client's
local mode supports both aliases and collection metadata, so tests run the same code path
against ``QdrantClient(":memory:")``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client.http import models as qm
from qdrant_client.http.exceptions import UnexpectedResponse

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
from app.index.filters import FLOAT_FIELDS, KEYWORD_FIELDS, client_filter
from app.index.sparse import sparse_document, sparse_query

log = logging.getLogger(__name__)

UPSERT_BATCH = 256
_PID = ["product_id"]


def _scored(points: Sequence[qm.ScoredPoint]) -> Scored:
    return [(str((p.payload or {})["product_id"]), float(p.score)) for p in points]


def _sparse(pair: tuple[list[int], list[float]]) -> qm.SparseVector:
    return qm.SparseVector(indices=pair[0], values=pair[1])


def _as_list(dense: np.ndarray) -> list[float]:
    return [float(x) for x in np.asarray(dense, dtype=np.float32).ravel()]


def _missing(exc: Exception) -> bool:
    """True when ``exc`` says the collection does not exist (server 404 or local ValueError)."""
    if isinstance(exc, UnexpectedResponse):
        return exc.status_code == 404
    return isinstance(exc, ValueError) and "not found" in str(exc)


class ServerIndex:
    """Vector index in a Qdrant server collection (alias) ``collection``; owns ``client``."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        shard_number: int = 1,
        replication_factor: int = 1,
        write_consistency_factor: int = 1,
    ) -> None:
        """The distribution knobs apply when a rebuild creates a collection on a cluster (the k8s
        manifests use 6 shards × 2 replicas over 3 peers); local mode ignores them."""
        self.client = client
        self.collection = collection
        self.shard_number = shard_number
        self.replication_factor = replication_factor
        self.write_consistency_factor = write_consistency_factor

    # --- build -----------------------------------------------------------------------------------

    def _alias_target(self) -> str | None:
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.collection:
                return alias.collection_name
        return None

    def rebuild(self, products: Sequence[Product], dense: np.ndarray, version: str) -> None:
        """Fill a new physical collection, then atomically point the alias at it."""
        if dense.shape[0] != len(products):
            raise ValueError(f"{len(products)} products but {dense.shape[0]} dense vectors")
        ids = [p.id for p in products]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate product ids")
        t0 = time.perf_counter()
        dim = int(dense.shape[1])
        safe_version = re.sub(r"[^A-Za-z0-9_-]", "-", version)[:32]
        name = f"{self.collection}__{safe_version}_{uuid.uuid4().hex[:6]}"
        self.client.create_collection(
            name,
            vectors_config={DENSE_VECTOR: qm.VectorParams(size=dim, distance=qm.Distance.COSINE)},
            sparse_vectors_config={SPARSE_VECTOR: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
            metadata={"ctp_version": version, "ctp_dim": dim},
            shard_number=self.shard_number,
            replication_factor=self.replication_factor,
            write_consistency_factor=self.write_consistency_factor,
        )
        try:
            with warnings.catch_warnings():
                # Local mode (tests) warns that it ignores payload indexes; the server uses them.
                warnings.filterwarnings("ignore", message="Payload indexes have no effect")
                for field in KEYWORD_FIELDS:
                    self.client.create_payload_index(name, field, qm.PayloadSchemaType.KEYWORD, wait=True)
                for field in FLOAT_FIELDS:
                    self.client.create_payload_index(name, field, qm.PayloadSchemaType.FLOAT, wait=True)
            for start in range(0, len(products), UPSERT_BATCH):
                batch = products[start : start + UPSERT_BATCH]
                points = [
                    qm.PointStruct(
                        id=point_id(p.id),
                        vector={
                            DENSE_VECTOR: _as_list(dense[start + i]),
                            SPARSE_VECTOR: _sparse(sparse_document(p.embedding_text())),
                        },
                        payload=p.payload(),
                    )
                    for i, p in enumerate(batch)
                ]
                self.client.upsert(name, points=points, wait=True)
            count = self.client.count(name, exact=True).count
            self.client.update_collection(name, metadata={"ctp_count": count, "ctp_built_at": time.time()})
        except BaseException:
            self.client.delete_collection(name)
            raise
        previous = self._swap_alias(name)
        self._collect_garbage(keep={name, previous})
        log.info("built collection %s (%d points) in %.1f s", name, count, time.perf_counter() - t0)

    def _swap_alias(self, name: str) -> str | None:
        """Point the alias at ``name``; returns the collection it pointed at before."""
        previous = self._alias_target()
        ops: list[qm.AliasOperations] = []
        if previous is not None:
            ops.append(qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=self.collection)))
        elif self.client.collection_exists(self.collection):
            # A plain collection holds the alias name (built by something else): it must go before
            # the alias can exist. This is the one non-atomic step, and happens at most once.
            log.warning("replacing plain collection %s by an alias", self.collection)
            self.client.delete_collection(self.collection)
        ops.append(
            qm.CreateAliasOperation(
                create_alias=qm.CreateAlias(collection_name=name, alias_name=self.collection)
            )
        )
        self.client.update_collection_aliases(change_aliases_operations=ops)
        return previous

    def _collect_garbage(self, keep: set[str | None]) -> None:
        prefix = f"{self.collection}__"
        for desc in self.client.get_collections().collections:
            if desc.name.startswith(prefix) and desc.name not in keep:
                self.client.delete_collection(desc.name)

    # --- queries -----------------------------------------------------------------------------------

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
        if limit <= 0:
            return []
        flt = client_filter(filters)
        dense_q = _as_list(dense)
        sparse_pair = sparse_query(text)
        if mode == "sparse" and not sparse_pair[0]:
            return []  # no content words: nothing can match lexically
        depth = limit if mode != "hybrid" else max(limit, PREFETCH_MIN)
        arms: list[qm.QueryRequest] = []
        if mode != "sparse":
            arms.append(
                qm.QueryRequest(query=dense_q, using=DENSE_VECTOR, filter=flt, limit=depth, with_payload=_PID)
            )
        if mode != "dense" and sparse_pair[0]:
            sparse_vec = _sparse(sparse_pair)
            arms.append(
                qm.QueryRequest(
                    query=sparse_vec, using=SPARSE_VECTOR, filter=flt, limit=depth, with_payload=_PID
                )
            )
        results = self._batch(arms)
        if results is None:
            return []
        scored = [ordered(_scored(r)) for r in results]
        if mode == "dense":
            return assemble_hits(scored[0], scored[0], [])
        if mode == "sparse":
            return assemble_hits(scored[0], [], scored[0])
        # Hybrid: RRF over the two filtered arms, fused here exactly as EdgeIndex does (see there).
        return hybrid_hits(scored[0], scored[1] if len(scored) > 1 else [], limit)

    def _batch(self, requests: list[qm.QueryRequest]) -> list[list[qm.ScoredPoint]] | None:
        """Run requests as one batch; None when the collection does not exist yet."""
        try:
            responses = self.client.query_batch_points(self.collection, requests=requests)
        except (UnexpectedResponse, ValueError) as exc:
            if _missing(exc):
                return None
            raise
        return [r.points for r in responses]

    def nearest(self, dense: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Unfiltered top-k products by cosine similarity, best first."""
        if k <= 0:
            return []
        req = qm.QueryRequest(query=_as_list(dense), using=DENSE_VECTOR, limit=k, with_payload=_PID)
        results = self._batch([req])
        return [] if results is None else ordered(_scored(results[0]))

    def vectors(self, product_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored (normalised) dense vectors of the products that exist, by product id."""
        if not product_ids:
            return {}
        try:
            records = self.client.retrieve(
                self.collection,
                ids=[point_id(pid) for pid in product_ids],
                with_payload=_PID,
                with_vectors=[DENSE_VECTOR],
            )
        except (UnexpectedResponse, ValueError) as exc:
            if _missing(exc):
                return {}
            raise
        out: dict[str, np.ndarray] = {}
        for rec in records:
            if isinstance(rec.vector, dict) and rec.payload:
                vec = rec.vector[DENSE_VECTOR]
                out[str(rec.payload["product_id"])] = np.asarray(vec, dtype=np.float32)
        return out

    def _metadata(self) -> dict[str, Any]:
        try:
            info = self.client.get_collection(self.collection)
        except (UnexpectedResponse, ValueError) as exc:
            if _missing(exc):
                return {}
            raise
        return dict(info.config.metadata or {})

    def version(self) -> str | None:
        version = self._metadata().get("ctp_version")
        return str(version) if version is not None else None

    def count(self) -> int:
        try:
            return int(self.client.count(self.collection, exact=True).count)
        except (UnexpectedResponse, ValueError) as exc:
            if _missing(exc):
                return 0
            raise

    def refresh(self) -> bool:
        """Nothing to do: every request resolves the alias on the server."""
        return False

    def close(self) -> None:
        self.client.close()
