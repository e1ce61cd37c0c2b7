"""``POST /v1/conversations/{id}/cart``: the product card's "add to cart" button.

A chat message can add to the cart too ("add the second one in M"), but a button on a card knows
exactly which product, size and colour the shopper picked, so it should not round-trip through the
language of a chat turn. The variant is validated against the catalog (a size or colour the
product does not come in is a 422, never a guess), the price is the catalog's, the state changes
under the conversation lock (the same lock chat turns take), and an ``add_to_cart`` event is
recorded against the turn that showed the product so the ranker learns from the click. The answer
carries the cart and "goes well with" suggestions from the cross-sell model.
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field
from sqlalchemy import desc, select

from app.api.deps import ServicesDep
from app.api.schemas import CONVERSATION_ID, NOT_JSON_RESPONSE, ErrorBody
from app.api.security import ACCESS_RESPONSES, ConversationAccessDep
from app.bootstrap import Services
from app.domain.catalog import Product
from app.domain.turn import CartLine, ConversationState, ShownProduct
from app.pipeline.availability import sold_out_question
from app.pipeline.cart import cart_total
from app.pipeline.state_store import ConversationBusy
from app.storage.schema import turn_event, turns

router = APIRouter(prefix="/v1/conversations", tags=["cart"])

ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID)]


class AddToCart(BaseModel):
    product_id: str = Field(min_length=1, max_length=128)
    size: str | None = Field(default=None, max_length=32)
    color: str | None = Field(default=None, max_length=64)
    quantity: int = Field(default=1, ge=1, le=99)


class CartView(BaseModel):
    conversation_id: str
    added: CartLine
    cart: list[CartLine]
    cart_total: float
    suggestions: list[ShownProduct] = Field(description="Cross-sell: products that go with the cart.")


def choose(value: str | None, options: list[str], what: str, product: Product) -> str | None:
    """The catalog's spelling of ``value`` among ``options``; a 422 when it is not one of them, or
    when the product has several and none was given."""
    if not options:
        if value:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"the {product.name} has no {what} to choose"
            )
        return None
    if value is None:
        if len(options) == 1:
            return options[0]
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"choose a {what} for the {product.name}: {', '.join(options)}",
        )
    match = next((o for o in options if o.lower() == value.strip().lower()), None)
    if match is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the {product.name} does not come in {what} '{value}'; available: {', '.join(options)}",
        )
    return match


def cart_line(product: Product, size: str | None, color: str | None, quantity: int) -> CartLine:
    """The line for this variant, priced from the catalog (the variant's price where it has one)."""
    variant = next(
        (
            v
            for v in product.variants
            if (size is None or (v.size or "").lower() == size.lower())
            and (color is None or (v.color or "").lower() == color.lower())
        ),
        None,
    )
    if variant is not None and not variant.in_stock:
        raise HTTPException(status.HTTP_409_CONFLICT, f"the {product.name} in that variant is out of stock")
    return CartLine(
        product_id=product.id,
        name=product.name,
        sku=variant.sku if variant else product.sku,
        size=size,
        color=color,
        quantity=quantity,
        unit_price=variant.price if variant and variant.price is not None else product.price,
    )


def merge(cart: list[CartLine], line: CartLine) -> list[CartLine]:
    """The cart with ``line`` added: the same SKU, size and colour increases its quantity."""
    out = list(cart)
    for i, existing in enumerate(out):
        if (existing.product_id, existing.sku, existing.size, existing.color) == (
            line.product_id,
            line.sku,
            line.size,
            line.color,
        ):
            out[i] = existing.model_copy(update={"quantity": min(99, existing.quantity + line.quantity)})
            return out
    out.append(line)
    return out


def record_event(services: Services, conversation_id: str, product_id: str) -> bool:
    """An ``add_to_cart`` event on the latest turn of the conversation that showed the product. A
    product no turn showed (a cross-sell suggestion) has no ranking to learn from: nothing is written."""
    with services.engine.begin() as conn:
        rows = conn.execute(
            select(turns.c.turn_id, turns.c.record)
            .where(turns.c.conversation_id == conversation_id)
            .order_by(desc(turns.c.turn_index))
        )
        turn_id = next((r[0] for r in rows if product_id in (r[1] or {}).get("shown", [])), None)
        if turn_id is None:
            return False
        conn.execute(turn_event(turn_id, conversation_id, "add_to_cart", product_id, {"source": "card"}))
    return True


@router.post(
    "/{conversation_id}/cart",
    response_model=CartView,
    status_code=status.HTTP_201_CREATED,
    responses={
        401: ACCESS_RESPONSES[401],
        404: {"model": ErrorBody, "description": "Unknown conversation or product"},
        409: {
            "model": ErrorBody,
            "description": "Busy conversation, or a variant with fewer units left than asked "
            "(the message names the sizes and colours still available)",
        },
        **NOT_JSON_RESPONSE,
        422: {
            "model": ErrorBody,
            "description": "Size or colour the product does not come in, or more than the per-item limit",
        },
    },
)
async def add_to_cart(
    conversation_id: ConversationAccessDep, body: AddToCart, services: ServicesDep
) -> CartView:
    """Add one product variant to the conversation's cart and suggest what goes with it."""
    product = services.catalog.get(body.product_id)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown product '{body.product_id}'")
    size = choose(body.size, product.sizes, "size", product)
    color = choose(body.color, product.colors, "colour", product)
    limit = services.settings.max_quantity_per_item
    if body.quantity > limit:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"at most {limit} of one item per order")
    line = cart_line(product, size, color, body.quantity)
    short = await to_thread.run_sync(sold_out_question, product, line, services.orders.available)
    if short is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, short)
    try:
        async with services.state.lock(conversation_id):
            state: ConversationState | None = await services.state.get(conversation_id)
            if state is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{conversation_id}'")
            state = state.model_copy(update={"cart": merge(state.cart, line)})
            await to_thread.run_sync(record_event, services, conversation_id, product.id)
            await services.state.put(state)
    except ConversationBusy as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "another message of this conversation is still being answered"
        ) from exc
    cross = services.pipeline.cross_sell
    anchors = list(dict.fromkeys(cart.product_id for cart in state.cart))
    picks = cross.recommend(anchors, 4) if cross is not None else []
    return CartView(
        conversation_id=conversation_id,
        added=line,
        cart=state.cart,
        cart_total=cart_total(state),
        suggestions=[ShownProduct.of(p) for p in picks],
    )
