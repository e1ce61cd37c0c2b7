"""``ctp evals abstention``: how well the density guard separates in-scope shopper queries from
non-shopping (CLINC150) and out-of-catalog shopping (WANDS, ESCI) queries, at the calibrated
threshold and over all thresholds; ``ctp evals guard-latency``: what the guard adds to a turn.

Every query goes through what the running guard sees: the rules extractor on a fresh conversation,
the search text retrieval would use, the encoder and the index's k nearest products. A message the
extractor does not treat as a product search never reaches the density guard; it is still scored on
its raw text for the threshold-free metrics (AUROC, AUPR, FPR@95TPR, risk–coverage), and the
``pipeline`` columns count what the guard *stage* does end to end (extractor ``out_of_scope`` or
density abstention). Data sets and splits: ``evals.abstention_data``; metrics: ``evals.ood_metrics``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from pydantic import BaseModel

from app.domain.turn import SEARCH_INTENTS, ConversationState, Intent
from app.settings import Settings
from evals.abstention_data import ScopeSets, guard_inputs, scope_sets
from evals.ood_metrics import abstention_at, aupr, auroc, fpr_at_tpr, risk_coverage

if TYPE_CHECKING:
    from app.guard.calibration import BatchEncoder, Calibration
    from app.index.base import VectorIndex
    from app.pipeline.extract.base import Extractor


@dataclass(frozen=True)
class Scored:
    """Nonconformity scores of a query set, and which ones the guard stage abstains on end to end."""

    scores: np.ndarray
    pipeline_abstain: np.ndarray  # bool


def score_texts(
    texts: list[str], extractor: Extractor, encoder: BatchEncoder, index: VectorIndex, cal: Calibration
) -> Scored:
    """Score ``texts`` exactly as the running density guard would (k-th neighbour distance)."""
    from app.guard.calibration import knn_score

    inputs = asyncio.run(guard_inputs(extractor, texts))
    vecs = encoder.encode([t for t, _ in inputs])
    scores = np.array([knn_score(index, v, cal.k)[0] for v in vecs])
    intents = [i for _, i in inputs]
    pipeline = np.array(
        [
            i is Intent.out_of_scope or (i in SEARCH_INTENTS and s > cal.threshold)
            for i, s in zip(intents, scores, strict=True)
        ]
    )
    return Scored(scores, pipeline)


class FamilyReport(BaseModel):
    family: str
    n_in: int
    n_out: int
    auroc: float
    aupr: float
    fpr_at_95tpr: float
    abstain_precision: float
    abstain_recall: float
    pipeline_recall: float  # share of out-of-scope the guard stage abstains on (intent or density)


def family_report(family: str, ins: Scored, outs: Scored, threshold: float) -> FamilyReport:
    at = abstention_at(list(ins.scores), list(outs.scores), threshold)
    return FamilyReport(
        family=family,
        n_in=len(ins.scores),
        n_out=len(outs.scores),
        auroc=auroc(list(ins.scores), list(outs.scores)),
        aupr=aupr(list(ins.scores), list(outs.scores)),
        fpr_at_95tpr=fpr_at_tpr(list(ins.scores), list(outs.scores)),
        abstain_precision=at.precision,
        abstain_recall=at.recall,
        pipeline_recall=float(outs.pipeline_abstain.mean()),
    )


def plot_risk_coverage(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], marks: dict[str, float], path: Path
) -> None:
    """Risk (share of accepted queries that are out of scope) against coverage, one line per family;
    the dot is the calibrated threshold's operating point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for name, (coverage, risk) in curves.items():
        line = ax.plot(coverage, risk, label=name)[0]
        if name in marks:
            i = int(np.searchsorted(coverage, marks[name]))
            ax.plot(
                [coverage[min(i, len(coverage) - 1)]],
                [risk[min(i, len(risk) - 1)]],
                "o",
                color=line.get_color(),
            )
    ax.set_xlabel("coverage (share of queries answered)")
    ax.set_ylabel("risk (share of answered that are out of scope)")
    ax.set_title("Density guard: risk–coverage (dot = calibrated threshold)")
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _open(settings: Settings) -> tuple[Extractor, BatchEncoder, VectorIndex, Calibration]:
    from app.catalog.store import CatalogStore
    from app.catalog.vocabulary import load_vocabulary
    from app.guard.calibration import calibration_path, ensure_calibration
    from app.index.encoders import open_encoder
    from app.index.factory import open_index
    from app.pipeline.extract.rules import RulesExtractor
    from app.storage.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    extractor = RulesExtractor(load_vocabulary(), CatalogStore(engine).brands())
    engine.dispose()
    encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads)
    index = open_index(settings)
    if index.count() == 0:
        raise typer.BadParameter("the vector index is empty: run `ctp build` first")
    cal, _ = ensure_calibration(
        calibration_path(settings.var_dir),
        extractor,
        encoder,
        index,
        settings.guard_alpha,
        settings.guard_k,
        queries=settings.guard_calibration_queries,
    )
    return extractor, encoder, index, cal


