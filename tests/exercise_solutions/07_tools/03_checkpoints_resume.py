# Exercise 1
try:
    loop.train(TASK, config, settings("interrupted", seed=1))
    ex1_error = None
except ValueError as error:
    ex1_error = str(error)
print("ValueError:", ex1_error)
assert ex1_error is not None and "was made with a different configuration" in ex1_error
assert "seed: 0 (saved) -> 1 (now)" in ex1_error

# Exercise 2
import time

from mmjax.utils.selfcheck import check


def ex2_run(name, **changes):
    """A fresh run of STEPS steps (the chapter's step count: its compiled step is reused) and its wall time."""
    start = time.perf_counter()
    run = loop.train(TASK, config, settings(name, eval_every=1000, log_every=1000, **changes))
    return run, time.perf_counter() - start


ex2_sync, t_sync = ex2_run("ex2_sync", checkpoint_every=1, async_checkpoints=False)
ex2_async, t_async = ex2_run("ex2_async", checkpoint_every=1)
print(f"{STEPS} steps saving every step: {t_sync:.2f} s sync, {t_async:.2f} s async (printed, not checked)")
ex2_kept = [sorted(p.name for p in (RUNS / n / "checkpoints").iterdir()) for n in ("ex2_sync", "ex2_async")]
print("kept:", ex2_kept)
assert ex2_kept[0] == ex2_kept[1] and ex2_kept[0]
max_difference = max(
    float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    for a, b in zip(jax.tree.leaves(ex2_sync.state), jax.tree.leaves(ex2_async.state), strict=True)
)
assert check(max_difference, expected=0.0, tol=0)

# Exercise 3
loop.train(TASK, config, settings("ex3_every7", steps=15, checkpoint_every=7))
shutil.rmtree(RUNS / "ex3_every7" / "checkpoints" / "15")  # died before saving step 15 ...
(RUNS / "ex3_every7" / "checkpoints" / "15.orbax-checkpoint-tmp").mkdir()  # ... half-way through it
ex3_run_b = loop.train(TASK, config, settings("ex3_every7", checkpoint_every=7))
max_difference = max(
    float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    for a, b in zip(jax.tree.leaves(run_a.state), jax.tree.leaves(ex3_run_b.state), strict=True)
)
assert check(ex3_run_b.resumed_from, expected=14, tol=0)
assert check(max_difference, expected=0.0, tol=0)

# Exercise 4
# The reason, shown on the CPU: float addition is not associative, so the order of a sum (which atomics leave
# to the threads' arrival) changes its last bits, and two runs of one step can differ only by rounding.
ex4_values = np.random.default_rng(0).normal(size=100_000).astype(np.float32)
ex4_orders = [np.random.default_rng(seed).permutation(ex4_values.size) for seed in range(8)]
ex4_sums = np.array([np.cumsum(ex4_values[order], dtype=np.float32)[-1] for order in ex4_orders])  # one by one
print("the same numbers summed in 8 orders:", ex4_sums)
ex4_a, ex4_b, ex4_c = np.float32(1e8), np.float32(-1e8), np.float32(1.0)
assert (ex4_a + ex4_b) + ex4_c == 1.0 and ex4_a + (ex4_b + ex4_c) == 0.0  # (a + b) + c != a + (b + c)
assert len(set(ex4_sums.tolist())) > 1  # not bit-identical ...
assert np.allclose(ex4_sums, ex4_values.astype(np.float64).sum(), rtol=0, atol=0.01)  # ... but equal to a tolerance
