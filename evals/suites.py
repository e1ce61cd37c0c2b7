"""Eval suites: the scripted conversation golden set replayed through the real pipeline, and the
turns already logged in the database (a date range and a filter).

``evals/golden/conversations.jsonl`` holds hand-written multi-turn shoppers — ordinary shoppers,
out-of-scope requests and adversarial ones (insults, prompt injection, PII, repeated complaints).
Each turn carries its golden ``intent`` and whether it should be refused. Replaying a conversation
runs every message through ``TurnPipeline.run`` in order, so state, guard, retrieval and the log
are the production ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Engine, select

from app.domain.turn import Intent
from app.pipeline.turn import TurnPipeline
from app.storage.schema import turns
from evals.labels import Expected

GOLDEN = Path(__file__).resolve().parent / "golden"
CONVERSATIONS = GOLDEN / "conversations.jsonl"


class ScriptedTurn(BaseModel):
    message: str
    intent: Intent
    refuse: bool = False


class Conversation(BaseModel):
    id: str
    kind: str  # shopper | out_of_scope | adversarial
    turns: list[ScriptedTurn]


class ReplayedTurn(BaseModel):
    conversation: str
    kind: str
    index: int
    turn_id: str
    conversation_id: str
    expected: Expected


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    with path.open(encoding="utf-8") as f:
        return [Conversation.model_validate(json.loads(line)) for line in f if line.strip()]


async def replay(pipeline: TurnPipeline, conversations: list[Conversation]) -> list[ReplayedTurn]:
    """Run every scripted message through the pipeline; a conversation's turns share one id."""
    out: list[ReplayedTurn] = []
    for conv in conversations:
        cid: str | None = None
        for i, t in enumerate(conv.turns):
            result = await pipeline.run(t.message, cid)
            cid = result.record.conversation_id
            out.append(
                ReplayedTurn(
                    conversation=conv.id,
                    kind=conv.kind,
                    index=i,
                    turn_id=result.record.turn_id,
                    conversation_id=cid,
                    expected=Expected(intent=t.intent, refuse=t.refuse),
                )
            )
    return out


def logged_turn_ids(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    intent: str | None = None,
    abstained: bool | None = None,
    limit: int = 10_000,
) -> list[str]:
    """Turn ids in ``[since, until)``, optionally of one intent or abstention outcome."""
    q = select(turns.c.turn_id).order_by(turns.c.created_at).limit(limit)
    if since is not None:
        q = q.where(turns.c.created_at >= since)
    if until is not None:
        q = q.where(turns.c.created_at < until)
    if intent is not None:
        q = q.where(turns.c.intent == intent)
    if abstained is not None:
        q = q.where(turns.c.abstained == abstained)
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(q)]
