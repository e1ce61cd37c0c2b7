"""Dependency outages as clear 503s with Retry-After, never a 500.

Which outage gets which answer (docs/security.md has the reasoning):

* **Redis down** (conversation state and its lock): 503. A degraded answer is not possible without
  state — a new conversation could be answered statelessly, but the shopper could not continue
  it, and a continued one would forget what was said. Nothing is stored for a refused turn.
* **Product index down** (``SearchUnavailable``): 503 for search turns only; small talk, cart and
  checkout turns never touch the index and keep working.
* **Database down**: turns are *not* refused — their records are spooled (``app.pipeline.spool``).
  Reads that need the database (transcripts, exports) get a 503.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

from app.index.failsafe import SearchUnavailable

log = logging.getLogger(__name__)

STATE_RETRY_AFTER_S = 5
SEARCH_RETRY_AFTER_S = 5
DATABASE_RETRY_AFTER_S = 5


def unavailable(detail: str, retry_after_s: int) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": str(retry_after_s)})


def install_fault_handlers(app: FastAPI) -> None:
    async def state_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("conversation state unavailable: %s", exc)
        return unavailable(
            "conversations are temporarily unavailable; nothing was stored — please try again shortly",
            STATE_RETRY_AFTER_S,
        )

    async def search_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("product search unavailable: %s", exc)
        return unavailable(
            "product search is temporarily unavailable; nothing was stored — please try again shortly",
            SEARCH_RETRY_AFTER_S,
        )

    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return unavailable(
            "the database is temporarily unavailable; please try again shortly", DATABASE_RETRY_AFTER_S
        )

    for exc_type in (RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(exc_type, state_down)
    app.add_exception_handler(SearchUnavailable, search_down)
    for db_exc in (OperationalError, InterfaceError):
        app.add_exception_handler(db_exc, database_down)
