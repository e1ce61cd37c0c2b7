"""The raw material of the eval dashboard: judge label counts, judge vs human pairs, guard scores
and one slice row per turn. The console (``ui/review/``) computes rates and matrices from it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from app.review.models import Dashboard, GuardPoint, LabelCount, LabelPair, Slice, TurnFilters
from app.review.queries import LoggedGuard, by_turn, human_rows, latest_human, logged_record, where_clauses
from app.storage.schema import eval_results, turn_events, turns

#: What ``metadata.json`` fields of a ranker model the dashboard shows.
RANKER_FIELDS = ("version", "created_at", "metrics", "crosssell_metrics", "rows", "queries")


def abstention_plot_path(var_dir: Path) -> Path:
    """Where ``ctp evals abstention`` writes its risk–coverage plot."""
    return var_dir / "reports" / "abstention_risk_coverage.png"


def ranker_models(var_dir: Path) -> list[dict[str, object]]:
    """The trained ranker models under ``var_dir/models``: a few fields of each one's metadata."""
    out = []
    for meta in sorted((var_dir / "models").glob("*/metadata.json")):
        try:
            doc = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        out.append({k: doc.get(k) for k in RANKER_FIELDS})
    return out


def dashboard(engine: Engine, var_dir: Path, start: datetime | None, end: datetime | None) -> Dashboard:
    conds = where_clauses(TurnFilters(start=start, end=end))
    with engine.connect() as conn:
        turn_rows = conn.execute(select(turns).where(*conds)).all()
        ids = [r.turn_id for r in turn_rows]
        judge_rows = conn.execute(
            select(
                eval_results.c.turn_id,
                eval_results.c.evaluator,
                eval_results.c.label,
                eval_results.c.created_at,
            )
            .where(eval_results.c.turn_id.in_(ids))
            .order_by(eval_results.c.created_at)
        ).all()
        humans = human_rows(conn, ids)
        ratings: dict[str, str | None] = {
            r[0]: r[1]
            for r in conn.execute(
                select(turn_events.c.turn_id, turn_events.c.data["rating"].as_string())
                .where(turn_events.c.kind == "feedback", turn_events.c.turn_id.in_(ids))
                .order_by(turn_events.c.id)
            )
        }
    counts: dict[tuple[date, str, str], int] = {}
    judge: dict[tuple[str, str], str] = {}
    for t, ev, label, at in judge_rows:
        key = (at.date(), ev, label)
        counts[key] = counts.get(key, 0) + 1
        judge[(t, ev)] = label
    latest = {(t, ev): h.label for t, rows in by_turn(humans).items() for ev, h in latest_human(rows).items()}
    pairs = [
        LabelPair(turn_id=t, evaluator=ev, judge=judge.get((t, ev)), human=lab)
        for (t, ev), lab in latest.items()
    ]
    guard: list[GuardPoint] = []
    slices: list[Slice] = []
    for r in turn_rows:
        rec = logged_record(r)
        g: LoggedGuard = rec.get("guard") or {}
        if (score := g.get("score")) is not None:
            guard.append(
                GuardPoint(
                    turn_id=r.turn_id,
                    score=score,
                    threshold=g.get("threshold"),
                    abstained=r.abstained,
                    human_refusal=latest.get((r.turn_id, "refusal")),
                )
            )
        slices.append(
            Slice(
                intent=r.intent,
                backend=rec.get("versions", {}).get("extractor", "?"),
                abstained=r.abstained,
                latency_ms=r.latency_ms,
                feedback=ratings.get(r.turn_id),
            )
        )
    return Dashboard(
        label_counts=[
            LabelCount(day=d.isoformat(), evaluator=e, label=lab, count=n)
            for (d, e, lab), n in sorted(counts.items())
        ],
        pairs=pairs,
        guard=guard,
        slices=slices,
        ranker_models=ranker_models(var_dir),
        abstention_plot=abstention_plot_path(var_dir).exists(),
    )
