"""``ctp evals abstention``: today's density guard and the combined guard side by side — how well
each separates in-scope shopper requests from out-of-catalog requests (the hand-written
``scope_test.jsonl``, frozen, is the headline; ``scope_dev.jsonl`` was tuned on and its rows are in
the combined guard's calibration and training sets; ``scope_dev2.jsonl`` was looked at while tuning
but is in neither), non-shopping
(CLINC150) and WANDS/ESCI queries; ``ctp evals guard-latency``: what the guard adds to a turn.

Every query goes through what the running guard sees: the rules extractor on a fresh conversation,
the search text retrieval would use, the encoder and the index's nearest products. A message the
extractor does not treat as a product search never reaches the guard; it is still scored on its
raw text for the threshold-free metrics (AUROC, FPR@95TPR, risk–coverage), and recall / false
abstain count what the guard *stage* does end to end (extractor ``out_of_scope`` or a score over
the calibrated threshold). Data: ``evals.abstention_data``; metrics: ``evals.ood_metrics``.
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

from app.domain.turn import ConversationState
from app.settings import Settings
from evals.abstention_data import ScopeSets, guard_inputs, scope_golden, scope_sets
from evals.guard_training import Judged, feature_matrix, judge
from evals.ood_metrics import auroc, fpr_at_tpr, risk_coverage_at_share

if TYPE_CHECKING:
    from app.guard.calibration import BatchEncoder, Calibration
    from app.guard.combined import CombinedModel
    from app.guard.coverage import ProductTypes
    from app.guard.type_vectors import TypeVectors
    from app.index.base import VectorIndex
    from app.pipeline.extract.base import Extractor
    from app.pipeline.needs import NeedReader


def plot_risk_coverage(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    marks: dict[str, tuple[float, float]],
    path: Path,
    share: float,
) -> None:
    """Risk (share of answered requests that are out of scope) against coverage, one line per
    guard, for traffic with ``share`` out of scope (stated on the plot); dot = calibrated point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for name, (coverage, risk) in curves.items():
        line = ax.plot(coverage, risk, label=f"{name} guard")[0]
        if name in marks:
            ax.plot([marks[name][0]], [marks[name][1]], "o", color=line.get_color())
    ax.set_xlabel("coverage (share of requests answered)")
    ax.set_ylabel("risk (share of answered that are out of catalog)")
    ax.set_title(
        f"Risk–coverage on scope_test at {share:.0%} out-of-scope traffic\n(dot = calibrated threshold)",
        fontsize=10,
    )
    ax.axhline(share, color="grey", lw=0.8, ls=":", label=f"no guard ({share:.0%})")
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@dataclass
class Parts:
    """What the evals score with: the running extractor, encoder, index, density calibration,
    the catalog's product types and (when trained) the combined guard's model."""

    extractor: Extractor
    encoder: BatchEncoder
    index: VectorIndex
    calibration: Calibration
    types: ProductTypes
    type_vectors: TypeVectors
    model: CombinedModel | None
    needs: NeedReader | None = None  # the understand stage's needs reader (needs are judged as such)


def open_parts(settings: Settings) -> Parts:
    from app.catalog.store import CatalogStore
    from app.catalog.vocabulary import load_vocabulary
    from app.guard.calibration import ensure_configured_calibration
    from app.guard.combined import load_model, model_path
    from app.guard.coverage import coverage_path, load_or_build
    from app.guard.type_vectors import load_or_build_vectors, type_vectors_path
    from app.index.encoders import open_encoder
    from app.index.factory import open_index
    from app.pipeline.extract.rules import RulesExtractor
    from app.storage.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    store = CatalogStore(engine)
    extractor = RulesExtractor(load_vocabulary(), store.brands())
    products = store.all()
    types = load_or_build(coverage_path(settings.var_dir), products, store.catalog_hash())
    engine.dispose()
    encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads)
    vectors = load_or_build_vectors(type_vectors_path(settings.var_dir), products, types, encoder)
    index = open_index(settings)
    if index.count() == 0:
        raise typer.BadParameter("the vector index is empty: run `ctp build` first")
    cal, _ = ensure_configured_calibration(settings, extractor, encoder, index)
    model = load_model(model_path(settings.var_dir))
    if model is not None and not model.matches(
        index.version(), encoder.version, types.version, cal.alpha, vectors.version
    ):
        typer.echo("combined guard artifact is stale: run `ctp evals train-guard`", err=True)
        model = None
    from app.pipeline.needs import NeedReader, attribute_values

    needs = NeedReader(encoder, attribute_values(products))
    return Parts(extractor, encoder, index, cal, types, vectors, model, needs)


@dataclass(frozen=True)
class Guarded:
    """Per-query nonconformity under one guard, and the stage's end-to-end abstain decisions."""

    scores: np.ndarray
    abstain: np.ndarray  # bool: intent out_of_scope, or a search the guard abstains on


