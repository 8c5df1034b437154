"""Fréchet distance between Gaussians fitted to two feature sets (FID-style; here *Shapes-FID*).

Fit ``N(mu_1, S_1)`` and ``N(mu_2, S_2)`` to the two feature sets. The Fréchet (2-Wasserstein) distance
between the Gaussians is

    FD = |mu_1 - mu_2|^2 + tr(S_1) + tr(S_2) - 2 tr((S_1^{1/2} S_2 S_1^{1/2})^{1/2})

The last trace equals ``tr((S_1 S_2)^{1/2})`` of the usual FID formula, but the product
``S_1^{1/2} S_2 S_1^{1/2}`` is symmetric positive semi-definite, so both square roots come from a
symmetric eigendecomposition (real eigenvalues, clipped at 0 against round-off) instead of a general
``sqrtm`` of the non-symmetric ``S_1 S_2``, which can return complex noise or fail on singular inputs.

*Shapes-FID* uses the judge network's penultimate features (``mmjax.metrics.judge``). Its values are
only comparable with other Shapes-FID values computed with the same judge checkpoint, never with
Inception FID of published papers.
"""

from __future__ import annotations

import numpy as np

from mmjax.metrics._checks import as_features, same_width


def gaussian_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and unbiased covariance ``[D, D]`` of features ``[N, D]`` (float64)."""
    x = as_features(features, "features")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def psd_symmetrise(matrix: np.ndarray) -> np.ndarray:
    """``(M + M^T) / 2``: removes the round-off asymmetry of a product that is symmetric in exact arithmetic."""
    return (matrix + matrix.T) / 2


def psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix: ``V diag(sqrt(max(w, 0))) V^T``."""
    # BEGIN SOLUTION
    eigenvalues, eigenvectors = np.linalg.eigh(psd_symmetrise(matrix))
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    # END SOLUTION


def frechet_distance_from_statistics(mu_1, sigma_1, mu_2, sigma_2) -> float:
    """``|mu_1 - mu_2|^2 + tr(S_1) + tr(S_2) - 2 tr((S_1^{1/2} S_2 S_1^{1/2})^{1/2})``."""
    mu_1, mu_2 = np.asarray(mu_1, np.float64), np.asarray(mu_2, np.float64)
    sigma_1, sigma_2 = np.asarray(sigma_1, np.float64), np.asarray(sigma_2, np.float64)
    dim = mu_1.shape[-1]
    if mu_1.shape != (dim,) or mu_2.shape != (dim,) or sigma_1.shape != (dim, dim) or sigma_2.shape != (dim, dim):
        raise ValueError(
            "expected mu_1 [D], sigma_1 [D, D], mu_2 [D], sigma_2 [D, D]; got shapes "
            f"{mu_1.shape}, {sigma_1.shape}, {mu_2.shape}, {sigma_2.shape}"
        )
    # BEGIN SOLUTION
    root_1 = psd_sqrt(sigma_1)
    # eigenvalues of the symmetric PSD product S_1^{1/2} S_2 S_1^{1/2}; their square roots sum to the trace
    cross_eigenvalues = np.linalg.eigvalsh(psd_symmetrise(root_1 @ sigma_2 @ root_1))
    trace_cross = np.sqrt(np.clip(cross_eigenvalues, 0.0, None)).sum()
    distance = np.sum((mu_1 - mu_2) ** 2) + np.trace(sigma_1) + np.trace(sigma_2) - 2 * trace_cross
    return float(max(distance, 0.0))  # a distance; tiny negatives are round-off
    # END SOLUTION


def frechet_distance(features_1, features_2) -> float:
    """Fréchet distance between Gaussians fitted to features ``[N1, D]`` and ``[N2, D]``."""
    x, y = as_features(features_1, "features_1"), as_features(features_2, "features_2")
    same_width(x, y, "features_1 and features_2")
    return frechet_distance_from_statistics(*gaussian_statistics(x), *gaussian_statistics(y))
