"""Training data and fitting for the CLASSIFIER backend.

Targets: friction, toxicity and refusal are learned from the CODE backend's labels ("judge labels")
on simulated turns (``evals/simulate.py``, a different seed and different templates from the golden
conversations, which stay held out for the agreement report). Intent is learned from the
extraction golden set's messages and intents; its label is whether the classifier's intent agrees
with the extractor's. Relevance and hallucination have no classifier: their CODE checks are exact.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.bootstrap import Services
from evals.context import load_contexts
from evals.evaluators.classifier import ClassifierArtifact, featurize, save, train
from evals.evaluators.code import CODE_EVALUATORS
from evals.labels import TurnContext
from evals.simulate import simulate
from evals.suites import GOLDEN

JUDGE_TARGETS = ("friction", "toxicity", "refusal")


async def simulated_contexts(services: Services, conversations: int, seed: int) -> list[TurnContext]:
    report = await simulate(services, conversations, seed)
    return load_contexts(services.engine, services.catalog, report.turn_ids)


def intent_training(services: Services) -> tuple[list[TurnContext], list[str]]:
    """Single-message contexts from the extraction golden set (messages without history)."""
    from datetime import UTC, datetime

    from app.domain.turn import Intent, ShoppingTurn, TurnRecord

    rows = [
        json.loads(x)
        for x in (GOLDEN / "extraction.jsonl").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    contexts, labels = [], []
    for i, row in enumerate(rows):
        rec = TurnRecord(
            turn_id=f"x{i}",
            conversation_id="x",
            turn_index=len(row.get("history", [])),
            created_at=datetime.now(UTC),
            message=row["message"],
            extraction=ShoppingTurn(intent=Intent(row["expected"]["intent"])),
            state_before={},
            state_after={},
            guard=None,
            candidates=[],
            shown=[],
            reply="",
            abstained=False,
            latency_ms={},
            versions={},
        )
        contexts.append(TurnContext(record=rec))
        labels.append(row["expected"]["intent"])
    return contexts, labels


async def train_all(
    services: Services, conversations: int, seed: int
) -> list[tuple[Path, ClassifierArtifact]]:
    out = []
    contexts = await simulated_contexts(services, conversations, seed)
    x = featurize(contexts, services.encoder)
    for name in JUDGE_TARGETS:
        labels = [CODE_EVALUATORS[name](c)[0] for c in contexts]
        art = train(
            name, x, labels, trained_on=f"CODE labels of {len(contexts)} simulated turns (seed {seed})"
        )
        out.append((save(art), art))
    ictx, ilabels = intent_training(services)
    art = train(
        "intent", featurize(ictx, services.encoder), ilabels, trained_on="evals/golden/extraction.jsonl"
    )
    out.append((save(art), art))
    return out
