# %% [markdown]
# # Chapter 7.4: `jax.jit`: what compiling costs, and when it happens again
#
# `jax.jit(f)` does three things the first time it sees arguments of a new *shape and dtype*:
#
# 1. **trace**: run `f` in Python on abstract values, recording a `jaxpr` (the program);
# 2. **lower + compile**: hand the program to XLA, which fuses and schedules it for the device;
# 3. **run** the executable. Later calls with the same shapes skip straight to 3.
#
# Steps 1-2 cost seconds for a real train step; step 3 is what a training run repeats thousands of
# times. This page measures both, shows what triggers a recompile, and shows the persistent cache
# that lets a restarted run skip step 2.

# %%
import time

import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.train.compile_cache import disable_compilation_cache, enable_compilation_cache
from mmjax.utils.flops import compiled_flops, median_seconds
from mmjax.utils.chapter import output_dir, quick_mode

QUICK = quick_mode()
OUT = output_dir("07_tools")
DEPTHS = (1, 4, 8) if QUICK else (1, 4, 16, 32)
WIDTH = 64 if QUICK else 256

# %% [markdown]
# ## Tracing records a program
# Python runs once, on tracers; the `print` shows it. The jaxpr is what XLA will compile.

# %%
def layer(x, w):
    print("  tracing layer with x of shape", x.shape)
    return jnp.tanh(x @ w)


fast_layer = jax.jit(layer)
w = jnp.eye(3)
fast_layer(jnp.ones((2, 3)), w)  # traces and compiles
fast_layer(jnp.ones((2, 3)), w)  # cached: no print
fast_layer(jnp.ones((5, 3)), w)  # a new shape: traced and compiled again
print(jax.make_jaxpr(layer)(jnp.ones((2, 3)), w))

# %% [markdown]
# ## Compile time grows with the program, run time with the work
# A deep MLP's train step (forward, backward, SGD) for several depths. `lower` is tracing plus
# conversion to XLA's input language, `compile` is XLA itself; both are paid once per shape.

# %%
def make_train_step(depth):
    def loss(params, x):
        for w in params:
            x = jnp.tanh(x @ w)
        return jnp.mean(x ** 2)

    def step(params, x):
        grads = jax.grad(loss)(params, x)
        return [p - 0.1 * g for p, g in zip(params, grads)]

    return jax.jit(step)


rows = []
x = jax.random.normal(jax.random.key(0), (32, WIDTH))
for depth in DEPTHS:
    params = [jax.random.normal(jax.random.key(d), (WIDTH, WIDTH)) / np.sqrt(WIDTH) for d in range(depth)]
    step = make_train_step(depth)
    t0 = time.perf_counter()
    lowered = step.lower(params, x)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    run = median_seconds(compiled, params, x, repeats=5)
    flops = compiled_flops(step, params, x)
    rows.append((depth, t1 - t0, t2 - t1, run, flops))
    print(f"depth {depth:3d}: lower {t1 - t0:6.3f} s  compile {t2 - t1:6.3f} s  run {run * 1e3:7.3f} ms  "
          f"({flops / 1e6:.1f} MFLOP)  compile = {(t2 - t1) / run:,.0f} runs")

fig, ax = plt.subplots(figsize=(6, 3.5))
depths = [r[0] for r in rows]
ax.plot(depths, [r[1] for r in rows], "o-", label="lower (trace)")
ax.plot(depths, [r[2] for r in rows], "o-", label="compile (XLA)")
ax.plot(depths, [r[3] for r in rows], "o-", label="one run")
ax.set(xlabel="MLP depth", ylabel="seconds", yscale="log", title=f"Cost of jit, width {WIDTH}")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "compile_cost.png", dpi=100)

# %% [markdown]
# ## The persistent compilation cache
# `mmjax train` turns on JAX's on-disk cache by default (`--no-compile-cache` to turn it off). A
# compiled executable is stored under a key made of the program and the compiler options; a new
# process (a resumed run) that compiles the same program loads it instead. We simulate the new
# process by clearing JAX's in-memory caches.

# %%
cache_dir = enable_compilation_cache(OUT / "jax_cache")
params = [jax.random.normal(jax.random.key(d), (WIDTH, WIDTH)) for d in range(DEPTHS[-1])]
t0 = time.perf_counter()
make_train_step(DEPTHS[-1]).lower(params, x).compile()
cold = time.perf_counter() - t0
jax.clear_caches()
t0 = time.perf_counter()
make_train_step(DEPTHS[-1]).lower(params, x).compile()
warm = time.perf_counter() - t0
print(f"compile without cache entry {cold:.3f} s, from the disk cache {warm:.3f} s; "
      f"{len(list(cache_dir.iterdir()))} entries in {cache_dir.name}/")
disable_compilation_cache()

# %% [markdown]
# ## Summary
# * jit = trace + compile once per input shape/dtype (and per value of static arguments), then run.
# * Keep shapes fixed in a training loop (`drop_remainder=True` in the loader, padded token
#   sequences), or every odd-sized batch costs a compilation.
# * `jax.jit(f).lower(...).compile()` separates the costs; `cost_analysis()` gives FLOPs.
# * The persistent cache turns the compile of a restarted run into a file read.
#
# ## Exercises
# 1. Make `layer` take `depth` as an argument and jit it with `static_argnums`. What happens to the
#    number of compilations as you vary `depth`?
# 2. Replace the Python `for` loop over layers with `jax.lax.scan` over stacked weights. How do
#    compile time and run time change with depth now?
