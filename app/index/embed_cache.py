"""``CachedEncoder``: query embeddings shared by every worker and replica through Redis.

Embedding the query is the largest unavoidable CPU cost of a turn, and shoppers repeat themselves
("hoodies", "black hoodies", ...). Each ``Encoder`` already keeps an in-process LRU, but with N
workers behind a load balancer a repeated query lands on a worker that has not seen it N-1 times
out of N. The Redis cache makes one computation serve the whole fleet.

Lookup order: this process's LRU → Redis → compute (and write back to both).

* The key is ``<prefix><encoder version>:<sha1 of the normalised text>``: new weights never read
  old vectors, and a long query cannot make a long key. Normalisation strips, collapses
  whitespace and lower-cases — safe because the packaged MiniLM's tokenizer is uncased and splits
  on whitespace, so the normalised text embeds to the same vector (``tests/index/test_embed_cache.py``
  checks it).
* The value is the raw little-endian float32 bytes (1,536 bytes for 384-d): no JSON, no pickle.
* Entries carry a TTL, so the cache never needs invalidating by hand.
* Redis is an optimisation, never a dependency: any Redis error falls back to computing, and the
  cache then stays off for ``cooldown_s`` so a dead Redis costs one timeout per cooldown, not one
  per turn.

The client is the *synchronous* redis-py client on purpose: ``encode_query`` is called from a
worker thread (``anyio.to_thread``, see ``app/pipeline/turn.py``), never on the event loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict, Unpack

import numpy as np
import redis

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "ctp:emb:"


class BatchEncoder(Protocol):
    version: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


def normalise(text: str) -> str:
    """The cache's view of a query: trimmed, single-spaced, lower case."""
    return " ".join(text.split()).lower()


def cache_key(version: str, text: str, prefix: str = DEFAULT_PREFIX) -> str:
    digest = hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()
    return f"{prefix}{version}:{digest}"


def to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_bytes(raw: bytes, dim: int) -> np.ndarray | None:
    """The vector, or None when the bytes are not ``dim`` float32 values (a foreign value)."""
    if len(raw) != 4 * dim:
        return None
    vec = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    vec.setflags(write=False)
    return vec


@dataclass
class CacheStats:
    local_hits: int = 0
    redis_hits: int = 0
    misses: int = 0
    errors: int = 0

    @property
    def lookups(self) -> int:
        return self.local_hits + self.redis_hits + self.misses


class EncoderOptions(TypedDict, total=False):
    """``CachedEncoder``'s optional settings, as ``from_url`` passes them on."""

    local_size: int
    prefix: str
    cooldown_s: float


class CachedEncoder:
    """Drop-in for ``Encoder`` where queries are concerned (``version``, ``dim``, ``encode``,
    ``encode_query``); documents (``encode``) are never cached."""

    def __init__(
        self,
        inner: BatchEncoder,
        client: redis.Redis | None,
        ttl_s: int,
        local_size: int = 2048,
        prefix: str = DEFAULT_PREFIX,
        cooldown_s: float = 5.0,
    ) -> None:
        self.inner = inner
        self.version: str = inner.version
        self.client = client
        self.ttl_s = ttl_s
        self.prefix = prefix
        self.cooldown_s = cooldown_s
        self.stats = CacheStats()
        self._dim = inner.dim
        self._local: OrderedDict[str, np.ndarray] = OrderedDict()
        self._local_size = local_size
        self._lock = threading.Lock()
        self._redis_off_until = 0.0

    @classmethod
    def from_url(
        cls, inner: BatchEncoder, url: str | None, ttl_s: int, **kwargs: Unpack[EncoderOptions]
    ) -> CachedEncoder:
        """Short socket timeouts: a cache that is slower than the encoder is worse than none."""
        client = (
            redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
            if url and ttl_s > 0
            else None
        )
        return cls(inner, client, ttl_s, **kwargs)

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        return self.inner.encode(texts, batch_size=batch_size, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        """One query as a read-only ``(dim,)`` float32 vector, from the cheapest place that has it."""
        norm = normalise(text)
        with self._lock:
            hit = self._local.get(norm)
            if hit is not None:
                self._local.move_to_end(norm)
                self.stats.local_hits += 1
                return hit
        key = cache_key(self.version, norm, self.prefix)
        vec = self._redis_get(key)
        if vec is not None:
            self.stats.redis_hits += 1
        else:
            self.stats.misses += 1
            vec = np.asarray(self.inner.encode([norm])[0], dtype=np.float32)
            vec.setflags(write=False)
            self._redis_set(key, vec)
        self._remember(norm, vec)
        return vec

    def _remember(self, norm: str, vec: np.ndarray) -> None:
        with self._lock:
            self._local[norm] = vec
            self._local.move_to_end(norm)
            while len(self._local) > self._local_size:
                self._local.popitem(last=False)

    def _usable_client(self) -> redis.Redis | None:
        """The Redis client, or None when there is none or it is cooling down after a failure."""
        return self.client if self.client is not None and time.monotonic() >= self._redis_off_until else None

    def _redis_failed(self, exc: Exception) -> None:
        self.stats.errors += 1
        self._redis_off_until = time.monotonic() + self.cooldown_s
        log.warning("embedding cache off for %.0f s: %s: %s", self.cooldown_s, type(exc).__name__, exc)

    def _redis_get(self, key: str) -> np.ndarray | None:
        client = self._usable_client()
        if client is None:
            return None
        try:
            raw = client.get(key)
        except redis.RedisError as exc:
            self._redis_failed(exc)
            return None
        return from_bytes(raw, self._dim) if isinstance(raw, bytes) else None

    def _redis_set(self, key: str, vec: np.ndarray) -> None:
        client = self._usable_client()
        if client is None:
            return
        try:
            client.set(key, to_bytes(vec), ex=self.ttl_s)
        except redis.RedisError as exc:
            self._redis_failed(exc)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
