"""Conversation transcripts (checkout and orders: ``app/api/routes/orders.py``)."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, status

from app.api.deps import ServicesDep
from app.api.schemas import CONVERSATION_ID, Transcript, TranscriptTurn
from app.api.security import ACCESS_RESPONSES, ConversationAccessDep
from app.domain.turn import ShownProduct

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID)]


@router.get("/{conversation_id}", response_model=Transcript, responses=ACCESS_RESPONSES)
async def get_conversation(conversation_id: ConversationAccessDep, services: ServicesDep) -> Transcript:
    """The conversation's turns in order, its cart and its orders."""
    state = await services.state.get(conversation_id)
    records = await to_thread.run_sync(services.logger.transcript, conversation_id)
    if state is None and not records:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{conversation_id}'")
    orders = await to_thread.run_sync(services.orders.for_conversation, conversation_id)
    return Transcript(
        conversation_id=conversation_id,
        turns=[
            TranscriptTurn(
                turn_id=r.turn_id,
                turn_index=r.turn_index,
                created_at=r.created_at,
                message=r.message,
                reply=r.reply,
                intent=r.extraction.intent.value,
                abstained=r.abstained,
                product_ids=r.shown,
                products=[ShownProduct.of(p) for i in r.shown if (p := services.catalog.get(i))],
            )
            for r in records
        ],
        cart=state.cart if state else [],
        orders=orders,
    )
