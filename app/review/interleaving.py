"""The online comparison's read model: team-draft interleaving credit, per ranker pair.

A turn interleaved by ``CTP_INTERLEAVE`` records the pair of rankers and, per shown product, the
ranker whose team contributed it (``TurnRecord.interleave_rankers`` / ``interleave_teams``). Here:

* **credit** — a ``click``, ``add_to_cart`` or ``checkout`` event on a shown product credits that
  product's team. A turn's score per ranker is the number of *distinct products* of its team that
  received any credited event (a product clicked, carted and bought counts once; impressions and
  feedback never count).
* **outcome** — the ranker with more credited products wins the turn; equal non-zero credit is a
  tie; a turn without any credited event expresses no preference.
* **aggregate** per unordered pair (the two names sorted, so ``a,b`` and ``b,a`` pool):
  impressions (interleaved turns), wins and losses of the first ranker, ties, and the first
  ranker's **win rate = wins / (wins + losses)** — ties and turns without credit are excluded
  (they say nothing about which ranker is better), with a 95 % **Wilson score interval** over
  those decided turns. Turns are treated as independent; several turns of one shopper are not,
  so the interval is optimistic when shoppers run many turns each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from app.review.models import TurnFilters
from app.review.queries import where_clauses
from app.storage.schema import turn_events, turns

#: The events that credit a team; impressions and feedback do not.
CREDIT_KINDS = ("click", "add_to_cart", "checkout")
#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054

Outcome = Literal["first", "second", "tie", "none"]


class InterleavePair(BaseModel):
    """One ranker pair's online comparison; ``wins``/``losses``/``win_rate`` are ``first``'s."""

    first: str
    second: str
    impressions: int = Field(description="Interleaved turns that showed products of the pair.")
    wins: int
    losses: int
    ties: int = Field(description="Turns with equal, non-zero credit.")
    no_preference: int = Field(description="Interleaved turns without a click, add-to-cart or checkout.")
    win_rate: float | None = Field(description="wins / (wins + losses); None before any decided turn.")
    ci_low: float | None
    ci_high: float | None


class InterleavingReport(BaseModel):
    pairs: list[InterleavePair]
    method: str = Field(
        default="team-draft interleaving; credit = distinct products of a team with a click, "
        "add_to_cart or checkout; win rate = wins / (wins + losses), ties and turns without credit "
        "excluded; 95 % Wilson score interval over decided turns",
    )


def credits(teams: Mapping[str, str], events: Iterable[tuple[str, str | None]]) -> dict[str, int]:
    """Ranker -> number of its team's distinct products with a crediting event."""
    hit: set[str] = set()
    for kind, pid in events:
        if kind in CREDIT_KINDS and pid is not None and pid in teams:
            hit.add(pid)
    out: dict[str, int] = {}
    for pid in hit:
        out[teams[pid]] = out.get(teams[pid], 0) + 1
    return out


def turn_outcome(
    pair: Sequence[str], teams: Mapping[str, str], events: Iterable[tuple[str, str | None]]
) -> Outcome:
    """Which of ``pair`` won the turn: ``first``, ``second``, ``tie`` (equal, non-zero credit) or
    ``none`` (nothing credited)."""
    got = credits(teams, events)
    a, b = got.get(pair[0], 0), got.get(pair[1], 0)
    if a == b:
        return "tie" if a else "none"
    return "first" if a > b else "second"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion; None when ``n`` is 0."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarise(first: str, second: str, outcomes: Sequence[Outcome]) -> InterleavePair:
    """The pair's row from its turns' outcomes (relative to ``first``)."""
    wins, losses = outcomes.count("first"), outcomes.count("second")
    ci = wilson(wins, wins + losses)
    return InterleavePair(
        first=first,
        second=second,
        impressions=len(outcomes),
        wins=wins,
        losses=losses,
        ties=outcomes.count("tie"),
        no_preference=outcomes.count("none"),
        win_rate=wins / (wins + losses) if wins + losses else None,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
    )


def interleaving(engine: Engine, start: datetime | None, end: datetime | None) -> InterleavingReport:
    """Every ranker pair interleaved in the period (turn time), most impressions first."""
    conds = where_clauses(TurnFilters(start=start, end=end))
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                turns.c.turn_id,
                turns.c.record["interleave_rankers"],
                turns.c.record["interleave_teams"],
            ).where(*conds)
        ).all()
        logged = {r[0]: (list(r[1] or []), dict(r[2] or {})) for r in rows if r[1]}
        events: dict[str, list[tuple[str, str | None]]] = {}
        for turn_id, kind, pid in conn.execute(
            select(turn_events.c.turn_id, turn_events.c.kind, turn_events.c.product_id)
            .join(turns, turns.c.turn_id == turn_events.c.turn_id)
            .where(*conds, turn_events.c.kind.in_(CREDIT_KINDS))
        ):
            if turn_id in logged:
                events.setdefault(turn_id, []).append((kind, pid))
    by_pair: dict[tuple[str, str], list[Outcome]] = {}
    for turn_id, (pair, teams) in logged.items():
        if len(pair) != 2 or not teams:
            continue
        first, second = sorted(pair)
        by_pair.setdefault((first, second), []).append(
            turn_outcome((first, second), teams, events.get(turn_id, []))
        )
    rows_out = [summarise(a, b, outs) for (a, b), outs in by_pair.items()]
    rows_out.sort(key=lambda p: (-p.impressions, p.first, p.second))
    return InterleavingReport(pairs=rows_out)
