"""Schemathesis against the app's own OpenAPI spec: every operation, generated inputs, real HTTP.

The real app (real catalog, real Redis, SQLite turn log) runs in a uvicorn server on a thread with
its own ``Services``: the session ``services`` fixture's async Redis client belongs to the test
event loop, and Schemathesis calls synchronously over ``requests``. Every response must be either a
success or a 4xx that the spec documents for that operation, with a JSON body whose ``detail`` is a
non-empty string — never a 5xx. (A method the path does not have, which Schemathesis also tries,
must get 405.) Bounded (``MAX_EXAMPLES`` per operation, derandomised) so the whole
file runs in well under 90 s; staff routes get the development reviewer key on every other call.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

from app.api.main import create_app
from app.api.security import DEV_REVIEWER_KEY
from app.bootstrap import open_services
from app.index.embedder import Encoder
from app.settings import Settings

MAX_EXAMPLES = 20
STAFF_PREFIX = "/v1/review"
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
FUZZED: dict[str, int] = {"requests": 0, "staff_with_key": 0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(settings: Settings, encoder: Encoder) -> Iterator[str]:
    services = open_services(settings, encoder=encoder)
    port = _free_port()
    app = create_app(settings, services=services)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    services.index.close()
    services.engine.dispose()
    print(
        f"\nrequests fuzzed: {FUZZED['requests']} (staff calls with the reviewer key: {FUZZED['staff_with_key']})"
    )


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def documented_statuses(case: schemathesis.Case) -> set[str]:
    return {str(code) for code in case.operation.definition.raw.get("responses", {})}


def check_error_response(case: schemathesis.Case, response: requests.Response) -> None:
    """No 5xx; an error is a documented 4xx with a JSON body carrying a non-empty ``detail``."""
    where = f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:200]}"
    assert response.status_code < 500, where
    if response.status_code < 400:
        return
    if response.status_code == 405 and case.method.upper() != case.operation.method.upper():
        return  # Schemathesis also tries methods the path does not have (TRACE /healthz): 405 is right
    assert str(response.status_code) in documented_statuses(case), f"undocumented status: {where}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"].strip(), where


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_generated_input_without_5xx_and_with_documented_errors(
    case: schemathesis.Case, base_url: str, session: requests.Session
) -> None:
    headers: dict[str, str] = {}
    FUZZED["requests"] += 1
    if case.path.startswith(STAFF_PREFIX) and FUZZED["requests"] % 2 == 0:
        headers["Authorization"] = f"Bearer {DEV_REVIEWER_KEY}"
        FUZZED["staff_with_key"] += 1
    response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
    check_error_response(case, response)
