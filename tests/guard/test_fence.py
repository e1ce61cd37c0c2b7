"""The output fence keeps only candidates inside the query's radius."""

from app.domain.turn import Candidate
from app.guard.fence import fence_candidates


def cand(pid: str, rank: int, dense: float | None) -> Candidate:
    return Candidate(product_id=pid, retrieval_rank=rank, dense_score=dense)


def test_candidates_below_the_radius_are_fenced_in_order() -> None:
    ranked = [cand("a", 1, 0.6), cand("b", 2, 0.2), cand("c", 3, 0.4)]
    kept, fenced = fence_candidates(ranked, {}, radius=0.3)
    assert [c.product_id for c in kept] == ["a", "c"]
    assert fenced == ["b"]


def test_a_candidate_on_the_radius_is_kept() -> None:
    kept, fenced = fence_candidates([cand("a", 1, 0.3)], {}, radius=0.3)
    assert [c.product_id for c in kept] == ["a"] and fenced == []


def test_looked_up_similarity_is_used_when_the_dense_arm_missed_it() -> None:
    ranked = [cand("sparse-only", 1, None), cand("far", 2, None)]
    kept, fenced = fence_candidates(ranked, {"sparse-only": 0.5, "far": 0.1}, radius=0.3)
    assert [c.product_id for c in kept] == ["sparse-only"]
    assert fenced == ["far"]


def test_a_candidate_with_unknown_similarity_is_fenced() -> None:
    kept, fenced = fence_candidates([cand("ghost", 1, None)], {}, radius=0.3)
    assert kept == [] and fenced == ["ghost"]
