"""Thumbs up / down under each reply. Up is sent at once; down asks for an optional reason first,
because "why" is what makes a thumbs-down useful to the product team."""

from __future__ import annotations

import streamlit as st

from ui.api_client import ApiClient, ApiError


def send(client: ApiClient, turn_id: str, rating: str, reason_key: str | None = None) -> None:
    state = st.session_state
    reason = state.get(reason_key) if reason_key else None
    try:
        client.feedback(turn_id, rating, reason or None)
    except ApiError as exc:
        state.notice = ("error", f"Couldn't send feedback: {exc.message}")
        return
    state.setdefault("rated", {})[turn_id] = rating
    state.get("asking_why", set()).discard(turn_id)


def ask_why(turn_id: str) -> None:
    st.session_state.setdefault("asking_why", set()).add(turn_id)


def render_feedback(client: ApiClient, turn_id: str) -> None:
    state = st.session_state
    rated = state.get("rated", {}).get(turn_id)
    if rated:
        st.caption("Thanks for the feedback — " + ("helpful" if rated == "up" else "not helpful"))
        return
    if turn_id in state.get("asking_why", set()):
        st.text_input("What went wrong? (optional)", key=f"why_{turn_id}", max_chars=500)
        st.button(
            "Send",
            icon=":material/thumb_down:",
            key=f"down_send_{turn_id}",
            on_click=send,
            args=(client, turn_id, "down", f"why_{turn_id}"),
        )
        return
    up, down, _ = st.columns([2, 2, 5])
    up.button(
        "Helpful",
        icon=":material/thumb_up:",
        key=f"up_{turn_id}",
        on_click=send,
        args=(client, turn_id, "up"),
    )
    down.button(
        "Not helpful", icon=":material/thumb_down:", key=f"down_{turn_id}", on_click=ask_why, args=(turn_id,)
    )
