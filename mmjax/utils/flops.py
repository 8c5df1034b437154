"""FLOPs and FLOP/s, measured the same way for every benchmark.

* ``compiled_flops`` asks XLA's cost analysis of the compiled program how many floating point operations
  one call performs (a matmul of [m, k] x [k, n] counts 2 m k n).
* ``matmul_peak_flops`` measures, on this machine and in this process, the FLOP/s of a large square
  matmul: the practical ceiling that a model's achieved FLOP/s is compared with.
* ``median_seconds`` times a jitted call with ``block_until_ready`` after a warm-up call, and reports the
  median, which is robust to the noise of shared machines.
* ``stable_peak`` is the peak to divide by: a larger matmul, best of several trials, with the spread of the
  trials kept so that a reader sees how much the machine itself moved.
* ``profile_step`` gathers, for one jitted call, everything a benchmark prints: compile time, XLA FLOPs and
  bytes, the compiled program's memory, and the median step time after warm-up.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def call_seconds(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of each of ``repeats`` calls ``fn(*args)`` after ``warmup`` untimed ones, each
    waiting for every output to be computed."""
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return times


def median_seconds(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn(*args)``, robust to the noise of shared machines."""
    return statistics.median(call_seconds(fn, *args, repeats=repeats, warmup=warmup))


def cost_analysis(compiled: Any) -> dict[str, float]:
    """XLA's cost analysis of a compiled program as one dict (older JAX returns one per device program)."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)):
        analysis = analysis[0]
    if not analysis or "flops" not in analysis:
        raise RuntimeError("XLA's cost analysis reported no 'flops' for this program")
    return dict(analysis)


def compiled_flops(jitted_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """FLOPs of one call of ``jitted_fn(*args, **kwargs)`` from XLA's cost analysis of the compiled program."""
    return float(cost_analysis(jitted_fn.lower(*args, **kwargs).compile())["flops"])


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


def stable_peak(size: int = 2048, trials: int = 5, dtype: Any = jnp.float32) -> dict[str, float]:
    """The matmul peak as the best of ``trials`` medians, and their spread (max / min) to show the noise.

    A 1024^2 matmul takes a few milliseconds on a CPU, so one slow scheduler tick moves its median by 2x;
    a 2048^2 one does 8x the work per call and its best trial is what the machine can do when left alone.
    """
    runs = [matmul_peak_flops(size, dtype, repeats=3) for _ in range(trials)]
    return {
        "flops_per_second": max(runs),
        "median_flops_per_second": statistics.median(runs),
        "spread": max(runs) / min(runs),
        "size": size,
        "trials": trials,
    }


def memory_bytes(compiled: Any) -> int | None:
    """Bytes the compiled program holds at once: arguments + outputs + temporaries - donated (aliased) inputs.

    This is XLA's own plan, the same on every backend; None where the backend reports no plan.
    """
    stats = compiled.memory_analysis()
    if stats is None:
        return None
    total = stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes
    return int(total - stats.alias_size_in_bytes)


def profile_step(jitted_fn: Callable[..., Any], *args: Any, repeats: int = 10, warmup: int = 2) -> dict[str, float]:
    """Compile ``jitted_fn`` for ``args`` (timed), then time ``repeats`` calls after ``warmup`` ones.

    Returns compile seconds, XLA FLOPs and bytes accessed per call, the program's memory, and the median,
    fastest and slowest call. The compiled executable is called directly, so no call pays for tracing.
    """
    start = time.perf_counter()
    compiled = jitted_fn.lower(*args).compile()
    compile_seconds = time.perf_counter() - start
    analysis = cost_analysis(compiled)
    times = call_seconds(compiled, *args, repeats=repeats, warmup=warmup)
    return {
        "compile_seconds": compile_seconds,
        "flops": float(analysis["flops"]),
        "bytes_accessed": float(analysis.get("bytes accessed", 0.0)),
        "memory_bytes": memory_bytes(compiled),
        "seconds": statistics.median(times),
        "fastest_seconds": min(times),
        "slowest_seconds": max(times),
    }
