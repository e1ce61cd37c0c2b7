"""``ctp evals extraction --backend rules|llm``: the extraction eval from the command line.

Prints intent accuracy with the confusion matrix, asserted-field accuracy, spurious-filter rate and
p50/p95 latency per extraction for one backend (``evals/extraction.py`` computes them). The LLM
backend is configured exactly as the app's (``CTP_LLM_*``), with the rules extractor as its
fallback like in production; the number of fallbacks and their reasons are printed, since a turn
that fell back measured the rules backend, not the model.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

import typer

from app.catalog.vocabulary import load_vocabulary
from app.llm.trace import LlmTurnLog
from app.pipeline.extract.base import Extractor
from app.pipeline.extract.rules import RulesExtractor
from app.settings import Settings
from evals.extraction import GOLDEN_PATH, dump_report, format_report, load_cases, run_extraction_eval


def catalog_brands(settings: Settings) -> list[str]:
    """Brands of the built catalog; without a build, Luma plus the Kibana manufacturers (what the
    catalog adapters would produce), read from the data set."""
    try:
        from app.catalog.store import CatalogStore
        from app.storage.db import make_engine

        brands = CatalogStore(make_engine(settings.resolved_database_url)).brands()
        if brands:
            return brands
    except Exception:  # no database yet: fall back to the source data
        pass
    found = {"Luma"}
    path = settings.data_dir / "kibana-ecommerce-orders" / "ecommerce.json.gz"
    if path.exists():
        with gzip.open(path, "rt") as fh:
            for line in fh:
                if line.strip():
                    found.update(m for m in json.loads(line).get("manufacturer", []) if m)
    return sorted(found)


def make_eval_extractor(backend: str, settings: Settings) -> Extractor:
    brands = catalog_brands(settings)
    rules = RulesExtractor(load_vocabulary(), brands)
    if backend == "rules":
        return rules
    from app.llm.client import LlmClient
    from app.pipeline.extract.llm import LlmExtractor

    return LlmExtractor(LlmClient.from_settings(settings), load_vocabulary(), brands, rules)


def extraction(
    backend: Annotated[str, typer.Option(help="rules or llm (configured by CTP_LLM_*).")] = "rules",
    limit: Annotated[int | None, typer.Option(help="Only the first N cases (a quick LLM run).")] = None,
    tag: Annotated[str | None, typer.Option(help="Only cases with this tag, e.g. 'multi'.")] = None,
    every: Annotated[int, typer.Option(min=1, help="Every K-th case: a representative subset.")] = 1,
    golden: Annotated[Path, typer.Option(help="Golden JSONL file.")] = GOLDEN_PATH,
    json_out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
    max_failures: Annotated[int, typer.Option(help="Failing cases to list.")] = 40,
) -> None:
    """Field-level and intent accuracy (with confusion matrix) and p50/p95 latency for a backend."""
    if backend not in ("rules", "llm"):
        raise typer.BadParameter("backend must be 'rules' or 'llm'")
    chosen: Literal["rules", "llm"] = "llm" if backend == "llm" else "rules"
    settings = Settings(extractor=chosen)
    cases = [c for c in load_cases(golden) if tag is None or tag in c.tags][::every]
    cases = cases[:limit] if limit else cases
    extractor = make_eval_extractor(backend, settings)

    async def run() -> tuple[str, LlmTurnLog]:
        trace = LlmTurnLog.begin()  # collects every LLM call and fallback of the run
        report = await run_extraction_eval(extractor, cases)
        if json_out is not None:
            dump_report(report, json_out)
        return format_report(report, max_failures=max_failures), trace

    text, trace = asyncio.run(run())
    typer.echo(text)
    if backend == "llm":
        usage = trace.usage()
        reasons = Counter(f.split(": ", 1)[1] for f in trace.fallbacks)
        typer.echo(
            f"\n  llm: model {settings.llm_model}, {len(trace.calls)} calls, "
            f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} completion tokens, "
            f"${usage.get('cost_usd', 0.0):.4f}; fallbacks to rules: {len(trace.fallbacks)} {dict(reasons)}"
        )