def run_abstention_eval(
    settings: Settings, sets: ScopeSets, reports_dir: Path
) -> tuple[list[FamilyReport], float, Calibration, Path]:
    """The test-split evaluation: per-family reports, observed false-abstain, calibration, plot path."""
    extractor, encoder, index, cal = _open(settings)
    try:

        def score(texts: list[str]) -> Scored:
            return score_texts(texts, extractor, encoder, index, cal)

        ins, ns, oc = score(sets.in_scope), score(sets.non_shopping), score(sets.out_of_catalog)
        ins_cat = score(sets.in_scope + sets.extra_in_scope_for_catalog)
    finally:
        index.close()
    reports = [
        family_report("non-shopping", ins, ns, cal.threshold),
        family_report("out-of-catalog", ins_cat, oc, cal.threshold),
    ]
    observed = float(ins.pipeline_abstain.mean())
    curves = {
        "non-shopping": risk_coverage(list(ins.scores), list(ns.scores)),
        "out-of-catalog": risk_coverage(list(ins_cat.scores), list(oc.scores)),
    }
    marks = {
        name: float(np.mean(np.concatenate([i.scores, o.scores]) <= cal.threshold))
        for name, (i, o) in {"non-shopping": (ins, ns), "out-of-catalog": (ins_cat, oc)}.items()
    }
    plot = reports_dir / "abstention_risk_coverage.png"
    plot_risk_coverage(curves, marks, plot)
    return reports, observed, cal, plot


def abstention(
    clinc_sample: Annotated[
        int, typer.Option(help="CLINC non-shopping test utterances to sample (0 = all).")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the CLINC sample.")] = 0,
    reports_dir: Annotated[
        Path | None, typer.Option(help="Where the plot goes (default var_dir/reports).")
    ] = None,
    select: Annotated[
        bool, typer.Option(help="Also print the validation-split method/k selection table.")
    ] = False,
) -> None:
    """Abstention eval on the test split: AUROC, AUPR, FPR@95TPR, precision/recall at the calibrated threshold."""
    settings = Settings()
    out_dir = reports_dir or settings.var_dir / "reports"
    if select:
        from evals.guard_selection import print_selection

        print_selection(settings, clinc_sample or None, seed)
    sets = scope_sets(settings.data_dir, "test", clinc_sample or None, seed)
    reports, observed, cal, plot = run_abstention_eval(settings, sets, out_dir)
    typer.echo(
        f"calibration {cal.version}: method {cal.method}, k={cal.k}, alpha={cal.alpha:g}, n={cal.n}, "
        f"threshold cosine {cal.min_similarity:.4f}; index {cal.index_version}"
    )
    typer.echo(
        f"{'family':15} {'n_in':>5} {'n_out':>6} {'AUROC':>6} {'AUPR':>6} {'FPR95':>6} "
        f"{'abst.P':>6} {'abst.R':>6} {'pipe.R':>6}"
    )
    for r in reports:
        typer.echo(
            f"{r.family:15} {r.n_in:5d} {r.n_out:6d} {r.auroc:6.3f} {r.aupr:6.3f} {r.fpr_at_95tpr:6.3f} "
            f"{r.abstain_precision:6.3f} {r.abstain_recall:6.3f} {r.pipeline_recall:6.3f}"
        )
    n_test = reports[0].n_in
    typer.echo(
        f"false-abstain on held-out in-scope (test, n={n_test}): {observed:.3f} "
        f"(alpha {cal.alpha:g}, target ≤ {cal.alpha + 0.02:.2f})"
    )
    typer.echo(f"risk–coverage plot: {plot}")


def guard_latency(
    n: Annotated[int, typer.Option(help="Queries to time (cycled from the golden test split).")] = 200,
) -> None:
    """Median time the guard check adds to a turn, next to the query-embedding time."""
    from app.guard.density import DensityGuard
    from app.index.encoders import open_encoder
    from evals.abstention_data import shopper_queries

    settings = Settings()
    extractor, _, index, cal = _open(settings)
    encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads, cache_size=0)
    guard = DensityGuard(index, cal)
    base = shopper_queries("test")
    queries = [f"{base[i % len(base)]} {i}" for i in range(n)]  # distinct texts: no cache hits
    inputs = asyncio.run(guard_inputs(extractor, queries))
    embed_ms, guard_ms = [], []
    for (text, _), message in zip(inputs, queries, strict=True):
        t0 = time.perf_counter()
        vec = encoder.encode_query(text)
        t1 = time.perf_counter()
        turn = asyncio.run(extractor.extract(message, ConversationState(conversation_id="bench")))
        t2 = time.perf_counter()
        guard.check(turn, vec)
        t3 = time.perf_counter()
        embed_ms.append(1000 * (t1 - t0))
        guard_ms.append(1000 * (t3 - t2))
    index.close()
    g, e = statistics.median(guard_ms), statistics.median(embed_ms)
    p95 = sorted(guard_ms)[int(0.95 * len(guard_ms)) - 1]
    typer.echo(f"guard check over {n} queries: median {g:.2f} ms, p95 {p95:.2f} ms (k={cal.k})")
    typer.echo(f"query embedding (baseline): median {e:.2f} ms; guard/embedding = {g / e:.3f}")
