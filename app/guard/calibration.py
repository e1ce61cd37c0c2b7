"""The guard's calibration: a versioned JSON artifact, recomputed when the index or encoder changes.

``calibrate`` scores the held-out in-scope queries (golden ``calibration`` split, never ``test``)
exactly as the running guard would — extraction, the search text retrieval would use, the encoder,
the index's k nearest — and stores the conformal threshold with everything it depends on. A
calibration whose index version, encoder version, α, k or method differs from the running
configuration is *stale*; ``ensure_calibration`` then recomputes it (a few seconds).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from app.domain.turn import SEARCH_INTENTS, ConversationState, Intent
from app.guard.conformal import conformal_rank, conformal_threshold
from app.guard.scores import kth_distance
from app.index.base import VectorIndex
from app.pipeline.extract.base import Extractor
from app.pipeline.remember import merge, search_text
from app.settings import Settings

log = logging.getLogger(__name__)

SCHEMA = 1
METHOD = "knn-catalog"
CALIBRATION_SPLIT = "calibration"


class BatchEncoder(Protocol):
    version: str

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


class Calibration(BaseModel):
    """The artifact, ``<var_dir>/calibration/guard.json``."""

    schema_version: int = SCHEMA
    version: str = Field(description="Content hash: changes with any input or score.")
    method: str
    k: int
    alpha: float
    n: int
    rank: int = Field(description="⌈(n+1)(1−α)⌉, 1-based; > n means the threshold is infinite.")
    threshold: float = Field(description="Nonconformity threshold (k-th neighbour distance 1 − cos).")
    encoder_version: str
    index_version: str
    source: str = Field(description="Calibration queries: file, split and sha256 of the file.")
    created_at: datetime
    scores: list[float] = Field(description="The n calibration nonconformity scores, ascending.")

    @property
    def min_similarity(self) -> float:
        """The threshold as a cosine: a query whose k-th neighbour is less similar abstains.
        Also the fence radius: products presented must be at least this similar to the query."""
        return 1.0 - self.threshold

    def matches(self, index_version: str | None, encoder_version: str, alpha: float, k: int) -> bool:
        return (
            self.schema_version == SCHEMA
            and self.method == METHOD
            and self.index_version == index_version
            and self.encoder_version == encoder_version
            and self.alpha == alpha
            and self.k == k
        )


def calibration_path(var_dir: Path) -> Path:
    return var_dir / "calibration" / "guard.json"


def load_calibration(path: Path) -> Calibration | None:
    """The stored calibration, or None when missing or unreadable (then it is recomputed)."""
    try:
        return Calibration.model_validate_json(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable guard calibration %s: %s", path, exc)
        return None


def save_calibration(cal: Calibration, path: Path) -> None:
    """Atomic write (temp file + rename): concurrent workers never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(cal.model_dump_json(indent=1))
    os.replace(tmp, path)


def calibration_queries(path: Path, split: str = CALIBRATION_SPLIT) -> tuple[list[str], str]:
    """The held-out in-scope queries and a source string naming them (with the file's hash).

    ``path`` is a build input (``settings.guard_calibration_queries``): a JSON-lines file of
    ``{"query", "split"}`` rows. The demo points it at the golden shopper queries; another store
    points it at its own."""
    raw = path.read_bytes()
    rows = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return [r["query"] for r in rows if r["split"] == split], f"{path.name}:{split}@{digest}"


async def judged_input(extractor: Extractor, message: str) -> tuple[str, Intent]:
    """What the guard stage sees for ``message`` opening a conversation: the search text the
    pipeline would retrieve with (empty when the turn is not a product search) and the intent.
    The calibration and the offline abstention evals both score exactly this."""
    fresh = ConversationState(conversation_id="calibration")
    turn = await extractor.extract(message, fresh)
    text = search_text(merge(fresh, turn)) if turn.intent in SEARCH_INTENTS else ""
    return text, turn.intent


