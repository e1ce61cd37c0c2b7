"""Wiring: build the catalog and index from settings, and assemble the turn pipeline.

Both the CLI (``ctp build``) and the API lifespan call into here, so there is exactly one place
that decides which concrete component backs each stage.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from sqlalchemy import Engine

from app.catalog.ingest import load_catalog
from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.index.base import VectorIndex
from app.index.build import build_index
from app.index.embedder import Encoder
from app.index.factory import open_index
from app.pipeline.extract.base import Extractor
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.guard import NearestNeighbourGuard
from app.pipeline.log import TurnLogger
from app.pipeline.orders import OrderService
from app.pipeline.rank import HeuristicRanker
from app.pipeline.remember import StateStore, make_state_store
from app.pipeline.respond import RulesResponder
from app.pipeline.retrieve import Retriever
from app.pipeline.turn import TurnPipeline
from app.settings import Settings
from app.storage.db import create_schema, make_engine
from app.versioning import code_version

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    products: int
    inserted: int
    updated: int
    unchanged: int
    links: int
    catalog_version: str
    index_version: str
    index_skipped: bool
    seconds: float


def build_catalog(
    settings: Settings, encoder: Encoder | None = None, force: bool = False, progress: bool = True
) -> BuildReport:
    """Ingest the configured sources into SQL and (re)build the vector index. Idempotent: a second
    run with unchanged data rewrites nothing and skips the index."""
    t0 = time.perf_counter()
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    batch = load_catalog(settings.data_dir, settings.sources, settings.eur_to_usd)
    store = CatalogStore(engine)
    stats = store.upsert(batch.products)
    store.prune(p.id for p in batch.products)  # products gone from a source leave the catalog
    store.replace_links(batch.links)
    encoder = encoder or Encoder(threads=max(settings.torch_threads, os.cpu_count() or 1))
    index = open_index(settings)
    try:
        result = build_index(store.all(), encoder, index, force=force, progress=progress)
    finally:
        index.close()
    engine.dispose()
    return BuildReport(
        products=len(batch.products),
        inserted=stats.inserted,
        updated=stats.updated,
        unchanged=stats.unchanged,
        links=len(batch.links),
        catalog_version=store.catalog_hash(),
        index_version=result.version,
        index_skipped=result.skipped,
        seconds=round(time.perf_counter() - t0, 2),
    )


@dataclass
class Services:
    """Everything a worker holds for its lifetime; built once in the API lifespan."""

    settings: Settings
    engine: Engine
    catalog: CatalogSnapshot
    encoder: Encoder
    index: VectorIndex
    state: StateStore
    logger: TurnLogger
    orders: OrderService
    pipeline: TurnPipeline

    async def aclose(self) -> None:
        await self.state.close()
        self.index.close()
        self.engine.dispose()


class NotBuilt(RuntimeError):
    """The catalog or index is missing: run ``ctp build`` first."""


def make_extractor(settings: Settings, brands: list[str]) -> Extractor:
    return RulesExtractor(load_vocabulary(), brands)


def open_services(settings: Settings, encoder: Encoder | None = None) -> Services:
    engine = make_engine(settings.resolved_database_url)
    create_schema(engine)
    store = CatalogStore(engine)
    if store.count() == 0:
        raise NotBuilt(f"the catalog in {settings.resolved_database_url} is empty: run `ctp build`")
    catalog = CatalogSnapshot(store.all(), store.catalog_hash())
    index = open_index(settings)
    if index.count() == 0:
        raise NotBuilt("the vector index is empty: run `ctp build`")
    encoder = encoder or Encoder(threads=settings.torch_threads)
    state = make_state_store(settings.redis_url, settings.state_ttl_seconds)
    logger = TurnLogger(engine)
    orders = OrderService(engine, settings.currency)
    guard = NearestNeighbourGuard(index, settings.guard_min_similarity)
    ranker = HeuristicRanker()
    pipeline = TurnPipeline(
        extractor=make_extractor(settings, store.brands()),
        store=state,
        encoder=encoder,
        guard=guard,
        retriever=Retriever(index, settings.retrieve_limit),
        ranker=ranker,
        responder=RulesResponder(),
        logger=logger,
        orders=orders,
        catalog=catalog,
        versions={
            "code": code_version(),
            "catalog": catalog.version,
            "index": index.version() or "none",
            "encoder": encoder.version,
            "guard": guard.version,
            "ranker": ranker.version,
        },
        show_limit=settings.show_limit,
        currency=settings.currency,
    )
    return Services(settings, engine, catalog, encoder, index, state, logger, orders, pipeline)
