"""Held-out evaluation: NDCG@10, MRR@10 and recall@50 of each ranking method on the golden queries.

Golden queries are the ``test`` split of ``evals/golden/shopper_queries.jsonl`` (hand-written;
never used for training — ``recsys.labels.assert_disjoint`` enforces it). Their graded judgments
(``evals/golden/relevance.jsonl``, from ``write_judgments``) apply the rule in ``recsys.labels`` to
each query's hand-annotated constraints; products absent from the file have grade 0.

Metric definitions (pure functions below):

* NDCG@k: gain ``2^g - 1``, log2 discount, ideal DCG over *all* judged products of the query.
* MRR@k: 1 / rank of the first product with grade >= ``RELEVANT`` (2), 0 if none in the top k.
* recall@k: relevant products in the top k / ``min(k, relevant products)`` — capped so 1.0 is
  reachable when a query has hundreds of relevant products (a bare "tees").

Queries that state no constraint cannot be judged and are skipped (the count is reported).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from app.domain.catalog import Product
from app.domain.turn import ConversationState, Filters
from app.index.base import SearchMode
from app.pipeline.rank import Ranker
from recsys.candidates import CandidateSource
from recsys.golden import GOLDEN_DIR, GoldenQuery, Progress, load_queries
from recsys.labels import judgments

RELEVANT = 2
RELEVANCE_FILE = GOLDEN_DIR / "relevance.jsonl"


def dcg(grades: Sequence[int]) -> float:
    # int ** int is typed Any (a negative exponent gives a float); the sum is a float either way.
    total: float = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))
    return total


def ndcg_at(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judged.get(pid, 0) for pid in ranked[:k]]) / ideal


def mrr_at(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10, relevant: int = RELEVANT) -> float:
    for i, pid in enumerate(ranked[:k]):
        if judged.get(pid, 0) >= relevant:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(
    ranked: Sequence[str], judged: Mapping[str, int], k: int = 50, relevant: int = RELEVANT
) -> float:
    rel = {pid for pid, g in judged.items() if g >= relevant}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / min(k, len(rel))


def write_judgments(catalog: Sequence[Product], path: Path = RELEVANCE_FILE) -> int:
    """(Re)generate ``relevance.jsonl`` from the held-out queries' constraints and the catalog;
    one line per judgeable query, products sorted by grade then id. Returns queries written."""
    lines = []
    for q in load_queries():
        judged = judgments(q.constraints, catalog)
        if not judged:
            continue
        ordered = dict(sorted(judged.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(
            json.dumps(
                {
                    "id": q.id,
                    "query": q.query,
                    "constraints": q.constraints.model_dump(exclude_none=True),
                    "judgments": ordered,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def load_judged(path: Path = RELEVANCE_FILE) -> list[GoldenQuery]:
    out = []
    with path.open() as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                out.append(
                    GoldenQuery(
                        id=doc["id"],
                        query=doc["query"],
                        split="test",
                        constraints=Filters.model_validate(doc["constraints"]),
                        judgments=doc["judgments"],
                    )
                )
    return out


def summarise(runs: Mapping[str, list[tuple[list[str], dict[str, int]]]]) -> dict[str, dict[str, float]]:
    """Mean metrics per method over its (ranking, judgments) pairs."""
    table: dict[str, dict[str, float]] = {}
    for method, pairs in runs.items():
        n = max(len(pairs), 1)
        table[method] = {
            "ndcg@10": round(sum(ndcg_at(r, j, 10) for r, j in pairs) / n, 4),
            "mrr@10": round(sum(mrr_at(r, j, 10) for r, j in pairs) / n, 4),
            "recall@50": round(sum(recall_at(r, j, 50) for r, j in pairs) / n, 4),
            "recall@100": round(sum(recall_at(r, j, 100) for r, j in pairs) / n, 4),
        }
    return table


Runs = dict[str, list[tuple[list[str], dict[str, int]]]]


class PairedDelta(BaseModel):
    """Method ``b`` minus method ``a`` on NDCG@k, query by query (the same queries, paired)."""

    mean: float
    ci_low: float
    ci_high: float
    better: int
    worse: int
    tied: int


def paired_delta(
    a: Sequence[float], b: Sequence[float], resamples: int = 10_000, seed: int = 0
) -> PairedDelta:
    """Mean of ``b - a`` with a 95 % percentile bootstrap interval over queries, and how many
    queries ``b`` wins, loses and ties. With most lists at their ceiling, a few queries decide a
    mean difference; the interval and the counts say whether it means anything."""
    import numpy as np

    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if d.size == 0:
        return PairedDelta(mean=0.0, ci_low=0.0, ci_high=0.0, better=0, worse=0, tied=0)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    eps = 1e-9
    return PairedDelta(
        mean=round(float(d.mean()), 4),
        ci_low=round(float(lo), 4),
        ci_high=round(float(hi), 4),
        better=int((d > eps).sum()),
        worse=int((d < -eps).sum()),
        tied=int((abs(d) <= eps).sum()),
    )


def per_query_ndcg(runs: Runs, method: str, k: int = 10) -> list[float]:
    return [ndcg_at(r, j, k) for r, j in runs[method]]


def evaluate(
    source: CandidateSource,
    queries: Sequence[GoldenQuery],
    rankers: Mapping[str, Ranker],
    progress: Progress | None = None,
) -> dict[str, dict[str, float]]:
    """Rank every held-out query with each retrieval mode and each ranker (over the hybrid list)."""
    return summarise(collect_runs(source, queries, rankers, progress))


def collect_runs(
    source: CandidateSource,
    queries: Sequence[GoldenQuery],
    rankers: Mapping[str, Ranker],
    progress: Progress | None = None,
) -> Runs:
    """Each method's (ranking, judgments) per query, in query order."""
    parsed = source.parse([q.query for q in queries])
    vecs = source.encode(parsed)
    runs: Runs = {m: [] for m in ("dense only", "sparse only", "hybrid fusion (RRF)", *rankers)}
    single: tuple[tuple[SearchMode, str], ...] = (("dense", "dense only"), ("sparse", "sparse only"))
    for i, (q, pq) in enumerate(zip(queries, parsed, strict=True)):
        state = ConversationState(conversation_id="eval", filters=pq.filters, query=pq.search)
        for mode, name in single:
            ranked = [c.product_id for c in source.retrieve(pq, vecs[i], mode)]
            runs[name].append((ranked, q.judgments))
        hybrid = source.retrieve(pq, vecs[i])
        runs["hybrid fusion (RRF)"].append(([c.product_id for c in hybrid], q.judgments))
        for name, ranker in rankers.items():
            order = ranker.rank(hybrid, source.catalog, state)
            runs[name].append(([c.product_id for c in order], q.judgments))
        if progress and (i + 1) % 25 == 0:
            progress(f"  evaluated {i + 1}/{len(queries)} queries")
    return runs


def markdown_table(table: Mapping[str, Mapping[str, float]]) -> str:
    lines = ["| method | NDCG@10 | MRR@10 | recall@50 | recall@100 |", "|---|---|---|---|---|"]
    for method, m in table.items():
        lines.append(
            f"| {method} | {m['ndcg@10']:.4f} | {m['mrr@10']:.4f} | {m['recall@50']:.4f} | {m['recall@100']:.4f} |"
        )
    return "\n".join(lines)
