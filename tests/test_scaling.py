"""mmjax.utils.scaling: the power-law fit against closed forms and numpy, the sweep against XLA's counts."""

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from mmjax.utils import scaling


@pytest.mark.parametrize("exponent, prefactor", [(1.0, 3.0), (2.0, 0.5), (-0.5, 7.0), (1.37, 1e-6)])
def test_fit_recovers_an_exact_power_law(exponent, prefactor):
    x = np.array([2.0, 5.0, 16.0, 100.0, 1e4])
    k, c = scaling.fit_power_law(x, prefactor * x**exponent)
    assert k == pytest.approx(exponent, abs=1e-10)
    assert c == pytest.approx(prefactor, rel=1e-9)


def test_fit_is_the_least_squares_line_in_log_log_space():
    rng = np.random.default_rng(0)
    x = np.geomspace(4, 512, 9)
    y = 0.01 * x**1.8 * np.exp(rng.normal(0, 0.2, x.shape))  # noisy: the fit is a compromise, not exact
    k, c = scaling.fit_power_law(x, y)
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    assert k == pytest.approx(slope, rel=1e-10)
    assert np.log(c) == pytest.approx(intercept, rel=1e-10)
    assert abs(k - 1.8) > 1e-6  # the noise moved it: a fit that ignored y would not see that


def test_two_points_give_the_slope_between_them():
    # k = log(y2 / y1) / log(x2 / x1) = log(8) / log(2) = 3
    assert scaling.fit_power_law([2, 4], [5, 40])[0] == pytest.approx(3.0)


@pytest.mark.parametrize(
    "x, y, message",
    [
        ([1, 2, 3], [1, 2], "same length"),
        ([1], [1], "at least 2"),
        ([1, 2], [0, 1], "> 0"),
        ([1, -2], [1, 1], "> 0"),
        ([1, 2], [1, np.nan], "finite"),
        ([3, 3], [1, 2], "single value"),
    ],
)
def test_fit_rejects_what_has_no_power_law(x, y, message):
    with pytest.raises(ValueError, match=message):
        scaling.fit_power_law(x, y)


def test_through_point_scales_the_expected_law_to_the_anchor():
    x = np.array([1.0, 10.0, 100.0])
    assert scaling.through_point(1.0, x, 100.0, 50.0) == pytest.approx([0.5, 5.0, 50.0])
    # a T + T^2 law: f(10) / f(100) = 110 / 10100
    y = scaling.through_point(lambda t: t + t**2, x, 100.0, 1.0)
    assert y[1] == pytest.approx(110 / 10100)
    assert y[-1] == pytest.approx(1.0)


def test_sweep_measures_xla_flops_that_grow_with_the_size():
    def build(n):
        a = jnp.ones((n, 32), jnp.float32)
        b = jnp.ones((32, 16), jnp.float32)
        return jax.jit(jnp.matmul), (a, b)

    lines = []
    rows = scaling.sweep(build, [8, 64], repeats=2, warmup=1, log=lines.append)
    assert [r["value"] for r in rows] == [8, 64] and len(lines) == 2
    # a [n, 32] x [32, 16] matmul is 2 n 32 16 FLOPs
    assert [r["flops"] for r in rows] == pytest.approx([2 * 8 * 32 * 16, 2 * 64 * 32 * 16])
    for row in rows:
        assert set(scaling.MEASURES) <= set(row)
        assert row["seconds"] > 0 and row["achieved_flops_per_second"] == pytest.approx(row["flops"] / row["seconds"])
    assert scaling.fit_power_law([8, 64], [r["flops"] for r in rows])[0] == pytest.approx(1.0)


def test_sweep_rejects_a_build_that_returns_something_else():
    with pytest.raises(TypeError, match="jitted_fn, args"):
        scaling.sweep(lambda n: jnp.ones(n), [2], log=None)
    with pytest.raises(ValueError, match="at least one"):
        scaling.sweep(lambda n: None, [], log=None)


def test_plot_scaling_fits_above_fit_min_and_draws_three_lines():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    y = 5.0 + 2.0 * x  # a fixed cost plus linear work: the slope nears 1 only at the large sizes
    fig, ax = plt.subplots()
    all_points = scaling.plot_scaling(ax, x, y, expected=1.0)
    large_only = scaling.plot_scaling(ax, x, y, expected=1.0, fit_min=4.0, variable="batch")
    assert all_points[0] < large_only[0] < 1.0
    assert large_only[0] == pytest.approx(scaling.fit_power_law(x[2:], y[2:])[0])
    labels = [line.get_label() for line in ax.get_lines()]
    assert len(labels) == 6 and f"fit: ∝ batch^{large_only[0]:.2f}" in labels and "expected: ∝ batch^1" in labels
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    expected_line = ax.get_lines()[-1]  # anchored at the largest x: it ends on the last measured point
    assert expected_line.get_ydata()[-1] == pytest.approx(y[-1])
    plt.close(fig)
