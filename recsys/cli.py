"""``ctp recsys``: train, evaluate and benchmark the recommender.

ctp recsys train [--from-logs]   train and save a new artifact version, point "current" at it
ctp recsys judge                 regenerate evals/golden/relevance.jsonl from the catalog
ctp recsys evaluate              the held-out table: dense, sparse, hybrid, heuristic, LightGBM
ctp recsys bench                 ranking latency for 100 candidates
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from app.settings import Settings

if TYPE_CHECKING:
    from app.domain.turn import Candidate, ConversationState

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command()
def train(
    from_logs: Annotated[
        bool, typer.Option("--from-logs", help="Add graded rows from the turn log.")
    ] = False,
    queries: Annotated[int, typer.Option(help="Generated training queries.")] = 1000,
) -> None:
    """Train the LambdaRank ranker and the cross-sell model; save a versioned artifact."""
    from recsys.build import train_artifact
    from recsys.runtime import open_offline

    settings = Settings()
    offline = open_offline(settings)
    try:
        meta = train_artifact(settings, offline, from_logs, queries, progress=typer.echo)
    finally:
        offline.close()
    typer.echo(
        f"saved {settings.var_dir / 'models' / meta.version} ({meta.seconds:.1f} s); current -> {meta.version}"
    )


@app.command()
def judge() -> None:
    """Regenerate the golden relevance judgments from the held-out queries and the catalog."""
    from recsys.evaluate import RELEVANCE_FILE, write_judgments
    from recsys.runtime import open_offline

    offline = open_offline(Settings())
    try:
        n = write_judgments(offline.source.catalog.all())
    finally:
        offline.close()
    typer.echo(f"wrote {n} judged queries to {RELEVANCE_FILE}")


@app.command()
def evaluate(version: Annotated[str, typer.Option(help="Artifact version.")] = "current") -> None:
    """NDCG@10 / MRR@10 / recall@50 (and recall@100 = candidate ceiling) on the held-out queries."""
    from app.pipeline.rank import HeuristicRanker
    from app.pipeline.rank import Ranker as RankerProtocol
    from recsys import artifact
    from recsys.evaluate import (
        collect_runs,
        load_judged,
        markdown_table,
        paired_delta,
        per_query_ndcg,
        summarise,
    )
    from recsys.golden import load_queries
    from recsys.ranker import LightGbmRanker
    from recsys.runtime import open_offline, unit_vectors

    settings = Settings()
    offline = open_offline(settings)
    try:
        judged = load_judged()
        typer.echo(
            f"{len(judged)} judged held-out queries ({len(load_queries()) - len(judged)} state no constraint)"
        )
        meta, model, _ = artifact.load(settings.var_dir, version)
        vectors = unit_vectors(offline.index, [p.id for p in offline.source.catalog.all()])
        rankers: dict[str, RankerProtocol] = {
            "heuristic ranker": HeuristicRanker(),
            f"LightGBM ({meta.version})": LightGbmRanker(model, meta.version, vectors),
        }
        runs = collect_runs(offline.source, judged, rankers, progress=typer.echo)
    finally:
        offline.close()
    typer.echo(markdown_table(summarise(runs)))
    hybrid = per_query_ndcg(runs, "hybrid fusion (RRF)")
    for name in rankers:
        d = paired_delta(hybrid, per_query_ndcg(runs, name))
        typer.echo(
            f"{name} − hybrid, NDCG@10: {d.mean:+.4f} (95 % paired bootstrap CI {d.ci_low:+.4f} … "
            f"{d.ci_high:+.4f}); better on {d.better}, worse on {d.worse}, tied on {d.tied} queries"
        )


@app.command()
def bench(
    version: Annotated[str, typer.Option()] = "current", repeats: Annotated[int, typer.Option()] = 300
) -> None:
    """Time ranking real 100-candidate lists (median and p95, ms), interleaved in one run so every
    figure sees the same machine load: the heuristic ranker (baseline), ``LightGbmRanker.rank``,
    and the feature build + predict alone, vectorised vs the per-candidate reference."""
    from app.domain.turn import ConversationState
    from app.pipeline.rank import HeuristicRanker
    from recsys import artifact
    from recsys.evaluate import load_judged
    from recsys.features import context_for, feature_matrix, reference_matrix
    from recsys.ranker import LightGbmRanker
    from recsys.runtime import open_offline, unit_vectors

    settings = Settings()
    offline = open_offline(settings)
    try:
        meta, model, _ = artifact.load(settings.var_dir, version)
        catalog = offline.source.catalog
        vectors = unit_vectors(offline.index, [p.id for p in catalog.all()])
        ranker = LightGbmRanker(model, meta.version, vectors, catalog)
        texts = [q.query for q in load_judged()[:20]]
        parsed = offline.source.parse(texts)
        vecs = offline.source.encode(parsed)
        lists = []
        for pq, v in zip(parsed, vecs, strict=True):
            pq_open = type(pq)(pq.text, type(pq.filters)(), pq.search)  # unfiltered: always 100
            lists.append(
                (
                    offline.source.retrieve(pq_open, v),
                    ConversationState(conversation_id="b", filters=pq.filters),
                )
            )
    finally:
        offline.close()
    heuristic = HeuristicRanker()
    table = ranker.table_for(catalog)

    def vectorised(cands: list[Candidate], state: ConversationState) -> None:
        x = feature_matrix(context_for(state.filters, cands, vectors), cands, table)
        model.predict(x, num_threads=1)

    def reference(cands: list[Candidate], state: ConversationState) -> None:
        ctx = context_for(state.filters, cands, vectors)
        x = reference_matrix(ctx, cands, catalog.many([c.product_id for c in cands]), vectors)
        model.predict(x, num_threads=1)

    timed: dict[str, Callable[[list[Candidate], ConversationState], object]] = {
        "heuristic rank (baseline)": lambda c, s: heuristic.rank(c, catalog, s),
        "LightGBM rank": lambda c, s: ranker.rank(c, catalog, s),
        "features+predict, vectorised": vectorised,
        "features+predict, per-candidate reference": reference,
    }
    ms: dict[str, list[float]] = {name: [] for name in timed}
    for i in range(repeats):
        cands, state = lists[i % len(lists)]
        for name, run in timed.items():
            t0 = time.perf_counter()
            run(cands, state)
            ms[name].append((time.perf_counter() - t0) * 1000)
    sizes = sorted({len(c) for c, _ in lists})
    base = statistics.median(ms["heuristic rank (baseline)"])
    typer.echo(f"{meta.version}: {sizes} candidates x {repeats} repeats, interleaved")
    for name, xs in ms.items():
        xs.sort()
        med = statistics.median(xs)
        typer.echo(
            f"  {name:<42} median {med:6.2f} ms  p95 {xs[int(len(xs) * 0.95)]:6.2f} ms  "
            f"x{med / base:.2f} of heuristic"
        )
