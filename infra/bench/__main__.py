"""``make bench``: stage microbenchmarks on the real catalog, then vector search scaling.

    python -m infra.bench [--scale 1m] [--sizes 10k,100k] [--skip-micro] [--skip-vectors]
                          [--encoders torch,onnx,onnx-int8,static]

The catalog is built (idempotently) into ``var/bench`` with SQLite and Qdrant Edge, and Redis db
13 holds the conversations the full-turn benchmark creates. Prints figures and exits 0.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

REPO = Path(__file__).resolve().parents[2]
cli = typer.Typer(add_completion=False)


def _n(spec: str) -> int:
    spec = spec.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(spec[-1], 1)
    return int(float(spec.rstrip("km")) * mult)


def run_encoders(variants: list[str]) -> list[dict[str, object]]:
    from app.settings import Settings
    from infra.bench.encoders import compare

    settings = Settings(var_dir=REPO / "var" / "bench", database_url=None, redis_url=None)
    figs = compare(variants, settings)
    typer.echo(f"\nencoders, one thread each, ratio to {variants[0]} in the same run (interleaved queries):")
    typer.echo(
        f"  {'variant':<10} {'query p50 ms':>12} {'ratio':>6} {'index build s':>13} {'ratio':>6} {'RSS MB':>7} torch"
    )
    for f in figs:
        typer.echo(
            f"  {f.variant:<10} {f.query_p50_ms:>12.3f} {f.query_ratio:>6.3f} {f.build_s:>13.2f} "
            f"{f.build_ratio:>6.3f} {f.rss_mb:>7.0f} {'yes' if f.torch_loaded else 'no'}"
        )
    return [f.model_dump() for f in figs]


def run_micro(queries: int) -> dict[str, float]:
    from app.bootstrap import build_catalog
    from app.settings import Settings
    from infra.bench.micro import cores, measure_stages, rss_mb

    settings = Settings(
        var_dir=REPO / "var" / "bench", database_url=None, redis_url="redis://127.0.0.1:6379/13"
    )
    build_catalog(settings, progress=False)
    fig = measure_stages(settings, queries)
    base = fig.unavoidable_ms
    typer.echo(f"\nstage medians over {fig.n} train queries (ms, one torch thread, uncached embed):")
    for name in ("embed", "retrieve", "rank", "guard", "extract", "full_turn"):
        ms = getattr(fig, f"{name}_ms")
        typer.echo(f"  {name:<10} {ms:8.3f}   ×{ms / base:5.2f} of embed+retrieve+rank")
    typer.echo(
        f"  unavoidable (embed+retrieve+rank) {base:.3f} ms → ceiling {fig.ceiling_turns_per_s(cores()):.1f} turns/s on {cores()} cores"
    )
    typer.echo(f"  full turn / unavoidable = {fig.full_turn_ms / base:.2f};  process RSS {rss_mb()} MB")
    if fig.full_turn_plain_ms:
        typer.echo(
            f"  full turn with / without the understand stage (same run) = "
            f"{fig.full_turn_ms:.3f} / {fig.full_turn_plain_ms:.3f} ms = {fig.full_turn_ms / fig.full_turn_plain_ms:.2f}"
        )
    return {**fig.model_dump(), "unavoidable_ms": base, "rss_mb": rss_mb()}


@cli.command()
def main(
    sizes: Annotated[str, typer.Option(help="Comma-separated point counts.")] = "10k,100k",
    scale: Annotated[str, typer.Option(help="Add a larger size, e.g. 1m (opt-in: slow to build).")] = "",
    distributions: Annotated[str, typer.Option()] = "random,clustered",
    queries: Annotated[int, typer.Option(help="Queries for the stage microbenchmarks.")] = 60,
    encoders: Annotated[
        str, typer.Option(help="Encoder variants to compare (first = baseline); empty skips.")
    ] = "torch,onnx,onnx-int8,static",
    skip_micro: bool = False,
    skip_vectors: bool = False,
    out: Annotated[Path, typer.Option()] = REPO / "var" / "reports",
) -> None:
    """Print the benchmark figures (and save them as JSON under var/reports/)."""
    from infra.bench.vectors import scale as vector_scale

    results: dict[str, object] = {}
    if not skip_micro:
        results["micro"] = run_micro(queries)
        if encoders:
            results["encoders"] = run_encoders([v.strip() for v in encoders.split(",") if v.strip()])
    if not skip_vectors:
        points = [_n(s) for s in sizes.split(",") if s.strip()] + ([_n(scale)] if scale else [])
        rows = []
        typer.echo("\nQdrant Edge HNSW on synthetic 384-d vectors (200 queries, top 10, 1 search thread):")
        typer.echo(
            f"  {'points':>8} {'dist':<9} {'filter':<6} {'ef':>7} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'exact p50':>9} {'recall@10':>9}"
        )
        for n in points:
            for kind in distributions.split(","):
                for p in vector_scale(n, kind):
                    rows.append(p.model_dump())
                    typer.echo(
                        f"  {p.points:>8} {p.distribution:<9} {'yes' if p.filtered else 'no':<6} "
                        f"{p.hnsw_ef or 'default':>7} {p.build_s:>8.1f} "
                        f"{p.p50_ms:>7.3f} {p.p95_ms:>7.3f} {p.exact_p50_ms:>9.3f} {p.recall_at_10:>9.4f}"
                    )
        results["vectors"] = rows
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    typer.echo(f"\nsaved {path}")


if __name__ == "__main__":
    cli()
