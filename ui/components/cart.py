"""The cart panel in the sidebar: lines, total, checkout, and what goes with the cart.

Checkout is idempotent from the page's side too: the ``Idempotency-Key`` is made once per cart
state (conversation, orders placed so far, the lines) and kept in the session, so a double click —
or a retry after a timeout — sends the same key and the API returns the same order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import MutableMapping
from typing import Any, cast

import streamlit as st

from ui.api_client import ApiClient, ApiError
from ui.components.cards import money


def cart_fingerprint(conversation_id: str, orders_placed: int, cart: list[dict[str, Any]]) -> str:
    """Identifies one cart state: same conversation, same number of earlier orders, same lines."""
    doc = json.dumps([conversation_id, orders_placed, cart], sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def checkout_key(keys: MutableMapping[str, str], fingerprint: str) -> str:
    """The Idempotency-Key of this cart state: made on first use, the same ever after."""
    if fingerprint not in keys:
        keys[fingerprint] = "ui-" + uuid.uuid4().hex
    return keys[fingerprint]


def place_order(client: ApiClient, state: MutableMapping[str, Any]) -> dict[str, Any] | None:
    """Check out the session's cart; the same cart state always sends the same key."""
    cid, cart = state.get("conversation_id"), state.get("cart") or []
    if not cid or not cart:
        return None
    keys = state.setdefault("checkout_keys", {})
    key = checkout_key(keys, cart_fingerprint(cid, len(state.get("orders", [])), cart))
    return client.checkout(cid, key)


def _checkout(client: ApiClient) -> None:
    state = st.session_state
    try:
        # Streamlit types session state as keyed by str | int (MutableMapping is invariant in the
        # key); every key this page uses is a str.
        order = place_order(client, cast("MutableMapping[str, Any]", state))
    except ApiError as exc:
        state.notice = ("error", f"Checkout didn't go through: {exc.message}")
        return
    if order is None:
        return
    state.orders = [*state.get("orders", []), order]
    state.cart, state.cart_total, state.suggestions = [], 0.0, []
    state.notice = (
        "success",
        f"Order {order['order_id']} placed — total {money(order['total'])}. Thank you!",
    )


def render_cart(client: ApiClient) -> None:
    state = st.session_state
    with st.sidebar:
        st.subheader(":material/shopping_cart: Your cart")
        cart = state.get("cart") or []
        if not cart:
            st.caption("Your cart is empty.")
        for line in cart:
            variant = " · ".join(v for v in (line.get("size"), line.get("color")) if v)
            qty = f"{line['quantity']} × " if line.get("quantity", 1) > 1 else ""
            st.markdown(f"{qty}**{line['name']}**  \n{variant or '—'} · {money(line['unit_price'])}")
        if cart:
            st.markdown(f"**Total {money(state.get('cart_total', 0.0))}**")
            st.button("Checkout", key="checkout", type="primary", on_click=_checkout, args=(client,))
        for order in state.get("orders", []):
            st.success(f"Order {order['order_id']} · {money(order['total'])}")
        if state.get("suggestions"):
            st.subheader("Goes well with")
            for p in state.suggestions:
                st.caption(f"{p['name']} — {money(p['price'])}")
