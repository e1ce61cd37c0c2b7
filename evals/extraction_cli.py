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
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel

from app.catalog.vocabulary import load_vocabulary
from app.llm.client import LlmClient
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


class ReplayingLlmClient(LlmClient):
    """The configured client, answering a prompt it has already answered from memory: several
    extraction modes over one run call the model once per distinct prompt (the modes differ only
    in what the code does with the answer, and in the prompts their own histories lead to)."""

    def __init__(self, base: LlmClient) -> None:
        super().__init__(base.config, base.breaker)
        self.seen: dict[str, BaseModel] = {}

    async def create(self, **kwargs: Any) -> Any:
        key = json.dumps([kwargs["stage"], kwargs["messages"]], sort_keys=True, default=str)
        if key not in self.seen:
            self.seen[key] = await super().create(**kwargs)
        return self.seen[key]


def make_eval_extractor(backend: str, settings: Settings, client: LlmClient | None = None) -> Extractor:
    """``rules``, or the LLM extractor in ``settings.llm_extract_mode`` (raw, checked, merge)."""
    brands = catalog_brands(settings)
    rules = RulesExtractor(load_vocabulary(), brands)
    if backend == "rules":
        return rules
    from app.pipeline.extract.llm import LlmExtractor

    client = client or LlmClient.from_settings(settings)
    return LlmExtractor(client, load_vocabulary(), brands, rules, mode=settings.llm_extract_mode)


MODES = ("raw", "checked", "merge")


def extraction(
    backend: Annotated[str, typer.Option(help="rules or llm (configured by CTP_LLM_*).")] = "rules",
    limit: Annotated[int | None, typer.Option(help="Only the first N cases (a quick LLM run).")] = None,
    tag: Annotated[str | None, typer.Option(help="Only cases with this tag, e.g. 'multi'.")] = None,
    every: Annotated[int, typer.Option(min=1, help="Every K-th case: a representative subset.")] = 1,
    golden: Annotated[Path, typer.Option(help="Golden JSONL file.")] = GOLDEN_PATH,
    json_out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
    max_failures: Annotated[int, typer.Option(help="Failing cases to list.")] = 40,
    llm_mode: Annotated[
        str | None,
        typer.Option(help="raw, checked, merge or a comma list (default: CTP_LLM_EXTRACT_MODE)."),
    ] = None,
) -> None:
    """Field-level and intent accuracy (with confusion matrix) and p50/p95 latency for a backend.
    For the LLM, one report per extraction mode; the modes share the model's answers."""
    if backend not in ("rules", "llm"):
        raise typer.BadParameter("backend must be 'rules' or 'llm'")
    chosen: Literal["rules", "llm"] = "llm" if backend == "llm" else "rules"
    settings = Settings(extractor=chosen)
    modes = [m.strip() for m in (llm_mode or settings.llm_extract_mode).split(",") if m.strip()]
    if any(m not in MODES for m in modes):
        raise typer.BadParameter("llm-mode must be raw, checked, merge or a comma list of them")
    cases = [c for c in load_cases(golden) if tag is None or tag in c.tags][::every]
    cases = cases[:limit] if limit else cases
    if backend == "rules":
        modes = modes[:1]
    client = ReplayingLlmClient(LlmClient.from_settings(settings)) if backend == "llm" else None
    for mode in modes:
        mode_settings = settings.model_copy(update={"llm_extract_mode": mode})
        extractor = make_eval_extractor(backend, mode_settings, client)

        async def run(ex: Extractor = extractor, mode: str = mode) -> tuple[str, LlmTurnLog]:
            trace = LlmTurnLog.begin()  # collects every LLM call and fallback of the run
            report = await run_extraction_eval(ex, cases)
            if json_out is not None:
                out = json_out if len(modes) == 1 else json_out.with_suffix(f".{mode}.json")
                dump_report(report, out)
            return format_report(report, max_failures=max_failures), trace

        text, trace = asyncio.run(run())
        typer.echo(text if backend == "rules" else text.replace("backend llm", f"backend llm ({mode})", 1))
        if backend == "llm":
            usage = trace.usage()
            reasons = Counter(f.split(": ", 1)[1] for f in trace.fallbacks)
            typer.echo(
                f"\n  llm: model {settings.llm_model}, {len(trace.calls)} new calls, "
                f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} completion "
                f"tokens, ${usage.get('cost_usd', 0.0):.4f}; fallbacks to rules: {len(trace.fallbacks)} "
                f"{dict(reasons)}"
            )
            kinds = Counter(c.split(": ", 1)[1].split(" ", 1)[0] for c in trace.corrections)
            typer.echo(
                f"  mode {mode}: {len(trace.corrections)} corrections {dict(kinds)} (histories included)\n"
            )
