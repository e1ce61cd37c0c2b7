"""What every encoder variant shares: the query LRU cache and the interface the callers use.

The variants (``CTP_ENCODER``: torch, onnx, onnx-int8, static) differ only in how a batch of texts
becomes a matrix of unit vectors (``encode``). The version string names the weights *and* the
variant, so an index, a guard calibration or a ranker built with one variant is never served
with another (``app/index/build.py`` hashes it into the index version; ``app.bootstrap`` refuses
a mismatch).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np

EncoderVariant = Literal["torch", "onnx", "onnx-int8", "static"]
ENCODER_VARIANTS: tuple[str, ...] = get_args(EncoderVariant)


class BaseEncoder:
    """Texts to float32, L2-normalised vectors (cosine similarity is a dot product).

    ``encode_query`` keeps a small LRU cache: shoppers repeat and refine queries, and a cached
    query costs nothing. The returned arrays are read-only because they are shared.
    Subclasses set ``version``, ``variant`` and ``_dim`` and implement ``_encode_batch``.
    """

    version: str
    variant: str
    _dim: int

    def __init__(self, cache_size: int = 2048) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    def _encode_batch(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode documents; shape ``(len(texts), dim)``. ``progress`` draws a tqdm bar on stderr.

        Texts are batched longest first (less padding per batch); rows come back in input order.
        """
        import sys

        from tqdm import tqdm

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with tqdm(total=len(texts), desc="encode", unit="text", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                out[rows] = self._encode_batch([texts[i] for i in rows])
                bar.update(len(rows))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Encode one query, shape ``(dim,)``, through the LRU cache."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec: np.ndarray = np.ascontiguousarray(self._encode_batch([text])[0], dtype=np.float32)
        vec.setflags(write=False)
        with self._cache_lock:
            self._cache[text] = vec
            self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec


def l2_normalise(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    out: np.ndarray = (mat / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return out
