"""Pure functions behind the eval dashboard: matrices, rates, curves, slices, the latency waterfall.

They take the rows the review API returns and nothing else, so they are tested without Streamlit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from statistics import median
from typing import Any

Pair = Mapping[str, Any]


def confusion_matrix(pairs: Iterable[Pair], evaluator: str, labels: list[str]) -> list[list[int]]:
    """``m[i][j]`` = turns the judge labelled ``labels[i]`` and the latest human ``labels[j]``,
    for ``evaluator``; pairs where either side is missing or off ``labels`` are left out."""
    index = {label: i for i, label in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for p in pairs:
        if p["evaluator"] != evaluator:
            continue
        j, h = index.get(p.get("judge") or ""), index.get(p.get("human") or "")
        if j is not None and h is not None:
            m[j][h] += 1
    return m


def agreement(matrix: list[list[int]]) -> float | None:
    """Share of the diagonal; ``None`` with no pairs."""
    total = sum(map(sum, matrix))
    return sum(matrix[i][i] for i in range(len(matrix))) / total if total else None


def label_rates(counts: Iterable[Mapping[str, Any]], evaluator: str, label: str) -> list[dict[str, Any]]:
    """Per day: the share of ``evaluator``'s applicable judge labels equal to ``label``."""
    hits: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for c in counts:
        if c["evaluator"] != evaluator or c["label"] == "not_applicable":
            continue
        totals[c["day"]] += c["count"]
        if c["label"] == label:
            hits[c["day"]] += c["count"]
    return [{"day": d, "rate": hits[d] / totals[d], "n": totals[d]} for d in sorted(totals)]


def risk_coverage(points: Iterable[tuple[float, bool]]) -> list[dict[str, float]]:
    """The guard's risk–coverage curve from (guard score, should it have refused?).

    Answering every turn with score >= t: coverage is the share answered, risk the share of the
    answered that a reviewer said should have been refused. One point per distinct score, from
    the strictest threshold to answering everything.
    """
    pts = sorted(points, key=lambda p: -p[0])
    n = len(pts)
    out: list[dict[str, float]] = []
    bad = 0
    for i, (score, should_refuse) in enumerate(pts, start=1):
        bad += should_refuse
        if i < n and pts[i][0] == score:
            continue
        out.append({"threshold": score, "coverage": i / n, "risk": bad / i})
    return out


def slice_table(rows: Iterable[Mapping[str, Any]], by: str) -> list[dict[str, Any]]:
    """Per value of ``by``: turns, abstention rate, thumbs-down rate (of rated), median latency."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[str(r.get(by))].append(r)
    out = []
    for key in sorted(groups):
        g = groups[key]
        rated = [r for r in g if r.get("feedback")]
        out.append(
            {
                by: key,
                "turns": len(g),
                "abstained": sum(bool(r["abstained"]) for r in g) / len(g),
                "thumbs_down": (sum(r["feedback"] == "down" for r in rated) / len(rated)) if rated else None,
                "median_latency_ms": round(median(r["latency_ms"] for r in g), 1),
            }
        )
    return out


def waterfall(latency_ms: Mapping[str, float]) -> list[dict[str, Any]]:
    """Stages laid end to end in logged order (``total`` left out): {stage, start, end, ms}."""
    out, t = [], 0.0
    for stage, ms in latency_ms.items():
        if stage == "total":
            continue
        out.append({"stage": stage, "start": round(t, 3), "end": round(t + ms, 3), "ms": ms})
        t += ms
    return out
