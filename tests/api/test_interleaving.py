"""Online comparison end to end (issue 16, item 4): team-draft interleaving in the real app, with
simulated shoppers whose preferences are known, shows the better ranker winning.

Every product has a hidden utility in [0, 1) (a hash of its id) that only the shoppers and the
better ranker know. The better ranker orders candidates by it; the other orders them by an
unrelated hash (a random ranker). A shopper examines position k (0-based) of the shown list with
probability 1/(k+1) and clicks an examined product with probability equal to its utility; a
clicked product with utility above 0.8 is also added to the cart. The clicks and carts go through
``POST /v1/turns/{id}/events``; the verdict is read from the review API the console reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.api.main import create_app
from app.api.security import DEV_REVIEWER_KEY
from app.bootstrap import Services
from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import Candidate, ConversationState
from app.pipeline.interleave import Interleaver
from app.settings import Settings
from tests.api.conftest import ShopperTransport, with_lifespan_state

AUTH = {"Authorization": f"Bearer {DEV_REVIEWER_KEY}"}
QUERIES = [
    "hoodies for men", "women's jackets", "yoga pants", "running shorts", "tees for men",
    "tank tops for women", "sweatshirts", "leggings", "men's pants", "bags", "watches",
    "jackets for men", "women's tees", "shorts for women",
]  # fmt: skip
TURNS = 120  # with 120 turns, 200 simulated runs of this design never put the interval across 0.5


def unit_hash(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 2**32


def utility(product_id: str) -> float:
    """The shoppers' hidden preference."""
    return unit_hash(product_id)


class ByKey:
    """A ranker ordering the candidates by a score of the product id, best first."""

    def __init__(self, version: str, score: object) -> None:
        self.version = version
        self.score = score

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        score = self.score
        assert callable(score)
        scored = [c.model_copy(update={"rank_score": score(c.product_id)}) for c in candidates]
        return sorted(scored, key=lambda c: c.rank_score or 0.0, reverse=True)


@pytest.fixture
async def shop(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (real catalog, index, SQL turn log and Redis) interleaving the two rankers."""
    better = ByKey("utility-oracle", utility)
    worse = ByKey("hash-random", lambda pid: unit_hash("unrelated:" + pid))
    pipeline = dataclasses.replace(services.pipeline, ranker=worse, interleaver=Interleaver(worse, better))
    app = create_app(settings, services=dataclasses.replace(services, pipeline=pipeline))
    async with app.router.lifespan_context(app) as state:
        transport = ShopperTransport(httpx.ASGITransport(app=with_lifespan_state(app, state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def shopper_turn(client: httpx.AsyncClient, query: str, rng: random.Random) -> dict:  # type: ignore[type-arg]
    r = await client.post("/v1/chat", json={"message": query})
    assert r.status_code == 200, r.text
    turn = r.json()
    for k, product in enumerate(turn["products"]):
        if rng.random() < 1 / (k + 1) and rng.random() < utility(product["id"]):
            events = ["click", "add_to_cart"] if utility(product["id"]) > 0.8 else ["click"]
            for kind in events:
                e = await client.post(
                    f"/v1/turns/{turn['turn_id']}/events", json={"kind": kind, "product_id": product["id"]}
                )
                assert e.status_code == 201, e.text
    return turn  # type: ignore[no-any-return]


async def test_the_console_shows_the_ranker_shoppers_prefer_winning(shop: httpx.AsyncClient) -> None:
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    rng = random.Random(16)
    shown = 0
    for i in range(TURNS):
        turn = await shopper_turn(shop, QUERIES[i % len(QUERIES)], rng)
        shown += bool(turn["products"])
    r = await shop.get("/v1/review/interleaving", params={"start": since.isoformat()}, headers=AUTH)
    assert r.status_code == 200, r.text
    pairs = {(p["first"], p["second"]): p for p in r.json()["pairs"]}
    row = pairs[("hash-random", "utility-oracle")]  # sorted names: the better ranker is second
    assert row["impressions"] == shown >= TURNS * 0.9
    assert row["wins"] + row["losses"] + row["ties"] + row["no_preference"] == shown
    print("interleaving row:", row)
    assert row["losses"] > row["wins"]
    assert row["ci_high"] < 0.5  # the better ranker's win rate, 1 - this, has its interval above 0.5


async def test_an_interleaved_turn_records_which_ranker_contributed_each_shown_product(
    shop: httpx.AsyncClient,
) -> None:
    turn = await shopper_turn(shop, "hoodies for men", random.Random(0))
    r = await shop.get(f"/v1/review/turns/{turn['turn_id']}", headers=AUTH)
    record = r.json()["record"]
    assert record["interleave_rankers"] == ["hash-random", "utility-oracle"]
    assert list(record["interleave_teams"]) == record["shown"] == [p["id"] for p in turn["products"]]
    assert set(record["interleave_teams"].values()) == {"hash-random", "utility-oracle"}


async def test_a_streamed_turn_shows_the_interleaved_list_first_and_logs_its_teams(
    shop: httpx.AsyncClient,
) -> None:
    async with shop.stream("POST", "/v1/chat/stream", json={"message": "women's jackets"}) as r:
        assert r.status_code == 200
        lines = [json.loads(line) async for line in r.aiter_lines() if line.strip()]
    first, last = lines[0], lines[-1]
    record = (await shop.get(f"/v1/review/turns/{last['turn_id']}", headers=AUTH)).json()["record"]
    assert [p["id"] for p in first["products"]] == list(record["interleave_teams"]) == record["shown"]
