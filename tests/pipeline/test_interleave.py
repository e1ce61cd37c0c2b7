"""Team-draft interleaving: a fair, reproducible merge of two rankings (issue 16, item 4)."""

from __future__ import annotations

import os
import subprocess
import sys

from app.catalog.snapshot import CatalogSnapshot
from app.domain.catalog import Product
from app.domain.turn import Candidate, ConversationState
from app.pipeline.interleave import Interleaver, coin, team_draft


def first_team(seed: str) -> int:
    """The team the first coin flip of ``seed`` sends first."""
    return 0 if coin(seed).random() < 0.5 else 1


def test_the_same_turn_id_gives_the_same_list_and_teams() -> None:
    a, b = list("abcdefgh"), list("hgfedcba")
    assert team_draft(a, b, "t_1", 6) == team_draft(a, b, "t_1", 6)


def test_the_coin_flips_are_the_same_in_another_process_with_another_hash_seed() -> None:
    probe = "from app.pipeline.interleave import coin; print(repr(coin('t_42').random()))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert float(out.stdout) == coin("t_42").random()


def test_each_team_takes_its_best_product_not_yet_picked() -> None:
    seed = next(s for s in (f"t_{i}" for i in range(100)) if first_team(s) == 0)  # A goes first
    merged = team_draft(["x", "y", "z"], ["x", "w", "v"], seed, 2)
    assert merged == [("x", 0), ("w", 1)]  # B's best, x, is taken: it picks w


def test_identical_rankings_merge_into_that_ranking() -> None:
    same = ["p1", "p2", "p3", "p4", "p5"]
    for seed in ("t_a", "t_b", "t_c"):
        assert [pid for pid, _ in team_draft(same, same, seed, 4)] == same[:4]


def test_the_teams_stay_balanced_in_every_prefix_and_nothing_repeats() -> None:
    a, b = [f"p{i}" for i in range(20)], [f"p{i}" for i in reversed(range(20))]
    for i in range(50):
        merged = team_draft(a, b, f"t_{i}", 9)
        ids = [pid for pid, _ in merged]
        assert len(ids) == len(set(ids)) == 9
        for k in range(1, len(merged) + 1):
            teams = [t for _, t in merged[:k]]
            assert abs(teams.count(0) - teams.count(1)) <= 1


def test_each_ranker_goes_first_about_half_the_time() -> None:
    firsts = [team_draft(["a", "b"], ["b", "a"], f"t_{i}", 1)[0][1] for i in range(2000)]
    assert 900 <= firsts.count(0) <= 1100


def test_when_one_list_is_used_up_the_other_goes_on_alone() -> None:
    merged = team_draft(["a"], ["b", "c", "d"], "t_x", 4)
    assert sorted(merged) == [("a", 0), ("b", 1), ("c", 1), ("d", 1)]
    assert team_draft([], [], "t_x", 3) == []


class Fixed:
    """A ranker that returns a fixed order of whatever it is given."""

    def __init__(self, version: str, order: list[str]) -> None:
        self.version = version
        self.order = order

    def rank(
        self, candidates: list[Candidate], catalog: CatalogSnapshot, state: ConversationState
    ) -> list[Candidate]:
        return sorted(candidates, key=lambda c: self.order.index(c.product_id))


def test_show_merges_only_what_may_be_shown_and_names_each_products_ranker() -> None:
    products = [Product(id=p, source="t", sku=p, name=p, price=1.0) for p in "abcdef"]
    catalog = CatalogSnapshot(products, version="v")
    mixer = Interleaver(Fixed("one", list("abcdef")), Fixed("two", list("fedcba")))
    cands = [Candidate(product_id=p, retrieval_rank=i) for i, p in enumerate("abcdef")]
    state = ConversationState(conversation_id="c")
    presentable = [c for c in mixer.first.rank(cands, catalog, state) if c.product_id != "f"]  # f fenced
    rival = mixer.rival(cands, catalog, state)

    def in_stock(ids: list[str]) -> list[Product]:  # e is sold out
        return [p for p in catalog.many(ids) if p.id != "e"]

    shown = mixer.show(presentable, rival, "t_9", 4, in_stock)
    assert mixer.pair == shown.pair == ("one", "two")
    assert [p.id for p in shown.products] == [
        pid for pid, _ in team_draft(list("abcd"), list("dcba"), "t_9", 4)
    ]
    assert shown.teams["a"] == "one" and shown.teams["d"] == "two"
    assert set(shown.teams) == {"a", "b", "c", "d"}
