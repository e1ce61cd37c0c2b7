"""The product-type fence: every product shown is of the type the shopper asked for, or is offered
explicitly as an alternative.

Retrieval pushes a category filter into the index only when the request names one of the taxonomy's
types. Many requests name a type the taxonomy has no key for ("a red cape", "slippers", "a
waistcoat"), and then the list is decided by meaning alone: four capes and a dress, with the dress
presented as if it were a cape. So after ranking and the density fence, the candidates of the
requested type are kept and the others only fill the list when *none* is of that type; then the
reply says that they are the closest we have (``respond.shows_alternatives``) — after relaxation
has had its go, since the type is the last constraint relaxed (``relax.py``).

"Of the requested type": the product's category is the category filter the request set, or its
name or category uses one of the type names the guard matched to the request ("joggers" →
pants), or — when the guard judged no types — the request's head word. The category *path* is
not read: a department ("Women › Clothing") is shared by every type in it, so "clothing" matched
to "a red cape" would let a dress through.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.catalog import Product
from app.domain.turn import GuardDecision, Intent, ShoppingTurn
from app.pipeline.extract.heads import names_head


def asks_for_type(turn: ShoppingTurn) -> bool:
    """A new search that names a product type: its head or its category filter. A refinement ("in
    navy") or a need ("something for a rainy hike") names none, so nothing is fenced on type."""
    if turn.intent is not Intent.search or turn.need:
        return False
    return bool(turn.head or turn.filters.category)


def of_type(p: Product, turn: ShoppingTurn, decision: GuardDecision | None) -> bool:
    """True when ``p`` is of the product type ``turn`` asked for (see the module doc)."""
    if turn.filters.category and p.category == turn.filters.category:
        return True
    texts = [p.name, p.category or ""]
    matches = decision.matches if decision is not None else None
    if matches is not None:  # [] : the guard found no carried type near the phrase
        return any(m == p.category or names_head(m, texts) for m in matches)
    return bool(turn.head) and names_head(turn.head or "", texts)


def split_by_type(
    products: Sequence[Product], turn: ShoppingTurn, decision: GuardDecision | None
) -> tuple[list[Product], list[Product]]:
    """(of the requested type, the others), each in the given order. Nothing is split off when the
    turn names no type."""
    if not asks_for_type(turn):
        return list(products), []
    typed = [p for p in products if of_type(p, turn, decision)]
    return typed, [p for p in products if not of_type(p, turn, decision)]
