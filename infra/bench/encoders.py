"""Encoder variants side by side: query latency, catalog index build, process memory.

Every variant runs in the same process on the same queries, interleaved query by query (so a
burst of load from another process hits all variants alike), with one thread each; figures are
medians and ratios to the torch encoder measured in the same run. Memory is measured in a fresh
subprocess per variant that loads only that encoder (and says whether torch got imported).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from app.catalog.store import CatalogStore
from app.index.build import build_index
from app.index.edge import EdgeIndex
from app.index.encoders import open_encoder
from app.settings import Settings
from app.storage.db import make_engine

GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden" / "shopper_queries.jsonl"

_RSS_PROBE = """
import json, sys, psutil
from pathlib import Path
from app.index.encoders import open_encoder
enc = open_encoder(sys.argv[1], Path(sys.argv[2]))
enc.encode_query("warm up the session")
print(json.dumps({"rss_mb": psutil.Process().memory_info().rss / 2**20, "torch": "torch" in sys.modules}))
"""


class EncoderFigures(BaseModel):
    variant: str
    version: str
    query_p50_ms: float
    query_ratio: float
    build_s: float
    build_ratio: float
    rss_mb: float
    torch_loaded: bool


def _queries(n: int) -> list[str]:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    return [r["query"] for r in rows][:n]


def rss_of(variant: str, var_dir: Path) -> tuple[float, bool]:
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, variant, str(var_dir)], capture_output=True, text=True, check=True
    )
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    return round(float(doc["rss_mb"]), 1), bool(doc["torch"])


def compare(
    variants: list[str], settings: Settings, n_queries: int = 200, rounds: int = 3
) -> list[EncoderFigures]:
    """Median query embedding (interleaved, distinct texts: no cache) and the catalog index build
    (encode every product + write an Edge shard) per variant, one thread each."""
    encoders = {v: open_encoder(v, settings.var_dir, threads=1, cache_size=0) for v in variants}
    queries = _queries(n_queries)
    times: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds):
        for i, q in enumerate(queries):
            text = f"{q} {r}-{i}"
            for v, enc in encoders.items():
                t0 = time.perf_counter()
                enc.encode_query(text)
                times[v].append((time.perf_counter() - t0) * 1000)
    engine = make_engine(settings.resolved_database_url)
    products = CatalogStore(engine).all()
    engine.dispose()
    build: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v, enc in encoders.items():
            index = EdgeIndex(Path(tmp) / v / "products")
            t0 = time.perf_counter()
            build_index(products, enc, index, force=True, progress=False)
            build[v] = time.perf_counter() - t0
            index.close()
    base_q = statistics.median(times[variants[0]])
    out = []
    for v, enc in encoders.items():
        rss, torch_loaded = rss_of(v, settings.var_dir)
        p50 = statistics.median(times[v])
        out.append(
            EncoderFigures(
                variant=v,
                version=enc.version,
                query_p50_ms=round(p50, 3),
                query_ratio=round(p50 / base_q, 3),
                build_s=round(build[v], 2),
                build_ratio=round(build[v] / build[variants[0]], 3),
                rss_mb=rss,
                torch_loaded=torch_loaded,
            )
        )
    return out
