"""Training rows from the app's own turn log (``recsys train --from-logs``).

For every logged search turn that showed products, each shown product is one row, graded by the
strongest event the shopper produced for it in that turn (``turn_events``): checkout 3 >
add_to_cart 2 > click 1 > impression / nothing 0. Features are *recomputed* with the current
``feature_vector`` from the logged candidate (its retrieval scores and rank) and the filters the
turn ran with, so rows logged under an older ranker still match the current feature list.

**Position-bias correction (``ipw=True``, the default of the command).** Shoppers click what they
look at, and they look at the top: raw grades teach the model the logging ranker's order back.
The examination propensity of each shown slot is estimated from the turns the API explored
(``recsys.propensity.estimate_from_logs``), and each turn's list is split into one list per graded
product i — i with its grade against every product graded below it (relabelled 0) — weighted by
1 / p(slot of i). That is the propensity-weighted pairwise loss of Joachims et al. (2017): every
pair (i above j) counts 1 / p_i times, which in expectation equals the loss under full
examination; LambdaRank scales each row's gradient by its weight (Wang et al., 2018, weight a
clicked list by its click's inverse propensity the same way). Slots are read from
``TurnRecord.position_shown``; records logged before it existed use their order in ``shown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, select

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, TurnRecord
from app.pipeline.remember import search_text
from app.storage.schema import turn_events, turns
from recsys.features import context_for, feature_vector, listing_of
from recsys.propensity import MIN_CLICKS_PER_POSITION, PropensityEstimate, estimate_from_logs
from recsys.train import RankRows

EVENT_GRADE = {"impression": 0, "click": 1, "add_to_cart": 2, "checkout": 3}


@dataclass(frozen=True)
class LogSummary:
    """What ``log_rows`` read: turns with an event, lists with a ranking signal, and the
    propensities it weighted by (None when unweighted)."""

    turns: int
    lists: int
    propensity: PropensityEstimate | None = None

    def describe(self) -> str:
        out = f"turn log: {self.turns} turns with events, {self.lists} informative"
        if self.propensity is None:
            return out + " (no position-bias correction)"
        return f"{out}; weighted by inverse propensity — {self.propensity.describe()}"


def event_grades(engine: Engine) -> dict[tuple[str, str], int]:
    """(turn_id, product_id) -> strongest event grade."""
    out: dict[tuple[str, str], int] = {}
    with engine.connect() as conn:
        for turn_id, kind, pid in conn.execute(
            select(turn_events.c.turn_id, turn_events.c.kind, turn_events.c.product_id)
        ):
            if pid is None or kind not in EVENT_GRADE:
                continue
            key = (str(turn_id), str(pid))
            out[key] = max(out.get(key, 0), EVENT_GRADE[kind])
    return out


def explored_records(engine: Engine) -> list[TurnRecord]:
    """Every logged turn whose top k was shown in a random order (``turns.explore_k`` > 0)."""
    with engine.connect() as conn:
        rows = conn.execute(select(turns.c.record).where(turns.c.explore_k > 0))
        return [TurnRecord.model_validate(r[0]) for r in rows]


def slots_of(record: TurnRecord) -> dict[str, int]:
    """Product id -> the slot the shopper saw it in."""
    if record.position_shown:
        return {s.product_id: s.position for s in record.position_shown}
    return {pid: i for i, pid in enumerate(record.shown)}


def rows_from_record(
    record: TurnRecord,
    grades: Mapping[tuple[str, str], int],
    catalog: CatalogSnapshot,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> tuple[list[list[float]], list[int], list[int]]:
    """Feature rows, grades and shown slots of the products the turn showed."""
    state = ConversationState.model_validate(record.state_after)
    before = ConversationState.model_validate(record.state_before)
    slots = slots_of(record)
    cands = sorted((c for c in record.candidates if c.product_id in slots), key=lambda c: slots[c.product_id])
    known = [p for c in record.candidates if (p := catalog.get(c.product_id)) is not None]
    query = search_text(state) or state.query
    ctx = context_for(
        state.filters,
        record.candidates,
        vectors,
        [*before.viewed, *before.last_results],
        [line.product_id for line in before.cart],
        query,
        [p.price for p in known],
        listing_of(query, known),
    )
    x: list[list[float]] = []
    y: list[int] = []
    pos: list[int] = []
    for c in cands:
        p = catalog.get(c.product_id)
        if p is None:
            continue
        x.append(feature_vector(ctx, c, p, vectors.get(c.product_id) if vectors else None))
        y.append(grades.get((record.turn_id, c.product_id), 0))
        pos.append(slots[c.product_id])
    return x, y, pos


def add_weighted(
    rows: RankRows,
    qid: str,
    x: Sequence[list[float]],
    y: Sequence[int],
    slots: Sequence[int],
    propensity: PropensityEstimate,
) -> None:
    """One list per graded product i: i (its grade) against every product graded below it
    (relabelled 0), weighted by 1 / p(slot of i). Lists of one turn share the ``qid/…`` prefix,
    so they fall in the same train/valid split."""
    for i, grade in enumerate(y):
        if grade <= 0:
            continue
        below = [j for j in range(len(y)) if y[j] < grade]
        rows.add(
            f"{qid}/p{i}",
            [x[i], *(x[j] for j in below)],
            [grade] + [0] * len(below),
            propensity.weight(slots[i]),
        )


def log_rows(
    engine: Engine,
    catalog: CatalogSnapshot,
    vectors: Mapping[str, np.ndarray] | None = None,
    ipw: bool = False,
    min_clicks: int = MIN_CLICKS_PER_POSITION,
) -> tuple[RankRows, LogSummary]:
    """Graded rows of every logged turn with an event. With ``ipw`` the propensities are estimated
    first (``TooFewExplored`` when the explored turns cannot support them) and the rows weighted."""
    grades = event_grades(engine)
    propensity = estimate_from_logs(explored_records(engine), grades, min_clicks) if ipw else None
    with_events = {t for t, _ in grades}
    rows = RankRows()
    with engine.connect() as conn:
        logged = select(turns.c.record).where(turns.c.turn_id.in_(sorted(with_events)))
        for (doc,) in conn.execute(logged.order_by(turns.c.turn_id)):  # the same rows on every backend
            record = TurnRecord.model_validate(doc)
            x, y, slots = rows_from_record(record, grades, catalog, vectors)
            qid = "log:" + record.turn_id
            if propensity is None:
                rows.add(qid, x, y)
            else:
                add_weighted(rows, qid, x, y, slots, propensity)
    lists = len({q.split("/")[0] for q in rows.qids})
    return rows, LogSummary(len(with_events), lists, propensity)
