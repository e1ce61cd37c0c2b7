"""Shopper chat page.

The conversation id lives in the page URL (``?c=...``), so a reload or a shared link reopens the
same conversation: the transcript is fetched back from the API.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.api_client import ApiClient, ApiError


def money(x: float) -> str:
    return f"${x:,.2f}"


def render_product(p: dict[str, Any]) -> None:
    with st.container(border=True):
        st.markdown(f"**{p['name']}**")
        st.markdown(money(p["price"]))
        if p.get("rating") is not None:
            st.caption(f"★ {p['rating']:.1f} · {p['review_count']} reviews")
        if p.get("colors"):
            st.caption("Colours: " + ", ".join(p["colors"]))
        if p.get("sizes"):
            st.caption("Sizes: " + ", ".join(p["sizes"]))


def render_turn(role: str, text: str, products: list[dict[str, Any]] | None = None) -> None:
    with st.chat_message(role):
        st.markdown(text)
        if products:
            cols = st.columns(min(len(products), 3))
            for i, p in enumerate(products):
                with cols[i % len(cols)]:
                    render_product(p)


def restore(client: ApiClient, conversation_id: str) -> list[dict[str, Any]]:
    """Rebuild the visible history from the API's transcript (products are shown as names only)."""
    history: list[dict[str, Any]] = []
    data = client.transcript(conversation_id)
    for t in data["turns"]:
        history.append({"role": "user", "text": t["message"]})
        history.append({"role": "assistant", "text": t["reply"], "products": []})
    return history


def main() -> None:
    st.set_page_config(page_title="Shop assistant", page_icon="🛍️")
    st.title("🛍️ Shop assistant")
    st.caption("Ask for clothing, shoes, bags, watches or fitness gear — in your own words.")
    client = ApiClient()

    if "history" not in st.session_state:
        st.session_state.history = []
        cid = st.query_params.get("c")
        st.session_state.conversation_id = cid
        if cid:
            try:
                st.session_state.history = restore(client, cid)
            except ApiError:
                st.session_state.conversation_id = None
                st.query_params.clear()

    for turn in st.session_state.history:
        render_turn(turn["role"], turn["text"], turn.get("products"))

    if prompt := st.chat_input("What are you looking for?"):
        st.session_state.history.append({"role": "user", "text": prompt})
        render_turn("user", prompt)
        try:
            data = client.chat(prompt, st.session_state.conversation_id)
        except ApiError as exc:
            text = f"Sorry — {exc.message}"
            st.session_state.history.append({"role": "assistant", "text": text, "products": []})
            render_turn("assistant", text)
            return
        st.session_state.conversation_id = data["conversation_id"]
        st.query_params["c"] = data["conversation_id"]
        st.session_state.history.append(
            {"role": "assistant", "text": data["reply"], "products": data["products"]}
        )
        render_turn("assistant", data["reply"], data["products"])
        if data.get("cart"):
            st.sidebar.subheader("Your cart")
            for line in data["cart"]:
                st.sidebar.write(f"{line['name']} {line.get('size') or ''} — {money(line['unit_price'])}")
            st.sidebar.write(f"**Total {money(data['cart_total'])}**")


main()
