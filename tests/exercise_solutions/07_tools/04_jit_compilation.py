# Exercise 1
from mmjax.utils.selfcheck import check

traces = []


def ex1_layer(x, w, depth):
    traces.append((x.shape, depth))
    for _ in range(depth):
        x = jnp.tanh(x @ w)
    return x


ex1_fast = jax.jit(ex1_layer, static_argnums=2)
ex1_x = jnp.ones((2, 3))
for ex1_depth in (1, 2, 3, 2, 1):
    ex1_fast(ex1_x, w, ex1_depth)
print("traces:", traces)
assert check(len(traces), expected=3, tol=0)
assert np.allclose(ex1_fast(ex1_x, w, 3), ex1_layer(ex1_x, w, 3))


# Exercise 2
def ex2_scan_step():
    """The train step of make_train_step with the layers as one stacked array [depth, W, W], looped by scan."""

    def loss(stacked, x):
        h, _ = jax.lax.scan(lambda h, w: (jnp.tanh(h @ w), None), x, stacked)
        return jnp.mean(h**2)

    def step(stacked, x):
        return stacked - 0.1 * jax.grad(loss)(stacked, x)

    return jax.jit(step)


def ex2_compile_seconds(make, args, tries=2):
    """lower + compile of a fresh jitted step, the fastest of `tries` (the chapter turned the disk cache off)."""
    best = np.inf
    for _ in range(tries):
        fresh = make()
        start = time.perf_counter()
        fresh.lower(*args).compile()
        best = min(best, time.perf_counter() - start)
    return best


ex2_x = jax.random.normal(jax.random.key(0), (32, 64))
ex2 = {}
for ex2_depth in (8, 128):
    ex2_stacked = jax.random.normal(jax.random.key(1), (ex2_depth, 64, 64)) / 8
    if ex2_depth == 8:  # the two versions compute the same step
        ex2_by_loop = make_train_step(ex2_depth)(list(ex2_stacked), ex2_x)
        assert np.allclose(np.stack(ex2_by_loop), ex2_scan_step()(ex2_stacked, ex2_x), atol=1e-5)
    ex2["loop", ex2_depth] = ex2_compile_seconds(lambda d=ex2_depth: make_train_step(d), (list(ex2_stacked), ex2_x))
    ex2["scan", ex2_depth] = ex2_compile_seconds(ex2_scan_step, (ex2_stacked, ex2_x))
    # The program XLA is handed, in lines of HLO: what compile time follows, without the machine's noise.
    ex2["loop lines", ex2_depth] = make_train_step(ex2_depth).lower(list(ex2_stacked), ex2_x).as_text().count("\n")
    ex2["scan lines", ex2_depth] = ex2_scan_step().lower(ex2_stacked, ex2_x).as_text().count("\n")
loop_128, loop_8, scan_128, scan_8 = ex2["loop", 128], ex2["loop", 8], ex2["scan", 128], ex2["scan", 8]
print(
    f"lower + compile: loop {loop_8:.2f} -> {loop_128:.2f} s, scan {scan_8:.2f} -> {scan_128:.2f} s (8 -> 128 layers)"
)
ex2_loop_growth = ex2["loop lines", 128] / ex2["loop lines", 8]
ex2_scan_growth = ex2["scan lines", 128] / ex2["scan lines", 8]
print(f"HLO lines from 8 to 128 layers: loop x{ex2_loop_growth:.1f}, scan x{ex2_scan_growth:.2f}")
assert ex2_loop_growth > 8  # the unrolled program grows with depth ...
assert check(ex2_scan_growth, expected=1.0, tol=0.02)  # ... scan's body is written once
