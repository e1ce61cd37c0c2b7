"""The passage collection: one directory per content version, opened only at that version."""

from pathlib import Path

import numpy as np

from app.index.passages import Passage, PassageIndex, passages_version

PASSAGES = [Passage(key="returns", text="Returns are free."), Passage(key="payment", text="We take PayPal.")]
VECTORS = np.eye(2, 8, dtype=np.float32)


def test_search_returns_the_nearest_passage_first(tmp_path: Path) -> None:
    index = PassageIndex(tmp_path / "policy")
    index.build(PASSAGES, VECTORS, "v1")
    hits = index.search(VECTORS[1], 2)
    assert [h.passage.key for h in hits] == ["payment", "returns"]


def test_a_version_that_was_never_built_does_not_open(tmp_path: Path) -> None:
    PassageIndex(tmp_path / "policy").build(PASSAGES, VECTORS, "v1")
    assert PassageIndex(tmp_path / "policy").open("v2") is False


def test_a_new_build_replaces_the_old_version_on_disk(tmp_path: Path) -> None:
    index = PassageIndex(tmp_path / "policy")
    index.build(PASSAGES, VECTORS, "v1")
    index.build(PASSAGES[:1], VECTORS[:1], "v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.v-v2"]


def test_the_version_changes_with_the_text_and_the_encoder() -> None:
    base = passages_version(PASSAGES, "enc-a")
    edited = [PASSAGES[0], Passage(key="payment", text="We take cards.")]
    assert len({base, passages_version(edited, "enc-a"), passages_version(PASSAGES, "enc-b")}) == 3
