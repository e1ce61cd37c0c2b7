"""The shopper chat page (Streamlit AppTest) against the real API over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "ui" / "chat.py")


@pytest.fixture
def page(api_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CTP_API_BASE_URL", api_url)
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    return at


def test_page_opens_with_a_prompt_and_no_history(page: AppTest) -> None:
    assert page.title[0].value == "🛍️ Shop assistant"
    assert len(page.chat_message) == 0
    assert not page.exception


def test_a_question_shows_the_reply_and_product_cards(page: AppTest) -> None:
    page.chat_input[0].set_value("women's jackets under $60").run()
    assert not page.exception
    user, assistant = page.chat_message
    assert user.markdown[0].value == "women's jackets under $60"
    assert assistant.markdown[0].value.startswith("Here are")
    prices = [m.value for m in assistant.markdown[1:] if m.value.startswith("$")]
    assert prices and all(float(p[1:].replace(",", "")) <= 60 for p in prices)
    assert page.session_state.conversation_id.startswith("c_")


def test_a_reload_restores_the_conversation_from_the_api(page: AppTest, api_url: str) -> None:
    page.chat_input[0].set_value("show me hoodies").run()
    cid = page.session_state.conversation_id
    fresh = AppTest.from_file(PAGE, default_timeout=30)
    fresh.query_params["c"] = cid
    fresh.run()
    assert fresh.chat_message[0].markdown[0].value == "show me hoodies"
    assert fresh.chat_message[1].markdown[0].value.startswith("Here are")


def test_an_api_error_is_a_polite_reply_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTP_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    at.chat_input[0].set_value("hoodies").run()
    assert not at.exception
    assert at.chat_message[1].markdown[0].value.startswith("Sorry — The shop is not reachable")
