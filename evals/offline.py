"""Offline eval runs: label a suite's turns, store the labels, and gather what the report needs.

``conversations`` replays the scripted golden conversations through the real pipeline (so the turns
are logged like production turns) and scores the labels against the golden intent/refusal and
against the human labels; ``logged`` labels turns already in the database.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from app.bootstrap import Services
from app.domain.labels import NOT_APPLICABLE, EvalResult
from evals.context import load_contexts
from evals.evaluators.registry import EvaluatorSpec, evaluate
from evals.labels import Expected, TurnContext
from evals.store import write_results
from evals.suites import GOLDEN, load_conversations, replay

HUMAN_LABELS = GOLDEN / "human_labels.jsonl"


class ReportRow(BaseModel):
    """One label with the slices the report breaks it down by."""

    turn_id: str
    created_at: datetime
    kind: str
    intent: str
    category: str
    evaluator: str
    backend: str
    version: str
    label: str
    expected_intent: str | None = None
    expected_refuse: bool | None = None
    human: str | None = None


class SuiteRun(BaseModel):
    suite: str
    turns: int
    written: int
    rows: list[ReportRow]


def human_labels(path: Path = HUMAN_LABELS) -> dict[tuple[str, int, str], str]:
    """(conversation, turn index, evaluator) → the human label."""
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out[(d["conversation"], int(d["turn"]), d["evaluator"])] = d["label"]
    return out


def _rows(
    contexts: list[TurnContext],
    results: list[EvalResult],
    kinds: dict[str, str],
    humans: dict[tuple[str, str], str],
) -> list[ReportRow]:
    by_turn = {c.record.turn_id: c for c in contexts}
    rows = []
    for r in results:
        ctx = by_turn[r.turn_id]
        rec = ctx.record
        exp = ctx.expected or Expected()
        rows.append(
            ReportRow(
                turn_id=r.turn_id,
                created_at=rec.created_at,
                kind=kinds.get(r.turn_id, "logged"),
                intent=rec.extraction.intent.value,
                category=str((rec.state_after.get("filters") or {}).get("category") or "none"),
                evaluator=r.evaluator,
                backend=r.backend.value,
                version=r.evaluator_version,
                label=r.label,
                expected_intent=exp.intent.value if exp.intent else None,
                expected_refuse=exp.refuse,
                human=humans.get((r.turn_id, r.evaluator)),
            )
        )
    return rows


def label_contexts(
    services: Services, contexts: list[TurnContext], specs: list[EvaluatorSpec], suite: str
) -> tuple[list[EvalResult], int]:
    results = [r for ctx in contexts for r in evaluate(ctx, specs)]
    return results, write_results(services.engine, results, suite=suite)


async def run_conversations(services: Services, specs: list[EvaluatorSpec]) -> SuiteRun:
    replayed = await replay(services.pipeline, load_conversations())
    expected = {t.turn_id: t.expected for t in replayed}
    contexts = load_contexts(services.engine, services.catalog, [t.turn_id for t in replayed], expected)
    results, written = label_contexts(services, contexts, specs, "conversations")
    labels = human_labels()
    humans = {
        (t.turn_id, ev): lab
        for t in replayed
        for (conv, idx, ev), lab in labels.items()
        if conv == t.conversation and idx == t.index
    }
    kinds = {t.turn_id: t.kind for t in replayed}
    return SuiteRun(
        suite="conversations",
        turns=len(replayed),
        written=written,
        rows=_rows(contexts, results, kinds, humans),
    )


def run_logged(services: Services, specs: list[EvaluatorSpec], turn_ids: list[str]) -> SuiteRun:
    contexts = load_contexts(services.engine, services.catalog, turn_ids)
    results, written = label_contexts(services, contexts, specs, "logged")
    return SuiteRun(
        suite="logged", turns=len(contexts), written=written, rows=_rows(contexts, results, {}, {})
    )


def applicable(rows: list[ReportRow]) -> list[ReportRow]:
    return [r for r in rows if r.label != NOT_APPLICABLE]
