"""What runs in front of every route: body-size limit, rate limits and CORS (issue 9).

``install_edge(app, settings)`` registers, outermost first: CORS (only when ``cors_origins`` is
set, so a 429/413 is still readable by an allowed browser origin and preflights never count
against a budget) → rate limits (``app.api.ratelimit``; cheap, rejects a flood before any body is
read) → body-size limit → the app.

**Body size.** ``BodySizeLimit`` refuses a declared ``Content-Length`` over ``max_body_bytes`` at
once and otherwise reads the body (chunked too) into memory up to the limit *before* the app sees
it, then replays it. Buffering costs nothing extra — FastAPI reads JSON bodies whole anyway — and it
is the simplest way to guarantee no route (and no JSON parser) ever sees an oversized body.

**CORS.** Off by default: the Streamlit UI calls the API from its server process, not from the
browser, so it needs no CORS. A deployment with a browser front end lists its origins in
``CTP_CORS_ORIGINS`` (JSON list).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import send_json_error
from app.api.ratelimit import RateLimitMiddleware
from app.settings import Settings

CORS_METHODS = ["GET", "POST"]
CORS_HEADERS = ["Content-Type", "X-Conversation-Token", "Idempotency-Key", "Authorization"]


def too_large_message(limit: int) -> str:
    return f"request body too large: the limit is {limit} bytes"


class BodySizeLimit:
    """Pure ASGI middleware: 413 for a request body over ``max_bytes``, before any route runs."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # http.disconnect: hand it on, the app will notice
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        await send_json_error(send, 413, too_large_message(self.max_bytes), (b"connection", b"close"))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Register body limit, rate limits and (if configured) CORS; the last added runs first."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=["Retry-After"],
        )
