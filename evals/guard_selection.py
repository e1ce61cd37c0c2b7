"""Method and k selection for the density guard, on the *validation* split only.

In scope: golden ``train`` queries; out of scope: CLINC ``val``/``oos_val`` and the even-id half of
WANDS + ESCI out-of-catalog. Candidates (exact, brute-force scores over arrays):

* ``knn-catalog``: k-th nearest catalog product (Sun et al. 2022), k ∈ {1, 2, 3, 5, 10, 20, 50};
* ``knn-bank``: k-th nearest known in-scope query (the train split itself, leave-one-out);
* ``mahalanobis``: distance to the catalog embeddings' Gaussian (shrunk covariance).

Rule, fixed before looking: the guard runs at one operating point (α = 0.05 keeps ~95% of in-scope
queries), so the winner minimises the mean FPR@95TPR over the two out-of-scope families, ties
(within 0.005) broken by the higher mean AUROC. The winner's method and k are the defaults
(``CTP_GUARD_K``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import typer

from app.settings import Settings
from evals.abstention_data import guard_inputs, scope_sets
from evals.ood_metrics import auroc, fpr_at_tpr


def print_selection(settings: Settings, clinc_n: int | None, seed: int) -> str:
    """Print the validation table; return the winner's name."""
    from app.catalog.store import CatalogStore
    from app.catalog.vocabulary import load_vocabulary
    from app.guard.scores import Mahalanobis, knn_distances
    from app.index.encoders import open_encoder
    from app.index.factory import open_index
    from app.pipeline.extract.rules import RulesExtractor
    from app.storage.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    store = CatalogStore(engine)
    extractor = RulesExtractor(load_vocabulary(), store.brands())
    ids = [p.id for p in store.all()]
    engine.dispose()
    index = open_index(settings)
    try:
        by_id = index.vectors(ids)
    finally:
        index.close()
    catalog = np.stack([by_id[i] for i in ids if i in by_id])
    encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads)
    sets = scope_sets(settings.data_dir, "validation", clinc_n, seed)

    def embed(texts: list[str]) -> np.ndarray:
        return encoder.encode([t for t, _ in asyncio.run(guard_inputs(extractor, texts))])

    ins, ns, oc = embed(sets.in_scope), embed(sets.non_shopping), embed(sets.out_of_catalog)
    maha = Mahalanobis.fit(catalog)
    Scorer = Callable[[np.ndarray, bool], np.ndarray]

    def knn_catalog(k: int) -> Scorer:
        return lambda q, own: knn_distances(q, catalog, k)

    def knn_bank(k: int) -> Scorer:
        return lambda q, own: knn_distances(q, ins, k, exclude_self=own)

    candidates: dict[str, Scorer] = {f"knn-catalog k={k}": knn_catalog(k) for k in (1, 2, 3, 5, 10, 20, 50)}
    candidates.update({f"knn-bank k={k}": knn_bank(k) for k in (1, 3, 5, 10)})
    candidates["mahalanobis"] = lambda q, own: maha.distances(q)

    typer.echo(f"validation: in-scope n={len(ins)}, non-shopping n={len(ns)}, out-of-catalog n={len(oc)}")
    typer.echo(f"{'method':20} {'ns AUROC':>8} {'ns FPR95':>8} {'oc AUROC':>8} {'oc FPR95':>8}")
    rows: list[tuple[str, float, float]] = []
    for name, score in candidates.items():
        i, n, o = list(score(ins, True)), list(score(ns, False)), list(score(oc, False))
        a_n, a_o, f_n, f_o = auroc(i, n), auroc(i, o), fpr_at_tpr(i, n), fpr_at_tpr(i, o)
        typer.echo(f"{name:20} {a_n:8.3f} {f_n:8.3f} {a_o:8.3f} {f_o:8.3f}")
        rows.append((name, (f_n + f_o) / 2, (a_n + a_o) / 2))
    best_fpr = min(r[1] for r in rows)
    winner = max((r for r in rows if r[1] <= best_fpr + 0.005), key=lambda r: r[2])[0]
    typer.echo(f"selected (min mean FPR95, ties by mean AUROC): {winner}")
    return winner
