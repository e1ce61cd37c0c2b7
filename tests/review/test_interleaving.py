"""Interleaving credit and the per-pair win rate with its Wilson interval."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from app.domain.turn import ConversationState, Intent, ShoppingTurn, TurnRecord
from app.pipeline.log import TurnLogger
from app.review.interleaving import credits, interleaving, summarise, turn_outcome, wilson
from app.storage.db import create_schema, make_engine
from app.storage.schema import turn_event

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


def log_interleaved_turn(
    engine: Engine, turn_id: str, pair: list[str], teams: dict[str, str], at: datetime
) -> None:
    """A whole, valid turn record, as the pipeline's turn logger writes it, showing ``teams``' products."""
    state = ConversationState(conversation_id="c_" + turn_id).model_dump(mode="json")
    record = TurnRecord(
        turn_id=turn_id, conversation_id="c_" + turn_id, turn_index=0, created_at=at, message="m",
        extraction=ShoppingTurn(intent=Intent.search, query="q"), state_before=state, state_after=state,
        guard=None, candidates=[], shown=list(teams), reply="r", abstained=False,
        latency_ms={"total": 1.0}, versions={}, interleave_rankers=pair, interleave_teams=teams,
    )  # fmt: skip
    TurnLogger(engine).write(record)


def test_the_read_model_pools_both_orders_of_a_pair_and_skips_plain_turns(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    at = datetime.now(UTC) + timedelta(days=3650)  # a period no other test writes in
    ids = [f"ti_{uuid.uuid4().hex[:8]}_{i}" for i in range(4)]
    log_interleaved_turn(engine, ids[0], ["lgbm", "heur"], {"p1": "lgbm", "p2": "heur"}, at)
    log_interleaved_turn(engine, ids[1], ["heur", "lgbm"], {"p1": "heur", "p2": "lgbm"}, at)  # other order
    log_interleaved_turn(engine, ids[2], ["lgbm", "heur"], {"p1": "lgbm", "p2": "heur"}, at)
    log_interleaved_turn(engine, ids[3], [], {}, at)  # not interleaved
    with engine.begin() as conn:
        conn.execute(turn_event(ids[0], "c_" + ids[0], "click", "p1", at=at))  # lgbm wins
        conn.execute(turn_event(ids[1], "c_" + ids[1], "add_to_cart", "p2", at=at))  # lgbm wins
        conn.execute(turn_event(ids[3], "c_" + ids[3], "click", "p1", at=at))
    report = interleaving(engine, at - timedelta(seconds=1), at + timedelta(seconds=1))
    assert len(report.pairs) == 1
    row = report.pairs[0]
    assert (row.first, row.second) == ("heur", "lgbm")
    assert (row.impressions, row.wins, row.losses, row.ties, row.no_preference) == (3, 0, 2, 0, 1)
    assert row.win_rate == 0.0
    engine.dispose()
