"""Nonconformity scores on L2-normalised embeddings (higher = sparser region = less in scope).

* ``knn``: distance 1 − cos from the query to its k-th nearest catalog product (Sun et al. 2022,
  "Out-of-distribution detection with deep nearest neighbors"). The runtime guard computes it from
  ``VectorIndex.nearest``; ``knn_distances`` is the same score over arrays, for evaluation.
* ``bank``: the same k-th-neighbour distance, but against a bank of known in-scope *queries*
  (the golden train split) instead of products.
* ``mahalanobis``: distance to the catalog's embedding mean under its (shrunk) covariance
  (Lee et al. 2018), the classic parametric alternative.

All functions are pure and vectorised; none touches the index or the encoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def kth_distance(similarities: Sequence[float], k: int) -> float:
    """1 − (k-th highest cosine similarity). With fewer than k neighbours the farthest one is used;
    with none the distance is 2 (the maximum for cosine)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    if not similarities:
        return 2.0
    ranked = sorted(similarities, reverse=True)
    return float(1.0 - ranked[min(k, len(ranked)) - 1])


def knn_distances(queries: np.ndarray, bank: np.ndarray, k: int, exclude_self: bool = False) -> np.ndarray:
    """k-th-neighbour cosine distance of every query row to the bank rows (exact, brute force).

    ``exclude_self`` drops the diagonal when ``queries`` *is* the bank (leave-one-out scoring of the
    bank's own members).
    """
    sims = queries @ bank.T
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    k_eff = min(k, sims.shape[1] - (1 if exclude_self else 0))
    kth = -np.partition(-sims, k_eff - 1, axis=1)[:, k_eff - 1]
    return (1.0 - kth).astype(np.float64)


@dataclass(frozen=True)
class Mahalanobis:
    """Gaussian fit of the catalog embeddings: mean and inverse of a shrunk covariance."""

    mean: np.ndarray
    precision: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, shrinkage: float = 0.1) -> Mahalanobis:
        """Ledoit–Wolf-style fixed shrinkage towards a scaled identity keeps the 384×384
        covariance invertible with a catalog of about a thousand products."""
        mean = x.mean(axis=0)
        cov = np.cov(x - mean, rowvar=False)
        target = np.eye(cov.shape[0]) * np.trace(cov) / cov.shape[0]
        shrunk = (1 - shrinkage) * cov + shrinkage * target
        return cls(mean=mean, precision=np.linalg.inv(shrunk))

    def distances(self, q: np.ndarray) -> np.ndarray:
        d = np.atleast_2d(q) - self.mean
        dist: np.ndarray = np.sqrt(np.einsum("ij,jk,ik->i", d, self.precision, d))
        return dist
