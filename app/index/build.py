"""Build the vector index from the catalog, idempotently.

The index version is a hash of everything that determines the index content: every product's
id, embedding text and payload, the encoder version and the sparse (BM25) configuration. A
build whose version equals the one the index records does nothing, so ``ctp build`` can run on
every deploy and only pays for encoding when the catalog or the model changed.

Encoding the products is ~97 % of a build (profile in docs/performance.md, issue 18), so a build
also keeps what it encoded: ``DocumentVectors`` stores each product's vector under a hash of its
embedding text, one file per encoder version. The next build — a price or stock change, a new
product, a schema bump, ``--force`` — encodes only the texts it has not seen with this encoder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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
    encoded: int = 0  # documents encoded by this build (the rest came from ``DocumentVectors``)


def index_version(products: Sequence[Product], encoder_version: str) -> str:
    """Short content hash of the index a build of ``products`` would produce (order-insensitive)."""
    digest = hashlib.sha256()
    digest.update(f"schema={SCHEMA_VERSION}\nencoder={encoder_version}\nsparse={SPARSE_VERSION}\n".encode())
    for p in sorted(products, key=lambda p: p.id):
        row = [p.id, p.embedding_text(), p.payload()]
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


KEY_BYTES = 20


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:KEY_BYTES]


class DocumentVectors:
    """Document vectors of one encoder version, keyed by the text's hash, in one ``.npz`` file.

    A file holds the vectors of the last build only (the catalog's size, ~1.5 KB a product), is
    replaced atomically, and is named by the encoder version, so a vector is never reused with
    another encoder. An unreadable file counts as empty: the build encodes everything again."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, encoder_version: str) -> Path:
        name = hashlib.sha256(encoder_version.encode()).hexdigest()[:16]
        return self.directory / f"doc-vectors-{name}.npz"

    def load(self, encoder_version: str) -> dict[bytes, np.ndarray]:
        path = self.path(encoder_version)
        if not path.exists():
            return {}
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["encoder"]) != encoder_version:
                    return {}
                keys, vectors = data["keys"], data["vectors"]
                if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
                    return {}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("document vectors %s unreadable (%s): encoding everything", path, exc)
            return {}
        return {k.tobytes(): v for k, v in zip(keys, vectors, strict=True)}

    def save(self, encoder_version: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(encoder_version)
        tmp = path.with_name(f".{path.stem}-{uuid.uuid4().hex[:6]}.npz")
        # Raw bytes in a (n, 20) uint8 array: a fixed-width bytes dtype ("S20") drops a key's
        # trailing zero bytes on the way back (1 key in 256).
        joined = b"".join(text_key(t) for t in texts)
        keys = np.frombuffer(joined, dtype=np.uint8).reshape(len(texts), KEY_BYTES)
        np.savez(tmp, encoder=np.array(encoder_version), keys=keys, vectors=vectors.astype(np.float32))
        os.replace(tmp, path)


def encode_documents(
    encoder: DocumentEncoder, texts: Sequence[str], cache: DocumentVectors | None, progress: bool
) -> tuple[np.ndarray, int]:
    """The vectors of ``texts`` (taken from ``cache`` where it has them) and how many were encoded."""
    known = cache.load(encoder.version) if cache is not None else {}
    keys = [text_key(t) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in known]
    if len(missing) == len(texts):
        dense = np.asarray(encoder.encode(list(texts), progress=progress), dtype=np.float32)
    else:
        zero = np.zeros_like(next(iter(known.values())))
        dense = np.stack([known.get(k, zero) for k in keys]).astype(np.float32)
        if missing:
            dense[missing] = encoder.encode([texts[i] for i in missing], progress=progress)
    if cache is not None and missing:
        cache.save(encoder.version, texts, dense)
    return dense, len(missing)


def build_index(
    products: Sequence[Product],
    encoder: DocumentEncoder,
    index: VectorIndex,
    force: bool = False,
    progress: bool = True,
    cache: DocumentVectors | None = None,
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
    dense, encoded = encode_documents(encoder, [p.embedding_text() for p in products], cache, progress)
    index.rebuild(products, dense, version)
    count = index.count()
    seconds = round(time.perf_counter() - t0, 3)
    log.info("index %s built: %d points (%d encoded) in %.1f s", version, count, encoded, seconds)
    return BuildResult(version, count, False, seconds, encoded)
