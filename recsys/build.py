"""One training run end to end: rows → ranker → cross-sell model → versioned artifact."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from app.settings import Settings
from recsys import artifact
from recsys.crosssell import CROSSSELL_FEATURES, CrossSell, train_crosssell
from recsys.features import FEATURE_VERSION, FEATURES
from recsys.golden import Progress, golden_texts, load_queries
from recsys.labels import generate_queries, split_of
from recsys.logs import log_rows
from recsys.pools import NEED_JUDGMENTS_TRAIN, load_need_judgments
from recsys.propensity import MIN_CLICKS_PER_POSITION
from recsys.runtime import Offline, unit_vectors
from recsys.train import PARAMS, RankRows, fit, generated_rows, hand_written_rows, judged_rows, new_version

DEFAULT_QUERIES = 1000
#: Hand-written queries that join the validation set (early stopping) and are never trained on;
#: the ``test`` split stays for ``recsys evaluate`` alone.
VALID_SPLIT = "calibration"
#: Share of the need-judged train-split queries held out as a dev set (by query-id hash): they
#: join validation and are what model choices were made on — never the test split.
DEV_SHARE = 0.25
#: How many times each human need-judged list is repeated in training (query weight).
HUMAN_COPIES = 3


def collect_rows(
    offline: Offline,
    from_logs: bool = False,
    n_queries: int = DEFAULT_QUERIES,
    progress: Progress = lambda _: None,
    ipw: bool = True,
    min_clicks: int = MIN_CLICKS_PER_POSITION,
) -> tuple[RankRows, RankRows, RankRows, list[str]]:
    """(training rows, validation rows, dev rows, label sources). Dev rows are the need-judged
    train-split lists held out by ``DEV_SHARE``; the artifact's early stopping also watches them.
    The turn log is read first, so a log too thin for the propensity estimate (``TooFewExplored``)
    is refused before the slow retrieval of the generated queries."""
    catalog = offline.source.catalog
    vectors = unit_vectors(offline.index, [p.id for p in catalog.all()])
    logged: RankRows | None = None
    if from_logs:
        logged, summary = log_rows(offline.engine, catalog, vectors, ipw=ipw, min_clicks=min_clicks)
        progress(summary.describe())
    queries = generate_queries(catalog.all(), n_queries, exclude=golden_texts())
    progress(f"generated {len(queries)} training queries from catalog attributes")
    rows = generated_rows(offline.source, queries, vectors, progress)
    sources = ["generated attribute queries (graded by recsys.labels.need_grade)"]
    hand = load_queries(splits=("train",))
    rows.extend(hand_written_rows(offline.source, hand, vectors))
    sources.append(f"{len(hand)} hand-written shopper queries, golden train split (same grade rule)")
    valid = hand_written_rows(offline.source, load_queries(splits=(VALID_SPLIT,)), vectors)
    progress(
        f"hand-written: {len(set(rows.qids) & {'h' + q.id for q in hand})} informative lists of "
        f"{len(hand)} train-split queries; {len(set(valid.qids))} of the {VALID_SPLIT} split join validation"
    )
    dev = RankRows()
    need = load_need_judgments(NEED_JUDGMENTS_TRAIN)
    if need:
        judged = judged_rows(offline.source, [q for q in hand if q.id in need], need, vectors)
        fit_part = judged.select(lambda q: split_of(q, DEV_SHARE) == "train")
        for copy in range(HUMAN_COPIES):  # weight: a few hundred human lists beside ~2,000 generated ones
            rows.extend(RankRows(fit_part.x, fit_part.y, [f"{q}/c{copy}" for q in fit_part.qids]))
        dev = judged.select(lambda q: split_of(q, DEV_SHARE) == "valid")
        sources.append(
            f"need judgments of the train split ({len(set(fit_part.qids))} lists x{HUMAN_COPIES}; "
            f"{len(set(dev.qids))} dev lists held out)"
        )
    if logged is not None:
        rows.extend(logged)
        sources.append(
            "turn log events (checkout 3 > add_to_cart 2 > click 1 > impression 0)"
            + (
                f", inverse-propensity weighted ({summary.propensity.describe()})"
                if summary.propensity
                else ""
            )
        )
    return rows, valid, dev, sources


def train_artifact(
    settings: Settings,
    offline: Offline,
    from_logs: bool = False,
    n_queries: int = DEFAULT_QUERIES,
    progress: Progress = lambda _: None,
    ipw: bool = True,
    min_clicks: int = MIN_CLICKS_PER_POSITION,
) -> artifact.ArtifactMetadata:
    t0 = time.perf_counter()
    catalog = offline.source.catalog
    vectors = unit_vectors(offline.index, [p.id for p in catalog.all()])
    rows, valid, dev, sources = collect_rows(offline, from_logs, n_queries, progress, ipw, min_clicks)
    valid.extend(dev)
    progress(f"training LambdaRank on {len(rows.y)} rows / {len(set(rows.qids))} lists")
    model, metrics = fit(rows, extra_valid=valid)
    progress(f"ranker: {metrics}")
    links = offline.store.links_for([p.id for p in catalog.all()])
    cs_model, cs_metrics = train_crosssell(CrossSell(catalog, links, vectors))
    progress(f"cross-sell: {cs_metrics or 'not enough links, no model'}")
    sources.append("Magento related/up-sell/cross-sell links + Kibana co-purchases (cross-sell model)")
    data_hash = rows.data_hash()
    now = datetime.now(UTC)
    meta = artifact.ArtifactMetadata(
        version=new_version(data_hash, now),
        created_at=now,
        feature_version=FEATURE_VERSION,
        features=list(FEATURES),
        label_sources=sources,
        data_hash=data_hash,
        params={**PARAMS, "catalog": catalog.version},
        metrics=metrics,
        rows=len(rows.y),
        queries=len(set(rows.qids)),
        seconds=round(time.perf_counter() - t0, 1),
        crosssell_features=list(CROSSSELL_FEATURES) if cs_model is not None else [],
        crosssell_metrics=cs_metrics,
        encoder_version=offline.source.encoder.version,
    )
    artifact.save(settings.var_dir, meta, model, cs_model)
    return meta
