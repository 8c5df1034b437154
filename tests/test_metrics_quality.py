"""Shapes-FID, KID and improved precision/recall against closed forms, references and properties."""

import numpy as np
import pytest
import scipy.linalg

from mmjax.metrics.frechet import frechet_distance, frechet_distance_from_statistics, gaussian_statistics, psd_sqrt
from mmjax.metrics.kid import kernel_distance, mmd2_unbiased, polynomial_kernel
from mmjax.metrics.precision_recall import knn_radii, precision_recall


def random_spd(rng, dim):
    a = rng.normal(size=(dim, dim))
    return a @ a.T + 0.1 * np.eye(dim)


# ---------------------------------------------------------------- Fréchet distance


def test_frechet_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(500, 16))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_closed_form_for_diagonal_gaussians():
    # For commuting (diagonal) covariances the trace term is sum_i sqrt(a_i b_i), so
    # FD = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    rng = np.random.default_rng(1)
    mu_1, mu_2 = rng.normal(size=5), rng.normal(size=5)
    a, b = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    expected = np.sum((mu_1 - mu_2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance_from_statistics(mu_1, np.diag(a), mu_2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_frechet_matches_scipy_sqrtm_formula_on_full_covariances():
    rng = np.random.default_rng(2)
    mu_1, mu_2, s_1, s_2 = rng.normal(size=8), rng.normal(size=8), random_spd(rng, 8), random_spd(rng, 8)
    reference = np.sum((mu_1 - mu_2) ** 2) + np.trace(s_1 + s_2 - 2 * scipy.linalg.sqrtm(s_1 @ s_2).real)
    assert frechet_distance_from_statistics(mu_1, s_1, mu_2, s_2) == pytest.approx(reference, rel=1e-8)


def test_frechet_is_symmetric_and_stable_for_singular_covariances():
    rng = np.random.default_rng(3)
    # 10 samples in 32 dimensions: rank-deficient covariances, where a naive sqrtm is unstable.
    x, y = rng.normal(size=(10, 32)), rng.normal(size=(10, 32)) + 0.5
    d_xy, d_yx = frechet_distance(x, y), frechet_distance(y, x)
    assert np.isfinite(d_xy) and d_xy > 0
    assert d_xy == pytest.approx(d_yx, rel=1e-8)


def test_frechet_is_invariant_to_sample_order():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 6)), rng.normal(size=(200, 6)) * 1.5
    assert frechet_distance(x[rng.permutation(300)], y[rng.permutation(200)]) == pytest.approx(
        frechet_distance(x, y), rel=1e-10
    )


def test_psd_sqrt_squares_back():
    s = random_spd(np.random.default_rng(5), 6)
    root = psd_sqrt(s)
    np.testing.assert_allclose(root @ root, s, rtol=1e-10, atol=1e-10)


def test_frechet_rejects_bad_input():
    with pytest.raises(ValueError, match="same feature dimension"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\[N, D\]"):
        frechet_distance(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((5, 3), np.nan), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="shapes"):
        frechet_distance_from_statistics(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))


def test_gaussian_statistics_match_numpy():
    x = np.random.default_rng(6).normal(size=(50, 4))
    mu, sigma = gaussian_statistics(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(sigma, np.cov(x.T))


# ---------------------------------------------------------------- KID


def brute_force_mmd2(x, y):
    def k(a, b):  # the cubic polynomial kernel of KID
        return (a @ b / len(a) + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd2_matches_a_brute_force_double_loop():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(9, 3)) + 0.3
    assert mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2(x, y), rel=1e-10)
    assert polynomial_kernel(x, y).shape == (7, 9)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    same, same_std = kernel_distance(x, y, num_subsets=10, subset_size=500)
    shifted, _ = kernel_distance(x, y + 0.5, num_subsets=10, subset_size=500)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 0.05 > abs(same)


def test_kid_is_unbiased_on_average():
    # The mean over many independent small-sample estimates of a zero MMD is ~0 (FID's would not be).
    rng = np.random.default_rng(9)
    estimates = [mmd2_unbiased(rng.normal(size=(20, 4)), rng.normal(size=(20, 4))) for _ in range(300)]
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / np.sqrt(300)


def test_kid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_subsets"):
        kernel_distance(np.zeros((5, 2)), np.zeros((5, 2)), num_subsets=0)


# ---------------------------------------------------------------- precision / recall


def test_precision_recall_are_one_for_identical_sets():
    x = np.random.default_rng(10).normal(size=(200, 5))
    assert precision_recall(x, x, k=3) == (1.0, 1.0)


def test_precision_recall_are_zero_for_far_apart_sets():
    rng = np.random.default_rng(11)
    assert precision_recall(rng.normal(size=(100, 3)), rng.normal(size=(100, 3)) + 100.0) == (0.0, 0.0)


def test_mode_collapse_keeps_precision_and_loses_recall():
    rng = np.random.default_rng(12)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
    real = centres[rng.integers(4, size=400)] + rng.normal(size=(400, 2)) * 0.5
    collapsed = centres[0] + rng.normal(size=(400, 2)) * 0.5  # one mode of four
    precision, recall = precision_recall(real, collapsed, k=3)
    assert precision > 0.9
    assert 0.15 < recall < 0.4  # about the quarter of the data it covers


def test_precision_matches_the_definition_computed_point_by_point():
    rng = np.random.default_rng(13)
    real, fake = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) * 1.3 + 0.4
    k = 2
    radii = [sorted(np.linalg.norm(real - r, axis=1))[k] for r in real]
    expected = np.mean([any(np.linalg.norm(f - r) <= rad for r, rad in zip(real, radii)) for f in fake])
    np.testing.assert_allclose(knn_radii(real, k), radii, rtol=1e-6)
    assert precision_recall(real, fake, k=k)[0] == pytest.approx(expected)


def test_precision_recall_reject_bad_k():
    with pytest.raises(ValueError, match="k"):
        precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3)
    with pytest.raises(ValueError, match="positive integer"):
        precision_recall(np.zeros((10, 2)), np.zeros((10, 2)), k=0)
