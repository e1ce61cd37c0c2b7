"""Cart actions a chat turn can take, as pure functions over the conversation state.

"Add the second one in M" needs three things resolved against evidence: which product (a position
in the last results shown), which size and colour (must exist on that product), and the price
(the catalog's, never the model's). Anything missing becomes a clarifying question, not a guess.
"""

from __future__ import annotations

from pydantic import BaseModel

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import CartLine, ConversationState, ShoppingTurn


class CartOutcome(BaseModel):
    added: CartLine | None = None
    product: Product | None = None
    question: str | None = None  # what we need to ask before we can add
    unavailable: list[str] = []  # "size"/"color" asked for but not offered: said in the reply
    note: str = ""  # what the reply must say before "Added ..." (a size ignored, with why)


def resolve_references(turn: ShoppingTurn, state: ConversationState) -> list[str]:
    """Product ids the shopper points at: 1-based positions in the last results; -1 means the
    last one. With no explicit reference and exactly one product on screen, that one."""
    shown = state.last_results
    ids: list[str] = []
    for pos in turn.referenced:
        idx = len(shown) - 1 if pos == -1 else pos - 1
        if 0 <= idx < len(shown) and shown[idx] not in ids:
            ids.append(shown[idx])
    if not ids and not turn.referenced and len(shown) == 1:
        ids = [shown[0]]
    return ids


def cart_total(state: ConversationState) -> float:
    return round(sum(line.unit_price * line.quantity for line in state.cart), 2)


def _pick(value: str | None, options: list[str], normalise: str) -> tuple[str | None, bool]:
    """(choice, ok): ``ok`` is False when the shopper must choose or chose something unavailable."""
    if not options:
        return None, True
    if value is None:
        return (options[0], True) if len(options) == 1 else (None, False)
    table = {(o.upper() if normalise == "upper" else o.lower()): o for o in options}
    key = value.upper() if normalise == "upper" else value.lower()
    return (table[key], True) if key in table else (None, False)


def add_to_cart(
    state: ConversationState, turn: ShoppingTurn, catalog: CatalogSnapshot
) -> tuple[ConversationState, CartOutcome]:
    ids = resolve_references(turn, state)
    if not ids and not turn.products:
        if not state.last_results:
            return state, CartOutcome(question="Which product would you like? Search for something first.")
        n = len(state.last_results)
        return state, CartOutcome(question=f"Which one would you like to add? Say a number from 1 to {n}.")
    product = catalog.get(turn.products[0]) if turn.products else catalog.get(ids[0]) if ids else None
    if product is None:
        return state, CartOutcome(question="That product is no longer available. Shall I search again?")
    wanted_size = turn.filters.size or state.filters.size
    wanted_color = turn.filters.color or state.filters.color
    size, size_ok = _pick(wanted_size, product.sizes, "upper")
    color, color_ok = _pick(wanted_color, product.colors, "lower")
    if not size_ok:
        missing = wanted_size is not None
        return state, CartOutcome(
            product=product,
            unavailable=["size"] if missing else [],
            question=(f"The {product.name} doesn't come in size {wanted_size}. " if missing else "")
            + f"Which size of the {product.name}? Available: {', '.join(product.sizes)}.",
        )
    if not color_ok:
        missing = wanted_color is not None
        return state, CartOutcome(
            product=product,
            unavailable=["color"] if missing else [],
            question=(f"The {product.name} doesn't come in {wanted_color}. " if missing else "")
            + f"Which colour of the {product.name}? Available: {', '.join(product.colors)}.",
        )
    note = ""
    unavailable: list[str] = []
    if turn.filters.size and not product.sizes:
        note, unavailable = (
            f"The {product.name} has no size options, so size {turn.filters.size} doesn't apply. ",
            ["size"],
        )
    variant = next(
        (
            v
            for v in product.variants
            if (size is None or (v.size or "").upper() == size.upper())
            and (color is None or (v.color or "").lower() == color.lower())
        ),
        None,
    )
    line = CartLine(
        product_id=product.id,
        name=product.name,
        sku=variant.sku if variant else product.sku,
        size=size,
        color=color,
        unit_price=(variant.price if variant and variant.price is not None else product.price),
    )
    new_state = state.model_copy(update={"cart": [*state.cart, line]})
    return new_state, CartOutcome(added=line, product=product, note=note, unavailable=unavailable)
