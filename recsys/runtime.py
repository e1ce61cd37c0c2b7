"""Open the pieces offline jobs need (catalog, index, encoder, extractor) without the API's
ranker, so ``recsys train`` works before any model exists."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from app.built import open_built
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.index.base import VectorIndex
from app.index.encoder_base import BaseEncoder
from app.index.encoders import open_encoder
from app.pipeline.extract.rules import RulesExtractor
from app.settings import Settings
from recsys.candidates import CandidateSource


@dataclass
class Offline:
    engine: Engine
    store: CatalogStore
    index: VectorIndex
    source: CandidateSource

    def close(self) -> None:
        self.index.close()
        self.engine.dispose()


def unit_vectors(index: VectorIndex, ids: list[str]) -> dict[str, np.ndarray]:
    """Stored dense vectors, re-normalised (cosine = dot product in the session features)."""
    out = {}
    for pid, v in index.vectors(ids).items():
        n = float(np.linalg.norm(v))
        out[pid] = (v / n if n > 0 else v).astype(np.float32)
    return out


def open_offline(settings: Settings, encoder: BaseEncoder | None = None) -> Offline:
    engine, store, catalog, index = open_built(settings)
    source = CandidateSource(
        extractor=RulesExtractor(load_vocabulary(), store.brands()),  # offline: deterministic
        encoder=encoder or open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads),
        index=index,
        catalog=catalog,
        limit=settings.retrieve_limit,
    )
    return Offline(engine, store, index, source)
