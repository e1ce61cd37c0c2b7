"""Shopper chat page.

The conversation id lives in the page URL (``?c=...``), so a reload or a shared link reopens the
same conversation: the transcript, with its product cards and the cart, is fetched back from the
API. Replies stream (``POST /v1/chat/stream``): the product cards appear as soon as the ranker is
done, then the reply text. An abstention is drawn as its own friendly notice, not as a normal
reply, so "we don't carry that" never looks like a broken search.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import streamlit as st

from ui.api_client import ApiClient, ApiError
from ui.components.cards import money, render_products
from ui.components.cart import render_cart
from ui.components.feedback import render_feedback
from ui.components.notice import split_notice


def restore(client: ApiClient, conversation_id: str) -> None:
    """Rebuild the history, the cart and the orders from the API's transcript."""
    data = client.transcript(conversation_id)
    history: list[dict[str, Any]] = []
    for t in data["turns"]:
        client.remember({"conversation_id": conversation_id, "turn_id": t["turn_id"]})  # for feedback
        history.append({"role": "user", "text": t["message"]})
        history.append(
            {
                "role": "assistant",
                "text": t["reply"],
                "products": t.get("products", []),
                "turn_id": t["turn_id"],
                "abstained": t["abstained"],
            }
        )
    st.session_state.history = history
    st.session_state.cart = data["cart"]
    st.session_state.cart_total = round(sum(x["unit_price"] * x["quantity"] for x in data["cart"]), 2)
    st.session_state.orders = data.get("orders", [])


def render_reply(text: str, abstained: bool) -> None:
    notice, rest = split_notice(text, abstained)
    if notice is not None:
        st.info(notice, icon=":material/explore:")
    if rest:
        st.markdown(rest)


def render_turn(client: ApiClient, turn: dict[str, Any], key: str) -> None:
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(turn["text"])
            return
        render_reply(turn["text"], turn.get("abstained", False))
        render_products(client, turn.get("products") or [], key)
        if turn.get("turn_id"):
            render_feedback(client, turn["turn_id"])


def stream_turn(client: ApiClient, prompt: str) -> dict[str, Any]:
    """Send ``prompt``; draw the cards when they arrive and the reply as it streams. Returns the
    history entry of the reply (an error becomes a polite reply, not an exception)."""
    state = st.session_state
    with st.chat_message("assistant"):
        text_slot = st.empty()
        cards_slot = st.container()
        entry: dict[str, Any] = {"role": "assistant", "text": "", "products": []}
        final: dict[str, Any] = {}
        try:
            lines = client.chat_stream(prompt, state.conversation_id)
            first = next(lines)
            if first.get("type") == "error":
                raise ApiError(int(first.get("status", 500)), str(first.get("detail")))
            entry.update(
                products=first.get("products", []),
                turn_id=first["turn_id"],
                abstained=first["abstained"],
            )
            state.conversation_id = first["conversation_id"]
            st.query_params["c"] = first["conversation_id"]

            def chunks() -> Iterator[str]:
                for line in lines:
                    if line["type"] == "reply":
                        yield line["text"]
                    elif line["type"] == "turn":
                        final.update(line)
                    elif line["type"] == "error":
                        raise ApiError(int(line.get("status", 500)), str(line.get("detail")))

            if entry["abstained"]:
                text = "".join(chunks())
            else:
                with text_slot:
                    text = str(st.write_stream(chunks()))
            entry["text"] = final.get("reply", text)
            if final.get("conversation_token"):  # in the URL too, so a reload can restore (docs/security.md)
                st.query_params["t"] = final["conversation_token"]
        except ApiError as exc:
            entry = {"role": "assistant", "text": f"Sorry — {exc.message}", "products": []}
        except StopIteration:
            entry = {
                "role": "assistant",
                "text": "Sorry — the shop sent no answer. Please try again.",
                "products": [],
            }
        with text_slot.container():  # a notice and the rest of the reply: two elements
            render_reply(entry["text"], entry.get("abstained", False))
        with cards_slot:
            render_products(client, entry["products"], f"t{len(state.history) + 1}")  # its history index
        if "cart" in final:  # a chat message can change the cart too ("add the second one in M")
            state.cart, state.cart_total = final["cart"], final.get("cart_total", 0.0)
        if entry.get("turn_id"):
            render_feedback(client, entry["turn_id"])
    return entry


def main() -> None:
    st.set_page_config(page_title="Shop assistant", page_icon="🛍️")
    st.title(":material/storefront: Shop assistant")
    st.caption("Ask for clothing, shoes, bags, watches or fitness gear — in your own words.")
    state = st.session_state
    client = ApiClient(tokens=state.setdefault("tokens", {}))  # this shopper's conversation tokens

    if "history" not in state:
        state.history, state.cart, state.cart_total, state.orders = [], [], 0.0, []
        cid = st.query_params.get("c")
        state.conversation_id = cid
        if cid and st.query_params.get("t"):
            client.tokens[cid] = st.query_params["t"]
        if cid:
            try:
                restore(client, cid)
            except ApiError:
                state.conversation_id = None
                st.query_params.clear()

    # The reply's run writes the token into the URL, but a shopper who types on before that run ends
    # interrupts it; every later run repairs the link from the token the client already holds.
    cid = state.conversation_id
    if cid and cid in client.tokens and st.query_params.get("t") != client.tokens[cid]:
        st.query_params["c"], st.query_params["t"] = cid, client.tokens[cid]

    if notice := state.pop("notice", None):
        kind, text = notice
        (st.success if kind == "success" else st.error)(text)

    for i, turn in enumerate(state.history):
        render_turn(client, turn, f"t{i}")

    if prompt := st.chat_input("What are you looking for?"):
        with st.chat_message("user"):
            st.markdown(prompt)
        entry = stream_turn(client, prompt)
        state.history.extend([{"role": "user", "text": prompt}, entry])

    render_cart(client)
    if state.get("cart"):
        st.sidebar.caption(f"{len(state.cart)} line(s) · {money(state.cart_total)}")


main()
