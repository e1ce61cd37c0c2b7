"""Console page "Dashboard": label rates over time, judge-vs-human agreement, the guard's
risk–coverage, ranker metrics per model version, per-slice tables."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.domain.labels import LABELS
from ui.api_client import ApiClient, ApiError
from ui.review.metrics import agreement, confusion_matrix, label_rates, risk_coverage, slice_table


def render_rates(data: dict[str, Any]) -> None:
    st.subheader("Judge label rates over time")
    evaluator = st.selectbox("Evaluator", list(LABELS), key="d_evaluator")
    problem = LABELS[evaluator][0]
    rows = label_rates(data["label_counts"], evaluator, problem)
    if not rows:
        st.caption(f"No {evaluator} labels in this period yet (run `ctp evals online`).")
        return
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=True)
        .encode(x=alt.X("day:T"), y=alt.Y("rate:Q", title=f"share '{problem}'"), tooltip=["day", "rate", "n"])
    )
    st.altair_chart(chart, width="stretch")


def render_confusion(data: dict[str, Any]) -> None:
    st.subheader("Judge vs human")
    any_pairs = False
    for evaluator, labels in LABELS.items():
        matrix = confusion_matrix(data["pairs"], evaluator, list(labels))
        if not sum(map(sum, matrix)):
            continue
        any_pairs = True
        frame = pd.DataFrame(
            matrix, index=[f"judge: {x}" for x in labels], columns=[f"human: {x}" for x in labels]
        )
        st.markdown(f"**{evaluator}** — agreement {agreement(matrix):.0%}")
        st.dataframe(frame)
    if not any_pairs:
        st.caption("No turn has both a judge label and a human label yet.")


def render_risk_coverage(client: ApiClient, data: dict[str, Any]) -> None:
    st.subheader("Abstention: risk vs coverage")
    points = [(g["score"], g["human_refusal"] == "refused") for g in data["guard"] if g["human_refusal"]]
    if points:
        curve = pd.DataFrame(risk_coverage(points))
        chart = (
            alt.Chart(curve)
            .mark_line(point=True)
            .encode(x="coverage:Q", y="risk:Q", tooltip=["threshold", "coverage", "risk"])
        )
        st.altair_chart(chart, width="stretch")
        st.caption(
            f"From {len(points)} turns whose refusal a reviewer labelled (guard score vs 'should refuse')."
        )
        return
    png = client.review_abstention_png() if data.get("abstention_plot") else None
    if png:
        st.image(
            png,
            caption="From `ctp evals abstention` on the frozen scope_test set, drawn at the "
            "out-of-scope traffic share stated in its title (CTP_GUARD_OOD_SHARE), not the eval mix",
        )
    else:
        st.caption("No human refusal labels and no `ctp evals abstention` plot yet.")


def render(client: ApiClient) -> None:
    try:
        data = client.review_dashboard()
    except ApiError as exc:
        st.error(exc.message)
        return
    render_rates(data)
    render_confusion(data)
    render_risk_coverage(client, data)
    st.subheader("Ranker models")
    if data["ranker_models"]:
        st.dataframe(pd.json_normalize(data["ranker_models"]), hide_index=True)
    else:
        st.caption("No trained ranker under var/models/ (run `ctp recsys train`).")
    st.subheader("Slices")
    for by in ("intent", "backend"):
        rows = slice_table(data["slices"], by)
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True)
