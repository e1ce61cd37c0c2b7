"""OpenAPI response docs shared by several routes, next to ``NOT_JSON_RESPONSE``
(``app/api/schemas.py``) and ``ACCESS_RESPONSES`` (``app/api/security.py``)."""

from __future__ import annotations

from typing import Any

from app.api.schemas import NOT_JSON_RESPONSE, ErrorBody
from app.api.security import ACCESS_RESPONSES

#: The errors of a shopping turn, on ``/v1/chat`` and ``/v1/chat/stream`` alike: what ``admit``
#: checks (conversation token, message length) and a conversation busy with another turn.
TURN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCESS_RESPONSES,
    409: {"model": ErrorBody, "description": "Another turn of this conversation is running"},
    413: {"model": ErrorBody, "description": "Message too long"},
    **NOT_JSON_RESPONSE,
    422: {"model": ErrorBody, "description": "Malformed request"},
}

#: ``POST /v1/chat``: a turn that could not be logged is refused as a whole.
CHAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **TURN_RESPONSES,
    503: {"model": ErrorBody, "description": "The turn could not be logged; nothing changed"},
}

#: ``POST /v1/chat/stream``: NDJSON lines; a failure after the first line is an ``error`` line.
CHAT_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/x-ndjson": {}}, "description": "products, reply chunks, turn"},
    **TURN_RESPONSES,
}
