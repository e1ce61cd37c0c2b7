"""The abstention eval's query sets follow the golden policies and never mix splits."""

from pathlib import Path

from evals.abstention_data import clinc_non_shopping, esci_queries, sample, scope_sets, shopper_queries


def test_clinc_negatives_follow_the_intent_policy(data_dir: Path) -> None:
    test = clinc_non_shopping(data_dir, "test")
    assert len(test) == 4230 + 978  # golden README: non_shopping test + oos_test
    assert "i am looking for a suit for work" not in test  # an excluded oos utterance


def test_in_scope_test_and_calibration_splits_are_disjoint() -> None:
    assert not set(shopper_queries("test")) & set(shopper_queries("calibration"))


def test_ambiguous_esci_queries_are_never_used(data_dir: Path) -> None:
    ambiguous = set(esci_queries("ambiguous"))
    for split in ("validation", "test"):
        sets = scope_sets(data_dir, split, 50, 0)  # type: ignore[arg-type]
        used = sets.in_scope + sets.out_of_catalog + sets.extra_in_scope_for_catalog
        assert not ambiguous & set(used)


def test_validation_and_test_out_of_catalog_halves_are_disjoint(data_dir: Path) -> None:
    val = scope_sets(data_dir, "validation", 10, 0).out_of_catalog
    test = scope_sets(data_dir, "test", 10, 0).out_of_catalog
    assert len(val) + len(test) == 480 + 109
    assert len(set(val) & set(test)) <= 3  # WANDS repeats a few query strings under different ids


def test_sample_is_deterministic_for_a_seed() -> None:
    texts = [str(i) for i in range(100)]
    assert sample(texts, 10, 3) == sample(texts, 10, 3)
    assert sample(texts, 10, 3) != sample(texts, 10, 4)
    assert sample(texts, None, 3) == texts
