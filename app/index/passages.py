"""``PassageIndex``: a small Qdrant Edge collection of text passages, apart from the products.

The store-help router searches the store policy's sentences here (``app/pipeline/policy_search.py``
builds and queries it). One dense MiniLM vector per passage, cosine; the payload is the passage's
``key`` (its policy topic), its text and its position. Passages are few (tens), so the shard is
searched exactly (no HNSW graph is worth building).

On disk, one directory per *version* beside ``root``::

    var/qdrant-edge/policy.v-1a2b3c4d5e6f7a8b   (edge_config.json, segments/, ctp_passages.json)

The version hashes the passages and the encoder version (``passages_version``), so opening a
version either finds exactly that content or nothing; ``build`` writes a hidden directory, renames
it into place (atomic) and deletes other versions. A process that has an older version open keeps
reading its files until it closes them (POSIX unlink semantics).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import qdrant_edge as qe
from pydantic import BaseModel

META_FILE = "ctp_passages.json"
DENSE = "dense"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://chat-to-purchase/passage")


class Passage(BaseModel):
    key: str  # what the passage belongs to (a policy topic)
    text: str
    position: int = 0  # its place among the passages of its key, for quoting in document order
    context: str = ""  # embedded with the text (a section title), not quoted


class PassageHit(BaseModel):
    passage: Passage
    score: float  # cosine similarity


def passages_version(passages: Sequence[Passage], encoder_version: str) -> str:
    """Content hash of a collection of ``passages`` encoded by ``encoder_version``."""
    digest = hashlib.sha256(f"encoder={encoder_version}\n".encode())
    for p in passages:
        digest.update(json.dumps(p.model_dump(), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()[:16]


class PassageIndex:
    """The passage collection named ``root`` (see the module doc for the on-disk layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._shard: qe.EdgeShard | None = None
        self._version: str | None = None

    def _dir(self, version: str) -> Path:
        return self.root.parent / f"{self.root.name}.v-{version}"

    @property
    def version(self) -> str | None:
        return self._version

    def open(self, version: str) -> bool:
        """Load the collection of this exact version; False when it was never built."""
        directory = self._dir(version)
        if not (directory / META_FILE).exists():
            return False
        shard = qe.EdgeShard.load(str(directory))
        with self._lock:
            if self._shard is not None:
                self._shard.close()
            self._shard, self._version = shard, version
        return True

    def build(self, passages: Sequence[Passage], dense: np.ndarray, version: str) -> None:
        """Write the collection for ``version`` (replacing any other version) and open it."""
        if dense.shape[0] != len(passages):
            raise ValueError(f"{len(passages)} passages but {dense.shape[0]} vectors")
        self.root.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.root.parent / f".{self.root.name}.build-{uuid.uuid4().hex[:8]}"
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=int(dense.shape[1]), distance=qe.Distance.Cosine)},
            wal_enabled=False,
        )
        shard = qe.EdgeShard.create(str(tmp), config)
        try:
            points = [
                qe.Point(
                    str(uuid.uuid5(_NAMESPACE, f"{i}:{p.key}:{p.text}")),
                    {DENSE: [float(x) for x in np.asarray(dense[i], dtype=np.float32)]},
                    {"key": p.key, "text": p.text, "position": p.position, "context": p.context},
                )
                for i, p in enumerate(passages)
            ]
            shard.update(qe.UpdateOperation.upsert_points(points))
            shard.flush()
        finally:
            shard.close()
        (tmp / META_FILE).write_text(json.dumps({"version": version, "count": len(passages)}))
        target = self._dir(version)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        for other in self.root.parent.glob(f"{self.root.name}.v-*"):
            if other != target:
                shutil.rmtree(other, ignore_errors=True)
        self.open(version)

    def search(self, dense: np.ndarray, limit: int) -> list[PassageHit]:
        """The ``limit`` passages nearest to ``dense``, best first (ties by text)."""
        with self._lock:
            shard = self._shard
        if shard is None or limit <= 0:
            return []
        req = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest(
                [float(x) for x in np.asarray(dense, dtype=np.float32).ravel()], using=DENSE
            ),
            with_payload=qe.PayloadSelector.Include(["key", "text", "position", "context"]),
            params=qe.SearchParams(exact=True),
        )
        hits = [
            PassageHit(passage=Passage(**(p.payload or {})), score=float(p.score)) for p in shard.query(req)
        ]
        return sorted(hits, key=lambda h: (-h.score, h.passage.text))

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.close()
            self._shard, self._version = None, None
