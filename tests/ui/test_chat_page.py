"""The shopper chat page (Streamlit AppTest) against the real API over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ui.api_client import ApiClient
from ui.components.cart import place_order

PAGE = str(Path(__file__).resolve().parents[2] / "ui" / "chat.py")


@pytest.fixture
def page(api_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CTP_API_BASE_URL", api_url)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    return at


def sized(page: AppTest) -> int:
    """The position of the first card of the first reply that comes in several sizes."""
    products = page.session_state.history[1]["products"]
    return next(i for i, p in enumerate(products) if len(p["sizes"]) > 1)


def add_first_card(page: AppTest) -> None:
    """Pick the second size (and the first colour) on the first sized card and add it."""
    i = sized(page)
    page.selectbox(key=f"t1_{i}_size").set_value(page.selectbox(key=f"t1_{i}_size").options[1])
    page.button(key=f"t1_{i}_add").click().run()


def test_page_opens_with_a_prompt_and_no_history(page: AppTest) -> None:
    assert page.title[0].value == ":material/storefront: Shop assistant"
    assert len(page.chat_message) == 0
    assert not page.exception


def test_a_question_streams_the_reply_and_shows_product_cards(page: AppTest) -> None:
    page.chat_input[0].set_value("women's jackets under $60").run()
    assert not page.exception
    user, assistant = page.chat_message
    assert user.markdown[0].value == "women's jackets under $60"
    assert assistant.markdown[0].value.startswith("Here are")
    prices = [m.value for m in assistant.markdown[1:] if m.value.startswith("$")]
    assert prices and all(float(p[1:].replace(",", "")) <= 60 for p in prices)
    assert page.session_state.conversation_id.startswith("c_")
    assert page.query_params["c"] == page.session_state.conversation_id


def test_a_link_that_lost_its_token_is_repaired_on_the_next_run(page: AppTest) -> None:
    # A shopper who types on before the reply's run ends interrupts the line that writes the token.
    page.chat_input[0].set_value("women's jackets under $60").run()
    cid = page.session_state.conversation_id
    del page.query_params["t"]
    page.run()
    assert page.query_params["t"] == page.session_state.tokens[cid]


def test_cards_show_rating_or_no_reviews_and_a_size_choice(page: AppTest) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    captions = [c.value for c in page.chat_message[1].caption]
    assert any(c.startswith("★") or c == "No reviews yet" for c in captions)
    i = sized(page)
    assert page.selectbox(key=f"t1_{i}_size").options == page.session_state.history[1]["products"][i]["sizes"]


def test_add_to_cart_fills_the_sidebar_cart_and_suggests_more(page: AppTest) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    product = page.session_state.history[1]["products"][sized(page)]
    add_first_card(page)
    assert not page.exception
    line = page.session_state.cart[0]
    assert (line["product_id"], line["size"]) == (product["id"], product["sizes"][1])
    assert f"**Total ${line['unit_price']:,.2f}**" in [m.value for m in page.sidebar.markdown]
    assert page.success[0].value.startswith(f"Added {product['name']}")


def test_checkout_places_one_order_and_empties_the_cart(page: AppTest, api_url: str) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    add_first_card(page)
    page.button(key="checkout").click().run()
    cid = page.session_state.conversation_id
    headers = {"X-Conversation-Token": page.session_state.tokens[cid]}
    data = httpx.get(f"{api_url}/v1/conversations/{cid}", headers=headers).json()
    assert len(data["orders"]) == 1 and data["cart"] == []
    assert page.session_state.cart == []


def test_a_double_click_on_checkout_makes_one_order(page: AppTest, api_url: str) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    add_first_card(page)
    state = {k: page.session_state[k] for k in ("conversation_id", "cart")}
    client = ApiClient(api_url, tokens=page.session_state.tokens)
    first, second = place_order(client, state), place_order(client, state)  # the second click, same cart
    assert first is not None and second is not None and first["order_id"] == second["order_id"]
    headers = {"X-Conversation-Token": page.session_state.tokens[state["conversation_id"]]}
    orders = httpx.get(f"{api_url}/v1/conversations/{state['conversation_id']}", headers=headers).json()[
        "orders"
    ]
    assert [o["order_id"] for o in orders] == [first["order_id"]]


def test_an_abstention_is_a_distinct_friendly_notice(page: AppTest) -> None:
    page.chat_input[0].set_value("a 3-seat sofa").run()
    assert page.info[0].value.startswith("**That's not something we carry** — ")
    assert page.chat_message[1].markdown == [] or not page.chat_message[1].markdown[0].value.startswith(
        "Here are"
    )


def test_thumbs_down_asks_why_and_records_the_reason(page: AppTest, api_url: str) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    turn_id = page.session_state.history[1]["turn_id"]
    page.button(key=f"down_{turn_id}").click().run()
    page.text_input(key=f"why_{turn_id}").input("too pricey")
    page.button(key=f"down_send_{turn_id}").click().run()
    assert page.session_state.rated == {turn_id: "down"}
    assert "Thanks for the feedback — not helpful" in [c.value for c in page.caption]


def test_a_reload_restores_the_conversation_cards_and_cart(page: AppTest) -> None:
    page.chat_input[0].set_value("women's hoodies").run()
    add_first_card(page)
    cid = page.session_state.conversation_id
    fresh = AppTest.from_file(PAGE, default_timeout=60)
    fresh.query_params["c"] = cid
    fresh.query_params["t"] = page.session_state.tokens[cid]
    fresh.run()
    assert fresh.chat_message[0].markdown[0].value == "women's hoodies"
    assert fresh.chat_message[1].markdown[0].value.startswith("Here are")
    assert [p["id"] for p in fresh.session_state.history[1]["products"]] == [
        p["id"] for p in page.session_state.history[1]["products"]
    ]
    assert fresh.session_state.cart == page.session_state.cart


def test_an_api_error_is_a_polite_reply_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTP_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    at.chat_input[0].set_value("hoodies").run()
    assert not at.exception
    assert at.chat_message[1].markdown[0].value.startswith("Sorry — The shop is not reachable")
