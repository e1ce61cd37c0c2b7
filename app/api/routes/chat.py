"""The shopping turn endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status

from app.api.deps import PipelineDep, SettingsDep
from app.api.schemas import ChatRequest, ChatResponse, ErrorBody
from app.api.security import (
    ACCESS_RESPONSES,
    TOKEN_HEADER,
    check_conversation_access,
    new_conversation_token,
)
from app.domain.turn import ShownProduct
from app.pipeline.cart import cart_total
from app.pipeline.remember import ConversationBusy
from app.pipeline.turn import TurnNotLogged, TurnResult, UnknownConversation

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
    responses={
        **ACCESS_RESPONSES,
        409: {"model": ErrorBody, "description": "Another turn of this conversation is running"},
        503: {"model": ErrorBody, "description": "The turn could not be logged; nothing changed"},
        413: {"model": ErrorBody, "description": "Message too long"},
        422: {"model": ErrorBody, "description": "Malformed request"},
    },
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
    if len(body.message) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"message is {len(body.message)} characters; the limit is {settings.max_message_chars}. "
            "Nothing was stored — please shorten it and send again.",
        )
    token_hash, new_token = None, None
    if body.conversation_id is None:
        new_token, token_hash = new_conversation_token()
    else:
        await check_conversation_access(request, body.conversation_id, token)
    try:
        result = await pipeline.run(body.message, body.conversation_id, token_hash=token_hash)
    except UnknownConversation as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{exc.args[0]}'") from exc
    except ConversationBusy as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "another message of this conversation is still being answered"
        ) from exc
    except TurnNotLogged as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "we could not record this message, so it was not processed; please send it again",
            headers={"Retry-After": "2"},
        ) from exc
    return to_response(result, new_token)
