"""The console's interleaving panel: its table rows and verdicts (pure functions)."""

from __future__ import annotations

from typing import Any

from ui.review.interleaving import pair_rows, verdict


def pair(**kw: Any) -> dict[str, Any]:
    base = {
        "first": "heuristic-v2", "second": "ltr-1", "impressions": 40, "wins": 10, "losses": 20,
        "ties": 4, "no_preference": 6, "win_rate": 1 / 3, "ci_low": 0.19, "ci_high": 0.51,
    }  # fmt: skip
    return {**base, **kw}


def test_the_verdict_names_a_ranker_only_when_the_interval_excludes_one_half() -> None:
    assert verdict(pair()) == "no significant difference"
    assert verdict(pair(ci_high=0.49)) == "ltr-1 better"
    assert verdict(pair(ci_low=0.55, ci_high=0.8)) == "heuristic-v2 better"
    assert verdict(pair(win_rate=None, ci_low=None, ci_high=None)) == "no decided turns yet"


def test_a_row_gives_the_rate_and_interval_in_percent_with_the_impressions() -> None:
    (row,) = pair_rows([pair()])
    assert (row["first"], row["second"], row["impressions"]) == ("heuristic-v2", "ltr-1", 40)
    assert (row["first's win rate %"], row["95% CI %"]) == (33.3, "19.0 … 51.0")
    assert (row["first wins"], row["second wins"], row["ties"], row["no click"]) == (10, 20, 4, 6)
