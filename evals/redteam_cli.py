"""``ctp evals redteam``: run the red-team set against a backend and print tried/contained per category."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from app.bootstrap import open_services
from app.settings import Settings
from evals.redteam import complying_reply, run_redteam, table, with_llm_responder


def redteam(
    backend: Annotated[
        str, typer.Option(help="rules | llm-fake (an LLM that complies with every injection)")
    ] = "rules",
    verbose: Annotated[bool, typer.Option(help="Print every attempt that was not contained.")] = True,
) -> None:
    """Send every attempt in evals/golden/redteam.jsonl through the app; exit 1 if any got through."""
    if backend not in ("rules", "llm-fake"):
        raise typer.BadParameter("--backend must be rules or llm-fake")
    settings = Settings()
    services = open_services(settings)
    with contextlib.ExitStack() as stack:
        if backend == "llm-fake":
            from tests.llm.fake_server import serving  # the scripted OpenAI-compatible test server

            fake = stack.enter_context(serving(default=complying_reply))
            services = with_llm_responder(services, fake.url)
        outcomes = asyncio.run(run_redteam(settings, services))
    typer.echo(f"{'category':<22} {'tried':>5} {'contained':>9}")
    for category, tried, held in table(outcomes):
        typer.echo(f"{category:<22} {tried:>5} {held:>9}")
    held_all = sum(o.contained for o in outcomes)
    typer.echo(f"{'total':<22} {len(outcomes):>5} {held_all:>9}")
    for o in outcomes:
        if verbose and not o.contained:
            typer.echo(f"NOT CONTAINED {o.id} ({o.status}): {'; '.join(o.problems)}")
    if held_all < len(outcomes):
        raise typer.Exit(1)
