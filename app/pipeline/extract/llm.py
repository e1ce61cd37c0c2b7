"""The LLM extractor: instructor fills ``LlmExtraction`` from the message and the conversation so far.

The system prompt (``app/prompts/extract.v1.md``) states every field and the store's vocabulary —
small local models never see JSON-schema descriptions otherwise — and stays byte-identical across
turns so llama.cpp/vLLM prompt caching reuses it. The user message carries what changes: the
remembered search, its filters and the last results' names with their positions, so "cheaper" and
"the second one" resolve.

Any failure (timeout, 5xx, rate limit, invalid output after the re-asks, open circuit breaker)
falls back to the wrapped deterministic extractor, and the turn log records the fallback and its
reason: the shopper always gets an answer.

What the model returns is then checked against the message and merged with the rules parser
(``mode``, ``CTP_LLM_EXTRACT_MODE``; ``app/pipeline/extract/support.py``): ``raw`` keeps it as
validated, ``checked`` drops unsupported filter values and takes the rules parser's price bounds,
``merge`` (the default) also lets the rules parser's confident slots and cue intents stand. What
was dropped or replaced is logged as a correction.

``warm`` sends one extraction at start-up, so the byte-identical system prompt is in the server's
prompt cache before the first shopper (the first turn took 38 s on the local model without it).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Literal

from app.catalog.snapshot import CatalogSnapshot
from app.catalog.vocabulary import Vocabulary
from app.domain.turn import ConversationState, ShoppingTurn
from app.llm.client import LlmClient, LlmFailure, Messages
from app.llm.prompts import Prompt, load_prompt
from app.llm.trace import LlmTurnLog, record_corrections, record_fallback, record_versions
from app.pipeline.extract.llm_schema import LlmExtraction, to_shopping_turn
from app.pipeline.extract.rules import RulesExtractor
from app.pipeline.extract.support import SupportChecker, check_support, merge_turns

PROMPT_FILE = "extract.v1.md"
WARM_MESSAGE = "hello"
ExtractMode = Literal["raw", "checked", "merge"]
log = logging.getLogger(__name__)


def state_summary(state: ConversationState, catalog: CatalogSnapshot | None) -> str:
    """The conversation so far, as the model sees it (compact JSON plus numbered last results)."""
    filters = {k: v for k, v in state.filters.model_dump().items() if v is not None}
    lines = [
        "Current search: "
        + (json.dumps({"query": state.query, **filters}) if state.query or filters else "none")
    ]
    if state.last_results and catalog is not None:
        shown = catalog.many(state.last_results)
        lines.append("Last results shown:")
        lines += [f"{i}. {p.name} — ${p.price:.2f}" for i, p in enumerate(shown, 1)]
    return "\n".join(lines)


class LlmExtractor:
    name = "llm"

    def __init__(
        self,
        client: LlmClient,
        vocabulary: Vocabulary,
        brands: Sequence[str],
        fallback: RulesExtractor,
        catalog: CatalogSnapshot | None = None,
        prompt: Prompt | None = None,
        mode: ExtractMode = "merge",
    ) -> None:
        self.client = client
        self.mode = mode
        self.checker = SupportChecker(fallback)
        self.vocabulary = vocabulary
        self.brands = list(brands)
        self.fallback = fallback
        self.catalog = catalog
        self.prompt = prompt or load_prompt(PROMPT_FILE)
        self.system = self.prompt.render(
            categories=", ".join(vocabulary.product_types),
            colors=", ".join(vocabulary.colors),
            sizes=", ".join(vocabulary.sizes),
            materials=", ".join(vocabulary.materials),
            brands=", ".join(self.brands) or "none",
        )

    def messages(self, message: str, state: ConversationState) -> Messages:
        user = f"{state_summary(state, self.catalog)}\n\nShopper's message: {message}"
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    async def extract(self, message: str, state: ConversationState) -> ShoppingTurn:
        record_versions(
            extract_prompt=self.prompt.version, llm_model=self.client.config.model, extract_mode=self.mode
        )
        try:
            raw = await self.client.create(
                stage="extract",
                prompt_version=self.prompt.version,
                response_model=LlmExtraction,
                messages=self.messages(message, state),
                context={"vocabulary": self.vocabulary, "brands": self.brands},
            )
        except LlmFailure as exc:
            record_fallback("extract", exc.reason)
            return await self.fallback.extract(message, state)
        turn = to_shopping_turn(raw, state)
        if self.mode == "raw":
            return turn
        rules = self.fallback.parse(message, state)
        checked = check_support(turn, rules, message, state, self.checker)
        if self.mode == "merge":
            checked = merge_turns(checked, rules, message, state, self.checker)
        record_corrections("extract", checked.corrections)
        return checked.turn

    async def warm(self) -> float | None:
        """One throw-away extraction, so the system prompt is cached before the first shopper; the
        seconds it took, or None when the model did not answer (start-up goes on either way)."""
        start = time.perf_counter()
        LlmTurnLog.begin()  # its accounting is not any shopper's turn
        try:
            await self.client.create(
                stage="warmup",
                prompt_version=self.prompt.version,
                response_model=LlmExtraction,
                messages=self.messages(WARM_MESSAGE, ConversationState(conversation_id="warmup")),
                context={"vocabulary": self.vocabulary, "brands": self.brands},
            )
        except LlmFailure as exc:
            log.warning("LLM extraction warm-up failed (%s); the first turn pays the prompt", exc.reason)
            return None
        seconds = round(time.perf_counter() - start, 2)
        log.info("LLM extraction prompt warmed in %.2f s", seconds)
        return seconds
