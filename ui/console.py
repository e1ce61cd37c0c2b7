"""The product team's review console: a separate Streamlit app (``ctp console``, its own port).

It is a separate entry point rather than a page of the shopper app so a shopper's browser never
loads it, but that is convenience, not security: every call it makes goes to ``/v1/review/*`` with
the reviewer's key, and the API refuses calls without one. The key is held in this browser
session only (never in the URL).
"""

from __future__ import annotations

import streamlit as st

from ui.api_client import ApiClient, ApiError
from ui.review import dashboard, interleaving, turns


def login() -> None:
    st.title(":material/fact_check: Review console")
    st.caption("For the product team. Sign in with your reviewer API key.")
    with st.form("login"):
        key = st.text_input("Reviewer API key", type="password", key="login_key")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            who = ApiClient(api_key=key.strip()).whoami()
        except ApiError as exc:
            st.error("That key was not accepted." if exc.status in (401, 403) else exc.message)
            return
        st.session_state.api_key = key.strip()
        st.session_state.reviewer = who
        st.rerun()


def main() -> None:
    st.set_page_config(page_title="Review console", page_icon="🔎", layout="wide")
    if "api_key" not in st.session_state:
        login()
        return
    client = ApiClient(api_key=st.session_state.api_key)
    who = st.session_state.reviewer
    with st.sidebar:
        st.caption(f"Signed in as {who['name']} ({who['role']})")
        if st.button("Sign out"):
            st.session_state.clear()
            st.rerun()
    st.title(":material/fact_check: Review console")
    tab_turns, tab_dash, tab_mix = st.tabs(["Turns", "Dashboard", "Interleaving"])
    with tab_turns:
        turns.render(client)
    with tab_dash:
        dashboard.render(client)
    with tab_mix:
        interleaving.render(client)


main()
