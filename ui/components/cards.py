"""Product cards: what the shopper needs to decide, and an add-to-cart with the variant choice.

The add button runs in an ``on_click`` callback, which Streamlit executes before the script reruns,
so the cart panel drawn in the same run already shows the new line.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.api_client import ApiClient, ApiError


def money(x: float) -> str:
    return f"${x:,.2f}"


def stars(rating: float | None, reviews: int) -> str:
    """ "★ 4.3 · 12 reviews", or "No reviews yet"."""
    if rating is None or reviews == 0:
        return "No reviews yet"
    return f"★ {rating:.1f} · {reviews} review{'s' if reviews != 1 else ''}"


def short(text: str, limit: int = 140) -> str:
    """The first ``limit`` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def add_to_cart(client: ApiClient, product: dict[str, Any], key: str) -> None:
    """Callback of a card's button: the chosen size/colour go to the API; the answer becomes the cart."""
    state = st.session_state
    cid = state.get("conversation_id")
    if not cid:
        return
    size = state.get(f"{key}_size")
    color = state.get(f"{key}_color")
    try:
        data = client.add_to_cart(cid, product["id"], size, color)
    except ApiError as exc:
        state.notice = ("error", f"Couldn't add that: {exc.message}")
        return
    state.cart = data["cart"]
    state.cart_total = data["cart_total"]
    state.suggestions = data["suggestions"]
    bits = " · ".join(b for b in (data["added"].get("size"), data["added"].get("color")) if b)
    state.notice = ("success", f"Added {product['name']}{f' ({bits})' if bits else ''} to your cart.")


def render_product(client: ApiClient | None, p: dict[str, Any], key: str) -> None:
    """One card; with a client and a conversation, size/colour pickers and an add-to-cart button."""
    with st.container(border=True):
        st.markdown(f"**{p['name']}**")
        st.markdown(money(p["price"]))
        st.caption(stars(p.get("rating"), p.get("review_count", 0)))
        if p.get("description"):
            st.caption(short(p["description"]))
        if client is None:
            return
        if len(p.get("sizes", [])) > 1:
            st.selectbox("Size", p["sizes"], key=f"{key}_size")
        elif p.get("sizes"):
            st.caption("Size: " + p["sizes"][0])
        if len(p.get("colors", [])) > 1:
            st.selectbox("Colour", p["colors"], key=f"{key}_color")
        elif p.get("colors"):
            st.caption("Colour: " + p["colors"][0])
        st.button(
            "Add to cart",
            key=f"{key}_add",
            on_click=add_to_cart,
            args=(client, p, key),
            width="stretch",
        )


def render_products(client: ApiClient | None, products: list[dict[str, Any]], key: str) -> None:
    """Cards in rows of three."""
    if not products:
        return
    cols = st.columns(min(len(products), 3))
    for i, p in enumerate(products):
        with cols[i % len(cols)]:
            render_product(client, p, f"{key}_{i}")
