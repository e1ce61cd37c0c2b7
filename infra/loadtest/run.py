"""``make loadtest``: start the stack on loopback, measure, load it with Locust, report, tear down.

    python -m infra.loadtest.run --users 32 --duration 60s [--workers 2] [--sweep 1,4,16,32,64]

1. the stack (``stack.py``): fresh PostgreSQL database, dedicated Redis db, Qdrant Edge built by
   ``ctp build`` into a temporary var dir, ``ctp serve --workers N`` on 127.0.0.1;
2. the ceiling: per-stage microbenchmarks in this process on the same catalog and index
   (``infra.bench.micro``) — the unavoidable work per search turn and what it allows on these cores;
3. the *shoppers* run: ``--users`` with think times, ``--duration`` (the latency targets);
4. the *saturation* run: the same users with no think time (throughput vs the ceiling, and the
   API's CPU per turn from the workers' CPU time);
5. an optional sweep over concurrency (closed loop) → ``sweep.png`` + table;
6. the report (``report.md`` + ``report.json`` in ``var/reports/loadtest-<timestamp>/``), and the
   check that every chat turn Locust saw answered 200 is one row in the ``turns`` table, and the
   tally of the last-units race (``last_units.py``: 5 units of one variant, never oversold) — the
   command exits 1 on a mismatch or an oversell (or on any error when ``--strict``).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import create_engine, text

from infra.loadtest import last_units
from infra.loadtest.report import plot_sweep, render
from infra.loadtest.stack import REPO, Stack
from infra.loadtest.stats import (
    CHAT_PREFIX,
    RunStats,
    chat_latency,
    final_counts,
    parse_locust_csv,
    pooled,
    read_samples,
    stage_percentiles,
)

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
cli = typer.Typer(add_completion=False)


def seconds(spec: str) -> float:
    """ "60s", "2m", "90" → seconds."""
    spec = spec.strip().lower()
    if spec.endswith("m"):
        return float(spec[:-1]) * 60
    return float(spec.rstrip("s"))


def run_locust(
    stack: Stack, out: Path, label: str, users: int, duration: float, think: str, race: str = ""
) -> RunStats:
    prefix = out / label
    cmd = [
        str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(max(users, 1)), "-t", f"{int(duration)}s", "--stop-timeout", "10",
        "--host", stack.base_url, "--csv", str(prefix), "--json-file", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    samples = out / f"{label}_samples.csv"
    env = {
        **os.environ,
        "CTP_LOAD_THINK": think,
        "CTP_LOAD_SAMPLES": str(samples),
        "CTP_LOAD_LAST_UNITS": race,
    }
    with (out / f"{label}.log").open("wb") as log:
        subprocess.run(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)
    endpoints, total = parse_locust_csv(Path(f"{prefix}_stats.csv"))
    # The CSV is written as the run stops, before in-flight requests land; the JSON is final.
    endpoints, total = final_counts(endpoints, total, json.loads(Path(f"{prefix}.json").read_text()))
    rows = read_samples(samples)
    if len(rows) != total.requests:  # the pooled percentiles would not cover every request
        print(f"warning: {label}: {len(rows)} latency samples for {total.requests} requests", file=sys.stderr)
    return RunStats(
        label=label,
        users=users,
        think=think,
        duration_s=duration,
        endpoints=endpoints,
        total=total,
        overall=pooled(rows),
        chat=pooled(rows, CHAT_PREFIX),
    )


def turn_latencies(database_url: str) -> list[tuple[datetime, dict[str, float]]]:
    """(created_at, per-stage latency) of every logged turn."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT created_at, record->'latency_ms' FROM turns")).all()
    finally:
        engine.dispose()
    return [(_utc(r[0]), r[1] if isinstance(r[1], dict) else json.loads(r[1])) for r in rows]


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def within(
    latencies: list[tuple[datetime, dict[str, float]]], window: tuple[datetime, datetime]
) -> list[dict[str, float]]:
    """The latency dicts of the turns logged during ``window`` (one Locust run)."""
    return [lat for at, lat in latencies if window[0] <= at <= window[1]]


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }


