"""Pure functions from Locust's CSV and the turn log to the figures the report prints."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

CHAT_PREFIX = "POST /v1/chat"
EXPECTED_PREFIX = "4xx expected"


class EndpointStats(BaseModel):
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class Pooled(BaseModel):
    """Exact percentiles over every sample of a group of requests (not an average of per-endpoint
    percentiles, which can hide a slow endpoint behind many fast ones)."""

    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


class RunStats(BaseModel):
    label: str
    users: int
    think: str
    duration_s: float
    endpoints: list[EndpointStats]
    total: EndpointStats
    overall: Pooled = Field(description="Every request of the run, pooled.")
    chat: Pooled = Field(description="The chat turns (``POST /v1/chat [...]``), pooled.")

    @property
    def chat_ok(self) -> int:
        """Chat turns answered 200 (each must be one row of the turn log)."""
        return sum(e.requests - e.failures for e in self.endpoints if e.name.startswith(CHAT_PREFIX))

    @property
    def chat_rps(self) -> float:
        return sum(e.rps for e in self.endpoints if e.name.startswith(CHAT_PREFIX))

    @property
    def expected_4xx(self) -> int:
        return sum(e.requests - e.failures for e in self.endpoints if e.name.startswith(EXPECTED_PREFIX))

    @property
    def error_rate(self) -> float:
        return self.total.failures / self.total.requests if self.total.requests else 0.0


def _f(row: dict[str, str], key: str) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return 0.0


def parse_locust_csv(path: Path) -> tuple[list[EndpointStats], EndpointStats]:
    """``<prefix>_stats.csv`` → per-endpoint rows and the aggregated row."""
    rows: list[EndpointStats] = []
    total: EndpointStats | None = None
    with path.open() as fh:
        for row in csv.DictReader(fh):
            stats = EndpointStats(
                name=row["Name"] if row["Type"] in ("", None) else f"{row['Name']}",
                requests=int(_f(row, "Request Count")),
                failures=int(_f(row, "Failure Count")),
                rps=round(_f(row, "Requests/s"), 2),
                p50_ms=_f(row, "50%"),
                p95_ms=_f(row, "95%"),
                p99_ms=_f(row, "99%"),
                max_ms=round(_f(row, "Max Response Time"), 1),
            )
            if row["Name"] == "Aggregated":
                total = stats
            else:
                rows.append(stats)
    if total is None:
        raise ValueError(f"{path} has no Aggregated row")
    return rows, total


def final_counts(
    endpoints: list[EndpointStats], total: EndpointStats, final: list[dict[str, Any]]
) -> tuple[list[EndpointStats], EndpointStats]:
    """Request and failure counts from Locust's final JSON (``--json-file``) over the CSV's."""
    by_name = {e["name"]: e for e in final}
    fixed = [
        e.model_copy(
            update={"requests": by_name[e.name]["num_requests"], "failures": by_name[e.name]["num_failures"]}
        )
        if e.name in by_name
        else e
        for e in endpoints
    ]
    seen = {e.name for e in endpoints}
    fixed += [
        EndpointStats(
            name=n,
            requests=e["num_requests"],
            failures=e["num_failures"],
            rps=0,
            p50_ms=0,
            p95_ms=0,
            p99_ms=0,
            max_ms=0,
        )
        for n, e in by_name.items()
        if n not in seen
    ]
    update = {"requests": sum(e.requests for e in fixed), "failures": sum(e.failures for e in fixed)}
    return fixed, total.model_copy(update=update)


def read_samples(path: Path) -> list[tuple[float, str, float]]:
    """(start seconds, request name, ms) per request from the locustfile's ``CTP_LOAD_SAMPLES`` CSV."""
    with path.open() as fh:
        return [(float(r["start_s"]), r["name"], float(r["ms"])) for r in csv.DictReader(fh)]


def pooled(samples: list[tuple[float, str, float]], prefix: str = "") -> Pooled:
    """Exact p50/p95/p99 over the samples whose name starts with ``prefix`` ("" = all)."""
    ms = np.asarray([m for _, name, m in samples if name.startswith(prefix)], dtype=float)
    if ms.size == 0:
        return Pooled(n=0, p50_ms=0.0, p95_ms=0.0, p99_ms=0.0)
    p50, p95, p99 = (round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99))
    return Pooled(n=int(ms.size), p50_ms=p50, p95_ms=p95, p99_ms=p99)


def chat_latency(run: RunStats) -> tuple[float, float, float]:
    """Pooled p50/p95/p99 (ms) of the run's chat turns."""
    return run.chat.p50_ms, run.chat.p95_ms, run.chat.p99_ms


def stage_percentiles(latencies: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per-stage p50/p95/p99 (ms) and count over ``turns.record->latency_ms`` dicts."""
    by_stage: dict[str, list[float]] = {}
    for lat in latencies:
        for stage, ms in lat.items():
            by_stage.setdefault(stage, []).append(float(ms))
    out = {}
    for stage, values in sorted(by_stage.items()):
        arr = np.asarray(values)
        out[stage] = {
            "n": len(values),
            "p50": round(float(np.percentile(arr, 50)), 2),
            "p95": round(float(np.percentile(arr, 95)), 2),
            "p99": round(float(np.percentile(arr, 99)), 2),
        }
    return out
