"""Learning from logged clicks with a known position bias, end to end through the turn log.

Simulated shoppers search through the real ``TurnPipeline`` (scripted extractor and index, real
explore stage, real ``TurnLogger`` writing to PostgreSQL or SQLite); the logging ranker keeps the
order of its best sellers (blind to what shoppers want), and on 40 % of the turns the explore stage permutes the top 5. Each shopper clicks a
shown product with probability examine(slot) × relevance, where relevance depends only on the
product's rating (a feature the model sees) and examine(k) = (1/(k+1))^1.2. The
events are written as ``POST /v1/turns/{id}/events`` writes them. Then ``log_rows`` (what
``ctp recsys train --from-logs`` reads) trains a naive and an inverse-propensity-weighted model.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import Engine

from app.bootstrap import Services
from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, Filters, Intent, Reply, ShoppingTurn
from app.pipeline import turn as turn_module
from app.pipeline.explore import Explorer
from app.pipeline.log import TurnLogger
from app.pipeline.respond import ResponseContext
from app.storage.db import create_schema, make_engine
from app.storage.schema import turn_event
from recsys.features import context_for, feature_vector
from recsys.logs import explored_records, log_rows
from recsys.propensity import TooFewExplored
from recsys.train import fit, list_ndcg
from tests.conftest import fresh_pg_database
from tests.pipeline.fakes import FakeIndex, Rig, ScriptedExtractor, ScriptedRanker

ETA = 1.2
SHOWN = 5
LISTED = 20  # candidates the index returns per turn
SCRIPT = {"shirts": ShoppingTurn(intent=Intent.search, query="shirts", filters=Filters(category="tops"))}


def examine(slot: int) -> float:
    return float((1.0 / (slot + 1)) ** ETA)


def relevance(p: Product) -> float:
    return (((p.rating or 1.0) - 1.0) / 4.0) ** 2


def catalog(rng: np.random.Generator, n: int = 300) -> CatalogSnapshot:
    products = [
        Product(
            id=f"sim:{i:04d}",
            source="sim",
            sku=f"S{i:04d}",
            name=f"Shirt {i}",
            category="tops",
            price=float(rng.uniform(15, 90)),
            rating=float(rng.uniform(1, 5)),
            review_count=int(rng.integers(30, 300)),
            popularity=int(rng.integers(0, 1000)),
        )
        for i in range(n)
    ]
    return CatalogSnapshot(products, version="sim-v1")


class ListResponder:
    """Replies with the shown products and a fixed sentence: redaction, which the pipeline runs on
    every reply, would spend most of this simulation scanning product prices for phone numbers."""

    name = "list"

    async def respond(self, ctx: ResponseContext) -> Reply:
        return Reply(text="Here are some shirts.", product_ids=[p.id for p in ctx.products])


@dataclass
class Shop:
    engine: Engine
    catalog: CatalogSnapshot
    explored: int  # turns the explore stage permuted


async def simulate(engine: Engine, turns: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> Shop:
    """``turns`` search turns through the pipeline into the log, and the clicks they drew."""
    ids = random.Random(seed)
    fixed = SimpleNamespace(uuid4=lambda: uuid.UUID(int=ids.getrandbits(128)))
    monkeypatch.setattr(turn_module, "uuid", fixed)  # the pipeline's turn ids, and nothing else's
    rng = np.random.default_rng(seed)
    shop = catalog(rng)
    by_sales = [p.id for p in sorted(shop.all(), key=lambda p: -p.popularity)]
    rig = Rig(
        extractor=ScriptedExtractor(SCRIPT),
        index=FakeIndex(),
        ranker=ScriptedRanker(by_sales),  # the logging ranker: best sellers first, blind to rating
        catalog=shop,
        show_limit=SHOWN,
    )
    rig.pipeline.responder = ListResponder()
    rig.pipeline.logger = TurnLogger(engine)
    rig.pipeline.explorer = Explorer(share=0.4, top_k=SHOWN)
    products = shop.all()
    explored = 0
    for _ in range(turns):
        rig.index.hits = [products[i].id for i in rng.choice(len(products), LISTED, replace=False)]
        record = (await rig.pipeline.run("shirts")).record
        explored += record.explore_k > 0
        with engine.begin() as conn:  # as app/api/routes/events.py records an event
            for s in record.position_shown:
                product = shop.get(s.product_id)
                assert product is not None
                if rng.random() < examine(s.position) * relevance(product):
                    conn.execute(turn_event(record.turn_id, record.conversation_id, "click", s.product_id))
    return Shop(engine, shop, explored)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Both SQL backends, each test with a database of its own: ``log_rows`` reads the whole turn log,
    so the session's shared PostgreSQL database (other tests' turns) would leak into it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.sqlite3'}"
        return
    with fresh_pg_database("ctp_ipw") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    create_schema(e)
    yield e
    e.dispose()


def true_order_ndcg(model: object, shop: CatalogSnapshot, lists: int = 300) -> float:
    """Mean NDCG@10 against the true relevance (graded 0–3) of fresh 20-candidate lists ordered by
    ``model``; candidates carry retrieval scores as the fake index gives them."""
    rng = np.random.default_rng(99)
    products = shop.all()
    out = []
    for _ in range(lists):
        picks = [products[i] for i in rng.choice(len(products), LISTED, replace=False)]
        cands = [
            Candidate(product_id=p.id, retrieval_rank=r, fused_score=1.0 / r, dense_score=1.0 - r / 100)
            for r, p in enumerate(picks, start=1)
        ]
        ctx = context_for(Filters(category="tops"), cands, query="shirts", prices=[p.price for p in picks])
        x = np.asarray([feature_vector(ctx, c, p) for c, p in zip(cands, picks, strict=True)])
        scores = model.predict(x)  # type: ignore[attr-defined]
        grades = [round(relevance(p) * 3) for p in picks]
        out.append(list_ndcg([grades[i] for i in np.argsort(-scores, kind="stable")]))
    return float(np.mean(out))


@pytest.mark.slow  # 2,000 simulated turns through the pipeline and the log
async def test_ipw_from_the_log_recovers_the_true_order_better_than_raw_clicks(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await simulate(engine, 2000, seed=5, monkeypatch=monkeypatch)

    naive_rows, naive = log_rows(engine, shop.catalog)
    ipw_rows, corrected = log_rows(engine, shop.catalog, ipw=True)

    assert naive.propensity is None and corrected.propensity is not None
    estimate = corrected.propensity
    assert estimate.turns == shop.explored == len(explored_records(engine))
    for k in range(1, SHOWN):  # within 4 standard errors of the ratio of two click-through rates
        se = examine(k) * np.sqrt(1 / estimate.clicks[k] + 1 / estimate.clicks[0])
        assert abs(estimate.propensities[k] - examine(k)) < 4 * se, (k, estimate.describe())
    assert ipw_rows.weighted() and not naive_rows.weighted()
    naive_model, _ = fit(naive_rows)
    ipw_model, _ = fit(ipw_rows)
    naive_ndcg = true_order_ndcg(naive_model, shop.catalog)
    ipw_ndcg = true_order_ndcg(ipw_model, shop.catalog)
    print(f"true-order NDCG@10: naive {naive_ndcg:.4f}, IPW {ipw_ndcg:.4f}; {estimate.describe()}")
    assert ipw_ndcg > naive_ndcg + 0.02


async def test_too_few_explored_impressions_are_refused_with_the_counts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await simulate(engine, 150, seed=6, monkeypatch=monkeypatch)
    shop = catalog(np.random.default_rng(6))

    with pytest.raises(TooFewExplored, match=r"too few explored impressions .* slot \d has \d+ clicks"):
        log_rows(engine, shop, ipw=True)
    rows, summary = log_rows(engine, shop)  # the uncorrected path still trains
    assert summary.turns > 0 and rows.qids


def test_a_log_without_explored_turns_is_refused(engine: Engine) -> None:
    with pytest.raises(TooFewExplored, match="no explored turns in the log"):
        log_rows(engine, CatalogSnapshot([], version="empty"), ipw=True)


def test_a_turn_log_from_before_exploring_gains_the_column_and_reads_as_not_explored(db_url: str) -> None:
    from sqlalchemy import MetaData, Table, insert

    from app.storage.schema import turns
    from tests.pipeline.test_log import record

    engine = make_engine(db_url)
    old = Table("turns", MetaData(), *(c._copy() for c in turns.columns if c.name != "explore_k"))
    old.create(engine)
    before = record("t_old", 0, cid="c_old")
    with engine.begin() as conn:
        conn.execute(insert(old).values(
            turn_id="t_old", conversation_id="c_old", turn_index=0, created_at=before.created_at,
            message=before.message, intent="search", abstained=False, latency_ms=1.0,
            record={k: v for k, v in before.model_dump(mode="json").items() if not k.startswith(("explore_", "position_"))},
        ))  # fmt: skip
    create_schema(engine)
    assert explored_records(engine) == []
    TurnLogger(engine).write(
        record("t_new", 1, cid="c_old").model_copy(update={"explore_k": 2, "explore_share": 0.1})
    )
    assert [r.turn_id for r in explored_records(engine)] == ["t_new"]
    assert TurnLogger(engine).get("t_old") == before
    engine.dispose()


def test_training_from_a_log_without_explored_turns_is_refused_before_any_retrieval(
    services: Services,
) -> None:
    from app.catalog.store import CatalogStore
    from app.catalog.vocabulary import load_vocabulary
    from app.pipeline.extract.rules import RulesExtractor
    from recsys.build import collect_rows
    from recsys.candidates import CandidateSource
    from recsys.runtime import Offline

    store = CatalogStore(services.engine)
    source = CandidateSource(
        RulesExtractor(load_vocabulary(), store.brands()), services.encoder, services.index, services.catalog
    )
    said: list[str] = []
    with pytest.raises(TooFewExplored, match="no explored turns"):
        collect_rows(
            Offline(services.engine, store, services.index, source), from_logs=True, progress=said.append
        )
    assert said == []  # refused before the generated queries were even made
