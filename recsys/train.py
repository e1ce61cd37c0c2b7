"""Train the LambdaRank ranker (and the cross-sell model) and write a versioned artifact.

Rows come from ``generate_queries`` (attribute-graded, see ``recsys.labels``): each query's
candidates are retrieved by the real hybrid retrieval (``recsys.candidates``) and featurised with
``recsys.features``, so the model learns on exactly the lists it will rank. ``--from-logs`` adds
the app's own turns: shown products graded checkout 3 > add_to_cart 2 > click 1 > impression 0
(``recsys.logs``). ``hand_written_rows`` adds the hand-written shopper queries of the golden
file's ``train`` split, graded by the same rule on their annotated constraints: their extraction
misses (typos, "tights", recipient words) are the real ones the generated templates can only
simulate. Early stopping watches NDCG@10 on a validation set split by query id — the golden
``calibration`` split when given (hand-written, the distribution served), else 20 % of the
generated queries. The ``test`` split is never read here. Lists whose labels are all equal carry
no ranking signal and are dropped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import lightgbm as lgb
import numpy as np

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate
from recsys.candidates import CandidateSource, ParsedQuery
from recsys.features import FEATURES, context_for, feature_vector, listing_of
from recsys.golden import GoldenQuery, Progress, golden_texts
from recsys.labels import GeneratedQuery, assert_disjoint, need_grade, split_of

PARAMS: dict[str, object] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "ndcg_eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "lambdarank_truncation_level": 20,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}
ROUNDS = 300
EARLY_STOP = 30


@dataclass
class RankRows:
    """Feature rows grouped by query (rows of one query are contiguous)."""

    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    qids: list[str] = field(default_factory=list)
    #: Row weights (LightGBM multiplies each row's gradient by it): 1 except for inverse-propensity
    #: weighted lists from the turn log (``recsys.logs``). Filled with ones when not given.
    w: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.w:
            self.w = [1.0] * len(self.x)

    def add(self, qid: str, rows: Sequence[list[float]], labels: Sequence[int], weight: float = 1.0) -> None:
        if len(set(labels)) < 2:  # no ranking signal in this list
            return
        self.x.extend(rows)
        self.y.extend(labels)
        self.qids.extend([qid] * len(rows))
        self.w.extend([weight] * len(rows))

    def extend(self, other: RankRows) -> None:
        self.x.extend(other.x)
        self.y.extend(other.y)
        self.qids.extend(other.qids)
        self.w.extend(other.w)

    def select(self, keep: Callable[[str], bool]) -> RankRows:
        out = RankRows()
        for row, label, qid, weight in zip(self.x, self.y, self.qids, self.w, strict=True):
            if keep(qid):
                out.x.append(row)
                out.y.append(label)
                out.qids.append(qid)
                out.w.append(weight)
        return out

    def weighted(self) -> bool:
        return any(weight != 1.0 for weight in self.w)

    def groups(self) -> list[int]:
        sizes: list[int] = []
        last = None
        for q in self.qids:
            if q != last:
                sizes.append(0)
                last = q
            sizes[-1] += 1
        return sizes

    def dataset(self, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        return lgb.Dataset(
            np.asarray(self.x, dtype=np.float64),
            label=np.asarray(self.y),
            group=self.groups(),
            weight=np.asarray(self.w, dtype=np.float64) if self.weighted() else None,
            feature_name=list(FEATURES),
            reference=reference,
            free_raw_data=False,
        )

    def data_hash(self) -> str:
        h = hashlib.sha256()
        h.update(np.asarray(self.x, dtype=np.float64).tobytes())
        h.update(np.asarray(self.y, dtype=np.int64).tobytes())
        h.update("\n".join(self.qids).encode())
        if self.weighted():  # unweighted rows hash as they did before weights existed
            h.update(np.asarray(self.w, dtype=np.float64).tobytes())
        return h.hexdigest()


def generated_rows(
    source: CandidateSource,
    queries: Sequence[GeneratedQuery],
    vectors: dict[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> RankRows:
    """Candidates of each generated query from the real retrieval, featurised and graded; each
    query also as a simulated extraction miss (``simulated_miss``)."""
    assert_disjoint([q.text for q in queries], golden_texts())
    return _graded_lists(source, queries, vectors, progress, simulate_misses=True)


def hand_written_rows(
    source: CandidateSource,
    queries: Sequence[GoldenQuery],
    vectors: dict[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> RankRows:
    """Candidates of hand-written golden queries (``train`` or ``calibration`` split, never
    ``test``), parsed by the real extractor — so their misses are real — and graded on their
    annotated constraints. Ids are prefixed ``h`` so they never collide with generated ones."""
    held_out = [q.id for q in queries if q.split == "test"]
    if held_out:
        raise AssertionError(f"held-out test queries must never be trained on: {held_out[:5]}")
    as_generated = [GeneratedQuery(f"h{q.id}", q.query, q.constraints, "") for q in queries]
    return _graded_lists(source, as_generated, vectors, progress, simulate_misses=False)


def judged_rows(
    source: CandidateSource,
    queries: Sequence[GoldenQuery],
    judged: Mapping[str, Mapping[str, int]],
    vectors: dict[str, np.ndarray] | None = None,
) -> RankRows:
    """Human need-graded lists (``evals/golden/need_judgments_train.jsonl``): each query's live
    hybrid candidates, featurised against the whole list, keeping only the judged products with
    their human grade. Never the ``test`` split. Ids are prefixed ``n``."""
    held_out = [q.id for q in queries if q.split == "test"]
    if held_out:
        raise AssertionError(f"held-out test queries must never be trained on: {held_out[:5]}")
    catalog: CatalogSnapshot = source.catalog
    parsed = source.parse([q.query for q in queries])
    vecs = source.encode(parsed)
    rows = RankRows()
    for i, (q, pq) in enumerate(zip(queries, parsed, strict=True)):
        grades = judged.get(q.id, {})
        cands = source.retrieve(pq, vecs[i])
        feats, labels = _graded(catalog, pq, cands, vectors, partial(_judged, grades))
        rows.add("n" + q.id, feats, labels)
    return rows


def _judged(grades: Mapping[str, int], p: Product) -> int | None:
    return grades.get(p.id)


def _graded(
    catalog: CatalogSnapshot,
    parsed: ParsedQuery,
    cands: Sequence[Candidate],
    vectors: dict[str, np.ndarray] | None,
    grade: Callable[[Product], int | None],
) -> tuple[list[list[float]], list[int]]:
    """Feature rows and grades of one candidate list, featurised against the whole list; a
    candidate the catalog lacks or ``grade`` leaves ungraded (None) is left out."""
    known = [p for c in cands if (p := catalog.get(c.product_id)) is not None]
    ctx = context_for(
        parsed.filters,
        cands,
        vectors,
        query=parsed.search,
        prices=[p.price for p in known],
        listing=listing_of(parsed.search, known),
    )
    feats: list[list[float]] = []
    labels: list[int] = []
    for c in cands:
        p = catalog.get(c.product_id)
        g = grade(p) if p is not None else None
        if p is None or g is None:
            continue
        feats.append(feature_vector(ctx, c, p, vectors.get(c.product_id) if vectors else None))
        labels.append(g)
    return feats, labels


def _graded_lists(
    source: CandidateSource,
    queries: Sequence[GeneratedQuery],
    vectors: dict[str, np.ndarray] | None,
    progress: Progress | None,
    simulate_misses: bool,
) -> RankRows:
    catalog: CatalogSnapshot = source.catalog
    parsed = source.parse([q.text for q in queries])
    vecs = source.encode(parsed)
    rows = RankRows()
    for i, (q, pq) in enumerate(zip(queries, parsed, strict=True)):
        miss = simulated_miss(pq, q.id) if simulate_misses else None
        for suffix, variant in (("", pq), ("/miss", miss)):
            if variant is None:
                continue
            cands = source.retrieve(variant, vecs[i])
            feats, labels = _graded(catalog, variant, cands, vectors, partial(need_grade, q.constraints))
            # Both lists of one query share the query's split (split_of reads the part before "/").
            rows.add(q.id + suffix, feats, labels)
        if progress and (i + 1) % 200 == 0:
            progress(f"  retrieved {i + 1}/{len(queries)} queries")
    return rows


def simulated_miss(pq: ParsedQuery, qid: str) -> ParsedQuery | None:
    """The query as if the extractor had missed one of its filters (chosen by a hash of the query
    id), or None when it extracted none. With every filter pushed into retrieval, a correctly
    parsed query's candidates all meet its constraints and carry no ranking signal; the lists
    where the ranker matters at serve time are those of extraction misses, so we train on them."""
    present = [k for k, v in pq.filters.model_dump().items() if v is not None]
    if not present:
        return None
    drop = present[int(hashlib.sha1(qid.encode()).hexdigest()[:6], 16) % len(present)]
    return ParsedQuery(pq.text, pq.filters.model_copy(update={drop: None}), pq.search)


def fit(
    rows: RankRows, valid_share: float = 0.2, extra_valid: RankRows | None = None
) -> tuple[lgb.Booster, dict[str, float]]:
    """LambdaRank with early stopping on NDCG@10 over the ``valid_share`` of ``rows``' queries
    (chosen by ``split_of``) plus ``extra_valid`` (hand-written calibration-split lists: few carry
    a ranking signal — 6 of 136 in the first run — too few to stop on alone). The metrics also
    give the retrieval order's NDCG@10 on the same lists, the bar to beat."""
    train = rows.select(lambda q: split_of(q, valid_share) == "train")
    valid = rows.select(lambda q: split_of(q, valid_share) == "valid")
    if extra_valid is not None:
        valid.extend(extra_valid)
    assert not set(train.qids) & set(valid.qids), "a query straddles train and valid"
    dtrain = train.dataset()
    dvalid = valid.dataset(reference=dtrain)
    evals: dict[str, dict[str, list[float]]] = {}
    booster = lgb.train(
        PARAMS,
        dtrain,
        num_boost_round=ROUNDS,
        valid_sets=[dvalid],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False), lgb.record_evaluation(evals)],
    )
    curve = evals.get("valid", {}).get("ndcg@10", [0.0])
    metrics = {
        "valid_ndcg@10": round(
            float(curve[booster.best_iteration - 1] if booster.best_iteration else curve[-1]), 4
        ),
        "best_iteration": float(booster.best_iteration),
        "valid_ndcg@10_retrieval_order": round(retrieval_order_ndcg(valid), 4),
        "train_queries": float(len(set(train.qids))),
        "valid_queries": float(len(set(valid.qids))),
    }
    return booster, metrics


