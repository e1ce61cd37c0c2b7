"""Cross-sell recommendations: "complete the look" for a product or a conversation's cart.

Both routes read the ``CrossSell`` the pipeline holds (``recsys.crosssell``): link and
co-purchase candidates plus same-style complements, ranked by the cross-sell model. The anchors
themselves are never returned.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from app.api.deps import ServicesDep
from app.api.schemas import ErrorBody
from app.api.security import ACCESS_RESPONSES, ConversationAccessDep
from app.domain.turn import ShownProduct

router = APIRouter(prefix="/v1", tags=["recommendations"])

Limit = Annotated[int, Query(ge=1, le=20)]


class Recommendations(BaseModel):
    anchors: list[str]
    products: list[ShownProduct]


def _recommend(services: ServicesDep, anchors: list[str], limit: int) -> Recommendations:
    cross = services.pipeline.cross_sell
    picks = cross.recommend(anchors, limit) if cross is not None and anchors else []
    return Recommendations(anchors=anchors, products=[ShownProduct.of(p) for p in picks])


@router.get(
    "/products/{product_id}/recommendations",
    response_model=Recommendations,
    responses={404: {"model": ErrorBody}},
)
async def for_product(
    product_id: Annotated[str, Path(min_length=1, max_length=128)], services: ServicesDep, limit: Limit = 5
) -> Recommendations:
    """Products that go with this one."""
    if product_id not in services.catalog:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown product '{product_id}'")
    return _recommend(services, [product_id], limit)


@router.get(
    "/conversations/{conversation_id}/recommendations",
    response_model=Recommendations,
    responses=ACCESS_RESPONSES,
)
async def for_conversation(
    conversation_id: ConversationAccessDep, services: ServicesDep, limit: Limit = 5
) -> Recommendations:
    """Products that go with the cart (or, with an empty cart, with the products last shown)."""
    state = await services.state.get(conversation_id)
    if state is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{conversation_id}'")
    anchors = [line.product_id for line in state.cart] or state.last_results[:1]
    return _recommend(services, list(dict.fromkeys(anchors)), limit)