def guard_scores(j: Judged, parts: Parts, guard: str) -> Guarded:
    """Score judged messages under ``guard`` ("density" = today's kNN guard, or "combined")."""
    from app.guard.combined import nonconformity
    from app.guard.scores import kth_distance

    k = parts.calibration.k
    if guard == "density":
        scores = np.array([kth_distance([s for _, s in n], k) for n in j.nearest])
        threshold = parts.calibration.threshold
    else:
        assert parts.model is not None
        x = feature_matrix(j, k, parts.types, parts.type_vectors)
        scores = np.array([nonconformity(parts.model.weights, list(row)) for row in x])
        threshold = parts.model.threshold
        # as ``CombinedGuard.check``: a need is judged by density at the density guard's radius; its
        # score is that distance, shifted so that it crosses this threshold where the radius is
        density = np.array([kth_distance([s for _, s in n], k) for n in j.nearest])
        need_threshold = parts.model.need_threshold
        if need_threshold is None:
            need_threshold = parts.calibration.threshold
        shifted = threshold + density - need_threshold
        scores = np.where(j.need, shifted, scores)
    abstain = j.out_of_scope_intent | (j.searched & (scores > threshold))
    return Guarded(scores, abstain)


class Row(BaseModel):
    guard: str
    family: str
    n_in: int
    n_out: int
    auroc: float
    fpr_at_95tpr: float
    recall: float  # out-of-scope abstained on by the guard stage (intent or score)
    false_abstain: float  # in-scope abstained on by the guard stage
    traps_answered: float | None = None  # in-scope colour/material-word requests answered


def row(guard: str, family: str, ins: Guarded, outs: Guarded, traps: Guarded | None = None) -> Row:
    return Row(
        guard=guard,
        family=family,
        n_in=len(ins.scores),
        n_out=len(outs.scores),
        auroc=auroc(list(ins.scores), list(outs.scores)),
        fpr_at_95tpr=fpr_at_tpr(list(ins.scores), list(outs.scores)),
        recall=float(outs.abstain.mean()),
        false_abstain=float(ins.abstain.mean()),
        traps_answered=None if traps is None else float(1 - traps.abstain.mean()),
    )


