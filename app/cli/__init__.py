"""``ctp``: one command-line entry point, a subcommand per job.

ctp build    ingest the catalog into SQL and build the vector index (idempotent)
ctp serve    run the API (uvicorn, N workers)
ctp ui       run the Streamlit shopper UI against the API
ctp console  run the product team's review console (reviewer API key)
ctp demo     build, then run API + UI together until Ctrl+C
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import httpx
import typer

from app.cli.calibrate import calibrate as calibrate_command
from app.llm.local import llm_local
from app.settings import REPO_ROOT, Settings
from evals.cli import app as evals_app
from recsys.cli import app as recsys_app

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
cli.add_typer(recsys_app, name="recsys")
cli.command(name="calibrate")(calibrate_command)
cli.add_typer(evals_app, name="evals")
cli.command(name="llm-local")(llm_local)


@cli.command()
def build(force: Annotated[bool, typer.Option(help="Rebuild the index even if unchanged.")] = False) -> None:
    """Ingest the configured catalog sources into the database and build the vector index."""
    from app.bootstrap import build_catalog

    settings = Settings()
    typer.echo(f"data: {settings.data_dir}\ndatabase: {settings.resolved_database_url}")
    typer.echo(f"index: {settings.qdrant_url or settings.edge_path}")
    report = build_catalog(settings, force=force, progress=True)
    typer.echo(
        f"catalog: {report.products} products ({report.inserted} new, {report.updated} changed, "
        f"{report.unchanged} unchanged), {report.links} links, {report.stock_rows} stock rows, version {report.catalog_version[:12]}"
    )
    state = (
        "unchanged, skipped"
        if report.index_skipped
        else f"built in {report.index_seconds:.1f} s ({report.index_encoded} products encoded)"
    )
    typer.echo(f"index: {state}, version {report.index_version}; {report.seconds:.1f} s")
    typer.echo(f"store policy collection: version {report.policy_version}")
    if settings.guard_method == "combined":
        # The combined guard is trained on the evals' data splits; the CLI is the one place in app
        # allowed to reach evals (docs/architecture.md).
        from evals.guard_training import ensure_combined_guard

        trained = ensure_combined_guard(settings)
        typer.echo(f"combined guard: {'trained' if trained else 'up to date'}")


@cli.command()
def serve(
    workers: Annotated[int | None, typer.Option(help="Worker processes (default CTP_API_WORKERS).")] = None,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Run the API."""
    import uvicorn

    settings = Settings()
    n = workers or settings.api_workers
    if n > 1 and not settings.redis_url:
        raise typer.BadParameter("more than one worker needs CTP_REDIS_URL (shared conversation state)")
    os.environ["CTP_API_WORKERS"] = str(n)
    uvicorn.run(
        "app.api.main:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=n,
        log_level="info",
        timeout_graceful_shutdown=20,
        # The supervisor kills a worker that does not answer its ping in time. A worker that is
        # still importing its model on a busy box missed uvicorn's 5 s and was restarted in a loop
        # (load test at load average 11: no worker ever came up).
        timeout_worker_healthcheck=60,
    )


def _ui_command(settings: Settings, port: int | None = None) -> list[str]:
    script = REPO_ROOT / "ui" / "chat.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port or settings.ui_port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.address", settings.ui_host,
    ]  # fmt: skip


@cli.command()
def ui(port: Annotated[int | None, typer.Option()] = None) -> None:
    """Run the Streamlit UI (it talks to the API at CTP_API_BASE_URL)."""
    settings = Settings()
    os.execv(sys.executable, _ui_command(settings, port))


@cli.command()
def console(port: Annotated[int, typer.Option(help="Port of the review console.")] = 8502) -> None:
    """Run the product team's review console (a reviewer API key signs in; see docs/ui.md)."""
    cmd = _ui_command(Settings(), port)
    cmd[4] = str(REPO_ROOT / "ui" / "console.py")
    os.execv(sys.executable, cmd)


@cli.command()
def demo() -> None:
    """Build the catalog and index, then run the API and the UI until Ctrl+C."""
    settings = Settings()
    build()
    api = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"])
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{settings.api_base_url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if api.poll() is not None:
            raise typer.Exit(api.returncode or 1)
        time.sleep(0.5)
    ui_proc = subprocess.Popen(_ui_command(settings))
    typer.echo(
        f"\nAPI  {settings.api_base_url}/docs\nUI   http://{settings.api_host}:{settings.ui_port}\n"
        "Ctrl+C stops both."
    )
    try:
        while api.poll() is None and ui_proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (ui_proc, api):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (ui_proc, api):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@cli.command("hash-key")
def hash_key_cmd(
    role: Annotated[str, typer.Option(help="reviewer or admin")] = "reviewer",
    name: Annotated[str, typer.Option(help="who the key is for")] = "reviewer",
) -> None:
    """Make a new staff API key and print it with the CTP_API_KEYS entry that stores only its hash."""
    from app.api.security import RANK, hash_key, new_key

    if role not in RANK:
        raise typer.BadParameter("role must be reviewer or admin")
    key = new_key()
    typer.echo(f"key (give it to {name}; it is not stored anywhere): {key}")
    typer.echo(f'CTP_API_KEYS entry: {{"{name}": "{role}:{hash_key(key)}"}}')


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
