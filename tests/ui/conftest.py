"""A real API server on a free local port for the UI to talk to over HTTP."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from app.api.main import create_app
from app.bootstrap import Services
from app.pipeline.state_store import make_state_store
from app.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def api_url(settings: Settings, services: Services) -> Iterator[str]:
    port = free_port()
    # The server runs its own event loop in a thread; an asyncio Redis client is bound to the loop
    # that first used it, so the server gets its own state store (same Redis, same data).
    state = make_state_store(settings.redis_url, settings.state_ttl_seconds)
    own = dataclasses.replace(
        services, state=state, pipeline=dataclasses.replace(services.pipeline, store=state)
    )
    app = create_app(settings, services=own)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        pytest.fail("API server did not start")
    yield url
    server.should_exit = True
    thread.join(timeout=10)
