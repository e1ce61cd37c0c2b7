"""Where each shown product sat, and whether its place was randomised (issue 16, item 3).

Logged with every turn (``TurnRecord.position_shown``) so that learning from the shoppers' clicks
can correct for position bias: a product shown first is clicked more because it is seen more. On an
*exploring* turn the top ``explore_k`` shown products are put in a uniformly random order
(``app.pipeline.explore``), so click-through by position there measures examination alone.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ShownPosition(BaseModel):
    """One shown product's place in the reply."""

    product_id: str
    position: int = Field(ge=0, description="0-based slot in the reply, as the shopper saw it.")
    ranker_position: int = Field(
        ge=0, description="0-based slot the ranked list gave it (after fence and stock), before exploring."
    )
    randomised: bool = Field(
        default=False, description="Inside the randomly permuted top k of an exploring turn."
    )
    chance: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Probability the logging policy put this product in this slot, given the turn "
        "explored: 1 / explore_k inside the permuted block, 1 elsewhere.",
    )
