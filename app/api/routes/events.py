"""Shopper interaction events on a turn's products: the ranker's learning signal.

``POST /v1/turns/{turn_id}/events`` records an impression, click, add-to-cart or checkout of a
product the turn showed, into ``turn_events``; ``ctp recsys train --from-logs`` grades them
(checkout 3 > add_to_cart 2 > click 1 > impression 0). An unknown turn is a 404 and a product the
turn did not show a 422, so the log only holds events that can become training rows.
"""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field

from app.api.deps import ServicesDep
from app.api.schemas import NOT_JSON_RESPONSE, ErrorBody
from app.api.security import ACCESS_RESPONSES, TurnAccessDep
from app.bootstrap import Services
from app.storage.schema import turn_event

router = APIRouter(prefix="/v1/turns", tags=["events"])

TurnId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class EventIn(BaseModel):
    kind: Literal["impression", "click", "add_to_cart", "checkout"]
    product_id: str = Field(min_length=1, max_length=128)


class EventOut(BaseModel):
    turn_id: str
    kind: str
    product_id: str
    recorded: bool = True


def _record(services: Services, turn_id: str, event: EventIn) -> None:
    record = services.logger.get(turn_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id}'")
    if event.product_id not in record.shown:
        raise HTTPException(
            422,
            f"product '{event.product_id}' was not shown in turn '{turn_id}'",
        )
    with services.engine.begin() as conn:
        conn.execute(turn_event(turn_id, record.conversation_id, event.kind, event.product_id))


@router.post(
    "/{turn_id}/events",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    responses={**ACCESS_RESPONSES, **NOT_JSON_RESPONSE, 422: {"model": ErrorBody}},
)
async def post_event(turn_id: TurnAccessDep, event: EventIn, services: ServicesDep) -> EventOut:
    """Record that the shopper saw, clicked, carted or bought a product shown in this turn."""
    await to_thread.run_sync(_record, services, turn_id, event)
    return EventOut(turn_id=turn_id, kind=event.kind, product_id=event.product_id)
