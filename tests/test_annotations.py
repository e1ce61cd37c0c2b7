"""Eval and human labels become Phoenix span annotations through the outbox
(``app/telemetry/annotations.py``): each label once, on its turn's span, with the right annotator
kind; nothing is lost or duplicated when Phoenix refuses. Phoenix is replaced by a recorder here;
``tests/test_phoenix_live.py`` checks the real server."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.bootstrap import Services
from app.domain.labels import Backend, EvalResult
from app.pipeline.log import TurnLogger
from app.review.models import HumanLabelIn
from app.review.store import add_label
from app.telemetry import install_memory_exporter
from app.telemetry.annotations import export_pending, label_score
from evals.store import write_results


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.posted: list[dict[str, Any]] = []

    def post(self, annotations: list[dict[str, Any]]) -> None:
        if self.fail:
            raise ConnectionError("phoenix is down")
        self.posted += annotations


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return install_memory_exporter()


async def labelled_turn(services: Services) -> tuple[str, str]:
    result = await services.pipeline.run("black hoodies")
    rec = result.record
    assert rec.span_id is not None
    write_results(
        services.engine,
        [
            EvalResult(
                turn_id=rec.turn_id,
                evaluator="hallucination",
                evaluator_version="code-1",
                backend=Backend.CODE,
                label="grounded",
                explanation="names and prices are in the shown products; mail me at jo@example.com",
            ),
            EvalResult(
                turn_id=rec.turn_id,
                evaluator="relevance",
                evaluator_version="judge-3",
                backend=Backend.LLM,
                label="irrelevant",
                explanation="shows bags",
            ),
        ],
    )
    add_label(services.engine, rec.turn_id, HumanLabelIn(evaluator="relevance", label="relevant"), "ana")
    return rec.turn_id, rec.span_id


async def test_each_label_is_posted_once_on_the_turn_span_with_its_annotator_kind(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    turn_id, span_id = await labelled_turn(services)
    phoenix = Recorder()
    export_pending(services.engine, phoenix)
    mine = [a for a in phoenix.posted if a["metadata"]["turn_id"] == turn_id]
    assert sorted((a["name"], a["annotator_kind"], a["result"]["label"]) for a in mine) == [
        ("hallucination", "CODE", "grounded"),
        ("relevance", "HUMAN", "relevant"),
        ("relevance", "LLM", "irrelevant"),
    ]
    assert {a["span_id"] for a in mine} == {span_id}
    by_kind = {a["annotator_kind"]: a for a in mine}
    assert by_kind["CODE"]["result"]["score"] == 1.0 and by_kind["LLM"]["result"]["score"] == 0.0
    assert "jo@example.com" not in by_kind["CODE"]["result"]["explanation"]
    assert export_pending(services.engine, phoenix) == 0


async def test_phoenix_down_leaves_labels_pending_and_a_later_call_posts_them(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    turn_id, _ = await labelled_turn(services)
    assert export_pending(services.engine, Recorder(fail=True)) == 0
    later = Recorder()
    export_pending(services.engine, later)
    assert len([a for a in later.posted if a["metadata"]["turn_id"] == turn_id]) == 3


async def test_labels_of_untraced_turns_never_hold_back_a_traced_turns_labels(
    services: Services, exporter: InMemorySpanExporter
) -> None:
    """Turns logged while Phoenix was off have no span: their labels can never be posted, and a
    batch filled with them must not starve the labels behind them."""
    untraced = (await services.pipeline.run("white tees")).record
    for i in range(3):
        copy = untraced.model_copy(
            update={
                "turn_id": f"{untraced.turn_id}-{i}",
                "conversation_id": f"c_untraced_{i}",
                "span_id": None,
            }
        )
        TurnLogger(services.engine).write(copy)
        write_results(
            services.engine,
            [
                EvalResult(
                    turn_id=copy.turn_id,
                    evaluator="toxicity",
                    evaluator_version="code-1",
                    backend=Backend.CODE,
                    label="non-toxic",
                    explanation="no insult",
                )
            ],
        )
    turn_id, _ = await labelled_turn(services)
    phoenix = Recorder()
    export_pending(services.engine, phoenix, batch=2, max_batches=10)
    mine = sorted(
        (a["name"], a["annotator_kind"]) for a in phoenix.posted if a["metadata"]["turn_id"] == turn_id
    )
    assert mine == [("hallucination", "CODE"), ("relevance", "HUMAN"), ("relevance", "LLM")]
    assert not any(a["metadata"]["turn_id"].startswith(untraced.turn_id + "-") for a in phoenix.posted)


def test_scores_follow_the_label_vocabulary() -> None:
    assert (label_score("refusal", "answered"), label_score("refusal", "refused")) == (1.0, 0.0)
    assert label_score("refusal", "n/a") is None


def test_the_off_switch_disables_span_export_and_annotations() -> None:
    from app.settings import Settings
    from app.telemetry import otlp_endpoint
    from app.telemetry.annotations import phoenix_annotator

    on = Settings(phoenix_url="http://127.0.0.1:6006")
    off = Settings(
        phoenix_url="http://127.0.0.1:6006", otlp_endpoint="http://x/v1/traces", phoenix_enabled=False
    )
    assert otlp_endpoint(on) == "http://127.0.0.1:6006/v1/traces"
    assert otlp_endpoint(off) is None
    assert phoenix_annotator(off.phoenix_url, off.phoenix_enabled) is None
