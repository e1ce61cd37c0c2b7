"""The rule every guard applies before it looks at the index.

Only product searches are guarded: small talk and cart/checkout turns are not searches, and a turn
the extractor already classed as out of scope abstains without consulting the index.
"""

from __future__ import annotations

import numpy as np

from app.domain.turn import SEARCH_INTENTS, GuardDecision, Intent, ShoppingTurn


def decided_by_intent(
    turn: ShoppingTurn, query_vec: np.ndarray | None, version: str
) -> tuple[bool, GuardDecision | None]:
    """The rule every guard applies before looking at the index: ``(True, decision)`` when the
    intent alone decides — an out-of-scope turn abstains, a non-search turn (or one with nothing
    to embed) is not guarded (``None``) — and ``(False, None)`` when the index must be consulted."""
    if turn.intent is Intent.out_of_scope:
        return True, GuardDecision(
            abstain=True, method="intent", version=version, reason="extractor: out of scope"
        )
    if turn.intent not in SEARCH_INTENTS or query_vec is None:
        return True, None
    return False, None
