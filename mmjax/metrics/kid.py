"""Kernel Inception Distance (KID): an unbiased squared MMD with a cubic polynomial kernel.

Binkowski et al. (2018). With the kernel ``k(x, y) = (x . y / D + 1)^3`` and sets ``X`` (m rows),
``Y`` (n rows), the unbiased estimate of ``MMD^2`` is

    KID = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
          - 2/(mn) sum_{i, j} k(x_i, y_j)

Unbiased means its expectation is exactly 0 when X and Y come from the same distribution, so single
estimates may be slightly negative; unlike FID it does not depend on the sample size on average. As in
the original, the estimate is averaged over random subsets of both sets (``num_subsets`` x
``subset_size``), and the standard deviation over subsets is reported too.
"""

from __future__ import annotations

import numpy as np

from mmjax.metrics._checks import as_features, same_width


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``k(x, y) = (x . y / D + 1)^3`` for all pairs: ``[m, D], [n, D] -> [m, n]``."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y) -> float:
    """The unbiased ``MMD^2`` estimate above for one pair of sets (diagonal terms excluded)."""
    x, y = as_features(x, "x"), as_features(y, "y")
    same_width(x, y, "x and y")
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * k_xy.mean())


def kernel_distance(
    features_1, features_2, num_subsets: int = 10, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID: mean and standard deviation of ``mmd2_unbiased`` over random subsets (without replacement)."""
    x, y = as_features(features_1, "features_1"), as_features(features_2, "features_2")
    same_width(x, y, "features_1 and features_2")
    if num_subsets < 1 or subset_size < 2:
        raise ValueError(f"need num_subsets >= 1 and subset_size >= 2, got {num_subsets} and {subset_size}")
    size = min(subset_size, x.shape[0], y.shape[0])
    rng = np.random.default_rng(seed)
    estimates = [
        mmd2_unbiased(x[rng.choice(x.shape[0], size, replace=False)], y[rng.choice(y.shape[0], size, replace=False)])
        for _ in range(num_subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))
