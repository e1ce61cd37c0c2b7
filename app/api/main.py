"""``create_app()``: the FastAPI application factory with a typed lifespan state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.api.routes import chat, conversations, health
from app.bootstrap import Services, open_services
from app.settings import Settings

log = logging.getLogger(__name__)


class LifespanState(TypedDict):
    services: Services


def _describe(errors: list[dict[str, object]]) -> str:
    parts = []
    for e in errors:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")  # type: ignore[attr-defined]
        parts.append(f"{loc or 'body'}: {e.get('msg')}")
    return "; ".join(parts) or "malformed request"


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. ``services`` may be passed in (tests share one set across apps); otherwise
    the lifespan builds them once per worker process from ``settings``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[LifespanState]:
        own = services is None
        svc: Services = (
            services if services is not None else await to_thread.run_sync(open_services, settings)
        )
        if not svc.state.shared and settings.api_workers > 1:
            raise RuntimeError(
                "the in-process conversation store cannot be shared by several workers: "
                "set CTP_REDIS_URL or run one worker"
            )
        try:
            yield {"services": svc}
        finally:
            if own:
                await svc.aclose()

    app = FastAPI(
        title="chat-to-purchase",
        version="0.1.0",
        description="Conversational shopping over a real catalog: grounded replies, calibrated "
        "abstention, every turn logged.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": _describe(errors), "errors": errors}, status_code=422)

    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(conversations.router)
    return app
