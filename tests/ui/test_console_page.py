"""The review console (Streamlit AppTest) against the real API: login, filters, trace, labels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from app.api.security import DEV_REVIEWER_KEY
from app.bootstrap import Services
from app.storage.schema import turn_event
from tests.review.test_interleaving import log_interleaved_turn

PAGE = str(Path(__file__).resolve().parents[2] / "ui" / "console.py")
HOSTILE = "<script>alert('x')</script> <b>bold</b> jackets"


@pytest.fixture
def console(api_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CTP_API_BASE_URL", api_url)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    return at


def sign_in(at: AppTest, key: str = DEV_REVIEWER_KEY) -> AppTest:
    at.text_input(key="login_key").input(key)
    at.button[0].click().run()
    return at


def test_the_console_shows_only_a_login_before_sign_in(console: AppTest) -> None:
    assert console.title[0].value == ":material/fact_check: Review console"
    assert [t.label for t in console.text_input] == ["Reviewer API key"]
    assert len(console.tabs) == 0


def test_a_wrong_key_is_refused(console: AppTest) -> None:
    sign_in(console, "not-a-key")
    assert console.error[0].value == "That key was not accepted."
    assert "api_key" not in console.session_state


def test_a_reviewer_key_opens_the_turns_and_dashboard(console: AppTest) -> None:
    sign_in(console)
    assert not console.exception
    assert [t.label for t in console.tabs] == ["Turns", "Dashboard", "Interleaving"]
    assert console.sidebar.caption[0].value == "Signed in as dev-reviewer (reviewer)"


def test_filtering_abstained_turns_lists_only_abstained_ones(console: AppTest, api_url: str) -> None:
    httpx.post(f"{api_url}/v1/chat", json={"message": "a 3-seat sofa"}, timeout=60)
    sign_in(console)
    console.selectbox(key="f_abstained").set_value("yes")
    console.button(key="f_apply").click().run()
    frame = console.dataframe[0].value
    assert len(frame) > 0 and frame["abstained"].all()


def test_shopper_html_is_shown_as_text_never_rendered(console: AppTest, api_url: str) -> None:
    httpx.post(f"{api_url}/v1/chat", json={"message": HOSTILE}, timeout=60)
    sign_in(console)
    console.text_input(key="f_q").input("<script>")
    console.button(key="f_apply").click().run()
    assert HOSTILE in [t.value for t in console.text]
    rendered = [m.value for m in console.markdown] + [c.value for c in console.caption]
    assert not any("<script>" in v for v in rendered)


def test_a_reviewer_labels_the_open_turn(console: AppTest, api_url: str) -> None:
    turn = httpx.post(f"{api_url}/v1/chat", json={"message": "a 3-seat sofa"}, timeout=60).json()
    sign_in(console)
    console.text_input(key="f_q").input("3-seat sofa")
    console.button(key="f_apply").click().run()
    console.selectbox(key="open_turn").set_value(turn["turn_id"]).run()
    console.selectbox(key="l_evaluator").set_value("refusal").run()
    console.selectbox(key="l_label_refusal").set_value("refused")
    console.button(key="l_save").click().run()
    assert console.success[0].value == "Saved refusal = refused as dev-reviewer"
    auth = {"Authorization": f"Bearer {DEV_REVIEWER_KEY}"}
    trace = httpx.get(f"{api_url}/v1/review/turns/{turn['turn_id']}", headers=auth).json()
    assert trace["latest_human"]["refusal"] == "refused"


def test_the_interleaving_tab_shows_each_pairs_win_rate_interval_and_impressions(
    console: AppTest, services: Services
) -> None:
    at = datetime.now(UTC)
    for i, clicked in enumerate(["a", "a", "a", "b", None]):  # ui-a wins 3, loses 1; one no click
        tid = f"t_ui_mix_{uuid.uuid4().hex[:8]}_{i}"
        log_interleaved_turn(services.engine, tid, ["ui-a", "ui-b"], {"pa": "ui-a", "pb": "ui-b"}, at)
        if clicked:
            with services.engine.begin() as conn:
                conn.execute(turn_event(tid, "c_" + tid, "click", "p" + clicked))
    sign_in(console)
    frame = console.dataframe[-1].value
    row = frame[(frame["first"] == "ui-a") & (frame["second"] == "ui-b")].iloc[0]
    assert (row["impressions"], row["first wins"], row["second wins"], row["no click"]) == (5, 3, 1, 1)
    assert row["first's win rate %"] == 75.0
    assert row["95% CI %"] == "30.1 … 95.4"
    assert row["verdict"] == "no significant difference"
