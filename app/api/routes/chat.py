"""The shopping turn endpoint."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from app.api.deps import PipelineDep, SettingsDep
from app.api.schemas import ChatRequest, ChatResponse, ErrorBody
from app.domain.turn import ShownProduct
from app.pipeline.cart import cart_total
from app.pipeline.remember import ConversationBusy
from app.pipeline.turn import TurnNotLogged, TurnResult, UnknownConversation

router = APIRouter(prefix="/v1", tags=["chat"])


def to_response(result: TurnResult) -> ChatResponse:
    rec = result.record
    return ChatResponse(
        conversation_id=rec.conversation_id,
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
        404: {"model": ErrorBody, "description": "Unknown conversation"},
        409: {"model": ErrorBody, "description": "Another turn of this conversation is running"},
        503: {"model": ErrorBody, "description": "The turn could not be logged; nothing changed"},
        413: {"model": ErrorBody, "description": "Message too long"},
        422: {"model": ErrorBody, "description": "Malformed request"},
    },
)
async def chat(body: ChatRequest, pipeline: PipelineDep, settings: SettingsDep) -> ChatResponse:
    """Run one shopping turn: the reply, the products it is grounded in, and the cart."""
    if len(body.message) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"message is {len(body.message)} characters; the limit is {settings.max_message_chars}. "
            "Nothing was stored — please shorten it and send again.",
        )
    try:
        result = await pipeline.run(body.message, body.conversation_id)
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
    return to_response(result)
