"""The PacGAN 2-D benchmark: its mixtures and its mode-coverage metric."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmjax.gan.gan2d import data as mixtures


def test_benchmark_definitions():
    ring, grid = mixtures.get_mixture("ring"), mixtures.get_mixture("grid")
    assert ring.num_modes == 8 and ring.std == 0.01
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 1.0, rtol=1e-6)
    assert grid.num_modes == 25 and grid.std == 0.05
    assert sorted(set(grid.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    with pytest.raises(ValueError, match="ring, grid"):
        mixtures.get_mixture("spiral")


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_true_samples_cover_every_mode_with_chi_square_quality(name):
    mixture = mixtures.get_mixture(name)
    points = mixtures.sample(mixture, jax.random.key(0), 20_000)
    result = mixtures.mode_coverage(points, mixture.means, mixture.std)
    assert int(result["modes"]) == mixture.num_modes
    # ||eps|| < 3 for eps ~ N(0, I_2): P = 1 - exp(-9/2)
    assert float(result["high_quality"]) == pytest.approx(1 - math.exp(-4.5), abs=0.004)


def test_collapsed_and_off_mode_samples():
    ring = mixtures.get_mixture("ring")
    collapsed = jnp.tile(ring.means[3], (100, 1))
    result = mixtures.mode_coverage(collapsed, ring.means, ring.std)
    assert int(result["modes"]) == 1 and float(result["high_quality"]) == 1.0
    assert int(result["counts"][3]) == 100
    between = jnp.zeros((50, 2))  # the centre of the ring is 100 standard deviations from every mode
    result = mixtures.mode_coverage(between, ring.means, ring.std)
    assert int(result["modes"]) == 0 and float(result["high_quality"]) == 0.0
    with pytest.raises(ValueError, match=r"\[N, D\]"):
        mixtures.mode_coverage(jnp.zeros((5, 3)), ring.means, ring.std)


def test_source_is_deterministic_and_random_access():
    a, b = mixtures.MixtureSource("grid", 1000, seed=3), mixtures.MixtureSource("grid", 1000, seed=3)
    assert len(a) == 1000
    np.testing.assert_array_equal(a[17]["x"], b[17]["x"])
    assert a[17]["x"].shape == (2,) and a[17]["x"].dtype == np.float32
