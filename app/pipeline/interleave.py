"""Team-draft interleaving of two rankers (issue 16, item 4: online comparison).

With ``CTP_INTERLEAVE="lightgbm,heuristic"`` the composition root builds both rankers and an
``Interleaver``; the rank stage ranks the candidates with both, and the fence stage shows one list
merged by **team draft** (Radlinski, Kurup & Joachims 2008): the two rankers take turns, the one
with fewer picks so far going next and a coin flip deciding when they have as many, each picking
its best product not yet picked. The coin flips are seeded by the turn id, so a logged turn's list
can be recomputed exactly. The turn record keeps, per shown product, the ranker whose team
contributed it (``TurnRecord.interleave_teams``); clicks, add-to-cart and checkout events on the
turn credit that ranker (``app.review.interleaving``).

The merge runs *after* the fence and the in-stock filter, over each ranker's own order of the
products that may be shown: both filters are properties of a product, not of its position, so a
ranker is never charged for a product nobody could have been shown. Only the first ranker's list
is logged as the turn's candidates; a turn settled by the ``relax`` stage is not interleaved.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState
from app.pipeline.rank import Ranker

#: Each ranker's top ``WINDOW × show_limit`` presentable products are checked for stock, as the
#: plain fence stage checks the top ``3 × show_limit`` of one list.
WINDOW = 3


def coin(seed: str) -> random.Random:
    """A generator seeded from a string through SHA-256: the same turn id gives the same flips in
    every process and Python version (``random.Random(str)`` depends on the seeding algorithm)."""
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def next_team(picks: Sequence[int], rng: random.Random) -> int:
    """The team with fewer picks so far; a coin flip when both have as many."""
    if picks[0] == picks[1]:
        return 0 if rng.random() < 0.5 else 1
    return 0 if picks[0] < picks[1] else 1


def team_draft(a: Sequence[str], b: Sequence[str], seed: str, limit: int) -> list[tuple[str, int]]:
    """Merge two rankings of ids into at most ``limit`` (id, team) pairs, team 0 for ``a`` and 1 for
    ``b``. The team with fewer picks goes next; on a tie a coin flip seeded by ``seed`` decides.
    A team picks its highest-ranked id not yet picked; when its list is used up the other team goes
    on alone."""
    rng = coin(seed)
    lists = (list(a), list(b))
    heads = [0, 0]
    picks = [0, 0]
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    while len(out) < limit:
        for t in (0, 1):
            while heads[t] < len(lists[t]) and lists[t][heads[t]] in seen:
                heads[t] += 1
        open_ = [heads[t] < len(lists[t]) for t in (0, 1)]
        if not any(open_):
            break
        team = next_team(picks, rng)
        if not open_[team]:
            team = 1 - team
        pid = lists[team][heads[team]]
        seen.add(pid)
        picks[team] += 1
        out.append((pid, team))
    return out


@dataclass
class Interleaved:
    """What the fence stage showed from an interleaved turn: the products and each one's ranker."""

    products: list[Product]
    teams: dict[str, str]  # product id -> ranker label
    pair: tuple[str, str]


@dataclass
class Interleaver:
    """Two rankers compared online. ``first`` also serves everything that is not interleaved (the
    logged candidates, the relax stage); the labels are the rankers' versions."""

    first: Ranker
    second: Ranker

    @property
    def pair(self) -> tuple[str, str]:
        return (self.first.version, self.second.version)

    @property
    def version(self) -> str:
        return "team-draft:" + ",".join(self.pair)

    def rival(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        """The second ranker's order of the same (stock-marked) candidates."""
        return self.second.rank(candidates, catalog, state)

    def show(
        self,
        presentable: Sequence[Candidate],
        rival: Sequence[Candidate],
        seed: str,
        limit: int,
        in_stock: Callable[[list[str]], list[Product]],
    ) -> Interleaved:
        """The merged list over what may be shown. ``presentable`` is the first ranker's fenced
        order, ``rival`` the second ranker's whole order (fenced here to the same set);
        ``in_stock`` maps ids to the products not sold out, in order."""
        allowed = {c.product_id for c in presentable}
        a = [c.product_id for c in presentable]
        b = [c.product_id for c in rival if c.product_id in allowed]
        window = list(dict.fromkeys([*a[: WINDOW * limit], *b[: WINDOW * limit]]))
        products = {p.id: p for p in in_stock(window)}
        merged = team_draft([i for i in a if i in products], [i for i in b if i in products], seed, limit)
        pair = self.pair
        return Interleaved(
            products=[products[pid] for pid, _ in merged],
            teams={pid: pair[team] for pid, team in merged},
            pair=pair,
        )
