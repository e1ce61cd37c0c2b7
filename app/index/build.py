"""Build the vector index from the catalog, idempotently.

The index version is a hash of everything that determines the index content: every product's
id, embedding text and payload, the encoder version and the sparse (BM25) configuration. A
build whose version equals the one the index records does nothing, so ``ctp build`` can run on
every deploy and only pays for encoding when the catalog or the model changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.domain.catalog import Product
from app.index.base import VectorIndex
from app.index.sparse import SPARSE_VERSION

log = logging.getLogger(__name__)

#: Bump when the stored layout changes (vector names, payload fields, point ids).
SCHEMA_VERSION = "1"


class DocumentEncoder(Protocol):
    """What the build needs from ``app.index.embedder.Encoder``."""

    version: str

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


@dataclass(frozen=True)
class BuildResult:
    version: str
    count: int
    skipped: bool
    seconds: float


def index_version(products: Sequence[Product], encoder_version: str) -> str:
    """Short content hash of the index a build of ``products`` would produce (order-insensitive)."""
    digest = hashlib.sha256()
    digest.update(f"schema={SCHEMA_VERSION}\nencoder={encoder_version}\nsparse={SPARSE_VERSION}\n".encode())
    for p in sorted(products, key=lambda p: p.id):
        row = [p.id, p.embedding_text(), p.payload()]
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def build_index(
    products: Sequence[Product],
    encoder: DocumentEncoder,
    index: VectorIndex,
    force: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Encode ``products`` and rebuild ``index``, unless it already holds this exact version."""
    t0 = time.perf_counter()
    products = list(products)
    ids = [p.id for p in products]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate product ids in the catalog")
    version = index_version(products, encoder.version)
    if not force and index.version() == version:
        log.info("index %s is up to date (%d points): skipped", version, index.count())
        return BuildResult(version, index.count(), True, round(time.perf_counter() - t0, 3))
    dense = encoder.encode([p.embedding_text() for p in products], progress=progress)
    index.rebuild(products, dense, version)
    count = index.count()
    seconds = round(time.perf_counter() - t0, 3)
    log.info("index %s built: %d points in %.1f s", version, count, seconds)
    return BuildResult(version, count, False, seconds)
