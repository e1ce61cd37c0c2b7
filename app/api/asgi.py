"""One helper for the pure ASGI middlewares (body limit, rate limit) that answer before FastAPI.

Their errors never reach a route or an exception handler, so they write the response themselves;
this keeps the shape every other error has (``{"detail": ...}`` as JSON, see ``ErrorBody``).
"""

from __future__ import annotations

import json

from starlette.types import Send


async def send_json_error(send: Send, status: int, detail: str, *headers: tuple[bytes, bytes]) -> None:
    """Answer ``{"detail": detail}`` with ``status`` and any extra ``headers``."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
