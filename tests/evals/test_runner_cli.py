"""``ctp evals run`` posts its labels to Phoenix as span annotations through the outbox
(``app/telemetry/annotations.py``): each label of a traced turn is queued for that turn's span,
posted once when Phoenix answers, kept queued when it does not. Phoenix is replaced by a recorder
with the annotator's interface; ``tests/test_phoenix_live.py`` checks the real server (opt-in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from typer.testing import CliRunner

from app.bootstrap import Services
from app.storage.schema import eval_results, phoenix_annotations
from app.telemetry import install_memory_exporter
from app.telemetry.annotations import SpanAnnotator, pending
from evals import runner_cli
from evals.cli import app

PHOENIX_URL = "http://127.0.0.1:6006"


class Recorder:
    """A Phoenix that records each post, or refuses them all (``down``)."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.posts: list[list[dict[str, Any]]] = []

    def post(self, annotations: list[dict[str, Any]]) -> None:
        if self.down:
            raise ConnectionError("phoenix is down")
        self.posts.append(annotations)

    def posted(self, turn_ids: set[str]) -> list[dict[str, Any]]:
        return [a for batch in self.posts for a in batch if a["metadata"]["turn_id"] in turn_ids]


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return install_memory_exporter()


@pytest.fixture
def cli(
    services: Services, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Recorder]:
    """``ctp evals run`` on the test session's services, with Phoenix at ``PHOENIX_URL`` answered by
    ``phoenix["now"]``."""
    phoenix = {"now": Recorder()}

    def annotator(url: str | None, enabled: bool = True) -> SpanAnnotator | None:
        return phoenix["now"] if enabled and url == PHOENIX_URL else None

    monkeypatch.setattr(runner_cli, "_services", lambda settings: services)
    monkeypatch.setattr(runner_cli, "phoenix_annotator", annotator)
    monkeypatch.setenv("CTP_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CTP_PHOENIX_URL", PHOENIX_URL)
    monkeypatch.setenv("CTP_PHOENIX_ENABLED", "true")
    return phoenix


async def traced_turns(services: Services) -> tuple[str, dict[str, str]]:
    """Two logged, traced turns; the ``--since`` that selects them and their span ids."""
    since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    spans = {}
    for message in ("black hoodies for men", "a cordless drill with two batteries"):
        rec = (await services.pipeline.run(message)).record
        assert rec.span_id is not None
        spans[rec.turn_id] = rec.span_id
    return since, spans


def evals_run(since: str) -> str:
    args = ["run", "--suite", "logged", "--since", since, "--backends", "CODE"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def label_ids(services: Services, turn_ids: set[str]) -> dict[int, tuple[str, str, str]]:
    """eval_results id → (turn id, evaluator, label) for these turns."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(eval_results).where(eval_results.c.turn_id.in_(turn_ids))).mappings()
        return {int(r["id"]): (r["turn_id"], r["evaluator"], r["label"]) for r in rows}


def outbox(services: Services, turn_ids: set[str]) -> list[tuple[str, int]]:
    with services.engine.connect() as conn:
        q = select(phoenix_annotations).where(phoenix_annotations.c.turn_id.in_(turn_ids))
        return sorted((r["source"], int(r["source_id"])) for r in conn.execute(q).mappings())


async def test_ctp_evals_run_posts_each_label_once_on_its_turn_span(
    services: Services, cli: dict[str, Recorder]
) -> None:
    since, spans = await traced_turns(services)
    mine = set(spans)
    out = evals_run(since)
    labels = label_ids(services, mine)
    assert {turn for turn, _, _ in labels.values()} == mine
    posted = cli["now"].posted(mine)
    assert sorted((a["metadata"]["turn_id"], a["name"], a["result"]["label"]) for a in posted) == sorted(
        labels.values()
    )
    assert all(a["span_id"] == spans[a["metadata"]["turn_id"]] for a in posted)
    assert {a["annotator_kind"] for a in posted} == {"CODE"}
    assert outbox(services, mine) == sorted(("eval", i) for i in labels)
    assert "annotated in Phoenix:" in out

    again = Recorder()
    cli["now"] = again
    evals_run(since)  # the same turns, labelled again: no new label, nothing re-posted
    assert label_ids(services, mine) == labels
    assert again.posted(mine) == []


async def test_ctp_evals_run_with_phoenix_down_keeps_the_labels_queued_for_the_next_run(
    services: Services, cli: dict[str, Recorder]
) -> None:
    since, spans = await traced_turns(services)
    mine = set(spans)
    cli["now"] = Recorder(down=True)
    out = evals_run(since)
    labels = label_ids(services, mine)
    assert labels and "annotated in Phoenix: 0" in out
    queued = [p for p in pending(services.engine, 10_000) if p.turn_id in mine]
    assert sorted(p.source_id for p in queued) == sorted(labels)
    assert {p.span_id for p in queued} == set(spans.values())
    assert outbox(services, mine) == []

    up = Recorder()
    cli["now"] = up
    evals_run(since)
    assert len(up.posted(mine)) == len(labels)
    assert outbox(services, mine) == sorted(("eval", i) for i in labels)
