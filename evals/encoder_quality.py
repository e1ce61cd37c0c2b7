"""``ctp evals encoders``: the quality rule of docs/performance.md, applied to encoder variants.

For each variant (each built into its own ``var_dir`` by ``CTP_ENCODER=<v> ctp build``):

1. mean (and min) cosine of its embeddings to the fp32 torch ones on every golden shopper query
   and on the catalog's embedding texts;
2. NDCG@10 per held-out judged query for dense, hybrid and the heuristic ranker, and the paired
   95 % bootstrap CI of variant − torch (``recsys.evaluate.paired_delta``);
3. the test-split guard AUROCs (non-shopping, out-of-catalog) with a 95 % bootstrap CI of the
   torch AUROC (resampling in- and out-of-scope scores), and whether the variant's AUROC is inside.

The reference is always the torch encoder over the torch-built ``--torch-var-dir``. A variant
passes lines 2–3 when every CI of the difference contains 0 (or lies above it) and every AUROC
is inside (or above) the reference CI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from app.settings import Settings
from evals.ood_metrics import auroc

GOLDEN = Path(__file__).parent / "golden" / "shopper_queries.jsonl"
FAMILIES = ("non-shopping", "out-of-catalog")


def auroc_ci(ins: np.ndarray, outs: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the AUROC, resampling each class separately."""
    rng = np.random.default_rng(seed)
    vals = [
        auroc(
            list(ins[rng.integers(0, ins.size, ins.size)]), list(outs[rng.integers(0, outs.size, outs.size)])
        )
        for _ in range(resamples)
    ]
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def _guard_scores(settings: Settings, clinc_n: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The density guard's nonconformity scores of the test families, with this var dir's encoder
    (the guard whose AUROCs the quality rule compares across encoders)."""
    from evals.abstention import guard_scores, open_parts
    from evals.abstention_data import scope_sets
    from evals.guard_training import judge

    sets = scope_sets(settings.data_dir, "test", clinc_n or None, seed)
    parts = open_parts(settings)
    try:

        def scored(texts: list[str]) -> np.ndarray:
            return guard_scores(
                judge(texts, parts.extractor, parts.encoder, parts.index), parts, "density"
            ).scores

        ins, ns, oc = scored(sets.in_scope), scored(sets.non_shopping), scored(sets.out_of_catalog)
        ins_cat = scored(sets.in_scope + sets.extra_in_scope_for_catalog)
    finally:
        parts.index.close()
    return {"non-shopping": (ins, ns), "out-of-catalog": (ins_cat, oc)}


def _ndcg(settings: Settings) -> dict[str, list[float]]:
    from app.pipeline.rank import HeuristicRanker
    from recsys.evaluate import collect_runs, load_judged, per_query_ndcg
    from recsys.runtime import open_offline

    offline = open_offline(settings)
    try:
        runs = collect_runs(offline.source, load_judged(), {"heuristic ranker": HeuristicRanker()})
    finally:
        offline.close()
    return {m: per_query_ndcg(runs, m) for m in ("dense only", "hybrid fusion (RRF)", "heuristic ranker")}


def encoders(
    variants: Annotated[
        list[str], typer.Argument(help="Variants to compare with torch, each VARIANT=VAR_DIR.")
    ],
    torch_var_dir: Annotated[Path, typer.Option(help="var_dir built with CTP_ENCODER=torch.")] = Path("var"),
    clinc_sample: Annotated[
        int, typer.Option(help="CLINC non-shopping utterances (as ctp evals abstention).")
    ] = 2000,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Cosine to torch, NDCG@10 paired CIs and guard AUROC CIs for each encoder variant."""
    from app.index.encoders import open_encoder
    from recsys.evaluate import paired_delta

    base = Settings()
    queries = [json.loads(line)["query"] for line in GOLDEN.read_text().splitlines() if line.strip()]
    ref_settings = base.model_copy(update={"var_dir": torch_var_dir, "encoder": "torch"})
    ref_enc = open_encoder("torch", torch_var_dir, threads=base.torch_threads)
    ref_q = ref_enc.encode(queries)
    ref_ndcg = _ndcg(ref_settings)
    ref_guard = _guard_scores(ref_settings, clinc_sample, seed)
    report: dict[str, object] = {"torch": {"version": ref_enc.version}}
    for fam in FAMILIES:
        ins, outs = ref_guard[fam]
        lo, hi = auroc_ci(ins, outs)
        typer.echo(f"torch {fam}: AUROC {auroc(list(ins), list(outs)):.4f} (95 % CI {lo:.4f} … {hi:.4f})")
    for m, vals in ref_ndcg.items():
        typer.echo(f"torch {m}: NDCG@10 {np.mean(vals):.4f} over {len(vals)} queries")
    for spec in variants:
        variant, _, var_dir = spec.partition("=")
        settings = base.model_copy(update={"var_dir": Path(var_dir), "encoder": variant})
        enc = open_encoder(variant, Path(var_dir), threads=base.torch_threads)
        row: dict[str, object] = {"version": enc.version}
        if enc.dim == ref_enc.dim:
            cos = (enc.encode(queries) * ref_q).sum(axis=1)
            row["cosine_mean"], row["cosine_min"] = float(cos.mean()), float(cos.min())
            typer.echo(
                f"{variant}: cosine to torch on {len(queries)} golden queries: mean {cos.mean():.4f}, min {cos.min():.4f}"
            )
        else:
            typer.echo(
                f"{variant}: {enc.dim}-d, another vector space: cosine to torch not defined (fails line 1)"
            )
        ndcg = _ndcg(settings)
        for m, vals in ndcg.items():
            d = paired_delta(ref_ndcg[m], vals)
            row[f"ndcg@10 {m}"] = {"mean": float(np.mean(vals)), "delta": d.model_dump()}
            ok = d.ci_low <= 0 <= d.ci_high or d.ci_low > 0
            typer.echo(
                f"{variant} {m}: NDCG@10 {np.mean(vals):.4f}, Δ {d.mean:+.4f} (CI {d.ci_low:+.4f} … {d.ci_high:+.4f}) "
                f"{'PASS' if ok else 'FAIL'}"
            )
        guard = _guard_scores(settings, clinc_sample, seed)
        for fam in FAMILIES:
            lo, hi = auroc_ci(*ref_guard[fam])
            a = auroc(list(guard[fam][0]), list(guard[fam][1]))
            row[f"auroc {fam}"] = {"auroc": a, "torch_ci": [lo, hi]}
            typer.echo(
                f"{variant} {fam}: AUROC {a:.4f} {'PASS' if a >= lo else 'FAIL'} (torch CI {lo:.4f} … {hi:.4f})"
            )
        report[variant] = row
    if out is not None:
        out.write_text(json.dumps(report, indent=1))