def list_ndcg(labels_in_order: Sequence[int], k: int = 10) -> float:
    """NDCG@k of one list as LightGBM computes it: gain 2^label − 1, ideal = the list's own labels
    sorted; a list with no positive label scores 1 (LightGBM's convention)."""
    ideal = sorted(labels_in_order, reverse=True)[:k]
    idcg = sum((2**g - 1) / np.log2(i + 2) for i, g in enumerate(ideal))
    if idcg == 0:
        return 1.0
    return float(sum((2**g - 1) / np.log2(i + 2) for i, g in enumerate(labels_in_order[:k])) / idcg)


def retrieval_order_ndcg(rows: RankRows, k: int = 10) -> float:
    """Mean NDCG@k of ``rows``' lists in their hybrid retrieval order (the ``fused_rank`` feature)."""
    col = FEATURES.index("fused_rank")
    by_q: dict[str, list[tuple[float, int]]] = {}
    for x, y, q in zip(rows.x, rows.y, rows.qids, strict=True):
        by_q.setdefault(q, []).append((x[col], y))
    if not by_q:
        return 0.0
    return float(np.mean([list_ndcg([y for _, y in sorted(lst)], k) for lst in by_q.values()]))


def new_version(data_hash: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"ltr-{now.strftime('%Y%m%dT%H%M%S')}-{data_hash[:8]}"


def train_seconds(t0: float) -> float:
    return round(time.perf_counter() - t0, 1)
