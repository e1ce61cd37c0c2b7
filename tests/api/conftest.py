"""The real app on the real catalog: built once per test session into a temporary directory
(SQLite + Qdrant Edge), with conversation state in the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.main import create_app
from app.bootstrap import BuildReport, Services, build_catalog, open_services
from app.index.embedder import Encoder
from app.settings import Settings


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, redis_url: str, encoder: Encoder):
    var = tmp_path_factory.mktemp("var")
    settings = Settings(data_dir=data_dir, var_dir=var, redis_url=redis_url, qdrant_url=None, database_url=None)
    report = build_catalog(settings, encoder=encoder, progress=False)
    return settings, report


@pytest.fixture(scope="session")
def settings(built: tuple[Settings, BuildReport]) -> Settings:
    return built[0]


@pytest.fixture(scope="session")
def services(settings: Settings, encoder: Encoder) -> Iterator[Services]:
    svc = open_services(settings, encoder=encoder)
    yield svc
    svc.index.close()
    svc.engine.dispose()


def with_lifespan_state(app: FastAPI, state: dict[str, Any]):  # type: ignore[no-untyped-def]
    """What an ASGI server does: hand the lifespan's state to every request scope."""

    async def asgi(scope, receive, send):  # type: ignore[no-untyped-def]
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


@pytest.fixture
async def client(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services=services)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_lifespan_state(app, state or {}))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c
