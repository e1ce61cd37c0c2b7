"""End to end in a real browser: a shopper buys, a reviewer labels. Screenshots go to
``test-output/screenshots/``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from app.api.security import DEV_REVIEWER_KEY
from app.catalog.inventory import InventoryStore
from app.settings import Settings
from app.storage.db import make_engine
from app.storage.schema import products

pytestmark = pytest.mark.browser


def ask(page: Page, text: str, replies: int) -> None:
    """Type into the chat input, send, and wait until there are ``replies`` assistant messages."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2 * replies)
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("Here are")


def conversation_link(page: Page) -> dict[str, list[str]]:
    """The conversation id and token the page keeps in its URL. Streamlit writes query parameters
    over its websocket after the render, so wait for both rather than read the URL at once (a
    loaded CI machine read it before the token was there)."""
    page.wait_for_url(re.compile(r".*[?&]c=[^&]+.*"))
    page.wait_for_url(re.compile(r".*[?&]t=[^&]+.*"))
    return parse_qs(urlparse(page.url).query)


def say(page: Page, text: str, replies: int, expected: str) -> None:
    """Send ``text`` and wait for the ``replies``-th assistant message to contain ``expected``."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2 * replies)
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text(expected)


def test_a_shopper_asks_about_a_named_product_and_the_return_policy(
    page: Page, stack: dict[str, str], shots: Path
) -> None:
    page.goto(stack["chat"])
    expect(page.get_by_role("heading", name="Shop assistant")).to_be_visible()
    say(page, "Does the Mars HeatTech Pullover have a hood?", 1, "Yes")
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("hood")
    say(page, "what's your return policy?", 2, "30 days")
    page.screenshot(path=str(shots / "chat_questions.png"))
    expect(page.get_by_text("Hi! I'm the store's shopping assistant")).to_have_count(0)


def test_a_shopper_asks_refines_adds_to_cart_and_checks_out(
    page: Page, stack: dict[str, str], shots: Path
) -> None:
    page.goto(stack["chat"])
    expect(page.get_by_role("heading", name="Shop assistant")).to_be_visible()
    ask(page, "women's hoodies", 1)
    ask(page, "in blue", 2)
    last = page.get_by_test_id("stChatMessage").last
    last.get_by_role("button", name="Add to cart").first.click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Total $")
    expect(page.get_by_text("Added ")).to_be_visible()
    page.screenshot(path=str(shots / "chat.png"))
    sidebar.get_by_role("button", name="Checkout").click()
    expect(sidebar).to_contain_text("Order ord_")
    page.screenshot(path=str(shots / "chat_checkout.png"))
    query = conversation_link(page)
    cid, token = query["c"][0], query["t"][0]
    data = httpx.get(f"{stack['api']}/v1/conversations/{cid}", headers={"X-Conversation-Token": token}).json()
    assert len(data["orders"]) == 1 and data["cart"] == []
    assert [t["message"] for t in data["turns"]] == ["women's hoodies", "in blue"]


def test_a_reviewer_logs_in_filters_abstained_labels_one_and_exports(
    page: Page, stack: dict[str, str], shots: Path, tmp_path: Path
) -> None:
    turn = httpx.post(f"{stack['api']}/v1/chat", json={"message": "a 3-seat sofa"}, timeout=60).json()
    assert turn["abstained"]
    page.goto(stack["console"])
    page.get_by_label("Reviewer API key").fill(DEV_REVIEWER_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as dev-reviewer")).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Abstained").click()
    page.get_by_role("option", name="yes", exact=True).click()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Turn 0 of ").first).to_be_visible()
    page.get_by_role("button", name="Save label").click()
    expect(page.get_by_text("Saved hallucination = ")).to_be_visible()
    page.screenshot(path=str(shots / "console.png"), full_page=True)
    page.get_by_role("button", name="Prepare export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download golden set (JSONL)").click()
    target = tmp_path / "golden.jsonl"
    download.value.save_as(target)
    docs = [json.loads(line) for line in target.read_text().splitlines()]
    assert docs and all(d["labels"] for d in docs)
    assert any(d["abstained"] and "hallucination" in d["labels"] for d in docs)


def test_a_shopper_confirms_a_moved_price_then_cancels_the_order(
    page: Page, stack: dict[str, str], settings: Settings, shots: Path
) -> None:
    """Issue 17 in the browser: the price moves between cart and checkout, the chat asks to confirm,
    the order is placed at the new price, then cancelled in chat, and its stock is back."""
    page.goto(stack["chat"])
    ask(page, "women's hoodies", 1)
    page.get_by_test_id("stChatMessage").last.get_by_role("button", name="Add to cart").first.click()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Total $")
    query = conversation_link(page)
    cid, auth = query["c"][0], {"X-Conversation-Token": query["t"][0]}
    line = httpx.get(f"{stack['api']}/v1/conversations/{cid}", headers=auth).json()["cart"][0]
    engine = make_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        doc = conn.execute(select(products.c.doc).where(products.c.id == line["product_id"])).scalar_one()
        moved = {**doc, "price": doc["price"] + 4}
        moved["variants"] = [
            {**v, "price": None if v["price"] is None else v["price"] + 4} for v in doc["variants"]
        ]
        conn.execute(update(products).where(products.c.id == line["product_id"]).values(doc=moved))
    stock_before = InventoryStore(engine).available([line["sku"]]).get(line["sku"])
    try:
        new_price = f"${line['unit_price'] + 4:,.2f}"
        say(page, "checkout", 2, f"the price changed since you added it — {line['name']} from ")
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text(f"to {new_price}")
        page.screenshot(path=str(shots / "chat_price_changed.png"))
        say(page, "checkout", 3, "is placed")
        say(page, "where is my order?", 4, "is confirmed")
        say(page, "cancel my order", 5, "is cancelled")
        page.screenshot(path=str(shots / "chat_cancelled.png"))
        orders = httpx.get(f"{stack['api']}/v1/conversations/{cid}/orders", headers=auth).json()["orders"]
        assert [(o["status"], o["lines"][0]["unit_price"]) for o in orders] == [
            ("cancelled", line["unit_price"] + 4)
        ]
        assert InventoryStore(engine).available([line["sku"]]).get(line["sku"]) == stock_before
    finally:
        with engine.begin() as conn:
            conn.execute(update(products).where(products.c.id == line["product_id"]).values(doc=doc))
        engine.dispose()