def run_abstention_eval(
    settings: Settings, sets: ScopeSets, reports_dir: Path, share: float
) -> tuple[list[Row], Parts, Path]:
    """Side by side: today's density guard and the combined guard on the frozen ``scope_test``
    (headline), ``scope_dev`` (calibrated and trained on: an upper bound), CLINC non-shopping and
    WANDS/ESCI test."""
    parts = open_parts(settings)
    try:

        def judged(texts: list[str]) -> Judged:
            return judge(texts, parts.extractor, parts.encoder, parts.index, needs=parts.needs)

        test, dev, dev2 = scope_golden("test"), scope_golden("dev"), scope_golden("dev2")
        j = {
            "in": judged(sets.in_scope),
            "ns": judged(sets.non_shopping),
            "oc": judged(sets.out_of_catalog),
            "in_cat": judged(sets.in_scope + sets.extra_in_scope_for_catalog),
            "t_in": judged(test.in_scope),
            "t_out": judged(test.out_of_catalog),
            "t_traps": judged(test.in_scope_traps),
            "d_in": judged(dev.in_scope),
            "d_out": judged(dev.out_of_catalog),
            "d_traps": judged(dev.in_scope_traps),
            "d2_in": judged(dev2.in_scope),
            "d2_out": judged(dev2.out_of_catalog),
            "d2_traps": judged(dev2.in_scope_traps),
        }
    finally:
        parts.index.close()
    guards = ["density"] + (["combined"] if parts.model is not None else [])
    rows: list[Row] = []
    marks: dict[str, tuple[float, float]] = {}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for g in guards:
        s = {name: guard_scores(v, parts, g) for name, v in j.items()}
        rows += [
            row(g, "scope_test (frozen)", s["t_in"], s["t_out"], s["t_traps"]),
            row(g, "scope_dev (calibrated+trained)", s["d_in"], s["d_out"], s["d_traps"]),
            row(g, "scope_dev2 (looked at, not fit)", s["d2_in"], s["d2_out"], s["d2_traps"]),
            row(g, "non-shopping (CLINC test)", s["in"], s["ns"]),
            row(g, "out-of-catalog (WANDS+ESCI test)", s["in_cat"], s["oc"]),
        ]
        curves[g] = risk_coverage_at_share(list(s["t_in"].scores), list(s["t_out"].scores), share)
        thr = parts.calibration.threshold if g == "density" else parts.model.threshold  # type: ignore[union-attr]
        a_in = float(np.mean(s["t_in"].scores <= thr))
        a_out = float(np.mean(s["t_out"].scores <= thr))
        coverage = (1 - share) * a_in + share * a_out
        marks[g] = (coverage, share * a_out / coverage if coverage else 0.0)
    plot = reports_dir / "abstention_risk_coverage.png"
    plot_risk_coverage(curves, marks, plot, share)
    for g, (coverage, risk) in marks.items():
        typer.echo(f"{g} guard at its calibrated threshold: coverage {coverage:.3f}, risk {risk:.3f}")
    return rows, parts, plot


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
    ood_share: Annotated[
        float | None,
        typer.Option(help="Out-of-scope share of traffic for the plot (default CTP_GUARD_OOD_SHARE)."),
    ] = None,
) -> None:
    """Today's density guard and the combined guard side by side: AUROC, FPR@95TPR, recall and
    false abstention at the calibrated thresholds, on the frozen scope_test set and the others."""
    settings = Settings()
    out_dir = reports_dir or settings.var_dir / "reports"
    share = ood_share if ood_share is not None else settings.guard_ood_share
    if select:
        from evals.guard_selection import print_selection

        print_selection(settings, clinc_sample or None, seed)
    sets = scope_sets(settings.data_dir, "test", clinc_sample or None, seed)
    rows, parts, plot = run_abstention_eval(settings, sets, out_dir, share)
    cal = parts.calibration
    typer.echo(
        f"density calibration {cal.version}: k={cal.k}, alpha={cal.alpha:g}, n={cal.n}, "
        f"threshold cosine {cal.min_similarity:.4f}; index {cal.index_version}"
    )
    if parts.model is not None:
        typer.echo(f"combined guard {parts.model.version}: n={parts.model.n}, types {parts.types.version}")
    else:
        typer.echo("combined guard: no current artifact (run `ctp evals train-guard`)")
    typer.echo(
        f"{'guard':9} {'family':32} {'n_in':>5} {'n_out':>5} {'AUROC':>6} {'FPR95':>6} "
        f"{'recall':>6} {'f.abst':>6} {'traps':>6}"
    )
    for r in rows:
        traps = f"{r.traps_answered:6.3f}" if r.traps_answered is not None else f"{'':6}"
        typer.echo(
            f"{r.guard:9} {r.family:32} {r.n_in:5d} {r.n_out:5d} {r.auroc:6.3f} {r.fpr_at_95tpr:6.3f} "
            f"{r.recall:6.3f} {r.false_abstain:6.3f} {traps}"
        )
    typer.echo(f"risk–coverage plot (scope_test at {share:.0%} out-of-scope traffic): {plot}")


def guard_latency(
    n: Annotated[int, typer.Option(help="Queries to time (cycled from the golden test split).")] = 200,
) -> None:
    """Median time each guard's check adds to a turn, as a ratio to the query embedding timed in
    the same run (the box is shared: absolute figures move with load, the ratio much less)."""
    from app.guard.combined import CombinedGuard
    from app.guard.density import DensityGuard
    from app.index.encoders import open_encoder
    from evals.abstention_data import shopper_queries

    settings = Settings()
    parts = open_parts(settings)
    encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads, cache_size=0)
    guards: dict[str, DensityGuard | CombinedGuard] = {
        "density": DensityGuard(parts.index, parts.calibration)
    }
    if parts.model is not None:
        guards["combined"] = CombinedGuard(
            parts.index,
            parts.model,
            parts.types,
            parts.type_vectors,
            encoder.encode_query,
            parts.calibration.min_similarity,
        )
    base = shopper_queries("test")
    queries = [f"{base[i % len(base)]} {i}" for i in range(n)]  # distinct texts: no cache hits
    inputs = asyncio.run(guard_inputs(parts.extractor, queries))
    embed_ms: list[float] = []
    guard_ms: dict[str, list[float]] = {name: [] for name in guards}
    for (text, _), message in zip(inputs, queries, strict=True):
        t0 = time.perf_counter()
        vec = encoder.encode_query(text)
        embed_ms.append(1000 * (time.perf_counter() - t0))
        turn = asyncio.run(parts.extractor.extract(message, ConversationState(conversation_id="bench")))
        for name, guard in guards.items():
            t1 = time.perf_counter()
            guard.check(turn, vec)
            guard_ms[name].append(1000 * (time.perf_counter() - t1))
    parts.index.close()
    e = statistics.median(embed_ms)
    typer.echo(f"query embedding (baseline, same run): median {e:.2f} ms over {n} queries")
    for name, ms in guard_ms.items():
        g = statistics.median(ms)
        p95 = sorted(ms)[int(0.95 * len(ms)) - 1]
        typer.echo(
            f"{name:8} guard check: median {g:.2f} ms, p95 {p95:.2f} ms; guard/embedding = {g / e:.3f}"
        )
