# %% [markdown]
# # Chapter 7.4: `jax.jit`: what compiling costs, and when it happens again
#
# `jax.jit(f)` does three things the first time it sees arguments of a new *shape and dtype*:
#
# 1. **trace**: run `f` in Python on abstract values, recording a `jaxpr` (the program);
# 2. **lower + compile**: hand the program to XLA, which fuses and schedules it for the device;
# 3. **run** the executable. Later calls with the same shapes skip straight to 3.
#
# Steps 1-2 are paid once per input shape, step 3 on every call, thousands of times in a training run.
# This page measures both for the train step of an MLP: on 2 CPU cores, lowering and compiling the
# deepest one (128 layers) takes about half a second to a second, as long as 15 to 30 runs of the compiled
# step (the recorded `compile_seconds_deep` and `compile_in_runs_deep` below; times vary about 2x between
# runs on a shared machine). For the 1-layer step it is as long as several hundred runs. The page also shows
# what triggers a recompile, and the persistent cache that lets a restarted run skip most of step 2.
#
# Prerequisites: chapter 7.1. Run time on 2 CPU cores: about 10 s in quick mode, 20 s in full mode.

# %%
import shutil
import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.train.compile_cache import disable_compilation_cache, enable_compilation_cache
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter
from mmjax.utils.flops import compiled_flops

chapter = Chapter("07_tools/04_jit_compilation")
DEPTHS = (1, 4, 16) if chapter.quick else (1, 4, 16, 64, 128)
WIDTH = 64 if chapter.quick else 256

# %% [markdown]
# ## Tracing records a program
# Python runs once, on tracers; the `print` shows it (and a list counts it). The jaxpr is what XLA will
# compile. Three calls, two shapes: two traces.

# %%
traces = []


def layer(x, w):
    print("  tracing layer with x of shape", x.shape)
    traces.append(x.shape)
    return jnp.tanh(x @ w)


fast_layer = jax.jit(layer)
w = jnp.eye(3)
fast_layer(jnp.ones((2, 3)), w)  # traces and compiles
fast_layer(jnp.ones((2, 3)), w)  # cached: no print
fast_layer(jnp.ones((5, 3)), w)  # a new shape: traced and compiled again
print("traces:", len(traces))
chapter.record("layer_traces", len(traces))
print(jax.make_jaxpr(layer)(jnp.ones((2, 3)), w))

# %% [markdown]
# ## Compile time grows with the program, run time with the work
# A deep MLP's train step (forward, backward, SGD) for several depths: `DEPTHS` = 1, 4, 16 layers of width
# 64 in quick mode, 1 to 128 layers of width 256 in full mode. `lower` is tracing plus conversion to XLA's
# input language, `compile` is XLA itself; both are paid once per shape. Other processes on a shared machine
# can only add time, so each cost is the fastest of several tries (2 lowers and compiles of a fresh step,
# 20 calls of the compiled one): the least disturbed measurement. The FLOPs come from XLA's cost analysis.


# %%
def fastest_run(compiled, *args, tries: int = 20) -> float:
    """Seconds of the fastest of ``tries`` calls of ``compiled(*args)``, after one warm-up call."""
    jax.block_until_ready(compiled(*args))
    times = []
    for _ in range(tries):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - t0)
    return min(times)


def make_train_step(depth):
    def loss(params, x):
        for w in params:
            x = jnp.tanh(x @ w)
        return jnp.mean(x**2)

    def step(params, x):
        grads = jax.grad(loss)(params, x)
        return [p - 0.1 * g for p, g in zip(params, grads)]

    return jax.jit(step)