async def guard_text(extractor: Extractor, message: str) -> str | None:
    """The text the guard judges for ``message``, or None when the message is not a product
    search (the guard does not apply)."""
    text, intent = await judged_input(extractor, message)
    return text if intent in SEARCH_INTENTS and text else None


def knn_score(
    index: VectorIndex, vec: np.ndarray, k: int, fetch: int = 0
) -> tuple[float, list[tuple[str, float]]]:
    """Nonconformity of one query vector (k-th neighbour distance) and the ``max(k, fetch)``
    nearest products, best first."""
    nearest = index.nearest(vec, max(k, fetch))
    return kth_distance([s for _, s in nearest], k), nearest


def calibrate(
    texts: Sequence[str],
    encoder: BatchEncoder,
    index: VectorIndex,
    alpha: float,
    k: int,
    source: str,
) -> Calibration:
    """Score the in-scope guard texts through the index and set the conformal threshold."""
    vecs = encoder.encode(list(texts))
    scores = sorted(knn_score(index, v, k)[0] for v in vecs)
    threshold = conformal_threshold(scores, alpha)
    fields: dict[str, Any] = {
        "method": METHOD,
        "k": k,
        "alpha": alpha,
        "n": len(scores),
        "rank": conformal_rank(len(scores), alpha),
        "threshold": threshold,
        "encoder_version": encoder.version,
        "index_version": index.version() or "none",
        "source": source,
        "scores": scores,
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    return Calibration(version=f"{METHOD}-k{k}-a{alpha:g}-{digest}", created_at=datetime.now(UTC), **fields)


async def guard_texts(extractor: Extractor, messages: Sequence[str]) -> list[str | None]:
    return [await guard_text(extractor, m) for m in messages]


def calibrate_from_queries(
    queries_path: Path, extractor: Extractor, encoder: BatchEncoder, index: VectorIndex, alpha: float, k: int
) -> Calibration:
    """Calibrate on the ``calibration`` split of ``queries_path``, each query turned into its guard
    text (queries the extractor does not treat as searches never reach the guard and are skipped).
    Synchronous: called from the build, the CLI and the API's start-up thread, never a loop."""
    queries, source = calibration_queries(queries_path)
    texts = [t for t in asyncio.run(guard_texts(extractor, queries)) if t]
    return calibrate(texts, encoder, index, alpha, k, source)


def ensure_calibration(
    path: Path,
    extractor: Extractor,
    encoder: BatchEncoder,
    index: VectorIndex,
    alpha: float,
    k: int,
    *,
    queries: Path,
) -> tuple[Calibration, bool]:
    """The stored calibration if it matches this index/encoder/α/k, else a fresh one (saved when
    the directory is writable). Returns the calibration and whether it was recomputed."""
    current = load_calibration(path)
    if current is not None and current.matches(index.version(), encoder.version, alpha, k):
        return current, False
    reason = "missing" if current is None else "stale"
    t0 = time.perf_counter()
    cal = calibrate_from_queries(queries, extractor, encoder, index, alpha, k)
    log.warning(
        "guard calibration %s: recalibrated %s on n=%d in %.1f s (index %s, encoder %s)",
        reason, cal.version, cal.n, time.perf_counter() - t0, cal.index_version, cal.encoder_version,
    )  # fmt: skip
    try:
        save_calibration(cal, path)
    except OSError as exc:
        log.warning("could not save guard calibration to %s: %s (kept in memory)", path, exc)
    return cal, True


def ensure_configured_calibration(
    settings: Settings, extractor: Extractor, encoder: BatchEncoder, index: VectorIndex
) -> tuple[Calibration, bool]:
    """``ensure_calibration`` with the artifact path, α, k and queries the settings name: what the
    build, the API's guard and the abstention evals all calibrate with."""
    return ensure_calibration(
        calibration_path(settings.var_dir),
        extractor,
        encoder,
        index,
        settings.guard_alpha,
        settings.guard_k,
        queries=settings.guard_calibration_queries,
    )
