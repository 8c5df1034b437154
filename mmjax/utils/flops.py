"""FLOPs and FLOP/s, measured the same way for every benchmark.

* ``compiled_flops`` asks XLA's cost analysis of the compiled program how many floating point operations
  one call performs (a matmul of [m, k] x [k, n] counts 2 m k n).
* ``matmul_peak_flops`` measures, on this machine and in this process, the FLOP/s of a large square
  matmul: the practical ceiling that a model's achieved FLOP/s is compared with.
* ``median_seconds`` times a jitted call with ``block_until_ready`` after a warm-up call, and reports the
  median, which is robust to the noise of shared machines.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def median_seconds(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn(*args)``, waiting for every output to be computed."""
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compiled_flops(jitted_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """FLOPs of one call of ``jitted_fn(*args, **kwargs)`` from XLA's cost analysis of the compiled program."""
    compiled = jitted_fn.lower(*args, **kwargs).compile()
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older JAX returns one dict per device program
        analysis = analysis[0]
    if not analysis or "flops" not in analysis:
        raise RuntimeError("XLA's cost analysis reported no 'flops' for this program")
    return float(analysis["flops"])


def matmul_peak_flops(size: int = 1024, dtype: Any = jnp.float32, repeats: int = 5) -> float:
    """FLOP/s of a ``[size, size] @ [size, size]`` matmul on the default device (2 size^3 FLOPs a call)."""
    key_a, key_b = jax.random.split(jax.random.key(0))
    a = jax.random.normal(key_a, (size, size), dtype)
    b = jax.random.normal(key_b, (size, size), dtype)
    matmul = jax.jit(jnp.matmul)
    seconds = median_seconds(matmul, a, b, repeats=repeats)
    return 2.0 * size**3 / seconds


def throughput_report(name: str, flops: float, seconds: float, peak: float) -> dict[str, float | str]:
    """The figures every compute benchmark prints: time, FLOPs, achieved FLOP/s and fraction of peak."""
    achieved = flops / seconds
    return {
        "name": name,
        "step_seconds": seconds,
        "flops_per_step": flops,
        "achieved_flops_per_second": achieved,
        "matmul_peak_flops_per_second": peak,
        "fraction_of_peak": achieved / peak,
    }
