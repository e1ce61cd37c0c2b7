"""``ctp recsys``: train, evaluate and benchmark the recommender.

ctp recsys train [--from-logs [--no-ipw]]  train and save a new artifact version, point "current" at it
ctp recsys judge                 regenerate evals/golden/relevance.jsonl from the catalog
ctp recsys evaluate              the held-out table: dense, sparse, hybrid, heuristic, LightGBM
ctp recsys bench                 ranking latency for 100 candidates
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from app.settings import Settings

if TYPE_CHECKING:
    from app.domain.turn import Candidate, ConversationState
    from app.pipeline.rank import Ranker
    from recsys.runtime import Offline

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command()
def train(
    from_logs: Annotated[
        bool, typer.Option("--from-logs", help="Add graded rows from the turn log.")
    ] = False,
    queries: Annotated[int, typer.Option(help="Generated training queries.")] = 1000,
    ipw: Annotated[
        bool,
        typer.Option(
            "--ipw/--no-ipw",
            help="With --from-logs: estimate position propensities from the explored turns and weight "
            "the logged clicks by their inverse (refused when the explored turns are too few).",
        ),
    ] = True,
    min_clicks: Annotated[
        int, typer.Option(help="Clicks every randomised slot needs before its propensity is used.")
    ] = 20,
) -> None:
    """Train the LambdaRank ranker and the cross-sell model; save a versioned artifact."""
    from recsys.build import train_artifact
    from recsys.propensity import TooFewExplored
    from recsys.runtime import open_offline

    settings = Settings()
    offline = open_offline(settings)
    try:
        meta = train_artifact(
            settings, offline, from_logs, queries, progress=typer.echo, ipw=ipw, min_clicks=min_clicks
        )
    except TooFewExplored as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(2) from refused
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
def pool(
    version: Annotated[str, typer.Option(help="Artifact version.")] = "current",
    extend: Annotated[
        bool,
        typer.Option(
            "--extend",
            help="Add the products of this LightGBM artifact's top ``depth`` that no pool holds yet, "
            "as a new judging round (the earlier rounds and their judgments stay as they are).",
        ),
    ] = False,
    every_method: Annotated[
        bool,
        typer.Option(
            "--every-method",
            help="With --extend: pool every method's top ``depth`` (deepening a pool), not only LightGBM's.",
        ),
    ] = False,
    split: Annotated[
        str, typer.Option(help="Golden split: test (evaluation) or train (training signal).")
    ] = "test",
    depth: Annotated[int, typer.Option(help="Top k of each method pooled.")] = 15,
) -> None:
    """Write evals/golden/pools_<split>.jsonl: every method's top ``depth`` per query of the split,
    deduplicated and shuffled (the judge cannot tell which ranker proposed a product)."""
    from recsys.evaluate import collect_runs
    from recsys.golden import load_queries
    from recsys.pools import POOLS_FILE, extend_pools, load_pools, pool_of, write_pools

    queries = load_queries(splits=(split,))
    path = POOLS_FILE.with_name(f"pools_{split}.jsonl")
    with _offline_rankers(version) as (offline, rankers):
        if extend and not every_method:
            rankers = {k: v for k, v in rankers.items() if k.startswith("LightGBM")}
        runs = collect_runs(offline.source, queries, rankers, progress=typer.echo)
    if extend:
        pools, added = extend_pools(load_pools(path), queries, runs, depth)
        write_pools(pools, path)
        typer.echo(f"added {added} unpooled products as a new round to {path}")
        return
    pools = []
    for i, q in enumerate(queries):
        members = pool_of(q.id, [pairs[i][0] for pairs in runs.values()], depth)
        pools.append({"id": q.id, "query": q.query, "need": q.need, "products": members})
    write_pools(pools, path)
    typer.echo(f"wrote {len(pools)} pools, {sum(len(p['products']) for p in pools)} pairs, to {path}")


@app.command("pool-show")
def pool_show(
    start: int = 0,
    stop: int = 10,
    round_: Annotated[int, typer.Option("--round")] = 1,
    split: str = "test",
) -> None:
    """Print pools ``start``..``stop`` for judging: query, need, and each product's full text
    (``--round 2`` prints only the products a later ``pool --extend`` added)."""
    from recsys.pools import POOLS_FILE, load_pools, product_text
    from recsys.runtime import open_offline

    offline = open_offline(Settings())
    try:
        catalog = offline.source.catalog
        for pool in load_pools(POOLS_FILE.with_name(f"pools_{split}.jsonl"))[start:stop]:
            members = pool["products"] if round_ == 1 else pool.get(f"round{round_}", [])
            if not members:
                continue
            typer.echo(f"=== {pool['id']} «{pool['query']}» NEED: {pool['need']}")
            for j, pid in enumerate(members):
                p = catalog.get(pid)
                typer.echo(f"  [{j}] " + (product_text(p) if p else f"{pid} (not in catalog)"))
    finally:
        offline.close()


@contextmanager
def _offline_rankers(version: str) -> Iterator[tuple[Offline, dict[str, Ranker]]]:
    """The offline pieces and the two rankers every comparison runs: heuristic and LightGBM."""
    from app.pipeline.rank import HeuristicRanker
    from recsys import artifact
    from recsys.ranker import LightGbmRanker
    from recsys.runtime import open_offline, unit_vectors

    settings = Settings()
    offline = open_offline(settings)
    try:
        meta, model, _ = artifact.load(settings.var_dir, version)
        vectors = unit_vectors(offline.index, [p.id for p in offline.source.catalog.all()])
        rankers: dict[str, Ranker] = {
            "heuristic ranker": HeuristicRanker(),
            f"LightGBM ({meta.version})": LightGbmRanker(model, meta.version, vectors),
        }
        yield offline, rankers
    finally:
        offline.close()


@app.command()
def evaluate(
    version: Annotated[str, typer.Option(help="Artifact version.")] = "current",
    judgments: Annotated[
        str, typer.Option(help="need: graded need-based judgments; constraints: the attribute rule.")
    ] = "need",
    split: Annotated[
        str,
        typer.Option(
            help="test: the held-out headline; dev: the need-judged train-split queries held out "
            "from training (recsys.build.DEV_SHARE), where model choices are made."
        ),
    ] = "test",
) -> None:
    """NDCG@10 / MRR@10 / recall@50 (and recall@100 = candidate ceiling) on the held-out queries,
    paired-bootstrap CIs, and the share of each method's top 10 that is unjudged."""
    from recsys.evaluate import (
        collect_runs,
        load_judged,
        markdown_table,
        paired_delta,
        per_query_ndcg,
        summarise,
    )
    from recsys.golden import load_queries
    from recsys.pools import load_need_judgments, unjudged_share

    if split == "dev":
        from recsys.build import DEV_SHARE
        from recsys.labels import split_of
        from recsys.pools import NEED_JUDGMENTS_TRAIN

        need = load_need_judgments(NEED_JUDGMENTS_TRAIN)
        dev = [
            q
            for q in load_queries(splits=("train",))
            if q.id in need and split_of("n" + q.id, DEV_SHARE) == "valid"
        ]
        need = {q.id: need[q.id] for q in dev}
        judged = [q.model_copy(update={"judgments": need[q.id]}) for q in dev]
        typer.echo(f"dev split: {len(judged)} need-judged train-split queries never trained on")
    if judgments == "need":
        if split != "dev":
            need = load_need_judgments()
            judged = [q.model_copy(update={"judgments": need[q.id]}) for q in load_queries() if q.id in need]
        counts = sorted(len(j) for j in need.values())
        typer.echo(
            f"{len(judged)} held-out queries with need-based judgments: {sum(counts)} judgments, "
            f"per query min {counts[0]} / median {counts[len(counts) // 2]} / max {counts[-1]}"
        )
    else:
        judged = load_judged()
        typer.echo(f"{len(judged)} held-out queries judged by the constraint rule")
    with _offline_rankers(version) as (offline, rankers):
        runs = collect_runs(offline.source, judged, rankers, progress=typer.echo)
    typer.echo(markdown_table(summarise(runs)))
    for method, pairs in runs.items():
        share = unjudged_share([r for r, _ in pairs], [j for _, j in pairs])
        typer.echo(f"unjudged in top 10, {method}: {share:.1%}")
    hybrid = per_query_ndcg(runs, "hybrid fusion (RRF)")
    heuristic = per_query_ndcg(runs, "heuristic ranker")
    lgbm = next(m for m in runs if m.startswith("LightGBM"))
    best_name, best = max((("hybrid", hybrid), ("heuristic", heuristic)), key=lambda t: sum(t[1]))
    for label, base, name in (
        ("heuristic − hybrid", hybrid, "heuristic ranker"),
        ("LightGBM − hybrid", hybrid, lgbm),
        ("LightGBM − heuristic", heuristic, lgbm),
        (f"LightGBM − best baseline ({best_name})", best, lgbm),
    ):
        d = paired_delta(base, per_query_ndcg(runs, name))
        typer.echo(
            f"{label}, NDCG@10: {d.mean:+.4f} (95 % paired bootstrap CI {d.ci_low:+.4f} … "
            f"{d.ci_high:+.4f}); better on {d.better}, worse on {d.worse}, tied on {d.tied} queries"
        )


