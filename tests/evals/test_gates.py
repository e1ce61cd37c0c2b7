"""CI gate: the conversation golden suite replayed through the real pipeline, labelled by the CODE
backend. Thresholds are the figures measured when the suite was written (docs/evals.md) minus a
small margin, so a regression fails the build."""

from __future__ import annotations

import pytest

from app.bootstrap import Services
from evals.evaluators.registry import code_evaluators
from evals.offline import SuiteRun, run_conversations
from evals.report import intent_accuracy, problem_rate, refusal_accuracy

MEASURED_REFUSAL_ACCURACY = 0.981  # 102/104, ctp evals run --suite conversations
MEASURED_INTENT_ACCURACY = 0.923  # 96/104
MARGIN = 0.04


@pytest.fixture(scope="module")
async def suite(services: Services) -> SuiteRun:
    return await run_conversations(services, code_evaluators())


def test_every_scripted_turn_was_replayed_and_labelled(suite: SuiteRun) -> None:
    assert suite.turns >= 100
    assert len(suite.rows) == suite.turns * len(code_evaluators())


def test_the_deterministic_reply_never_hallucinates(suite: SuiteRun) -> None:
    assert problem_rate(suite.rows, "hallucination") == 0.0


def test_refusal_accuracy_holds(suite: SuiteRun) -> None:
    acc = refusal_accuracy(suite.rows)
    assert acc is not None and acc >= MEASURED_REFUSAL_ACCURACY - MARGIN


def test_intent_accuracy_holds(suite: SuiteRun) -> None:
    acc = intent_accuracy(suite.rows)
    assert acc is not None and acc >= MEASURED_INTENT_ACCURACY - MARGIN
