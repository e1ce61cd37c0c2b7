"""Candidate lists for offline queries, produced exactly as a live turn produces them.

A query text goes through the real extractor, the state merge and ``search_text``, is encoded by
the real encoder and searched in the real index with the extracted filters pushed in. Training,
``--from-logs`` and evaluation all read their candidates (and so their features) from here, so
train and serve features match. Query vectors are encoded in one batch (same model, same
normalisation as ``encode_query``) because that is ~10x faster on CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import Candidate, ConversationState, Filters, Intent
from app.index.base import SearchMode, VectorIndex
from app.index.encoder_base import BaseEncoder
from app.pipeline.extract.base import Extractor
from app.pipeline.remember import merge, search_text
from app.pipeline.retrieve import Retriever


@dataclass(frozen=True)
class ParsedQuery:
    """A query as the pipeline understands it: the filters it pushes and the text it searches."""

    text: str
    filters: Filters
    search: str


@dataclass
class CandidateSource:
    extractor: Extractor
    encoder: BaseEncoder
    index: VectorIndex
    catalog: CatalogSnapshot
    limit: int = 100

    def parse(self, texts: Sequence[str]) -> list[ParsedQuery]:
        """Extract and merge each text as the first message of a new conversation. A message the
        extractor reads as another intent is still searched (it is a search by construction)."""

        async def run() -> list[ParsedQuery]:
            out: list[ParsedQuery] = []
            for text in texts:
                empty = ConversationState(conversation_id="offline")
                turn = await self.extractor.extract(text, empty)
                if turn.intent not in (Intent.search, Intent.refine):
                    turn = turn.model_copy(update={"intent": Intent.search, "query": turn.query or text})
                state = merge(empty, turn)
                out.append(ParsedQuery(text, state.filters, search_text(state) or text))
            return out

        return asyncio.run(run())

    def encode(self, parsed: Sequence[ParsedQuery]) -> np.ndarray:
        return self.encoder.encode([q.search for q in parsed])

    def retrieve(self, query: ParsedQuery, vec: np.ndarray, mode: SearchMode = "hybrid") -> list[Candidate]:
        return Retriever(self.index, self.limit, mode).retrieve(vec, query.search, query.filters)
