"""Catalog index build, old and new, in one run: where ``ctp build``'s index time goes.

For each encoder variant (the first is the baseline): a *cold* build (every product encoded, an
empty ``DocumentVectors`` cache), a *forced rebuild* of the same catalog (``ctp build --force``:
every vector reused), and an *update* where 1 % of the products changed their text (only those are
encoded). Each build writes a complete Qdrant Edge shard; the encode time is reported apart.

    PYTHONPATH=. python -m infra.bench.build --encoders torch,onnx-int8
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from app.catalog.store import CatalogStore
from app.domain.catalog import Product
from app.index.build import DocumentVectors, build_index
from app.index.edge import EdgeIndex
from app.index.encoders import open_encoder
from app.settings import Settings
from app.storage.db import make_engine

cli = typer.Typer(add_completion=False)


def _changed(products: list[Product], share: float) -> list[Product]:
    step = max(int(1 / share), 1)
    return [
        p.model_copy(update={"name": f"{p.name} (new)"}) if i % step == 0 else p
        for i, p in enumerate(products)
    ]


@cli.command()
def main(
    encoders: Annotated[str, typer.Option(help="Variants, first = baseline.")] = "torch,onnx-int8",
    threads: Annotated[int, typer.Option(help="Encoder threads.")] = 1,
    out: Annotated[Path | None, typer.Option()] = None,
) -> None:
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    products = CatalogStore(engine).all()
    engine.dispose()
    rows: list[tuple[str, str, float, int]] = []
    typer.echo(f"{len(products)} products; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        for variant in encoders.split(","):
            enc = open_encoder(variant, settings.var_dir, threads=threads, cache_size=0)
            cache = DocumentVectors(Path(tmp) / variant / "cache")
            index = EdgeIndex(Path(tmp) / variant / "products")
            for label, batch, force in (
                ("cold", products, True),
                ("forced rebuild", products, True),
                ("1 % changed", _changed(products, 0.01), False),
            ):
                t0 = time.perf_counter()
                result = build_index(batch, enc, index, force=force, progress=False, cache=cache)
                seconds = time.perf_counter() - t0
                rows.append((variant, label, round(seconds, 2), result.encoded))
                typer.echo(
                    f"{variant:<10} {label:<15} {seconds:8.2f} s  {result.encoded:5d} encoded", err=True
                )
            index.close()
    base = rows[0][2]
    typer.echo(f"load average {os.getloadavg()}")
    typer.echo("| variant | build | s | encoded | × baseline cold |\n|---|---|---|---|---|")
    for variant, label, seconds, encoded in rows:
        typer.echo(f"| {variant} | {label} | {seconds} | {encoded} | {seconds / base:.3f} |")
    if out:
        keys = ("variant", "build", "s", "encoded")
        out.write_text(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], indent=1))


if __name__ == "__main__":  # pragma: no cover
    cli()
