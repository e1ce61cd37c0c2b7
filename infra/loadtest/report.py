"""Render a load-test result as Markdown and a latency/throughput-vs-concurrency plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.loadtest.stats import RunStats, chat_latency


def endpoint_table(run: RunStats) -> list[str]:
    lines = [
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in [*run.endpoints, run.total]:
        lines.append(
            f"| {e.name} | {e.requests} | {e.failures} | {e.rps} | {e.p50_ms:.0f} | {e.p95_ms:.0f} | "
            f"{e.p99_ms:.0f} | {e.max_ms:.0f} |"
        )
    return lines


def stage_table(stages: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| stage | turns | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    lines += [f"| {s} | {v['n']:.0f} | {v['p50']} | {v['p95']} | {v['p99']} |" for s, v in stages.items()]
    return lines


def sweep_table(runs: list[RunStats]) -> list[str]:
    lines = ["| users | chat turns/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for r in runs:
        p50, p95, p99 = chat_latency(r)
        lines.append(f"| {r.users} | {r.chat_rps:.1f} | {p50} | {p95} | {p99} | {r.total.failures} |")
    return lines


def render(summary: dict[str, Any], runs: list[RunStats], sweep: list[RunStats]) -> str:
    out = [f"# Load test {summary['started']}", ""]
    out += [f"- {k}: {v}" for k, v in summary["machine"].items()]
    out += [f"- {k}: {v}" for k, v in summary["config"].items()]
    out.append("")
    out.append("## Targets")
    out.append("")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    for t in summary["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | {'PASS' if t['ok'] else 'FAIL'} |")
    out.append("")
    for run in runs:
        out += [f"## {run.label}: {run.users} users, think {run.think} s, {run.duration_s:.0f} s", ""]
        out += endpoint_table(run)
        out += [
            "",
            f"pooled (exact): every request p50/p95/p99 {run.overall.p50_ms}/{run.overall.p95_ms}/"
            f"{run.overall.p99_ms} ms (n={run.overall.n}); chat turns {run.chat.p50_ms}/{run.chat.p95_ms}/"
            f"{run.chat.p99_ms} ms (n={run.chat.n})",
            "",
            f"error rate {run.error_rate:.2%}; expected 4xx answered correctly: {run.expected_4xx}",
            "",
        ]
    if sweep:
        out += [
            "## Sweep (closed loop, no think time)",
            "",
            *sweep_table(sweep),
            "",
            "![sweep](sweep.png)",
            "",
        ]
    for label, stages in summary["stages"].items():
        out += [f"## Per-stage latency from the turn log, {label} run (`turns.record->latency_ms`)", ""]
        out += stage_table(stages)
        out.append("")
    out += ["", "## Ceiling and cost", ""]
    out += [f"- {k}: {v}" for k, v in summary["cost"].items()]
    check = summary["turn_check"]
    out += [
        "",
        "## Turn count check",
        "",
        f"chat turns answered 200 by Locust: {check['locust']}; turns logged in the database: "
        f"{check['database']} → **{'PASS' if check['ok'] else 'FAIL'}**",
        "",
    ]
    raced = summary.get("last_units")
    if raced:
        out += [
            "## Last units (the oversell race, `infra/loadtest/last_units.py`)",
            "",
            f"SKU {raced['sku']}, {raced['units_at_start']} units at the start, raced by every run's shoppers "
            f"(`POST /cart [last units]`, `POST /v1/chat [last-units checkout]` above): {raced['orders']} orders, "
            f"{raced['units_sold']} units sold, {raced['stock_left']} left, {raced['duplicate_orders']} duplicate "
            f"orders → **{'PASS' if raced['ok'] else 'FAIL'}**",
            "",
        ]
    return "\n".join(out)


def plot_sweep(runs: list[RunStats], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [r.users for r in runs]
    lat = [chat_latency(r) for r in runs]
    fig, ax1 = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    for i, (label, style) in enumerate([("p50", "-o"), ("p95", "-s"), ("p99", "-^")]):
        ax1.plot(users, [x[i] for x in lat], style, label=f"chat {label} (ms)")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(users, [str(u) for u in users])
    ax1.set_xlabel("concurrent users (closed loop, no think time)")
    ax1.set_ylabel("latency (ms)")
    ax2 = ax1.twinx()
    ax2.plot(users, [r.chat_rps for r in runs], "--k", marker="D", label="chat turns/s")
    ax2.set_ylabel("chat turns/s")
    ax2.set_ylim(bottom=0)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax1.set_title("chat-to-purchase API, rules brain, 2 workers", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