rows = []
x = jax.random.normal(jax.random.key(0), (32, WIDTH))
make_train_step(1).lower([jnp.eye(WIDTH)], x).compile()  # pay JAX's one-time start-up before measuring
for depth in DEPTHS:
    params = [jax.random.normal(jax.random.key(d), (WIDTH, WIDTH)) / np.sqrt(WIDTH) for d in range(depth)]
    seconds = []
    for _ in range(2):  # a fresh jitted function each time, or its lowering would come from memory
        step = make_train_step(depth)
        t0 = time.perf_counter()
        lowered = step.lower(params, x)
        t1 = time.perf_counter()
        compiled = lowered.compile()
        seconds.append((t1 - t0, time.perf_counter() - t1))
    lower_s, compile_s = min(s[0] for s in seconds), min(s[1] for s in seconds)
    run = fastest_run(compiled, params, x)
    flops = compiled_flops(step, params, x)
    rows.append((depth, lower_s, compile_s, run, flops))
    print(
        f"depth {depth:3d}: lower {lower_s:6.3f} s  compile {compile_s:6.3f} s  run {run * 1e3:7.3f} ms  "
        f"({flops / 1e6:.1f} MFLOP)  lower + compile = {(lower_s + compile_s) / run:,.0f} runs"
    )

shallow, deep = rows[0], rows[-1]
chapter.record("compile_seconds_deep", deep[1] + deep[2])
chapter.record("compile_in_runs_shallow", (shallow[1] + shallow[2]) / shallow[3])
chapter.record("compile_in_runs_deep", (deep[1] + deep[2]) / deep[3])
chapter.record("compile_growth", (deep[1] + deep[2]) / (shallow[1] + shallow[2]))
chapter.record("run_growth", deep[3] / shallow[3])
chapter.record("flops_growth", deep[4] / shallow[4])
print(
    f"from depth {shallow[0]} to {deep[0]}: FLOPs x{deep[4] / shallow[4]:.0f}, run time x{deep[3] / shallow[3]:.0f}, "
    f"lower + compile x{(deep[1] + deep[2]) / (shallow[1] + shallow[2]):.1f}"
)

fig, ax = plt.subplots(figsize=(6.5, 4))
depths = [r[0] for r in rows]
ax.plot(depths, [r[1] for r in rows], "o-", label="lower (trace), once per shape")
ax.plot(depths, [r[2] for r in rows], "o-", label="compile (XLA), once per shape")
ax.plot(depths, [r[3] for r in rows], "o-", label="one run of the compiled step")
ax.set_xscale("log", base=2)
ax.set_xticks(depths, [str(d) for d in depths])
ax.set_yscale("log")
figures.label(
    ax,
    f"Cost of jit for an MLP train step, width {WIDTH}, batch 32",
    "MLP depth (layers)",
    "wall time (s)",
    better="lower",
)
figures.save(fig, chapter.keep("compile_cost.png"))
if chapter.quick:  # three small depths; the full run goes to 128 layers of width 256
    chapter.full_run_figure("compile_cost.png")

# %% [markdown]
# Run time follows the work: in the full run, 128 layers do `flops_growth` = 190 times the FLOPs of one
# layer, and one run takes roughly as many times longer (`run_growth` 190 to 310 in our runs; the 1-layer
# step takes a fraction of a millisecond, where call overhead counts). Compile time grows much more
# slowly, by the `compile_growth` of about 6 to 11: XLA has a fixed cost per program and a small cost per
# operation. So compiling the 1-layer step costs hundreds of its runs (`compile_in_runs_shallow`); the
# 128-layer step only 15 to 30 (`compile_in_runs_deep`). Quick mode's
# tiny steps (at most 16 layers of width 64) show the compile cost but not the growth of the run time;
# the committed full-run figure does.
#
# ## The persistent compilation cache
# `mmjax train` turns on JAX's on-disk cache by default (`--no-compile-cache` to turn it off). A
# compiled executable is stored under a key made of the program and the compiler options; a new
# process (a resumed run) that compiles the same program loads it instead. We simulate the new
# process by clearing JAX's in-memory caches. Tracing and lowering still run (the cache key is made from
# the lowered program); what the cache saves is the XLA compile, timed separately here.

# %%
params = [jax.random.normal(jax.random.key(d), (WIDTH, WIDTH)) for d in range(DEPTHS[-1])]


