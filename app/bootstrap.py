"""Wiring: build the catalog and index from settings, and assemble the turn pipeline.

Both the CLI (``ctp build``) and the API lifespan call into here, so there is exactly one place
that decides which concrete component backs each stage.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from sqlalchemy import Engine

from app.built import open_built
from app.catalog.ingest import load_catalog
from app.catalog.inventory import InventoryStore, demo_feed, read_feed
from app.catalog.snapshot import CatalogSnapshot
from app.catalog.store import CatalogStore
from app.catalog.vocabulary import load_vocabulary
from app.guard.calibration import ensure_configured_calibration
from app.guard.combined import open_combined_guard
from app.guard.density import DensityGuard, open_guard
from app.index.base import VectorIndex
from app.index.build import DocumentVectors, build_index, index_version
from app.index.embed_cache import CachedEncoder
from app.index.encoder_base import BaseEncoder
from app.index.encoders import EncoderMismatch, open_encoder
from app.index.factory import open_index
from app.index.failsafe import FailSafeIndex
from app.index.passages import PassageIndex
from app.pipeline.answer.semantic import SemanticArm, SentenceEncoder
from app.pipeline.brands import BrandReader
from app.pipeline.explore import explorer_for
from app.pipeline.extract.base import Extractor
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.guard import Guard
from app.pipeline.log import TurnLogger
from app.pipeline.needs import NeedReader, attribute_values
from app.pipeline.orders import OrderService
from app.pipeline.policy_search import PolicySearch, ensure_policy_index, policy_index_path
from app.pipeline.publish import RedisStreamPublisher
from app.pipeline.references import NameIndex
from app.pipeline.respond import Responder, RulesResponder
from app.pipeline.respond_help import HelpReplies
from app.pipeline.retrieve import Retriever
from app.pipeline.spool import SpoolingTurnLogger, TurnSpool
from app.pipeline.state_store import StateStore, make_state_store
from app.pipeline.turn import QueryEncoder, TurnPipeline
from app.pipeline.understand import Understander
from app.policy.document import load_policy
from app.policy.router import TOPICS
from app.policy.words import lexicon
from app.privacy import redact
from app.settings import Settings
from app.storage.db import create_schema, make_engine
from app.telemetry import setup_tracing
from app.versioning import code_version

if TYPE_CHECKING:
    from app.llm.client import LlmClient

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    products: int
    inserted: int
    updated: int
    unchanged: int
    links: int
    stock_rows: int
    catalog_version: str
    index_version: str
    index_skipped: bool
    seconds: float
    index_seconds: float = 0.0
    index_encoded: int = 0  # products encoded (the rest reused from the last build's vectors)
    policy_version: str = "none"


def build_catalog(
    settings: Settings, encoder: BaseEncoder | None = None, force: bool = False, progress: bool = True
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
    feed = read_feed(settings.inventory_feed) if settings.inventory_feed else None
    stock = InventoryStore(engine).ingest(
        feed or demo_feed(batch.products, settings.inventory_seed), batch.products
    )
    encoder = encoder or open_encoder(
        settings.encoder,
        settings.var_dir,
        threads=max(settings.torch_threads, os.cpu_count() or 1),
        shared=Path(settings.encoder_cache_dir) if settings.encoder_cache_dir else None,
    )
    index = open_index(settings)
    try:
        vectors = DocumentVectors(settings.var_dir / "index-cache")
        result = build_index(store.all(), encoder, index, force=force, progress=progress, cache=vectors)
        # The guard's threshold belongs to this index and encoder: recalibrate when either changed.
        ensure_configured_calibration(
            settings, RulesExtractor(load_vocabulary(), store.brands()), encoder, index
        )
        policy = open_policy_search(settings, encoder)  # the store policy's own collection
        policy_version = policy.index.version or "none"
        policy.index.close()
    finally:
        index.close()
    engine.dispose()
    return BuildReport(
        products=len(batch.products),
        inserted=stats.inserted,
        updated=stats.updated,
        unchanged=stats.unchanged,
        links=len(batch.links),
        stock_rows=stock,
        catalog_version=store.catalog_hash(),
        index_version=result.version,
        index_skipped=result.skipped,
        seconds=round(time.perf_counter() - t0, 2),
        index_seconds=result.seconds,
        index_encoded=result.encoded,
        policy_version=policy_version,
    )


@dataclass
class Services:
    """Everything a worker holds for its lifetime; built once in the API lifespan."""

    settings: Settings
    engine: Engine
    catalog: CatalogSnapshot
    encoder: BaseEncoder
    index: VectorIndex
    state: StateStore
    logger: TurnLogger
    orders: OrderService
    pipeline: TurnPipeline

    async def aclose(self) -> None:
        await self.state.close()
        self.index.close()
        understander = self.pipeline.understander
        if understander is not None and understander.policy is not None:
            understander.policy.index.close()
        self.engine.dispose()


def make_llm_client(settings: Settings) -> LlmClient | None:
    """One LLM client (and circuit breaker) shared by the LLM extractor and responder, if either is on."""
    if "llm" not in (settings.extractor, settings.responder):
        return None
    from app.llm.client import LlmClient

    return LlmClient.from_settings(settings)


def make_extractor(
    settings: Settings,
    brands: list[str],
    catalog: CatalogSnapshot | None = None,
    llm: LlmClient | None = None,
) -> Extractor:
    """``settings.extractor``: ``rules``, or ``llm`` wrapping the rules extractor as its fallback."""
    rules = RulesExtractor(load_vocabulary(), brands)
    if settings.extractor != "llm":
        return rules
    from app.llm.client import LlmClient
    from app.pipeline.extract.llm import LlmExtractor

    client = llm or LlmClient.from_settings(settings)
    return LlmExtractor(client, load_vocabulary(), brands, rules, catalog, mode=settings.llm_extract_mode)


def make_responder(
    settings: Settings,
    catalog: CatalogSnapshot | None = None,
    llm: LlmClient | None = None,
    policy: PolicySearch | None = None,
    encoder: SentenceEncoder | None = None,
) -> Responder:
    """``settings.responder``: ``rules``, or ``llm`` wrapping the rules responder as its fallback.
    ``encoder`` (the search's MiniLM) is the semantic arm of product-QA sentence retrieval."""
    document = load_policy(settings.policy_path, TOPICS)
    semantic = SemanticArm(encoder) if encoder is not None else None
    rules = RulesResponder(HelpReplies(document, load_vocabulary(), policy, semantic=semantic))
    if settings.responder != "llm":
        return rules
    from app.llm.client import LlmClient
    from app.pipeline.respond_llm import LlmResponder

    names = [p.name for p in catalog.all()] if catalog is not None else []
    return LlmResponder(llm or LlmClient.from_settings(settings), rules, load_vocabulary(), names)


async def warm_llm(extractor: Extractor, settings: Settings) -> float | None:
    """Warm the LLM extraction prompt at start-up (``CTP_LLM_WARMUP``), bounded by
    ``CTP_LLM_WARMUP_TIMEOUT_S``: the seconds it took, or None (rules backend, off, failed, too slow)."""
    warm = getattr(extractor, "warm", None)
    if not settings.llm_warmup or warm is None:
        return None
    import asyncio

    try:
        result: float | None = await asyncio.wait_for(warm(), settings.llm_warmup_timeout_s)
    except TimeoutError:
        log.warning("LLM warm-up took over %.0f s; serving without it", settings.llm_warmup_timeout_s)
        return None
    return result


def open_policy_search(settings: Settings, encoder: BaseEncoder) -> PolicySearch:
    """The store policy's sentence collection for this document and encoder (built if missing:
    ``ctp build`` builds it; a few dozen sentences take well under a second to encode)."""
    index = PassageIndex(policy_index_path(settings.var_dir))
    doc = load_policy(settings.policy_path, TOPICS)
    ensure_policy_index(doc, encoder, index)
    return PolicySearch(encoder, index, lexicon=lexicon(s.text for s in doc.sections.values()))


def make_understander(
    catalog: CatalogSnapshot, policy: PolicySearch | None = None, encoder: QueryEncoder | None = None
) -> Understander:
    """Product references over this catalog's names; store vocabulary words never name a product;
    with an encoder, needs matched to the catalog's activity and climate values."""
    vocab = load_vocabulary()
    stop = [*vocab.colors, *vocab.sizes, *vocab.materials, *vocab.genders, *vocab.product_types]
    for synonyms in (*vocab.colors.values(), *vocab.product_types.values(), *vocab.materials.values()):
        stop += synonyms
    needs = NeedReader(encoder, attribute_values(catalog.all())) if encoder is not None else None
    brands = BrandReader(catalog.all(), vocab)
    return Understander(NameIndex(catalog.all(), stop), catalog, policy, needs, brands)


def open_services(settings: Settings, encoder: BaseEncoder | None = None) -> Services:
    engine, store, catalog, raw_index = open_built(settings)
    llm = make_llm_client(settings)
    index: VectorIndex = FailSafeIndex(raw_index)  # backend errors → SearchUnavailable (503)
    encoder = encoder or open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads)
    # The index version hashes the catalog and the encoder version: a mismatch means the index was
    # built with another encoder (or is stale) — never serve query vectors into another space.
    if index.version() != index_version(store.all(), encoder.version):
        raise EncoderMismatch(
            f"the vector index (version {index.version()}) was not built from this catalog with encoder "
            f"{encoder.version} (CTP_ENCODER={settings.encoder}): run `ctp build`"
        )
    state = make_state_store(settings.redis_url, settings.state_ttl_seconds)
    setup_tracing(settings)
    publisher = (
        RedisStreamPublisher(settings.redis_url, settings.eval_stream, settings.eval_stream_maxlen)
        if settings.redis_url
        else None
    )
    # A turn whose SQL write fails is spooled on local disk and written when the database returns.
    logger = SpoolingTurnLogger(engine, TurnSpool(settings.var_dir / "spool" / "turns"), publisher)
    orders = OrderService(
        engine,
        settings.currency,
        max_quantity=settings.max_quantity_per_item,
        cancel_window=timedelta(minutes=settings.cancel_window_minutes),
        stock_cache_s=settings.stock_cache_s,
    )
    guard: Guard = open_guard(settings, RulesExtractor(load_vocabulary(), store.brands()), encoder, index)
    if settings.guard_method == "combined" and isinstance(guard, DensityGuard):
        guard = open_combined_guard(settings, guard, catalog.all(), catalog.version, encoder)
    from recsys.serving import open_interleaver, open_recommender  # lightgbm untrained: fails here

    ranker, cross_sell = open_recommender(settings, index, store, catalog, encoder.version)
    interleaver = open_interleaver(settings, index, catalog, encoder.version)
    if interleaver is not None:  # its first ranker serves every turn that is not interleaved
        ranker = interleaver.first
    policy = open_policy_search(settings, encoder)
    query_encoder = CachedEncoder.from_url(encoder, settings.redis_url, settings.embed_cache_ttl_s)
    pipeline = TurnPipeline(
        extractor=make_extractor(settings, store.brands(), catalog, llm),
        store=state,
        encoder=query_encoder,
        guard=guard,
        retriever=Retriever(index, settings.retrieve_limit),
        ranker=ranker,
        cross_sell=cross_sell,
        understander=make_understander(catalog, policy, encoder),
        responder=make_responder(settings, catalog, llm, policy, query_encoder),
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
            **({"interleave": interleaver.version} if interleaver else {}),
        },
        show_limit=settings.show_limit,
        currency=settings.currency,
        interleaver=interleaver,
        explorer=explorer_for(settings.explore_share, settings.explore_top_k),
    )
    # Warm the redaction: Presidio's recognisers (and what they import) load on first use, which
    # took seconds — the first shopper of every worker paid it (load test 20261130-193027).
    redact("warm-up: call +1 415 555 0100 or write to jo@example.com")
    return Services(settings, engine, catalog, encoder, index, state, logger, orders, pipeline)
