"""Microbenchmarks of one turn's stages on the real catalog, in process, one torch thread.

Each stage is timed per query over the train split of the golden shopper queries, and the median
is reported. The *unavoidable work* of a search turn is embed (uncached: straight through the
model, bypassing every cache) + retrieve (hybrid dense + BM25 search with filters) + rank; the
full turn (``TurnPipeline.run``: extraction, Redis state and lock, guard, retrieve, rank, reply, the
SQL turn log, the eval stream) is compared with it as a ratio. The load test uses ``ceiling`` to
state the throughput no amount of tuning can beat on this many cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from app.bootstrap import Services, open_services
from app.domain.turn import ConversationState
from app.settings import Settings

GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden" / "shopper_queries.jsonl"


class StageFigures(BaseModel):
    """Medians in milliseconds over ``n`` queries."""

    n: int
    embed_ms: float
    retrieve_ms: float
    rank_ms: float
    guard_ms: float
    extract_ms: float
    full_turn_ms: float
    full_turn_plain_ms: float = 0.0  # same run, understand stage off (references, store help)

    @property
    def unavoidable_ms(self) -> float:
        return self.embed_ms + self.retrieve_ms + self.rank_ms

    def ceiling_turns_per_s(self, cores: int) -> float:
        """Turns/s if every core did nothing but the unavoidable work."""
        return cores * 1000.0 / self.unavoidable_ms


def train_queries(limit: int | None = None) -> list[str]:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    queries = [r["query"] for r in rows if r.get("split") == "train"]
    return queries[:limit] if limit else queries


def median_ms(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of ``fn`` in ms over ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _per_query(queries: list[str], fn: Callable[[str], object]) -> float:
    fn(queries[0])  # warm-up
    times = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3)


def measure_stages(settings: Settings, queries: int) -> StageFigures:
    """``measure`` over the first ``queries`` train queries, on services opened from ``settings``
    with the embedding cache switched off: the ceiling is defined by uncached embeds, and the cache's
    Redis db may outlive a run (a second `make bench` from a clean clone once timed its full turns
    on cached embeddings, 6.3 ms — below the uncached embed alone)."""
    services = open_services(settings.model_copy(update={"embed_cache_ttl_s": 0}))
    try:
        return measure(services, train_queries(queries))
    finally:
        services.index.close()
        services.engine.dispose()


def measure(services: Services, queries: list[str]) -> StageFigures:
    """Median per-stage cost over ``queries`` (each embedded fresh: no cache on the embed path)."""
    pipe = services.pipeline
    encoder = services.encoder
    extractor = pipe.extractor

    async def _extract(q: str) -> Any:
        return await extractor.extract(q, ConversationState(conversation_id="c_bench"))

    turns = {q: asyncio.run(_extract(q)) for q in queries}
    vecs = {q: encoder.encode([q])[0] for q in queries}
    cands = {q: pipe.retriever.retrieve(vecs[q], q, turns[q].filters) for q in queries}
    state = {
        q: ConversationState(conversation_id="c_bench", query=q, filters=turns[q].filters) for q in queries
    }

    embed = _per_query(queries, lambda q: encoder.encode([q]))
    retrieve = _per_query(queries, lambda q: pipe.retriever.retrieve(vecs[q], q, turns[q].filters))
    rank = _per_query(queries, lambda q: pipe.ranker.rank(cands[q], pipe.catalog, state[q]))
    guard = _per_query(queries, lambda q: pipe.guard.check(turns[q], vecs[q]))
    extract = _per_query(queries, lambda q: asyncio.run(_extract(q)))
    full, plain = _full_turn_ms(services, queries)
    return StageFigures(
        full_turn_plain_ms=plain,
        n=len(queries),
        embed_ms=embed,
        retrieve_ms=retrieve,
        rank_ms=rank,
        guard_ms=guard,
        extract_ms=extract,
        full_turn_ms=full,
    )


def _full_turn_ms(services: Services, queries: list[str]) -> tuple[float, float]:
    """Medians of ``TurnPipeline.run`` for a new conversation per query, on one event loop: with the
    understand stage and without it (issue 13's references and store help), alternating query by
    query so both see the same machine load. The embedding caches are bypassed by suffixing a
    counter, so every turn embeds for real."""
    pipe = services.pipeline
    understander = pipe.understander

    async def _all() -> tuple[list[float], list[float]]:
        on: list[float] = []
        off: list[float] = []
        for i, q in enumerate([queries[0], *queries]):
            for enabled, times in ((True, on), (False, off)):
                pipe.understander = understander if enabled else None
                t0 = time.perf_counter()
                await pipe.run(f"{q} {2 * i + int(enabled)}")
                times.append((time.perf_counter() - t0) * 1000)
        pipe.understander = understander
        return on[1:], off[1:]

    on, off = asyncio.run(_all())
    return round(statistics.median(on), 3), round(statistics.median(off), 3)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)
