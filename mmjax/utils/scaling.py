"""How cost grows with size: measure a step at several sizes, fit a power law, plot it beside the expected one.

    def build(batch):                                   # a size -> (jitted function, its arguments)
        return jax.jit(step), (state, make_batch(batch), key)

    rows = sweep(build, [8, 16, 32, 64])                # one mmjax.utils.flops.profile_step per size
    exponent, prefactor = fit_power_law([r["value"] for r in rows], [r["flops"] for r in rows])
    plot_scaling(ax, sizes, seconds, expected=1.0)      # measured, fitted and expected laws, log-log axes

A power law ``y = c x^k`` is a straight line on log-log axes, ``log y = log c + k log x``, so its exponent is
the slope of a least-squares line through the points ``(log x, log y)``. The *expected* law comes from
counting the work (a batch twice as large is twice the FLOPs: ``k = 1``; attention over ``T`` tokens does
``a T + b T^2``); it is drawn through the measured point of the largest size, where fixed per-call costs
matter least, so the reader sees where the small sizes depart from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mmjax.utils.flops import profile_step

# What ``sweep`` reports for each size (besides the size itself, ``value``).
MEASURES = ("seconds", "flops", "memory_bytes", "compile_seconds", "bytes_accessed", "achieved_flops_per_second")


def sweep(
    build: Callable[[Any], tuple[Callable, tuple]],
    values: Sequence,
    repeats: int = 10,
    warmup: int = 2,
    log: Callable[[str], None] | None = print,
) -> list[dict]:
    """Profile ``build(value)`` for every value: one dict per value with ``value`` and ``MEASURES``.

    ``build(value)`` returns ``(jitted_fn, args)``; each is compiled (timed) and run ``warmup`` + ``repeats``
    times by :func:`mmjax.utils.flops.profile_step`: ``seconds`` is the median call, ``flops`` XLA's count for
    one call, ``memory_bytes`` the compiled program's memory plan. ``log`` gets one line per value (None: quiet).
    """
    if len(values) == 0:
        raise ValueError("sweep needs at least one value")
    rows = []
    for value in values:
        built = build(value)
        if not (isinstance(built, tuple) and len(built) == 2 and callable(built[0])):
            raise TypeError(f"build({value!r}) must return (jitted_fn, args), got {type(built).__name__}")
        fn, args = built
        profile = profile_step(fn, *tuple(args), repeats=repeats, warmup=warmup)
        row = {"value": value, **profile, "achieved_flops_per_second": profile["flops"] / profile["seconds"]}
        rows.append(row)
        if log is not None:
            memory = "-" if row["memory_bytes"] is None else f"{row['memory_bytes'] / 2**20:.1f} MiB"
            log(
                f"{value!s:>8}: {row['seconds'] * 1e3:9.2f} ms  {row['flops'] / 1e9:9.3f} GFLOP  "
                f"{row['achieved_flops_per_second'] / 1e9:7.1f} GFLOP/s  memory {memory}  "
                f"compile {row['compile_seconds']:.1f} s"
            )
    return rows


def _positive_pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of the same length, got shapes {x.shape} and {y.shape}")
    if len(x) < 2:
        raise ValueError(f"a power law needs at least 2 points, got {len(x)}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(x > 0) and np.all(y > 0)):
        raise ValueError("a power law is fitted in log-log space: every x and y must be finite and > 0")
    if np.ptp(np.log(x)) == 0:
        raise ValueError("x takes a single value: the exponent is undefined")
    return x, y


def fit_power_law(x, y) -> tuple[float, float]:
    """``(k, c)`` of ``y ~ c x^k``: least squares of ``log y = log c + k log x``.

    k = cov(log x, log y) / var(log x),   log c = mean(log y) - k mean(log x)
    """
    x, y = _positive_pairs(x, y)
    u, v = np.log(x), np.log(y)
    exponent = np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2)
    prefactor = np.exp(v.mean() - exponent * u.mean())
    return float(exponent), float(prefactor)


def power_law(x, exponent: float, prefactor: float) -> np.ndarray:
    """``c x^k`` at every ``x``."""
    return prefactor * np.asarray(x, dtype=np.float64) ** exponent


def through_point(shape: float | Callable, x, x0: float, y0: float) -> np.ndarray:
    """The expected law, scaled to pass through ``(x0, y0)``: ``y0 f(x) / f(x0)``.

    ``shape`` is an exponent ``k`` (``f(x) = x^k``) or any positive function of ``x``, e.g.
    ``lambda t: t + t**2 / 256`` for a layer whose attention catches up with its matmuls at 256 tokens.
    """
    f = shape if callable(shape) else (lambda s: np.asarray(s, dtype=np.float64) ** shape)
    return y0 * np.asarray(f(np.asarray(x, dtype=np.float64)), dtype=np.float64) / float(f(np.float64(x0)))


def plot_scaling(
    ax,
    x,
    y,
    expected: float | Callable | None = None,
    expected_label: str | None = None,
    fit_min: float | None = None,
    label: str = "measured",
    color: str | None = None,
    variable: str = "x",
) -> tuple[float, float]:
    """Measured points, their fitted power law (solid) and the expected law (dashed) on log-log axes.

    ``fit_min``: fit only the points with ``x >= fit_min`` (the small sizes, dominated by fixed costs, are
    still drawn). ``expected``: an exponent or a function of ``x`` (see :func:`through_point`), drawn through
    the point of the largest ``x``. ``variable`` names ``x`` in the legend ("fit: ∝ batch^1.02").
    Returns the fit ``(exponent, prefactor)``. Axis titles are the caller's.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter  # plotting only: the sweep needs no matplotlib

    x, y = _positive_pairs(x, y)
    keep = x >= (fit_min if fit_min is not None else x.min())
    exponent, prefactor = fit_power_law(x[keep], y[keep])
    (points,) = ax.plot(x, y, "o", color=color, label=label)
    color = points.get_color()
    grid = np.geomspace(x[keep].min(), x.max(), 50)
    ax.plot(
        grid,
        power_law(grid, exponent, prefactor),
        "-",
        color=color,
        alpha=0.8,
        label=f"fit: ∝ {variable}^{exponent:.2f}",
    )
    if expected is not None:
        grid = np.geomspace(x.min(), x.max(), 50)
        last = int(np.argmax(x))
        name = expected_label or (f"expected: ∝ {variable}^{expected:g}" if not callable(expected) else "expected")
        ax.plot(grid, through_point(expected, grid, x[last], y[last]), "--", color=color, alpha=0.6, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers ("0.5", "128") rather than powers of ten, majors only
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    return exponent, prefactor
