"""Orders of a conversation: checkout, look-up and cancellation.

``POST …/checkout`` places the cart (the same ``Idempotency-Key`` always returns the same order). A
checkout the store cannot fill as the cart says is a ``409`` whose body says why and what to do:
``price_changed`` carries each line's old and new price (the cart is updated to the catalog price,
so the next checkout with a *new* key confirms it), ``sold_out`` carries the units left per SKU.
``POST …/orders/{order_id}/cancel`` cancels a placed order within the cancel window
(``CTP_CANCEL_WINDOW_MINUTES``) and restores its stock; a second cancel is a ``409``, never a second
restock. Payment is out of scope (README).
"""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Header, HTTPException, Path, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.deps import ServicesDep
from app.api.schemas import ErrorBody
from app.api.security import ACCESS_RESPONSES, ConversationAccessDep
from app.domain.order import Order, PriceChange, Shortage
from app.pipeline.order_chat import refused_checkout
from app.pipeline.orders import CancelRefused, PriceChanged, QuantityLimit, SoldOut

router = APIRouter(prefix="/v1/conversations", tags=["orders"])

OrderId = Annotated[str, Path(pattern=r"^ord_[0-9a-f]{6,32}$", description="An order id, 'ord_…'.")]


class CheckoutConflict(BaseModel):
    """Why the cart was not placed; nothing was reserved or charged."""

    detail: str
    code: Literal["price_changed", "sold_out", "cart_empty"]
    price_changes: list[PriceChange] = Field(default_factory=list)
    shortages: list[Shortage] = Field(default_factory=list)


class OrderList(BaseModel):
    conversation_id: str
    orders: list[Order]


def conflict(body: CheckoutConflict) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_409_CONFLICT)


@router.post(
    "/{conversation_id}/checkout",
    response_model=Order,
    responses={
        **ACCESS_RESPONSES,
        404: {"model": ErrorBody, "description": "Unknown conversation"},
        409: {
            "model": CheckoutConflict,
            "description": "Empty cart, a price that changed since it was added (old and new price; "
            "the cart now holds the new price), or not enough stock (units left per SKU)",
        },
        422: {"model": ErrorBody, "description": "A bad Idempotency-Key, or more of one item than allowed"},
    },
)
async def checkout(
    conversation_id: ConversationAccessDep,
    services: ServicesDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=128)],
) -> Order | JSONResponse:
    """Place the cart as an order, reserving its stock atomically. The same ``Idempotency-Key``
    always returns the same order, so a double click or a retried request never buys twice."""
    async with services.state.lock(conversation_id):
        state = await services.state.get(conversation_id)
        if state is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{conversation_id}'")
        try:
            order = await to_thread.run_sync(services.orders.place, state, idempotency_key)
        except QuantityLimit as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        except (PriceChanged, SoldOut) as exc:
            after, _ = refused_checkout(state, exc, services.settings.currency)
            await services.state.put(after)
            if isinstance(exc, PriceChanged):
                return conflict(
                    CheckoutConflict(detail=str(exc), code="price_changed", price_changes=exc.changes)
                )
            return conflict(CheckoutConflict(detail=str(exc), code="sold_out", shortages=exc.shortages))
        if order is None:
            return conflict(CheckoutConflict(detail="the cart is empty", code="cart_empty"))
        if state.cart and order.lines == state.cart:
            await services.state.put(state.model_copy(update={"cart": []}))
        return order


@router.get("/{conversation_id}/orders", response_model=OrderList, responses=ACCESS_RESPONSES)
async def list_orders(conversation_id: ConversationAccessDep, services: ServicesDep) -> OrderList:
    """The conversation's orders, oldest first, with their status (placed or cancelled)."""
    orders = await to_thread.run_sync(services.orders.for_conversation, conversation_id)
    return OrderList(conversation_id=conversation_id, orders=orders)


@router.get(
    "/{conversation_id}/orders/{order_id}",
    response_model=Order,
    responses={
        **ACCESS_RESPONSES,
        404: {"model": ErrorBody, "description": "No such order in this conversation"},
    },
)
async def get_order(
    conversation_id: ConversationAccessDep, order_id: OrderId, services: ServicesDep
) -> Order:
    """One order of the conversation and its status."""
    order = await to_thread.run_sync(services.orders.get, conversation_id, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order '{order_id}' in this conversation")
    return order


@router.post(
    "/{conversation_id}/orders/{order_id}/cancel",
    response_model=Order,
    responses={
        **ACCESS_RESPONSES,
        404: {"model": ErrorBody, "description": "No such order in this conversation"},
        409: {"model": ErrorBody, "description": "Already cancelled, or the cancel window has passed"},
    },
)
async def cancel_order(
    conversation_id: ConversationAccessDep, order_id: OrderId, services: ServicesDep
) -> Order:
    """Cancel a placed order within the cancel window; its stock goes back on sale. Cancelling twice
    is a 409 and restores nothing twice."""
    try:
        return await to_thread.run_sync(services.orders.cancel, conversation_id, order_id)
    except CancelRefused as exc:
        code = status.HTTP_404_NOT_FOUND if exc.reason == "not_found" else status.HTTP_409_CONFLICT
        raise HTTPException(code, str(exc)) from exc
