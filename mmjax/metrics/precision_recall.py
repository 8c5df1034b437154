"""Improved precision and recall of a generator (Kynkäänniemi et al., 2019).

Each set's manifold is approximated by balls: around every sample ``phi`` of a set ``Phi`` a ball whose
radius is the distance to its k-th nearest neighbour within ``Phi`` (the sample itself not counted).

    f(x, Phi) = 1  if  |x - phi| <= |phi - NN_k(phi, Phi)|  for some phi in Phi,  else 0
    precision = mean_{y in fake} f(y, real)     (fraction of samples that look real: quality)
    recall    = mean_{x in real} f(x, fake)     (fraction of real data the generator covers: diversity)

A mode-collapsed generator keeps high precision and loses recall; a noisy one the other way round.
"""

from __future__ import annotations

import numpy as np

from mmjax.metrics._checks import as_features, same_width


def pairwise_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[m, n]`` via ``|x|^2 + |y|^2 - 2 x.y`` (clipped at 0 against round-off)."""
    squared = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.sqrt(np.clip(squared, 0.0, None))


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from every row to its k-th nearest *other* row: ``[N]``."""
    distances = pairwise_distances(features, features)  # [N, N]; column 0 after sorting is the row itself
    return np.sort(distances, axis=1)[:, k]


def manifold_coverage(queries: np.ndarray, support: np.ndarray, k: int) -> float:
    """Mean of ``f(query, support)``: fraction of queries inside some k-NN ball of ``support``."""
    radii = knn_radii(support, k)  # [S]
    inside = pairwise_distances(queries, support) <= radii[None, :]  # [Q, S]
    return float(inside.any(axis=1).mean())


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of ``fake_features`` ``[N, D]`` against ``real_features`` ``[M, D]``."""
    real, fake = as_features(real_features, "real_features"), as_features(fake_features, "fake_features")
    same_width(real, fake, "real_features and fake_features")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k >= min(real.shape[0], fake.shape[0]):
        raise ValueError(
            f"k = {k} needs more than k samples in each set, got {real.shape[0]} real and {fake.shape[0]} fake"
        )
    return manifold_coverage(fake, real, k), manifold_coverage(real, fake, k)
