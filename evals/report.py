"""The eval report: summary figures (pure functions over ``ReportRow``s), then Markdown and HTML with
matplotlib plots — confusion matrices, label rates over time, per-slice breakdowns by intent and
category — written under ``var/reports/<suite>-<UTC time>/``."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from app.domain.labels import LABELS
from evals.agreement import Agreement, agreement
from evals.offline import ReportRow, applicable

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

Key = tuple[str, str]  # (evaluator, backend)


def label_rates(rows: list[ReportRow]) -> dict[Key, dict[str, float]]:
    """Share of each label per (evaluator, backend), over applicable rows."""
    groups: dict[Key, Counter[str]] = defaultdict(Counter)
    for r in applicable(rows):
        groups[(r.evaluator, r.backend)][r.label] += 1
    return {k: {lab: n / sum(c.values()) for lab, n in sorted(c.items())} for k, c in sorted(groups.items())}


def problem_rate(rows: list[ReportRow], evaluator: str, backend: str = "CODE") -> float | None:
    sel = [r for r in applicable(rows) if r.evaluator == evaluator and r.backend == backend]
    if not sel:
        return None
    return sum(r.label == LABELS[evaluator][0] for r in sel) / len(sel)


def refusal_accuracy(rows: list[ReportRow], backend: str = "CODE") -> float | None:
    """refused/answered against whether the turn should have been refused (golden)."""
    sel = [
        r for r in rows if r.evaluator == "refusal" and r.backend == backend and r.expected_refuse is not None
    ]
    if not sel:
        return None
    return sum((r.label == "refused") == r.expected_refuse for r in sel) / len(sel)


def intent_accuracy(rows: list[ReportRow], backend: str = "CODE") -> float | None:
    sel = [r for r in applicable(rows) if r.evaluator == "intent" and r.backend == backend]
    return sum(r.label == "correct" for r in sel) / len(sel) if sel else None


def human_agreement(rows: list[ReportRow]) -> dict[Key, Agreement]:
    pairs: dict[Key, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for r in rows:
        if r.human is not None:
            ref, pred = pairs[(r.evaluator, r.backend)]
            ref.append(r.human)
            pred.append(r.label)
    return {k: agreement(ref, pred) for k, (ref, pred) in sorted(pairs.items())}


def slice_rates(rows: list[ReportRow], by: str, backend: str = "CODE") -> dict[str, dict[str, float]]:
    """Problem-label rate of each evaluator per slice value (``by`` = intent | category | kind)."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in applicable(rows):
        if r.backend != backend:
            continue
        cell = counts[getattr(r, by)][r.evaluator]
        cell[0] += r.label == LABELS[r.evaluator][0]
        cell[1] += 1
    return {s: {ev: bad / n for ev, (bad, n) in sorted(evs.items())} for s, evs in sorted(counts.items())}


