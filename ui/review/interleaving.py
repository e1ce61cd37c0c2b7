"""Console page "Interleaving": the online comparison of two rankers (``CTP_INTERLEAVE``).

Per ranker pair: the first ranker's win rate over decided turns with its 95 % interval, drawn
against the 0.5 line, and the number of impressions (interleaved turns). The numbers come from
``GET /v1/review/interleaving``; this page only lays them out.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ui.api_client import ApiClient, ApiError


def verdict(pair: dict[str, Any]) -> str:
    """Who is ahead, and whether the interval says so: the interval excludes 0.5 or it does not."""
    low, high = pair["ci_low"], pair["ci_high"]
    if low is None or high is None:
        return "no decided turns yet"
    if low > 0.5:
        return f"{pair['first']} better"
    if high < 0.5:
        return f"{pair['second']} better"
    return "no significant difference"


def pair_rows(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per pair, the rate and interval as percentages rounded to 0.1."""

    def pct(x: float | None) -> float | None:
        return None if x is None else round(100 * x, 1)

    return [
        {
            "first": p["first"],
            "second": p["second"],
            "impressions": p["impressions"],
            "first's win rate %": pct(p["win_rate"]),
            "95% CI %": "–" if p["ci_low"] is None else f"{pct(p['ci_low'])} … {pct(p['ci_high'])}",
            "verdict": verdict(p),
            "first wins": p["wins"],
            "second wins": p["losses"],
            "ties": p["ties"],
            "no click": p["no_preference"],
        }
        for p in pairs
    ]


def chart(pairs: list[dict[str, Any]]) -> alt.LayerChart:
    frame = pd.DataFrame(
        [
            {
                "pair": f"{p['first']} (vs {p['second']})",
                "win rate": p["win_rate"],
                "low": p["ci_low"],
                "high": p["ci_high"],
                "impressions": p["impressions"],
            }
            for p in pairs
            if p["win_rate"] is not None
        ]
    )
    y = alt.Y("pair:N", title=None, axis=alt.Axis(labelLimit=480))
    scale = alt.Scale(domain=[0, 1])
    bars = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("low:Q", scale=scale, title="win rate of the first ranker (95 % CI)"), x2="high:Q", y=y
        )
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=120)
        .encode(
            x=alt.X("win rate:Q", scale=scale),
            y=y,
            tooltip=["pair", "win rate", "low", "high", "impressions"],
        )
    )
    even = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q")
    return alt.LayerChart(layer=[bars, points, even])


def render(client: ApiClient) -> None:
    st.subheader("Online comparison: team-draft interleaving")
    try:
        data = client.review_interleaving()
    except ApiError as exc:
        st.error(exc.message)
        return
    pairs = data["pairs"]
    if not pairs:
        st.caption("No interleaved turns yet: set CTP_INTERLEAVE (e.g. 'lightgbm,heuristic') on the API.")
        return
    if any(p["win_rate"] is not None for p in pairs):
        st.altair_chart(chart(pairs), width="stretch", height=max(140, 70 * len(pairs)))
        st.caption(
            "Dot: the first ranker's win rate over decided turns (one ranker credited with more "
            "clicked / carted / bought products); bar: its 95 % Wilson interval; dashed line: 0.5."
        )
    st.dataframe(pd.DataFrame(pair_rows(pairs)), hide_index=True)
    st.caption(f"Method: {data['method']}.")