def measure_ceiling(stack: Stack, queries: int) -> dict[str, Any]:
    """Microbenchmarks in this process, against the stack's catalog, index and database."""
    from app.settings import Settings
    from infra.bench.micro import cores, measure_stages

    assert stack.var_dir is not None
    settings = Settings(var_dir=stack.var_dir, database_url=stack.database_url, redis_url=stack.redis_url)
    fig = measure_stages(settings, queries)
    return {
        **fig.model_dump(),
        "unavoidable_ms": round(fig.unavoidable_ms, 3),
        "ceiling": fig.ceiling_turns_per_s(cores()),
    }


@cli.command()
def main(
    users: Annotated[int, typer.Option(help="Concurrent shoppers.")] = 32,
    duration: Annotated[str, typer.Option(help="Shoppers run length, e.g. 60s, 2m.")] = "60s",
    workers: Annotated[int, typer.Option(help="API worker processes.")] = 2,
    think: Annotated[str, typer.Option(help="Think time 'min,max' seconds for the shoppers run.")] = "1,3",
    saturation: Annotated[str, typer.Option(help="Saturation run length (no think time); 0 skips.")] = "20s",
    sweep: Annotated[str, typer.Option(help="Comma-separated user counts for a closed-loop sweep.")] = "",
    sweep_duration: Annotated[str, typer.Option(help="Length of each sweep step.")] = "15s",
    bench_queries: Annotated[int, typer.Option(help="Queries for the ceiling microbenchmark.")] = 60,
    redis_db: Annotated[int, typer.Option(help="Dedicated Redis db number (flushed).")] = 14,
    var_dir: Annotated[
        Path | None, typer.Option(help="Reuse a var dir (skips re-encoding the index).")
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the database and var dir.")] = False,
    strict: Annotated[bool, typer.Option(help="Also exit 1 on any error or missed target.")] = False,
    reports: Annotated[Path, typer.Option(help="Where report folders go.")] = REPO / "var" / "reports",
) -> None:
    """Run the load test and write its report."""
    started = time.strftime("%Y%m%d-%H%M%S")
    out = reports / f"loadtest-{started}"
    out.mkdir(parents=True, exist_ok=True)
    box = machine()
    stack = Stack(workers=workers, redis_db=redis_db, var_dir=var_dir, keep=keep, log_dir=out)
    runs: list[RunStats] = []
    sweep_runs: list[RunStats] = []
    try:
        stack.up(typer.echo)
        ceiling = measure_ceiling(stack, bench_queries)
        typer.echo(
            f"ceiling: unavoidable {ceiling['unavoidable_ms']:.1f} ms/turn → {ceiling['ceiling']:.1f} turns/s"
        )
        baseline = len(turn_latencies(stack.database_url))
        race = last_units.arm(stack.database_url)  # the last 5 units of one variant (issue 17)
        windows: dict[str, tuple[datetime, datetime]] = {}
        t0 = datetime.now(UTC)
        runs.append(run_locust(stack, out, "shoppers", users, seconds(duration), think, race))
        windows["shoppers"] = (t0, datetime.now(UTC))
        typer.echo(f"shoppers: {runs[-1].chat_rps:.1f} chat turns/s, p95 {chat_latency(runs[-1])[1]} ms")
        cpu_per_turn = None
        if seconds(saturation) > 0:
            cpu0 = stack.worker_cpu_s()
            t0 = datetime.now(UTC)
            runs.append(run_locust(stack, out, "saturation", users, seconds(saturation), "0", race))
            windows["saturation"] = (t0, datetime.now(UTC))
            cpu_per_turn = 1000 * (stack.worker_cpu_s() - cpu0) / max(runs[-1].chat_ok, 1)
            typer.echo(f"saturation: {runs[-1].chat_rps:.1f} chat turns/s, {cpu_per_turn:.1f} ms CPU/turn")
        for n in [int(x) for x in sweep.split(",") if x.strip()]:
            sweep_runs.append(run_locust(stack, out, f"sweep-{n}", n, seconds(sweep_duration), "0", race))
            typer.echo(
                f"sweep {n}: {sweep_runs[-1].chat_rps:.1f} turns/s, p95 {chat_latency(sweep_runs[-1])[1]} ms"
            )
        rss = stack.worker_rss_mb()
        latencies = turn_latencies(stack.database_url)
        logged = len(latencies)
        raced = last_units.tally(stack.database_url, race)
    finally:
        stack.down()

    locust_ok = sum(r.chat_ok for r in [*runs, *sweep_runs])
    check = {"locust": locust_ok, "database": logged - baseline, "ok": locust_ok == logged - baseline}
    shoppers = runs[0]
    sat = runs[1] if len(runs) > 1 else None
    ratio = sat.chat_rps / ceiling["ceiling"] if sat else None
    targets = [
        {"target": f"p95 ≤ 150 ms at {users} shoppers (every request, pooled)", "measured": f"{shoppers.overall.p95_ms} ms (chat turns: {shoppers.chat.p95_ms} ms)", "ok": shoppers.overall.p95_ms <= 150},
        {"target": "zero errors", "measured": str(sum(r.total.failures for r in [*runs, *sweep_runs])), "ok": all(r.total.failures == 0 for r in [*runs, *sweep_runs])},
        {"target": f"last {last_units.UNITS} units: never oversold, no duplicate orders", "measured": f"{raced['units_sold']} sold in {raced['orders']} orders, {raced['stock_left']} left, {raced['duplicate_orders']} duplicates", "ok": raced["ok"]},
    ]  # fmt: skip
    if ratio is not None:
        targets.append({"target": "≥ 60 % of the ceiling", "measured": f"{ratio:.0%}", "ok": ratio >= 0.6})
    summary: dict[str, Any] = {
        "started": started,
        "machine": box,
        "config": {"users": users, "duration": duration, "workers": workers, "think_s": think, "redis_db": redis_db,
                   "vector index": "Qdrant Edge embedded in each worker (no Qdrant server on this machine)"},
        "targets": targets,
        "stages": {label: stage_percentiles(within(latencies, w)) for label, w in windows.items()},
        "cost": {
            **{k: ceiling[k] for k in ("embed_ms", "retrieve_ms", "rank_ms", "guard_ms", "extract_ms", "full_turn_ms", "unavoidable_ms")},
            "ceiling_turns_per_s": round(ceiling["ceiling"], 1),
            "saturation_turns_per_s": round(sat.chat_rps, 1) if sat else None,
            "ratio_to_ceiling": round(ratio, 3) if ratio is not None else None,
            "api_cpu_ms_per_chat_turn": round(cpu_per_turn, 1) if cpu_per_turn else None,
            "worker_rss_mb_after_load": rss,
        },
        "turn_check": check,
        "last_units": raced,
        "runs": [r.model_dump() for r in runs],
        "sweep": [r.model_dump() for r in sweep_runs],
    }  # fmt: skip
    if sweep_runs:
        plot_sweep(sweep_runs, out / "sweep.png")
    (out / "report.json").write_text(json.dumps(summary, indent=2))
    (out / "report.md").write_text(render(summary, runs, sweep_runs))
    typer.echo((out / "report.md").read_text())
    typer.echo(f"report: {out}")
    typer.echo(
        f"turn count check: {'PASS' if check['ok'] else 'FAIL'} ({check['locust']} vs {check['database']})"
    )
    if not check["ok"] or not raced["ok"] or (strict and not all(t["ok"] for t in targets)):
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()