def lower_then_compile(cold: bool) -> tuple[float, float]:
    """Seconds to lower, then to compile, the deepest step in a "new process" (in-memory caches cleared),
    with an empty disk cache (``cold``) or with the entry the previous compile wrote."""
    if cold:
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir()
    jax.clear_caches()  # forget every compiled program in memory, as a new process would
    t0 = time.perf_counter()
    lowered = make_train_step(DEPTHS[-1]).lower(params, x)
    t1 = time.perf_counter()
    lowered.compile()
    return t1 - t0, time.perf_counter() - t1


cache_dir = enable_compilation_cache(chapter.out / "jax_cache")
cold = min(lower_then_compile(cold=True) for _ in range(2))
warm = min(lower_then_compile(cold=False) for _ in range(2))
entries = len(list(cache_dir.iterdir()))
print(
    f"compile without a cache entry {cold[1]:.3f} s, from the disk cache {warm[1]:.3f} s "
    f"(lowering {cold[0]:.3f} s and {warm[0]:.3f} s); {entries} entries in {cache_dir.name}/"
)
disable_compilation_cache()
chapter.record("cache_speedup", cold[1] / warm[1])
chapter.record("cache_entries", entries)

# %% [markdown]
# In the full run the `cache_speedup` is about 2.4: the XLA compile of the 128-layer step drops from about
# 0.3 s to about 0.12 s, while its lowering (about 0.17 s) is paid either way.

# %% [markdown]
# ## Summary
# * jit = trace + compile once per input shape/dtype (and per value of static arguments), then run.
# * Keep shapes fixed in a training loop (`drop_remainder=True` in the loader, padded token
#   sequences), or every odd-sized batch costs a compilation.
# * `jax.jit(f).lower(...).compile()` separates the costs; `cost_analysis()` gives FLOPs.
# * The persistent cache turns the compile of a restarted run into a file read.
#
# ## Exercises
# 1. Make `layer` take `depth` as a third argument (apply the layer `depth` times in a Python loop) and jit
#    it with `static_argnums=2`. Call it with depths 1, 2, 3, 2, 1 on the same `x` and `w` and count the
#    traces. You should find 3: every new value of a static argument is a new program, a repeated one is
#    cached: `check(len(traces), expected=3, tol=0)` (`from mmjax.utils.selfcheck import check`).
# 2. Replace the Python `for` loop over layers with `jax.lax.scan` over stacked weights `[depth, W, W]`
#    and time `lower(...).compile()` at width 64 for depths 8 and 128, for both versions (about a
#    minute). You should find that the loop's compile time grows about 4 times from 8 to 128 layers while
#    scan's stays nearly flat, because scan compiles its body once (timings vary between runs; compare
#    ratios, not absolute times). The cause shows without a clock: count the lines of HLO each version hands
#    XLA (`step.lower(...).as_text().count("\n")`). The loop's program grows more than 8 times from 8 to
#    128 layers, scan's stays the same: `check(scan_growth, expected=1.0, tol=0.02)`.
#
# ## Expected results
# Times are wall-clock on a shared machine and vary about 2x between runs, so only ratios and loose bands
# are checked, and only in the full run: the quick run (what the tests run, on a loaded machine) prints them.
#
# | figure | full run | quick run |
# |---|---|---|
# | `layer_traces`: traces of `layer` for 3 calls with 2 shapes | 2 ± 0 | 2 ± 0 |
# | `compile_seconds_deep`: lower + compile of the deepest step (s) | 0.2 .. 5 | - (timing) |
# | `compile_in_runs_shallow`: lower + compile of 1 layer, in runs of its step | 100 .. 3000 | - (timing) |
# | `compile_in_runs_deep`: the same for the deepest step | 5 .. 100 | - (timing) |
# | `compile_growth`: lower + compile, deepest / 1 layer | 2 .. 25 | - (timing) |
# | `run_growth`: run time, deepest / 1 layer | 100 .. 500 | - (tiny steps time the call overhead) |
# | `flops_growth`: FLOPs, deepest / 1 layer | 190 ± 1% | 23 ± 1% |
# | `cache_speedup`: XLA compile without / with the disk cache entry | > 1.3 | - (timing) |
# | `cache_entries`: executables in the disk cache | >= 1 | >= 1 |

# %%
chapter.finish()
