"""A static (model2vec) encoder distilled locally from the packaged MiniLM weights.

``distill_static`` runs once at build time: model2vec passes every vocabulary token through the
packaged transformer (no download: the model directory is a local path), reduces the token
vectors with PCA and weights them by estimated token frequency (SIF). A query is then the mean of
its tokens' vectors — a table lookup, microseconds on one core, no transformer at run time.

It is a *different vector space* from the transformer's, so it can never pass the cosine line of
the quality rule (docs/performance.md); it is measured as a candidate for the guard and the
first-stage retrieval, with its own index and calibration (the version string differs, so
``ctp build`` rebuilds both). Serving needs model2vec's ``StaticModel`` (numpy + tokenizers).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from app.index.embedder import model_path, weights_version
from app.index.encoder_base import BaseEncoder, l2_normalise

log = logging.getLogger(__name__)

PCA_DIMS = 256
ARTIFACT_SCHEMA = 1
META = "meta.json"


def static_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "encoders" / f"static-{weights_version().split('@')[1]}"


def _tree_sha256(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != META):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def distill_static(var_dir: Path) -> Path:
    """Distil the static model unless it exists (file lock, atomic rename); its directory."""
    target = static_dir(var_dir)
    if (target / META).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".export.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / META).exists():
            return target
        os.environ["HF_HUB_OFFLINE"] = "1"
        from model2vec.distill import distill

        t0 = time.perf_counter()
        tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:6]}"
        try:
            distill(model_name=str(model_path()), pca_dims=PCA_DIMS, device="cpu").save_pretrained(str(tmp))
            meta: dict[str, Any] = {
                "schema": ARTIFACT_SCHEMA,
                "variant": "static",
                "weights": weights_version(),
                "sha256": _tree_sha256(tmp),
                "pca_dims": PCA_DIMS,
                "created_at": time.time(),
            }
            (tmp / META).write_text(json.dumps(meta, indent=1))
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("distilled static encoder to %s in %.1f s", target, time.perf_counter() - t0)
    return target


class StaticEncoder(BaseEncoder):
    """model2vec ``StaticModel``: mean of token vectors, L2-normalised."""

    variant = "static"

    def __init__(self, directory: Path, cache_size: int = 2048) -> None:
        from model2vec import StaticModel

        super().__init__(cache_size)
        meta = json.loads((Path(directory) / META).read_text())
        if meta.get("schema") != ARTIFACT_SCHEMA or meta.get("weights") != weights_version():
            raise ValueError(
                f"encoder artifact {directory} was made from other weights or schema: rebuild it"
            )
        self.version = f"{weights_version()}+m2v{meta['pca_dims']}@{str(meta['sha256'])[:12]}"
        self._model = StaticModel.from_pretrained(str(directory))
        self._dim = int(self._model.dim)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self._dim), dtype=np.float32)
        vecs = self._model.encode(texts, show_progress_bar=False, use_multiprocessing=False)
        return l2_normalise(np.asarray(vecs, dtype=np.float32))
