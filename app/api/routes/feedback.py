"""Shopper feedback on one turn: thumbs up or down with an optional reason.

Stored as a ``feedback`` row of ``turn_events`` against the turn (and its conversation), where the
friction evaluator and the review console read it. The reason is free text, so it is redacted like
the turn log before it is stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from anyio import to_thread
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from app.api.deps import ServicesDep
from app.api.schemas import NOT_JSON_RESPONSE, ErrorBody
from app.api.security import ACCESS_RESPONSES, TurnAccessDep
from app.privacy import redact
from app.storage.schema import turn_event, turns

router = APIRouter(prefix="/v1", tags=["feedback"])

TURN_ID = r"^[A-Za-z0-9_-]{1,64}$"


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"] = Field(description="Thumbs up or thumbs down.")
    reason: str | None = Field(default=None, max_length=500, description="Why, in the shopper's words.")


class FeedbackResponse(BaseModel):
    turn_id: str
    conversation_id: str
    rating: Literal["up", "down"]
    recorded_at: datetime


def record_feedback(engine: Engine, turn_id: str, body: FeedbackRequest) -> FeedbackResponse | None:
    """Insert the feedback event; ``None`` when the turn does not exist."""
    with engine.begin() as conn:
        row = conn.execute(select(turns.c.conversation_id).where(turns.c.turn_id == turn_id)).first()
        if row is None:
            return None
        now = datetime.now(UTC)
        reason = redact(body.reason)[0] if body.reason else None
        conn.execute(
            turn_event(turn_id, row[0], "feedback", data={"rating": body.rating, "reason": reason}, at=now)
        )
    return FeedbackResponse(turn_id=turn_id, conversation_id=row[0], rating=body.rating, recorded_at=now)


@router.post(
    "/turns/{turn_id}/feedback",
    response_model=FeedbackResponse,
    status_code=status.HTTP_201_CREATED,
    responses={
        **NOT_JSON_RESPONSE,
        401: ACCESS_RESPONSES[401],
        404: {"model": ErrorBody, "description": "Unknown turn, or not this shopper's"},
        422: {"model": ErrorBody, "description": "Rating is not up/down, or the reason is too long"},
    },
)
async def feedback(turn_id: TurnAccessDep, body: FeedbackRequest, services: ServicesDep) -> FeedbackResponse:
    """Record the shopper's thumbs up/down on a turn."""
    if not re.fullmatch(TURN_ID, turn_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id[:64]}'")
    result = await to_thread.run_sync(record_feedback, services.engine, turn_id, body)
    if result is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id}'")
    return result
