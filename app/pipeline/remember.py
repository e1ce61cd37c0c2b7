"""Remember stage: fold one extracted turn into the conversation state (a pure function).

The rules, as a shopper experiences them:

* **Refine narrows.** "in black" after "hoodies" keeps hoodies and adds black; a field the turn
  sets overrides the remembered one ("in red" after black), every other field carries over. New
  descriptive words are appended to the remembered query ("warmer" → "hoodies warmer").
* **A new search starts over, except for who it is for.** A search with a product type other than
  the remembered one, or with ``replace_filters``, replaces the query and drops colour, size,
  material, brand and both price bounds: those were constraints on the *previous* product (a waist
  32 means nothing for a jacket, a $50 cap set for hoodies would hide most jackets) and silently
  keeping them gives narrow or empty results whose cause the shopper cannot see. The gender is kept
  — it describes the person being shopped for, which rarely changes mid-conversation ("women's
  hoodies" → "now I need boots" means women's boots) — unless the turn states or clears it.
  So "hoodies" → "in black" → "under $50" → "actually jackets" gives jackets, no colour, no price.
* **Clearing.** Fields in ``cleared`` are reset to ``None`` before the turn's own values apply
  ("any colour but red" can clear and set in one turn).
* **Everything else leaves the search alone.** Compare, product questions, add-to-cart, checkout,
  small talk and out-of-scope turns do not change the query or filters (a question about "the
  second one in red" is not a wish to see only red products).
* **What the turn was about** is kept for the next one: its intent (``last_intent``) and, for a
  store-help or order turn, its topic (``topic``), so a follow-up ("and for sale items?", "a top
  then") continues it.
* Contradictory bounds resolve in favour of the newer one: "over 50" then "under 30" keeps 30.

Every call returns a new ``ConversationState`` and increments ``turns``; the input is not mutated.
"""

from __future__ import annotations

from app.domain.turn import ORDER_INTENTS, ConversationState, Filters, Intent, ShoppingTurn

#: Words the extractor puts in ``query`` as instructions ("cheaper"), not as product description.
RELATIVE_PRICE_MARKERS = frozenset({"cheaper", "pricier"})


def _words(query: str) -> list[str]:
    return [w for w in query.split() if w not in RELATIVE_PRICE_MARKERS]


def starts_new_search(state: ConversationState, turn: ShoppingTurn) -> bool:
    """True when this search turn replaces, rather than narrows, the remembered search."""
    if turn.intent is not Intent.search:
        return False
    new_category = turn.filters.category is not None and turn.filters.category != state.filters.category
    return turn.replace_filters or new_category


def help_topic(turn: ShoppingTurn) -> str | None:
    """The store-help topic a turn leaves on the table: its policy topic, or order status."""
    if turn.intent is Intent.policy:
        return turn.topic
    return "order_status" if turn.intent in ORDER_INTENTS else None


def merge(state: ConversationState, turn: ShoppingTurn) -> ConversationState:
    """The state after ``turn``: see the module docstring for the rules."""
    about = {"turns": state.turns + 1, "last_intent": turn.intent, "topic": help_topic(turn)}
    if turn.intent not in (Intent.search, Intent.refine):
        return state.model_copy(deep=True, update=about)

    if starts_new_search(state, turn):
        base = Filters(gender=state.filters.gender)
        query = " ".join(_words(turn.query))
    else:
        base = state.filters.model_copy()
        old = _words(state.query)
        query = " ".join(old + [w for w in _words(turn.query) if w not in old])

    values = base.model_dump()
    for name in turn.cleared:
        if name in values:
            values[name] = None
    stated = {k: v for k, v in turn.filters.model_dump().items() if v is not None}
    values.update(stated)
    lo, hi = values["price_min"], values["price_max"]
    if lo is not None and hi is not None and lo > hi:
        # Keep the bound the shopper just said; drop the older one it contradicts.
        values["price_min" if "price_max" in stated else "price_max"] = None
    return state.model_copy(
        deep=True,
        update={"query": query, "filters": Filters(**values), **about},
    )


def search_text(state: ConversationState) -> str:
    """The text retrieval and the guard see: the remembered query plus any filter words it lacks,
    so "in black" after "hoodies" searches for black hoodies, not for "in black"."""
    words = [state.query.strip()]
    f = state.filters
    for extra in (f.gender and f"{f.gender}'s", f.color, f.material, f.category, f.brand):
        if extra and extra.lower() not in state.query.lower():
            words.append(extra)
    return " ".join(w for w in words if w).strip()
