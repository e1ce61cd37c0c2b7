"""The extractor interface. ``rules`` is the deterministic offline backend; ``llm`` comes later."""

from __future__ import annotations

from typing import Protocol

from app.domain.turn import ConversationState, ShoppingTurn


class Extractor(Protocol):
    name: str

    async def extract(self, message: str, state: ConversationState) -> ShoppingTurn: ...
