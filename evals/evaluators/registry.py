"""Evaluator specs and the function that runs them on one turn.

An evaluator is (name, version, backend, function). The version is part of the idempotency key
in ``eval_results``: change a CODE rule, a judge prompt or retrain a classifier and bump or derive
the version, and the new labels sit beside the old ones instead of overwriting them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.domain.labels import Backend, EvalResult
from evals.evaluators.code import CODE_EVALUATORS
from evals.labels import TurnContext

CODE_VERSION = "code-1"

Judge = Callable[[TurnContext], tuple[str, str]]


@dataclass(frozen=True)
class EvaluatorSpec:
    name: str
    version: str
    backend: Backend
    run: Judge

    @property
    def key(self) -> str:
        return f"{self.name}/{self.backend.value}@{self.version}"


def code_evaluators(names: Sequence[str] | None = None) -> list[EvaluatorSpec]:
    return [
        EvaluatorSpec(name, CODE_VERSION, Backend.CODE, fn)
        for name, fn in CODE_EVALUATORS.items()
        if names is None or name in names
    ]


def evaluate(ctx: TurnContext, specs: Sequence[EvaluatorSpec]) -> list[EvalResult]:
    """One result per spec. An evaluator that raises propagates: no label is better than a wrong
    one, and the worker leaves the turn pending to retry it. Labels are not traced as spans of their
    own; they reach Phoenix as annotations on the turn's span (``app/telemetry/annotations.py``)."""
    out = []
    for spec in specs:
        label, explanation = spec.run(ctx)
        out.append(
            EvalResult(
                turn_id=ctx.record.turn_id,
                evaluator=spec.name,
                evaluator_version=spec.version,
                backend=spec.backend,
                label=label,
                explanation=explanation,
            )
        )
    return out
