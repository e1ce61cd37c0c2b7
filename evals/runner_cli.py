"""``ctp evals run | worker | status | simulate | train-classifier``: the classification evals.

Registered on the ``ctp evals`` typer app by ``register(app)`` so the shared ``evals/cli.py`` needs
two lines.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from app.domain.labels import Backend
from app.settings import Settings
from app.telemetry import flush_spans
from app.telemetry.annotations import export_pending, phoenix_annotator

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.bootstrap import Services


def _services(settings: Settings) -> Services:
    from app.bootstrap import open_services

    return open_services(settings)


def _backends(spec: str) -> list[Backend]:
    return [Backend(b.strip().upper()) for b in spec.split(",") if b.strip()]


def run(
    suite: Annotated[str, typer.Option(help="conversations (golden replay) or logged (turns in the DB).")],
    since: Annotated[datetime | None, typer.Option(help="logged: from this time (inclusive).")] = None,
    until: Annotated[datetime | None, typer.Option(help="logged: until this time (exclusive).")] = None,
    intent: Annotated[str | None, typer.Option("--filter-intent", help="logged: only this intent.")] = None,
    abstained: Annotated[bool | None, typer.Option("--filter-abstained/--filter-answered")] = None,
    backends: Annotated[str, typer.Option(help="Comma list of CODE, CLASSIFIER, LLM.")] = "CODE,CLASSIFIER",
) -> None:
    """Label a suite's turns, store the labels in eval_results and write the report."""
    from evals.offline import run_conversations, run_logged
    from evals.report import intent_accuracy, problem_rate, refusal_accuracy, render
    from evals.specs import make_specs
    from evals.suites import logged_turn_ids

    settings = Settings()
    svc = _services(settings)
    specs = make_specs(settings, svc.encoder, _backends(backends))
    if suite == "conversations":
        result = asyncio.run(run_conversations(svc, specs))
    elif suite == "logged":
        ids = logged_turn_ids(svc.engine, since, until, intent, abstained)
        result = run_logged(svc, specs, ids)
    else:
        raise typer.BadParameter(f"unknown suite '{suite}' (conversations | logged)")
    annotated = _annotate(settings, svc.engine)
    out = render(result.rows, result.suite, settings.var_dir / "reports")
    typer.echo(f"{result.turns} turns, {len(result.rows)} labels ({result.written} new) → {out}/report.md")
    typer.echo(
        f"hallucination {problem_rate(result.rows, 'hallucination')}, refusal accuracy "
        f"{refusal_accuracy(result.rows)}, intent accuracy {intent_accuracy(result.rows)}"
    )
    if annotated is not None:
        typer.echo(f"annotated in Phoenix: {annotated} (the rest stay pending; the worker retries them)")


def _annotate(settings: Settings, engine: Engine) -> int | None:
    """Post the new labels to Phoenix, after flushing the spans of turns this run traced."""
    annotator = phoenix_annotator(settings.phoenix_url, settings.phoenix_enabled)
    if annotator is None:
        return None
    flush_spans()
    return export_pending(engine, annotator, settings.phoenix_batch)


def worker(
    max_seconds: Annotated[
        float | None, typer.Option(help="Stop after this long (default: run forever).")
    ] = None,
    idle_exit: Annotated[float | None, typer.Option(help="Stop after this many idle seconds.")] = None,
    backends: Annotated[str, typer.Option()] = "CODE,CLASSIFIER",
) -> None:
    """Consume the turn stream and label every turn (consumer group, acks, retries, dead letters)."""
    import redis

    from evals.online import EvalWorker
    from evals.specs import make_specs

    settings = Settings()
    if not settings.redis_url:
        raise typer.BadParameter("the eval worker needs CTP_REDIS_URL")
    svc = _services(settings)
    w = EvalWorker(
        redis=redis.Redis.from_url(settings.redis_url),
        engine=svc.engine,
        catalog=svc.catalog,
        specs=make_specs(settings, svc.encoder, _backends(backends)),
        stream=settings.eval_stream,
        group=settings.eval_group,
        max_attempts=settings.eval_max_attempts,
        annotator=phoenix_annotator(settings.phoenix_url, settings.phoenix_enabled),
        annotation_batch=settings.phoenix_batch,
    )
    typer.echo(f"worker {w.consumer} on {w.stream} / {w.group}: {len(w.specs)} evaluators")
    w.run(max_seconds=max_seconds, idle_exit_s=idle_exit)
    typer.echo(f"labelled {w.labelled}, dead-lettered {w.dead}, annotated in Phoenix {w.annotated}")


def status() -> None:
    """Stream length, pending, lag, dead letters and labels/s of the online evals."""
    import redis

    from app.storage.db import make_engine
    from evals.online import status as eval_status

    settings = Settings()
    if not settings.redis_url:
        raise typer.BadParameter("needs CTP_REDIS_URL")
    s = eval_status(
        redis.Redis.from_url(settings.redis_url),
        make_engine(settings.resolved_database_url),
        settings.eval_stream,
        settings.eval_group,
    )
    typer.echo(json.dumps(s.model_dump(), indent=1))


def simulate(
    conversations: Annotated[int, typer.Option(help="Scripted shoppers to run.")] = 200,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """A simulated day of shoppers through the real API in-process (turns, traces, stream)."""
    from app.telemetry import install_memory_exporter
    from evals.simulate import simulate as run_simulation

    settings = Settings()
    svc = _services(settings)
    exporter = install_memory_exporter()
    report = asyncio.run(run_simulation(svc, conversations, seed))
    roots = [s for s in exporter.get_finished_spans() if s.name == "turn"]
    typer.echo(
        f"{report.conversations} conversations {report.personas}, {report.turns} turns, "
        f"{report.feedback} feedback, {len(roots)} turn traces, {len(report.errors)} errors"
    )
    for e in report.errors[:5]:
        typer.echo(f"  {e}")


def train_classifier(
    conversations: Annotated[int, typer.Option(help="Simulated shoppers to label for training.")] = 300,
    seed: Annotated[int, typer.Option()] = 11,
) -> None:
    """Train the CLASSIFIER backend on judge (CODE) labels of simulated turns, and for intent on the
    extraction golden set; writes evals/artifacts/<evaluator>.json."""
    from evals.train import train_all

    settings = Settings()
    svc = _services(settings)
    for path, art in asyncio.run(train_all(svc, conversations, seed)):
        typer.echo(f"{art.evaluator}: {art.version} on {art.n_train} ({art.label_counts}) → {path}")


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)
    app.command(name="worker")(worker)
    app.command(name="status")(status)
    app.command(name="simulate")(simulate)
    app.command(name="train-classifier")(train_classifier)