@app.command()
def ablate() -> None:
    """Dev-split NDCG@10 with all features and with each feature group removed (never the test split)."""
    from recsys.ablation import ablate as run
    from recsys.build import collect_rows
    from recsys.runtime import open_offline

    settings = Settings()
    offline = open_offline(settings)
    try:
        rows, valid, dev, _ = collect_rows(offline, progress=typer.echo)
    finally:
        offline.close()
    typer.echo(f"dev: {len(set(dev.qids))} need-judged lists held out from training")
    typer.echo("| model | dev NDCG@10 |\n|---|---|")
    for name, value in run(rows, valid, dev).items():
        typer.echo(f"| {name} | {value:.4f} |")


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
    from recsys.features import QueryContext, context_for, feature_matrix, reference_matrix
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
                    ConversationState(conversation_id="b", filters=pq.filters, query=pq.search),
                )
            )
    finally:
        offline.close()
    heuristic = HeuristicRanker()
    table = ranker.table_for(catalog)

    def context(cands: list[Candidate], state: ConversationState) -> QueryContext:
        rows = [table.row[c.product_id] for c in cands]
        prices = [table.price[r] for r in rows]
        listing = table.listing(state.query, rows)
        return context_for(state.filters, cands, vectors, query=state.query, prices=prices, listing=listing)

    def vectorised(cands: list[Candidate], state: ConversationState) -> None:
        x = feature_matrix(context(cands, state), cands, table)
        model.predict(x, num_threads=1)

    def reference(cands: list[Candidate], state: ConversationState) -> None:
        ctx = context(cands, state)
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
