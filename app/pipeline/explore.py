"""Explore stage: on a small share of search turns, show the top k in a random order.

Shoppers click what they see, and they see the top of a list more: training on raw clicks teaches a
model the logging ranker's own order back (position bias). To measure that bias the product team
needs turns where position says nothing about relevance. On an *exploring* turn this stage permutes
the first ``top_k`` products of the list that will be shown (after rank, fence, the stock check and
relax), uniformly at random; over such turns the click-through rate at slot j divided by the rate
at slot 0 estimates the examination propensity p_j / p_0 (``recsys.propensity``), which
``ctp recsys train --from-logs`` divides the clicks by.

The decision and the permutation are derived from the turn id alone (SHA-256), so any logged turn
can be replayed exactly (``Explorer.replay``). The permuted block is the shown list, not the raw
ranked list: the fence and the stock check may drop products, and permuting what is actually shown
keeps every slot of the block uniformly random whatever they drop.

Every turn that shows ranked products logs, per product, its slot, the slot the ranker gave it, and
whether it was randomised (``ShownPosition``), with the turn's ``explore_k``, ``explore_share`` and
``explore_seed`` (``TurnRecord``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.domain.catalog import Product
from app.domain.explore import ShownPosition


def _unit(turn_id: str, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{turn_id}".encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Exploration:
    """What the explore stage did to one turn's shown list."""

    share: float
    k: int  # products permuted (0: the turn did not explore)
    seed: int | None
    positions: list[ShownPosition] = field(default_factory=list)


@dataclass(frozen=True)
class Explorer:
    """Permutes the top ``top_k`` shown products on a ``share`` of turns (chosen by turn id)."""

    share: float
    top_k: int
    version: str = "explore-v1"

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1 or self.top_k < 2:
            raise ValueError(f"exploring needs 0 < share <= 1 and top_k >= 2, got {self.share}, {self.top_k}")

    def explores(self, turn_id: str) -> bool:
        """Whether this turn explores: a uniform draw from the turn id below ``share``."""
        return _unit(turn_id, "explore") / 2**64 < self.share

    def seed(self, turn_id: str) -> int:
        return _unit(turn_id, "explore-order") % 2**63

    def replay(self, turn_id: str, n: int) -> list[int]:
        """The order an exploring turn with ``n`` shown products uses: slot j shows the product the
        ranker put at ``order[j]`` (the first ``min(n, top_k)`` permuted, the rest in place)."""
        k = min(n, self.top_k)
        head = np.random.default_rng(self.seed(turn_id)).permutation(k)
        return [int(i) for i in head] + list(range(k, n))

    def apply(self, turn_id: str, shown: Sequence[Product]) -> tuple[list[Product], Exploration]:
        """``shown`` in the order the shopper gets, and what was done to it."""
        n = len(shown)
        if n < 2 or not self.explores(turn_id):
            return list(shown), Exploration(self.share, 0, None, in_place(shown))
        k = min(n, self.top_k)
        order = self.replay(turn_id, n)
        positions = [
            ShownPosition(
                product_id=shown[src].id,
                position=slot,
                ranker_position=src,
                randomised=slot < k,
                chance=1.0 / k if slot < k else 1.0,
            )
            for slot, src in enumerate(order)
        ]
        return [shown[src] for src in order], Exploration(self.share, k, self.seed(turn_id), positions)


def in_place(shown: Sequence[Product] | Sequence[str]) -> list[ShownPosition]:
    """Positions of a list shown in the ranker's order (no exploration)."""
    ids = [s if isinstance(s, str) else s.id for s in shown]
    return [ShownPosition(product_id=pid, position=i, ranker_position=i) for i, pid in enumerate(ids)]


def explorer_for(share: float, top_k: int) -> Explorer | None:
    """The configured explorer, or None when exploring is off (``CTP_EXPLORE_SHARE`` = 0)."""
    return Explorer(share, top_k) if share > 0 else None
