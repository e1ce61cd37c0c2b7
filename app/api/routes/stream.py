"""``POST /v1/chat/stream``: one shopping turn as NDJSON, products first.

Lines, in order (``Content-Type: application/x-ndjson``)::

    {"type": "products", "turn_id": ..., "conversation_id": ..., "intent": ..., "abstained": ..., "products": [...]}
    {"type": "reply", "text": "Here are "}            # the reply, in chunks
    {"type": "turn", ...the full /v1/chat response...}  # last line; has the turn_id

The products go out as soon as ranking is done, before the reply is written — the slow part with
an LLM responder. Reply chunks are sent only after the reply passed the grounding validator: an
unvalidated token stream could show the shopper a hallucinated price that the validator would
then retract. The turn runs through the same ``TurnPipeline.run`` as ``/v1/chat``, so it is logged
exactly once. Errors known before the first line (unknown conversation, busy, too long) are plain
4xx responses as on ``/v1/chat``; a failure after it ends the stream with an ``error`` line.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.api.deps import PipelineDep, SettingsDep
from app.api.docs import CHAT_STREAM_RESPONSES
from app.api.routes.chat import ConversationToken, admit, http_error, to_response
from app.api.schemas import ChatRequest
from app.domain.turn import ShownProduct
from app.pipeline.turn import TurnPreview, TurnResult

router = APIRouter(prefix="/v1", tags=["chat"])
_WORDS = re.compile(r"\S+\s*")
#: Strong references to running turns: a shopper who disconnects mid-stream must not get the turn
#: garbage-collected half-way (the event loop only keeps weak references to tasks).
_RUNNING: set[asyncio.Task[TurnResult]] = set()


def chunk_text(text: str, words: int = 4) -> list[str]:
    """The reply split into chunks of a few words, whitespace kept, so ``"".join`` gives it back."""
    tokens = _WORDS.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    chunks = ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]
    if lead and chunks:
        chunks[0] = lead + chunks[0]
    return chunks


def _line(payload: dict[str, Any]) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode()


def products_line(preview: TurnPreview) -> bytes:
    return _line(
        {
            "type": "products",
            "turn_id": preview.turn_id,
            "conversation_id": preview.conversation_id,
            "intent": preview.intent.value,
            "abstained": preview.abstained,
            "products": [ShownProduct.of(p).model_dump(mode="json") for p in preview.products],
        }
    )


async def _lines(
    first: bytes | None, task: asyncio.Task[TurnResult], token: str | None = None
) -> AsyncIterator[bytes]:
    if first is not None:
        yield first
    try:
        result = await task
    except Exception as exc:
        err = http_error(exc)
        detail = err.detail if err else "the turn could not be completed; please send it again"
        yield _line({"type": "error", "status": err.status_code if err else 500, "detail": detail})
        return
    for chunk in chunk_text(result.record.reply):
        yield _line({"type": "reply", "text": chunk})
    yield _line({"type": "turn", **to_response(result, token).model_dump(mode="json")})


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses=CHAT_STREAM_RESPONSES,
)
async def chat_stream(
    body: ChatRequest,
    request: Request,
    pipeline: PipelineDep,
    settings: SettingsDep,
    token: ConversationToken = None,
) -> StreamingResponse:
    """Run one shopping turn and stream it: the products, then the reply, then the whole turn."""
    new_token, token_hash = await admit(
        body, request, settings, token
    )  # a new token arrives in the "turn" line
    previews: asyncio.Queue[TurnPreview] = asyncio.Queue(maxsize=1)
    task = asyncio.create_task(
        pipeline.run(body.message, body.conversation_id, on_products=previews.put, token_hash=token_hash)
    )
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    getter = asyncio.create_task(previews.get())
    await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
    first = products_line(getter.result()) if getter.done() else None
    if not getter.done():
        getter.cancel()
    failure = task.exception() if task.done() else None
    if failure is not None and first is None:
        err = http_error(failure)
        if err is not None:
            raise err
    return StreamingResponse(_lines(first, task, new_token), media_type="application/x-ndjson")
