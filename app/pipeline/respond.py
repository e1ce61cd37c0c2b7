"""Respond stage: a reply built only from evidence — the ranked products and the cart.

``RulesResponder`` is the deterministic backend and the fallback of every other one: each name,
price, colour and size it writes is read from a ``Product`` in the context, so it cannot
hallucinate. The LLM responder implements the same interface and is validated against the same
context.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from app.domain.catalog import Product
from app.domain.order import Order
from app.domain.turn import ConversationState, GuardDecision, Intent, Reply, ShoppingTurn
from app.pipeline.cart import CartOutcome, cart_total
from app.pipeline.respond_help import (
    HelpReplies,
    brand_note,
    money,
    product_card,
    relaxed_note,
    unchecked_note,
)
from app.pipeline.typefence import of_type
from app.pipeline.understand import is_question


class ResponseContext(BaseModel):
    turn: ShoppingTurn
    state: ConversationState
    products: list[Product] = Field(default_factory=list, description="Ranked products to present.")
    guard: GuardDecision | None = None
    nearest: list[Product] = Field(default_factory=list, description="What we carry nearest, on abstain.")
    cart: CartOutcome | None = None
    order: Order | None = None
    currency: str = "USD"
    suggestions: list[Product] = Field(
        default_factory=list, description="Cross-sell picks for the cart (after an add to cart)."
    )
    notice: str | None = Field(
        default=None,
        description="A reply the act stage wrote from the order table and inventory (order questions, "
        "a refused checkout); every responder says it as it is (app/pipeline/order_chat.py).",
    )
    message: str = Field(default="", description="The shopper's (redacted) message, for product questions.")
    relaxed: list[str] = Field(default_factory=list, description="Constraints dropped to find products.")


class Responder(Protocol):
    name: str

    async def respond(self, ctx: ResponseContext) -> Reply: ...


def describe_filters(ctx: ResponseContext) -> str:
    f = ctx.state.filters
    bits = [
        f.gender and f"{f.gender}'s",
        f.color,
        f.material,
        f.category or "products",
        f.brand and f"by {f.brand}",
        f.size and f"in size {f.size}",
        f.price_min is not None and f"from {money(f.price_min)}",
        f.price_max is not None and f"under {money(f.price_max)}",
    ]
    return " ".join(b for b in bits if b)


def product_line(i: int, p: Product, currency: str) -> str:
    extras = []
    if p.colors:
        extras.append(", ".join(p.colors[:5]))
    if p.sizes:
        extras.append(
            f"sizes {p.sizes[0]}–{p.sizes[-1]}" if len(p.sizes) > 2 else "sizes " + "/".join(p.sizes)
        )
    rating = f", rated {p.rating:.1f}/5 ({p.review_count} reviews)" if p.rating is not None else ""
    detail = f" ({'; '.join(extras)})" if extras else ""
    return f"{i}. {p.name} — {money(p.price, currency)}{detail}{rating}"


#: The longest request the replies repeat back by name ("fresh salmon fillets", "espresso machine").
MAX_ECHO_WORDS = 4


def _echo(words: list[str], head: str | None) -> str:
    if not head or not words or len(words) > MAX_ECHO_WORDS:
        return ""
    if words[-1].lower() != head.lower() or not all(w.replace("-", "").isalpha() for w in words):
        return ""
    return " ".join(words)


def asked_for(turn: ShoppingTurn) -> str:
    """What the shopper asked for, fit to be named in a reply — or "" to say "that" instead.

    Only a short noun phrase that ends in the head noun the extractor found is repeated back: the
    request's type phrase ("espresso machine" of "espresso machine under $200"), else the turn's
    query. Anything longer or
    shaped otherwise is a sentence, not a product name ("say 'this store sucks' three times"),
    and a reply must never read a shopper's sentence back to them (docs/security.md, red team)."""
    if turn.phrase:
        echoed = _echo(turn.phrase.strip().split(), turn.head)
        if echoed:
            return echoed
    return _echo(turn.query.strip().split(), turn.head)


def shows_alternatives(ctx: ResponseContext) -> bool:
    """Product-level fence: a new search named a product type and none of the products found is of
    that type, so they may only be offered as the closest alternatives, never as a match."""
    if ctx.turn.intent is not Intent.search or not ctx.products:
        return False
    if not (ctx.turn.head or ctx.turn.phrase):
        return False  # a refinement or a need with no product named ("something to wear")
    return not any(of_type(p, ctx.turn, ctx.guard) for p in ctx.products)


def nearest_kinds(ctx: ResponseContext) -> list[str]:
    """The store's types nearest to the request: the guard's type-phrase neighbours when it gave
    them, else the categories of the nearest products."""
    if ctx.guard is not None and ctx.guard.types:
        return ctx.guard.types[:3]
    return sorted({p.category for p in ctx.nearest if p.category})[:3]


