"""The shopping turn endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status

from app.api.deps import PipelineDep, SettingsDep
from app.api.docs import CHAT_RESPONSES
from app.api.schemas import ChatRequest, ChatResponse
from app.api.security import (
    TOKEN_HEADER,
    check_conversation_access,
    new_conversation_token,
)
from app.domain.turn import ShownProduct
from app.pipeline.cart import cart_total
from app.pipeline.state_store import ConversationBusy
from app.pipeline.turn import TurnNotLogged, TurnResult, UnknownConversation
from app.settings import Settings

router = APIRouter(prefix="/v1", tags=["chat"])

#: The shopper's conversation token, needed when ``conversation_id`` is given.
ConversationToken = Annotated[str | None, Header(alias=TOKEN_HEADER, max_length=128)]


def to_response(result: TurnResult, token: str | None = None) -> ChatResponse:
    rec = result.record
    return ChatResponse(
        conversation_id=rec.conversation_id,
        conversation_token=token,
        turn_id=rec.turn_id,
        turn_index=rec.turn_index,
        reply=rec.reply,
        products=[ShownProduct.of(p) for p in result.products],
        abstained=rec.abstained,
        intent=rec.extraction.intent.value,
        filters=result.state.filters,
        cart=result.state.cart,
        cart_total=cart_total(result.state),
        order=result.order,
        latency_ms=rec.latency_ms,
    )


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=CHAT_RESPONSES,
)
async def chat(
    body: ChatRequest,
    request: Request,
    pipeline: PipelineDep,
    settings: SettingsDep,
    token: ConversationToken = None,
) -> ChatResponse:
    """Run one shopping turn: the reply, the products it is grounded in, and the cart. A new
    conversation's response carries its ``conversation_token``; continuing one needs it."""
    new_token, token_hash = await admit(body, request, settings, token)
    try:
        result = await pipeline.run(body.message, body.conversation_id, token_hash=token_hash)
    except Exception as exc:
        if (err := http_error(exc)) is not None:
            raise err from exc
        raise
    return to_response(result, new_token)


async def admit(
    body: ChatRequest, request: Request, settings: Settings, token: str | None
) -> tuple[str | None, str | None]:
    """Checks every turn endpoint makes before the pipeline runs: the message length (413, never a
    silent truncation) and the conversation token. Returns (new token, its hash) for a new
    conversation, (None, None) for a continued one."""
    if len(body.message) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"message is {len(body.message)} characters; the limit is {settings.max_message_chars}. "
            "Nothing was stored — please shorten it and send again.",
        )
    if body.conversation_id is None:
        return new_conversation_token()
    await check_conversation_access(request, body.conversation_id, token)
    return None, None


def http_error(exc: BaseException) -> HTTPException | None:
    """The HTTP status of a turn failure, shared by ``/v1/chat`` and ``/v1/chat/stream``."""
    if isinstance(exc, UnknownConversation):
        return HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{exc.args[0]}'")
    if isinstance(exc, ConversationBusy):
        return HTTPException(
            status.HTTP_409_CONFLICT, "another message of this conversation is still being answered"
        )
    if isinstance(exc, TurnNotLogged):
        return HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "we could not record this message, so it was not processed; please send it again",
            headers={"Retry-After": "2"},
        )
    return None