def rates_over_time(rows: list[ReportRow], backend: str = "CODE") -> dict[str, dict[datetime, float]]:
    """Problem-label rate per evaluator per hour."""
    buckets: dict[str, dict[datetime, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in applicable(rows):
        if r.backend != backend:
            continue
        hour = r.created_at.replace(minute=0, second=0, microsecond=0)
        cell = buckets[r.evaluator][hour]
        cell[0] += r.label == LABELS[r.evaluator][0]
        cell[1] += 1
    return {ev: {h: b / n for h, (b, n) in sorted(hs.items())} for ev, hs in sorted(buckets.items())}


# --- rendering -------------------------------------------------------------------------------------


def _plot_confusion(a: Agreement, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(3.4, 3.0))
    ax.imshow(a.confusion, cmap="Blues")
    ax.set_xticks(range(len(a.labels)), a.labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(a.labels)), a.labels, fontsize=8)
    ax.set_xlabel("backend")
    ax.set_ylabel("human")
    for i, row in enumerate(a.confusion):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_time(series: dict[str, dict[datetime, float]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3))
    for ev, pts in series.items():
        if pts:
            # matplotlib plots datetimes through its units registry; its stubs only say ArrayLike.
            times = cast("ArrayLike", list(pts))
            ax.plot(times, list(pts.values()), marker="o", ms=3, label=ev)
    ax.set_ylabel("problem-label rate")
    ax.set_title("label rates over time (CODE backend, per hour)", fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_slices(slices: dict[str, dict[str, float]], title: str, path: Path) -> None:
    evs = sorted({ev for v in slices.values() for ev in v})
    names = list(slices)
    fig, ax = plt.subplots(figsize=(max(5, len(names) * 0.5), 3.2))
    width = 0.8 / max(1, len(evs))
    for k, ev in enumerate(evs):
        ax.bar(
            [i + k * width for i in range(len(names))],
            [slices[n].get(ev, 0.0) for n in names],
            width,
            label=ev,
        )
    ax.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(names))], names, rotation=40, ha="right", fontsize=7
    )
    ax.set_ylabel("problem-label rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render(rows: list[ReportRow], suite: str, out_root: Path) -> Path:
    """Write report.md, report.html and the PNGs; returns the directory."""
    out = out_root / f"{suite}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out.mkdir(parents=True, exist_ok=True)
    images: list[tuple[str, str]] = []
    md = [
        f"# Eval report — suite `{suite}`",
        "",
        f"{len({r.turn_id for r in rows})} turns, {len(rows)} labels.",
        "",
    ]
    md += [
        "## Headline",
        "",
        f"* hallucination rate (CODE): {_pct(problem_rate(rows, 'hallucination'))}",
        f"* refusal accuracy vs golden (CODE): {_pct(refusal_accuracy(rows))}",
        f"* intent accuracy vs golden (CODE): {_pct(intent_accuracy(rows))}",
        f"* irrelevant-result rate (CODE): {_pct(problem_rate(rows, 'relevance'))}",
        f"* friction rate (CODE): {_pct(problem_rate(rows, 'friction'))}",
        f"* toxicity rate (CODE): {_pct(problem_rate(rows, 'toxicity'))}",
        "",
        "## Label rates (applicable turns)",
        "",
        "| evaluator | backend | rates |",
        "|---|---|---|",
    ]
    for (ev, be), rates in label_rates(rows).items():
        md.append(f"| {ev} | {be} | " + ", ".join(f"{k} {_pct(v)}" for k, v in rates.items()) + " |")
    agree = human_agreement(rows)
    if agree:
        md += [
            "",
            "## Agreement with human labels",
            "",
            "| evaluator | backend | n | accuracy | kappa | per label P/R/F1 |",
        ]
        md.append("|---|---|---|---|---|---|")
        for (ev, be), a in agree.items():
            per = "; ".join(
                f"{k} {s.precision:.2f}/{s.recall:.2f}/{s.f1:.2f}" for k, s in a.per_label.items()
            )
            md.append(f"| {ev} | {be} | {a.n} | {_pct(a.accuracy)} | {a.kappa:.3f} | {per} |")
            name = f"confusion-{ev}-{be}.png"
            _plot_confusion(a, f"{ev} / {be} vs human", out / name)
            images.append((name, f"{ev} / {be} vs human"))
    _plot_time(rates_over_time(rows), out / "rates-over-time.png")
    images.append(("rates-over-time.png", "label rates over time"))
    for by in ("intent", "category"):
        slices = slice_rates(rows, by)
        md += ["", f"## Problem-label rate by {by} (CODE)", "", "| " + by + " | rates |", "|---|---|"]
        for s, evs in slices.items():
            md.append(f"| {s} | " + ", ".join(f"{ev} {_pct(v)}" for ev, v in evs.items()) + " |")
        _plot_slices(slices, f"problem-label rate by {by}", out / f"slices-{by}.png")
        images.append((f"slices-{by}.png", f"by {by}"))
    md += ["", "## Plots", ""] + [f"![{alt}]({name})" for name, alt in images]
    text = "\n".join(md) + "\n"
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.html").write_text(_html(text, images), encoding="utf-8")
    return out


def _html(markdown: str, images: list[tuple[str, str]]) -> str:
    """A dependency-free HTML rendering: the Markdown as preformatted text plus the plots inline."""
    imgs = "\n".join(
        f'<figure><img src="{n}" alt="{html.escape(a)}"><figcaption>{html.escape(a)}</figcaption></figure>'
        for n, a in images
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>eval report</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}pre{white-space:pre-wrap}"
        "figure{display:inline-block;margin:.5em}</style></head><body>"
        f"<pre>{html.escape(markdown)}</pre>{imgs}</body></html>"
    )
