"""The review console's turn trace (Streamlit AppTest on ``render_trace`` alone, no API)."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest


def trace(**record: Any) -> dict[str, Any]:
    base = {
        "turn_id": "t_1",
        "turn_index": 0,
        "conversation_id": "c_1",
        "created_at": "2026-11-30T20:00:00Z",
        "extraction": {"intent": "search"},
        "abstained": False,
        "message": "show me hoodies",
        "reply": "Here are 2 hoodies.",
        "guard": None,
        "candidates": [],
        "shown": [],
        "latency_ms": {},
        "versions": {},
    }
    return {"record": {**base, **record}, "events": [], "eval_results": []}


def rendered(t: dict[str, Any]) -> AppTest:
    at = AppTest.from_string(
        f"from ui.review.turns import render_trace\nrender_trace({t!r})\n", default_timeout=30
    )
    return at.run()


def test_llm_corrections_and_fallbacks_are_listed_in_their_own_panel() -> None:
    at = rendered(
        trace(
            corrections=["extract: dropped gender='women': not in the message or the remembered search"],
            fallbacks=["respond: invalid_output"],
        )
    )
    assert not at.exception
    [panel] = [e for e in at.expander if e.label.startswith("LLM corrections")]
    assert panel.label == "LLM corrections (1)"
    assert [t.value for t in panel.text] == [
        "extract: dropped gender='women': not in the message or the remembered search",
        "fallback — respond: invalid_output",
    ]


def test_a_turn_without_corrections_has_no_panel() -> None:
    at = rendered(trace())
    assert not at.exception
    assert not [e for e in at.expander if e.label.startswith("LLM corrections")]