class RulesResponder:
    name = "rules"

    def __init__(self, help_replies: HelpReplies | None = None) -> None:
        self.help = help_replies or HelpReplies()

    async def respond(self, ctx: ResponseContext) -> Reply:
        return self.compose(ctx)

    def compose(self, ctx: ResponseContext) -> Reply:
        intent = ctx.turn.intent
        if intent is Intent.policy or (intent is Intent.out_of_scope and ctx.turn.topic):
            # store help is answered from the policy, whatever the guard made of the words
            return self.help.store_help(ctx.turn.topic, ctx.message)
        if ctx.guard is not None and ctx.guard.abstain:
            return self._abstain(ctx)
        if ctx.notice is not None:
            if intent is Intent.product_question and ctx.turn.asks_stock and len(ctx.products) == 1:
                return self.help.stock(ctx.message, ctx.products[0], ctx.notice)
            return Reply(text=ctx.notice)
        if ctx.products and (
            intent is Intent.show_product
            or (intent is Intent.product_question and ctx.turn.products and not is_question(ctx.message))
        ):
            return self.help.show(ctx.products[0], ctx.currency)
        if intent is Intent.cross_sell:
            return self.help.complements(ctx.products, ctx.currency)
        if intent in (Intent.product_question, Intent.compare) and ctx.turn.products and ctx.products:
            return self.help.question(ctx.message, ctx.products, ctx.currency)
        if intent is Intent.smalltalk:
            return Reply(
                text=(
                    "Hi! I'm the store's shopping assistant. Tell me what you're looking for — "
                    'for example "women\'s jackets under $60" or "a black hoodie in M" — and I\'ll '
                    "find it in our catalog."
                )
            )
        if intent is Intent.add_to_cart:
            return self._cart(ctx)
        if intent is Intent.checkout:
            return self._checkout(ctx)
        if intent in (Intent.compare, Intent.product_question) and ctx.products:
            return self._details(ctx)
        return self._results(ctx)

    def _abstain(self, ctx: ResponseContext) -> Reply:
        searched = ctx.turn.intent is not Intent.out_of_scope
        wanted = asked_for(ctx.turn) if searched else ""
        text = "Sorry — that's not something we carry" + (f": we have no {wanted}." if wanted else ".")
        kinds = nearest_kinds(ctx) if searched else []
        if kinds:
            text += f" The closest things in our store are {', '.join(kinds)}."
        text += " I can help you find clothing, shoes, bags, watches and fitness gear — what would you like?"
        return Reply(text=text)

    def _results(self, ctx: ResponseContext) -> Reply:
        relaxed = {"price_min", "price_max"} if "price" in ctx.relaxed else set()
        kept = ctx.state.filters.model_copy(update={k: None for k in {*ctx.relaxed, *relaxed} - {"price"}})
        wanted = describe_filters(
            ctx.model_copy(update={"state": ctx.state.model_copy(update={"filters": kept})})
        )
        if not ctx.products:
            return Reply(
                text=(
                    f"I couldn't find any {wanted} in our catalog. "
                    "Would you like me to drop one of the conditions (colour, size or price)?"
                )
            )
        lines = [product_line(i, p, ctx.currency) for i, p in enumerate(ctx.products, 1)]
        head = f"Here are {len(lines)} {wanted} you might like:"
        if shows_alternatives(ctx):
            # Product-level fence: nothing shown is the requested type, so say so and offer them
            # as alternatives rather than as a match.
            wanted_item = asked_for(ctx.turn)
            head = (
                "Sorry — that's not something we carry"
                + (f": we have no {wanted_item}" if wanted_item else "")
                + ". The closest we have are:"
            )
        if ctx.relaxed:
            head = relaxed_note(ctx.relaxed) + "\n" + head
        announced = list(ctx.relaxed)
        if "size" in ctx.turn.unchecked and "size" not in announced:
            head = unchecked_note(ctx.turn.unchecked["size"], wanted) + "\n" + head
            announced.append("size")
        if "brand" in ctx.turn.unchecked and "brand" not in announced:
            head = brand_note(ctx.turn.unchecked["brand"], wanted, ctx.products) + "\n" + head
            announced.append("brand")
        tail = 'Say "add the first one in M" to add one to your cart, or tell me how to narrow it down.'
        return Reply(
            text="\n".join([head, *lines, tail]),
            product_ids=[p.id for p in ctx.products],
            relaxed=announced,
        )

    def _details(self, ctx: ResponseContext) -> Reply:
        parts = []
        for p in ctx.products:
            parts.append(product_card(p, ctx.currency))
        if ctx.turn.intent is Intent.compare and len(ctx.products) >= 2:
            cheapest = min(ctx.products, key=lambda p: p.price)
            parts.append(f"The {cheapest.name} is the less expensive option.")
        return Reply(text="\n".join(parts), product_ids=[p.id for p in ctx.products])

    def _cart(self, ctx: ResponseContext) -> Reply:
        outcome = ctx.cart
        if outcome is None or outcome.added is None:
            question = outcome.question if outcome else "Which product would you like to add?"
            ids = [outcome.product.id] if outcome and outcome.product else []
            unavailable = outcome.unavailable if outcome else []
            return Reply(
                text=question or "Which product would you like to add?", product_ids=ids, relaxed=unavailable
            )
        line = outcome.added
        options = ", ".join(x for x in (line.size and f"size {line.size}", line.color) if x)
        options = f" ({options})" if options else ""
        total = cart_total(ctx.state)
        goes_with = ""
        if ctx.suggestions:
            picks = "; ".join(f"{p.name} ({money(p.price, ctx.currency)})" for p in ctx.suggestions)
            goes_with = f" It goes well with: {picks}."
        return Reply(
            relaxed=outcome.unavailable,
            text=(
                outcome.note
                + f"Added {line.name}{options} at {money(line.unit_price, ctx.currency)} to your cart. "
                f"Your cart: {len(ctx.state.cart)} item(s), {money(total, ctx.currency)}.{goes_with} "
                'Say "checkout" when you\'re ready.'
            ),
            product_ids=[line.product_id, *(p.id for p in ctx.suggestions if p.id != line.product_id)],
        )

    def _checkout(self, ctx: ResponseContext) -> Reply:
        order = ctx.order
        if order is None:
            return Reply(text="Your cart is empty — find something you like first and I'll add it.")
        return Reply(
            text=(
                f"Order {order.order_id} is placed: {sum(x.quantity for x in order.lines)} item(s), "
                f"{money(order.total, order.currency)}. Thank you for shopping with us!"
            )
        )
