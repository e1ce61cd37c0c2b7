"""Nonconformity scores over arrays and similarity lists."""

import numpy as np
import pytest

from app.guard.scores import Mahalanobis, knn_distances, kth_distance


def test_kth_distance_is_one_minus_the_kth_highest_similarity() -> None:
    assert kth_distance([0.2, 0.9, 0.5], 2) == pytest.approx(0.5)


def test_kth_distance_uses_the_farthest_when_fewer_than_k() -> None:
    assert kth_distance([0.9, 0.5], 5) == pytest.approx(0.5)


def test_kth_distance_of_no_neighbours_is_maximal() -> None:
    assert kth_distance([], 3) == 2.0


def test_knn_distances_on_unit_vectors() -> None:
    bank = np.array([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    q = np.array([[1.0, 0.0]])
    # similarities 1, 0, 0.7071 → 2nd highest 0.7071
    assert knn_distances(q, bank, 2)[0] == pytest.approx(1 - np.sqrt(0.5))


def test_knn_distances_leave_one_out_skips_the_row_itself() -> None:
    bank = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert list(knn_distances(bank, bank, 1, exclude_self=True)) == pytest.approx([1.0, 1.0])


def test_mahalanobis_is_zero_at_the_mean_and_grows_away_from_it() -> None:
    x = np.random.default_rng(0).normal(size=(200, 3))
    m = Mahalanobis.fit(x)
    near, far = m.distances(np.vstack([m.mean, m.mean + 5]))
    assert near == pytest.approx(0.0)
    assert far > 5
