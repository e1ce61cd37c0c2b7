"""``ctp evals dialogue [--split test|dev|dev2]`` and ``ctp evals storehelp``: the issue-13 evals.

``dialogue`` replays the blind dialogue golden set through the real pipeline (``evals/dialogue.py``).
The headline is the frozen ``test`` split; failures are listed only for ``dev`` (tuning happens on
dev, and nobody reads individual test conversations). ``storehelp`` reports the store-help router's
accuracy per Bitext intent on the Bitext test split (``evals/storehelp_data.py``).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Annotated

import typer

from app.settings import Settings
from evals.dialogue import format_report, load_dialogues, run_dialogue_eval


def dialogue(
    split: Annotated[
        str,
        typer.Option(
            help="test (the frozen headline), dev, dev2 or dev3 (fresh dev data of the later passes; for tuning)."
        ),
    ] = "test",
    max_failures: Annotated[int, typer.Option(help="dev splits only: failing turns to list.")] = 0,
) -> None:
    """Task success, product-QA accuracy, unsupported claims, policy on topic, named-product
    resolution and relaxation announced on the dialogue golden set."""
    if split not in ("test", "dev", "dev2", "dev3"):
        raise typer.BadParameter("split must be 'test', 'dev', 'dev2' or 'dev3'")
    if split == "test" and max_failures:
        raise typer.BadParameter("failures are listed for the dev splits only: the test split stays blind")
    from app.bootstrap import open_services

    svc = open_services(Settings())

    async def run() -> str:
        try:
            report = await run_dialogue_eval(svc.pipeline, load_dialogues(split=split), split)
            return format_report(report, max_failures)
        finally:
            await svc.aclose()

    typer.echo(asyncio.run(run()))


def storehelp(
    split: Annotated[str, typer.Option(help="test (headline), dev or train.")] = "test",
    show: Annotated[int, typer.Option(help="dev/train only: misrouted requests to list.")] = 0,
    router: Annotated[
        str,
        typer.Option(help="full: the turn's own routing (extract + understand); cues: the cue router alone."),
    ] = "full",
) -> None:
    """Store-help routing accuracy per Bitext intent (expected route: ``ROUTE_OF_INTENT``)."""
    from app.policy.router import OUT_OF_REMIT, route
    from evals.storehelp_data import load_requests

    if split == "test" and show:
        raise typer.BadParameter("misrouted requests are listed for dev/train only")
    if router not in ("full", "cues"):
        raise typer.BadParameter("router must be 'full' or 'cues'")
    rows = [r for r in load_requests(Settings().data_dir) if r.split == split]
    routed = full_routes([r.text for r in rows]) if router == "full" else [route(r.text) for r in rows]
    per: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: list[str] = []
    for r, got_route in zip(rows, routed, strict=True):
        got = got_route or "none"
        ok = got == r.route
        per[r.intent]["n"] += 1
        per[r.intent]["ok"] += int(ok)
        per[r.intent]["wrong_route"] += int(not ok and got not in ("none", OUT_OF_REMIT))
        if not ok:
            wrong.append(f"{r.intent} → {got}: {r.text}")
    total = sum(c["ok"] for c in per.values())
    typer.echo(
        f"store-help routing ({router}) — Bitext {split} split: {total}/{len(rows)} = {total / len(rows):.3f}"
    )
    typer.echo(f"  {'intent':28} {'route':13} {'n':>4} {'acc':>6} {'wrong route':>11}")
    from evals.storehelp_data import ROUTE_OF_INTENT

    for intent in sorted(per):
        c = per[intent]
        typer.echo(
            f"  {intent:28} {ROUTE_OF_INTENT[intent]:13} {c['n']:4d} {c['ok'] / c['n']:6.3f} {c['wrong_route']:11d}"
        )
    for w in wrong[:show]:
        typer.echo("    " + w)


def full_routes(texts: list[str]) -> list[str | None]:
    """Each request's route as a first turn takes it: extraction, then the understand stage (cue
    router, then the policy collection by meaning); an order intent is the ``order_status`` route."""
    from app.bootstrap import open_services
    from app.domain.turn import ORDER_INTENTS, ConversationState, Intent
    from app.privacy import redact

    svc = open_services(Settings())
    pipeline = svc.pipeline
    assert pipeline.understander is not None

    async def one(text: str) -> str | None:
        message, _ = redact(text)
        state = ConversationState(conversation_id="storehelp")
        turn = await pipeline.extractor.extract(message, state)
        turn = pipeline.understander.understand(message, turn, state)  # type: ignore[union-attr]
        if turn.intent in (Intent.policy, Intent.out_of_scope) and turn.topic:
            return turn.topic
        return "order_status" if turn.intent in ORDER_INTENTS else None

    async def run() -> list[str | None]:
        try:
            return [await one(t) for t in texts]
        finally:
            await svc.aclose()

    return asyncio.run(run())
