"""Console page "Turns": filter the log, open a turn's trace, label it, export the golden set.

Shopper text is only ever drawn with ``st.text``, ``st.code``, ``st.json`` or in data frames —
never as Markdown or HTML — so a message like ``<script>…`` shows as the characters it is.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.domain.labels import LABELS, NOT_APPLICABLE
from ui.api_client import ApiClient, ApiError
from ui.review.metrics import waterfall

INTENTS = [
    "search",
    "refine",
    "compare",
    "product_question",
    "add_to_cart",
    "checkout",
    "smalltalk",
    "out_of_scope",
]
ANY = "any"


def all_labels() -> list[str]:
    return sorted({label for pair in LABELS.values() for label in pair})


def filter_params(
    start: date | None,
    end: date | None,
    abstained: str,
    label: str,
    feedback: str,
    intent: str,
    min_latency: float,
    backend: str,
    q: str,
) -> dict[str, Any]:
    """The widgets' values as the API's query parameters (unset ones left out)."""
    params: dict[str, Any] = {
        "start": datetime.combine(start, time.min).isoformat() if start else None,
        "end": datetime.combine(end, time.max).isoformat() if end else None,
        "abstained": {"yes": "true", "no": "false"}.get(abstained),
        "label": label,
        "feedback": feedback,
        "intent": intent,
        "min_latency_ms": min_latency or None,
        "backend": backend,
        "q": q.strip() or None,
    }
    return {k: v for k, v in params.items() if v not in (None, "", ANY)}


def render_filters() -> dict[str, Any]:
    with st.form("filters"):
        c1, c2, c3 = st.columns(3)
        start = c1.date_input("From", value=None, key="f_start")
        end = c1.date_input("To", value=None, key="f_end")
        abstained = c2.selectbox("Abstained", [ANY, "yes", "no"], key="f_abstained")
        label = c2.selectbox("Eval label", [ANY, *all_labels()], key="f_label")
        feedback = c2.selectbox("Shopper feedback", [ANY, "up", "down", "none"], key="f_feedback")
        intent = c3.selectbox("Intent", [ANY, *INTENTS], key="f_intent")
        backend = c3.selectbox("Backend", [ANY, "rules", "llm"], key="f_backend")
        min_latency = c3.number_input(
            "Latency above (ms)", min_value=0.0, value=0.0, step=50.0, key="f_latency"
        )
        q = st.text_input("Search messages and replies", key="f_q")
        st.form_submit_button("Apply filters", key="f_apply")
    return filter_params(start, end, abstained, label, feedback, intent, min_latency, backend, q)


def candidates_frame(record: dict[str, Any], clicked: set[str]) -> pd.DataFrame:
    shown = set(record.get("shown", []))
    rows = []
    for c in record.get("candidates", []):
        rows.append(
            {
                "product": c["product_id"],
                "retrieval rank": c.get("retrieval_rank"),
                "dense": c.get("dense_score"),
                "sparse": c.get("sparse_score"),
                "fused": c.get("fused_score"),
                "ranker": c.get("rank_score"),
                "shown": c["product_id"] in shown,
                "clicked": c["product_id"] in clicked,
                "features": ", ".join(f"{k}={v:.3g}" for k, v in sorted(c.get("features", {}).items())),
            }
        )
    return pd.DataFrame(rows)


def render_trace(trace: dict[str, Any]) -> None:
    rec = trace["record"]
    st.subheader(f"Turn {rec['turn_index']} of {rec['conversation_id']}")
    st.caption(f"{rec['created_at']} · intent {rec['extraction']['intent']} · abstained {rec['abstained']}")
    st.markdown("**Shopper said**")
    st.text(rec["message"])
    st.markdown("**Reply**")
    st.text(rec["reply"])
    guard = rec.get("guard") or {}
    if guard.get("score") is not None:
        threshold = guard.get("threshold")
        delta = (
            f"{guard['score'] - threshold:+.3f} vs threshold {threshold:.3f}"
            if threshold is not None
            else None
        )
        st.metric("Guard score", f"{guard['score']:.3f}", delta=delta)
        st.caption(f"guard {guard.get('method')} {guard.get('version')}: {guard.get('reason') or ''}")
    with st.expander("Extraction", expanded=False):
        st.json(rec["extraction"])
    if rec.get("corrections") or rec.get("fallbacks"):
        # What the LLM checks dropped or replaced, and where the rules backend answered instead.
        with st.expander(f"LLM corrections ({len(rec.get('corrections', []))})", expanded=True):
            for line in [*rec.get("corrections", []), *(f"fallback — {f}" for f in rec.get("fallbacks", []))]:
                st.text(line)
    clicked = {e["product_id"] for e in trace["events"] if e["kind"] in ("click", "add_to_cart", "checkout")}
    st.markdown("**Candidates** (retrieval and ranker scores, features; what was shown and clicked)")
    st.dataframe(candidates_frame(rec, clicked), hide_index=True)
    if trace["events"]:
        st.dataframe(pd.DataFrame(trace["events"]).astype(str), hide_index=True)
    steps = waterfall(rec.get("latency_ms", {}))
    if steps:
        st.markdown(f"**Latency** — {rec['latency_ms'].get('total', 0):.0f} ms in total")
        chart = (
            alt.Chart(pd.DataFrame(steps))
            .mark_bar()
            .encode(
                x=alt.X("start:Q", title="ms"),
                x2="end:Q",
                y=alt.Y("stage:N", sort=None, title=None),
                tooltip=["stage", "ms"],
            )
        )
        st.altair_chart(chart, width="stretch")
    with st.expander("Versions"):
        st.json(rec.get("versions", {}))
    st.markdown("**Eval labels** (judges)")
    if trace["eval_results"]:
        st.dataframe(pd.DataFrame(trace["eval_results"]), hide_index=True)
    else:
        st.caption("No judge has labelled this turn yet.")


def render_labelling(client: ApiClient, trace: dict[str, Any]) -> None:
    turn_id = trace["record"]["turn_id"]
    st.markdown("**Your labels**")
    latest = trace["latest_human"]
    if latest:
        st.dataframe(
            pd.DataFrame([{"evaluator": k, "label": v} for k, v in sorted(latest.items())]), hide_index=True
        )
    evaluator = st.selectbox("Evaluator", list(LABELS), key="l_evaluator")
    judge = next((e["label"] for e in trace["eval_results"] if e["evaluator"] == evaluator), None)
    options = [*LABELS[evaluator], NOT_APPLICABLE]
    current = latest.get(evaluator) or judge or ""
    default = options.index(current) if current in options else 0
    label = st.selectbox("Label", options, index=default, key=f"l_label_{evaluator}")
    note = st.text_area("Note (optional)", key="l_note", max_chars=2000)
    if st.button("Save label", key="l_save", type="primary"):
        try:
            saved = client.review_label(turn_id, evaluator, label, note)
        except ApiError as exc:
            st.error(exc.message)
        else:
            st.success(f"Saved {saved['evaluator']} = {saved['label']} as {saved['reviewer']}")
            trace.update(client.review_trace(turn_id))
    if trace["human_labels"]:
        with st.expander("Label history"):
            st.dataframe(pd.DataFrame(trace["human_labels"]), hide_index=True)


def render_export(client: ApiClient) -> None:
    st.markdown("**Golden set**: every labelled turn, latest label per evaluator, one JSON line each.")
    if st.button("Prepare export", key="x_prepare"):
        try:
            st.session_state.export = client.review_export()
        except ApiError as exc:
            st.error(exc.message)
    if "export" in st.session_state:
        data: bytes = st.session_state.export
        st.caption(f"{len(data.splitlines())} labelled turns")
        st.download_button(
            "Download golden set (JSONL)",
            data=data,
            file_name="golden_labels.jsonl",
            mime="application/x-ndjson",
            key="x_download",
        )


def render(client: ApiClient) -> None:
    params = render_filters()
    try:
        page = client.review_turns({**params, "limit": 200})
    except ApiError as exc:
        st.error(exc.message)
        return
    st.caption(f"{page['total']} matching turns" + (" (newest 200 shown)" if page["total"] > 200 else ""))
    if not page["turns"]:
        render_export(client)
        return
    frame = pd.DataFrame(page["turns"])[
        ["created_at", "message", "reply", "intent", "abstained", "latency_ms", "conversation_id", "turn_id"]
    ]
    st.dataframe(frame, hide_index=True)
    by_id = {t["turn_id"]: t for t in page["turns"]}
    turn_id = st.selectbox(
        "Open turn",
        list(by_id),
        format_func=lambda t: f"{by_id[t]['created_at'][:19]} · {by_id[t]['message'][:70]}",
        key="open_turn",
    )
    try:
        trace = client.review_trace(turn_id)
    except ApiError as exc:
        st.error(exc.message)
        return
    left, right = st.columns([3, 2])
    with left:
        render_trace(trace)
    with right:
        render_labelling(client, trace)
        render_export(client)
