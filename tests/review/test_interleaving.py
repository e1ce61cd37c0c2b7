"""Interleaving credit and the per-pair win rate with its Wilson interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from app.review.interleaving import credits, interleaving, summarise, turn_outcome, wilson
from app.storage.db import create_schema, make_engine
from app.storage.schema import turn_event, turns

TEAMS = {"p1": "lgbm", "p2": "heur", "p3": "lgbm", "p4": "heur"}
PAIR = ("lgbm", "heur")


def test_a_team_scores_its_distinct_products_with_a_click_cart_or_checkout() -> None:
    events = [
        ("click", "p1"),
        ("add_to_cart", "p1"),
        ("checkout", "p1"),  # one product, counted once
        ("impression", "p2"),
        ("feedback", None),
        ("click", "p9"),  # not shown by the interleaved list
        ("add_to_cart", "p4"),
    ]
    assert credits(TEAMS, events) == {"lgbm": 1, "heur": 1}


def test_the_team_with_more_credited_products_wins_the_turn() -> None:
    assert turn_outcome(PAIR, TEAMS, [("click", "p1"), ("click", "p3"), ("click", "p2")]) == "first"
    assert turn_outcome(PAIR, TEAMS, [("checkout", "p4")]) == "second"
    assert turn_outcome(PAIR, TEAMS, [("click", "p1"), ("click", "p2")]) == "tie"
    assert turn_outcome(PAIR, TEAMS, [("impression", "p1")]) == "none"


def test_wilson_matches_the_textbook_interval() -> None:
    low, high = wilson(8, 10) or (0, 0)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 0) is None
    assert wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), pytest.approx(1.0))


def test_ties_and_turns_without_credit_count_as_impressions_but_not_in_the_win_rate() -> None:
    row = summarise("a", "b", ["first", "first", "second", "tie", "none", "none"])
    assert (row.impressions, row.wins, row.losses, row.ties, row.no_preference) == (6, 2, 1, 1, 2)
    assert row.win_rate == pytest.approx(2 / 3)
    assert row.ci_low is not None and row.ci_high is not None and row.ci_low < 2 / 3 < row.ci_high
    assert summarise("a", "b", ["none"]).win_rate is None


def log_turn(conn, turn_id: str, pair: list[str], teams: dict[str, str], at: datetime) -> None:  # type: ignore[no-untyped-def]
    record = {"turn_id": turn_id, "interleave_rankers": pair, "interleave_teams": teams}
    conn.execute(
        insert(turns).values(
            turn_id=turn_id,
            conversation_id="c_" + turn_id,
            turn_index=0,
            created_at=at,
            message="m",
            intent="search",
            abstained=False,
            latency_ms=1.0,
            record=record,
        )
    )


def test_the_read_model_pools_both_orders_of_a_pair_and_skips_plain_turns(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    at = datetime.now(UTC) + timedelta(days=3650)  # a period no other test writes in
    with engine.begin() as conn:
        log_turn(conn, "ti_1", ["lgbm", "heur"], {"p1": "lgbm", "p2": "heur"}, at)
        log_turn(conn, "ti_2", ["heur", "lgbm"], {"p1": "heur", "p2": "lgbm"}, at)  # the other order
        log_turn(conn, "ti_3", ["lgbm", "heur"], {"p1": "lgbm", "p2": "heur"}, at)
        log_turn(conn, "ti_4", [], {}, at)  # not interleaved
        conn.execute(turn_event("ti_1", "c_ti_1", "click", "p1", at=at))  # lgbm wins
        conn.execute(turn_event("ti_2", "c_ti_2", "add_to_cart", "p2", at=at))  # lgbm wins
        conn.execute(turn_event("ti_4", "c_ti_4", "click", "p1", at=at))
    report = interleaving(engine, at - timedelta(seconds=1), at + timedelta(seconds=1))
    assert len(report.pairs) == 1
    row = report.pairs[0]
    assert (row.first, row.second) == ("heur", "lgbm")
    assert (row.impressions, row.wins, row.losses, row.ties, row.no_preference) == (3, 0, 2, 0, 1)
    assert row.win_rate == 0.0
    engine.dispose()
