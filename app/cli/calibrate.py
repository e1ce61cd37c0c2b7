"""``ctp calibrate``: recompute the guard's conformal calibration for the current index and encoder."""

from __future__ import annotations

from typing import Annotated

import typer

from app.settings import Settings


def calibrate(
    alpha: Annotated[
        float | None, typer.Option(help="Target false-abstain rate (default CTP_GUARD_ALPHA).")
    ] = None,
    k: Annotated[int | None, typer.Option(help="k-th nearest product (default CTP_GUARD_K).")] = None,
    force: Annotated[bool, typer.Option(help="Recalibrate even if the stored calibration matches.")] = False,
) -> None:
    """Calibrate the abstention guard on the calibration split of CTP_GUARD_CALIBRATION_QUERIES (never a test split)."""
    from app.built import NotBuilt
    from app.catalog.store import CatalogStore
    from app.catalog.vocabulary import load_vocabulary
    from app.guard.calibration import (
        calibrate_from_queries,
        calibration_path,
        ensure_calibration,
        save_calibration,
    )
    from app.index.encoders import open_encoder
    from app.index.factory import open_index
    from app.pipeline.extract.rules import RulesExtractor
    from app.storage.db import make_engine

    settings = Settings()
    alpha = alpha if alpha is not None else settings.guard_alpha
    k = k if k is not None else settings.guard_k
    engine = make_engine(settings.resolved_database_url)
    index = open_index(settings)
    try:
        if index.count() == 0:
            raise NotBuilt("the vector index is empty: run `ctp build`")
        extractor = RulesExtractor(load_vocabulary(), CatalogStore(engine).brands())
        encoder = open_encoder(settings.encoder, settings.var_dir, threads=settings.torch_threads)
        path = calibration_path(settings.var_dir)
        if force:
            cal = calibrate_from_queries(
                settings.guard_calibration_queries, extractor, encoder, index, alpha, k
            )
            save_calibration(cal, path)
            fresh = True
        else:
            cal, fresh = ensure_calibration(
                path, extractor, encoder, index, alpha, k, queries=settings.guard_calibration_queries
            )
    finally:
        index.close()
        engine.dispose()
    typer.echo(f"{'calibrated' if fresh else 'up to date'}: {cal.version} → {path}")
    typer.echo(
        f"method {cal.method}, k={cal.k}, alpha={cal.alpha:g}, n={cal.n}, rank {cal.rank}: abstain when the "
        f"{cal.k}-th nearest product has cosine < {cal.min_similarity:.4f} (distance > {cal.threshold:.4f})"
    )
    typer.echo(f"index {cal.index_version}, encoder {cal.encoder_version}")
