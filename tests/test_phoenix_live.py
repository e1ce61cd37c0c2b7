"""The real check against a real Phoenix server (opt-in: ``make test-phoenix`` / ``-m phoenix``).

Starts ``phoenix serve`` from its own virtualenv (``.phoenix-venv``, ``make phoenix-install``) on
a free loopback port, exports the turns of a short conversation to it, runs the online eval worker
(which posts its labels as annotations), posts a reviewer's label, and asserts through the
Phoenix client what the product team will see: each turn a trace whose root is the turn with its
message and reply, the conversation a session, the stages with readable documents, the labels as
CODE and HUMAN annotations on the turn span, exactly once each, and no EVALUATOR traces.

Opt-in rather than in ``make test``: installing arize-phoenix into its own venv took ~5 min and
starting it ~40 s on the shared 2-core machine, on top of the suite.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from phoenix.client import Client
from sqlalchemy import delete

from app.bootstrap import Services
from app.domain.labels import LABELS
from app.review.models import HumanLabelIn
from app.review.store import add_label
from app.settings import Settings
from app.storage.schema import phoenix_annotations
from app.telemetry import flush_spans, setup_tracing
from app.telemetry.annotations import export_pending, phoenix_annotator
from evals.evaluators.registry import code_evaluators
from evals.online import EvalWorker
from infra.phoenix import free_port, start, wait_ready

pytestmark = pytest.mark.phoenix
PROJECT = "chat-to-purchase"


@pytest.fixture(scope="module")
def phoenix_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start(port, tmp_path_factory.mktemp("phoenix"))
    try:
        wait_ready(port, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def until(check, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy (Phoenix ingests asynchronously; a project
    that has no span yet is a 404)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = check()
        except httpx.HTTPStatusError:
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1.0)


def test_turns_sessions_documents_and_annotations_reach_phoenix(
    phoenix_url: str, settings: Settings, services: Services
) -> None:
    live = settings.model_copy(update={"phoenix_url": phoenix_url, "phoenix_project": PROJECT})
    assert setup_tracing(live)
    r = redis.Redis.from_url(settings.redis_url)
    group = f"phoenix-live-{time.time_ns()}"  # from now on: the stream also holds earlier sessions' turns
    r.xgroup_create(settings.eval_stream, group, id="$", mkstream=True)
    messages = ["black hoodies for men, my email is jane.doe@example.com", "under $60", "what about jackets"]

    async def converse() -> list[str]:
        cid, turn_ids = None, []
        for m in messages:
            result = await services.pipeline.run(m, cid)
            cid = result.record.conversation_id
            turn_ids.append(result.record.turn_id)
        return turn_ids

    turn_ids = asyncio.run(converse())
    flush_spans()
    client = Client(base_url=phoenix_url)

    def roots() -> list[dict]:  # type: ignore[type-arg]
        spans = client.spans.get_spans(project_identifier=PROJECT, name="turn", limit=100)
        return [dict(s) for s in spans if s.get("attributes", {}).get("turn.id") in turn_ids]

    turn_spans = until(lambda: len(roots()) == len(turn_ids) and roots())
    assert turn_spans, "the turn spans never reached Phoenix"
    by_turn = {s["attributes"]["turn.id"]: s for s in turn_spans}
    first = by_turn[turn_ids[0]]
    assert first["attributes"]["input.value"] == "black hoodies for men, my email is [EMAIL]"
    assert first["attributes"]["output.value"]
    assert all("parent_id" not in s or not s["parent_id"] for s in turn_spans), "turn spans are trace roots"

    cid = first["attributes"]["session.id"]
    session = client.sessions.get_session_turns(session_id=cid)
    assert [t["input"]["value"] for t in session] == [
        "black hoodies for men, my email is [EMAIL]",
        "under $60",
        "what about jackets",
    ]
    assert all(t["output"]["value"] for t in session)

    retrieve = client.spans.get_spans(
        project_identifier=PROJECT, trace_ids=[first["context"]["trace_id"]], name="retrieve"
    )
    assert retrieve and retrieve[0]["span_kind"] == "RETRIEVER"
    attrs = retrieve[0]["attributes"]
    content = attrs.get("retrieval.documents.0.document.content") or str(attrs.get("retrieval.documents"))
    assert "USD" in content, sorted(attrs)[:20]

    worker = EvalWorker(
        redis=r,
        engine=services.engine,
        catalog=services.catalog,
        specs=code_evaluators(),
        stream=settings.eval_stream,
        group=group,
        annotator=phoenix_annotator(phoenix_url),
    )
    worker.run(max_seconds=30, idle_exit_s=3)
    assert worker.labelled >= len(turn_ids) and worker.annotated >= len(turn_ids)
    annotator = phoenix_annotator(phoenix_url)
    assert annotator is not None
    add_label(
        services.engine, turn_ids[0], HumanLabelIn(evaluator="relevance", label="relevant", note="ok"), "ana"
    )
    until(lambda: export_pending(services.engine, annotator) == 0 and False, timeout_s=5)

    span_ids = [by_turn[t]["context"]["span_id"] for t in turn_ids]

    def annotations() -> list[dict]:  # type: ignore[type-arg]
        return [
            dict(a) for a in client.spans.get_span_annotations(span_ids=span_ids, project_identifier=PROJECT)
        ]

    notes = until(lambda: [a for a in annotations() if a["annotator_kind"] == "HUMAN"] and annotations())
    kinds = {(a["name"], a["annotator_kind"]) for a in notes}
    assert ("relevance", "HUMAN") in kinds
    assert {name for name, kind in kinds if kind == "CODE"} >= {"refusal"}
    code_names = [a["name"] for a in notes if a["annotator_kind"] == "CODE" and a["span_id"] == span_ids[0]]
    assert len(code_names) == len(set(code_names)), "one annotation per label"
    for a in notes:
        if a["name"] in LABELS and a["result"].get("label") in LABELS[a["name"]]:
            assert a["result"]["score"] in (0.0, 1.0)

    # Idempotent: forgetting what was posted and posting everything again changes nothing in Phoenix.
    with services.engine.begin() as conn:
        conn.execute(delete(phoenix_annotations))
    export_pending(services.engine, annotator)
    assert len(until(annotations)) == len(notes)

    evaluator_spans = client.spans.get_spans(project_identifier=PROJECT, span_kind="EVALUATOR", limit=10)
    assert evaluator_spans == []
