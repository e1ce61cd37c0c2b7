"""What a chat turn says about orders and stock: every sentence built from the order table and the
inventory, never from the model.

* ``order_reply`` answers the order intents — "where is my order?", "cancel my order" (within the
  cancel window; the stock goes back), "what did I order?" — for the conversation's own orders.
* ``refused_checkout`` turns a refused checkout into the next step: a price that moved updates the
  cart to the catalog price and asks the shopper to confirm; a sold-out line leaves the cart (a
  short one is reduced to what is left) and the reply names the variants that are still available.

Payment is out of scope (README): "placed" is the last state before "cancelled", and the replies say
nothing about shipping that the data does not know.
"""

from __future__ import annotations

from app.domain.order import Order, OrderStatus
from app.domain.turn import ConversationState, Intent, ShoppingTurn
from app.pipeline.orders import (
    CancelRefused,
    CheckoutRefused,
    OrderService,
    PriceChanged,
    QuantityLimit,
    SoldOut,
)


def money(amount: float, currency: str = "USD") -> str:
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def describe(order: Order, service: OrderService) -> str:
    items = sum(line.quantity for line in order.lines)
    head = f"Order {order.order_id} ({items} item(s), {money(order.total, order.currency)})"
    if order.status is OrderStatus.cancelled:
        return f"{head} was cancelled."
    until = service.cancellable_until(order)
    when = order.created_at.strftime("%Y-%m-%d %H:%M UTC")
    tail = f" You can cancel it until {until.strftime('%H:%M UTC')}." if until > service.clock() else ""
    return f"{head} was placed on {when} and is confirmed.{tail}"


def _target(turn: ShoppingTurn, orders: list[Order], status: OrderStatus | None = None) -> Order | None:
    if turn.order_ref:
        return next((o for o in orders if o.order_id == turn.order_ref), None)
    pool = [o for o in orders if status is None or o.status is status]
    return pool[-1] if pool else None


def order_reply(
    service: OrderService, turn: ShoppingTurn, state: ConversationState
) -> tuple[str, Order | None]:
    """(reply, order cancelled by this turn or None) for an order intent."""
    orders = service.for_conversation(state.conversation_id)
    if not orders:
        return "You haven't placed an order in this conversation yet.", None
    if turn.intent is Intent.order_history:
        lines = [f"{i}. {describe(o, service)}" for i, o in enumerate(orders, 1)]
        return "\n".join([f"Your orders in this conversation ({len(orders)}):", *lines]), None
    if turn.intent is Intent.cancel_order:
        order = _target(turn, orders, OrderStatus.placed) or _target(turn, orders)
        if order is None:
            return f"I can't find order {turn.order_ref} in this conversation.", None
        try:
            cancelled = service.cancel(state.conversation_id, order.order_id)
        except CancelRefused as refused:
            return f"Sorry — {refused}.", None
        return (
            f"Order {cancelled.order_id} is cancelled and its {sum(x.quantity for x in cancelled.lines)} "
            "item(s) are back in stock. Nothing was charged.",
            cancelled,
        )
    order = _target(turn, orders)
    if order is None:
        return f"I can't find order {turn.order_ref} in this conversation.", None
    return describe(order, service), None


def refused_checkout(
    state: ConversationState, refused: CheckoutRefused, currency: str
) -> tuple[ConversationState, str]:
    """(the cart after the refusal, the reply that asks for the next step)."""
    if isinstance(refused, PriceChanged):
        new = {c.sku: c.new_price for c in refused.changes}
        cart = [
            line.model_copy(update={"unit_price": new[line.sku]}) if line.sku in new else line
            for line in state.cart
        ]
        moved = "; ".join(
            f"{c.name} from {money(c.old_price, currency)} to {money(c.new_price, currency)}"
            for c in refused.changes
        )
        total = money(sum(x.unit_price * x.quantity for x in cart), currency)
        text = (
            f"Before you pay: the price changed since you added it — {moved}. Nothing was ordered yet. "
            f'Your cart is now {total}; say "checkout" to confirm at the new price.'
        )
        return state.model_copy(update={"cart": cart}), text
    if isinstance(refused, SoldOut):
        left = {s.sku: s.available for s in refused.shortages}
        cart = []
        for line in state.cart:
            if line.sku not in left:
                cart.append(line)
            elif left[line.sku] > 0:
                cart.append(line.model_copy(update={"quantity": left[line.sku]}))
        gone = "; ".join(
            f"{s.name} is sold out" if s.available == 0 else f"only {s.available} of {s.name} left"
            for s in refused.shortages
        )
        nxt = 'say "checkout" to order the rest' if cart else "your cart is now empty"
        return state.model_copy(update={"cart": cart}), f"Sorry — {gone}. Nothing was ordered; {nxt}."
    if isinstance(refused, QuantityLimit):
        return state, f"Sorry — {refused}. Please lower the quantity."
    return state, f"Sorry — {refused}."
