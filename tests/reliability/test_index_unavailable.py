"""The product index is unavailable: search turns get a 503 with Retry-After, other turns work.

Both backends: the embedded Qdrant Edge index with its shard closed, and ``qdrant-client`` pointed
at a port where no server listens.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from qdrant_client import QdrantClient

from app.bootstrap import Services
from app.index.base import VectorIndex
from app.index.edge import EdgeIndex
from app.index.failsafe import FailSafeIndex
from app.index.server import ServerIndex
from app.pipeline.retrieve import Retriever
from app.settings import Settings
from tests.reliability.conftest import Shopper, app_client
from tests.reliability.servers import free_port


def closed_edge_index(settings: Settings) -> VectorIndex:
    index = EdgeIndex(settings.edge_path)
    index.close()  # the shard is closed under the running service
    return index


def unreachable_server_index() -> VectorIndex:
    client = QdrantClient(url=f"http://127.0.0.1:{free_port()}", timeout=2, check_compatibility=False)
    return ServerIndex(client, "products")


def with_index(services: Services, inner: VectorIndex) -> Services:
    index = FailSafeIndex(inner)
    guard = copy.copy(services.pipeline.guard)  # the same calibrated guard, over the broken index
    guard.index = index  # type: ignore[attr-defined]
    pipeline = dataclasses.replace(services.pipeline, retriever=Retriever(index), guard=guard)
    return dataclasses.replace(services, index=index, pipeline=pipeline)


BACKENDS = {"edge-closed": closed_edge_index, "server-unreachable": lambda _s: unreachable_server_index()}


@pytest.fixture(params=list(BACKENDS))
def broken_index(request: pytest.FixtureRequest, settings: Settings) -> VectorIndex:
    return BACKENDS[request.param](settings)


async def test_a_search_turn_gets_503_with_retry_after(
    settings: Settings, services: Services, broken_index: VectorIndex
) -> None:
    async with app_client(settings, with_index(services, broken_index)) as client:
        r = await client.post("/v1/chat", json={"message": "black hoodies under $50"})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "search is temporarily unavailable" in r.json()["detail"]


async def test_small_talk_still_works(
    settings: Settings, services: Services, broken_index: VectorIndex
) -> None:
    async with app_client(settings, with_index(services, broken_index)) as client:
        r = await client.post("/v1/chat", json={"message": "hello"})
    assert r.status_code == 200
    assert r.json()["intent"] == "smalltalk"


async def test_the_cart_still_works_after_search_went_down(
    settings: Settings, services: Services, broken_index: VectorIndex
) -> None:
    async with app_client(settings, services) as client:  # search works: products are shown
        shopper = Shopper(client)
        assert (await shopper.say("black hoodies")).status_code == 200
    async with app_client(settings, with_index(services, broken_index)) as client:
        shopper.client = client
        r = await shopper.say("add the first one to my cart")
    assert r.status_code == 200, r.text
    assert len(r.json()["cart"]) == 1
