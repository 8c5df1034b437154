# Exercise 1
from mmjax.utils.selfcheck import check


def ex1_final_loss(optimiser, steps=600):
    """The comparison loop of the chapter at full length: mean train MSE of the last 10 steps, and the gradient
    norms seen (before any clipping)."""
    step = make_step(optimiser)
    state = new_train_state(variables, optimiser)
    rng = np.random.default_rng(0)
    losses, norms = [], []
    for _ in range(steps):
        idx = rng.integers(0, len(source), size=config.batch_size)
        state, loss, grads = step(state, {"x": source.x[idx], "y": source.y[idx]})
        losses.append(float(loss))
        norms.append(float(optax.global_norm(grads)))
    return float(np.mean(losses[-10:])), np.array(norms)


final_loss, ex1_norms = ex1_final_loss(optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(1e-1)))
ex1_unclipped, _ = ex1_final_loss(optax.sgd(1e-1))
ex1_sgd, _ = ex1_final_loss(optax.sgd(1e-2))
ex1_adam, _ = ex1_final_loss(optax.adam(1e-2))
print(f"clip + sgd 0.1: {final_loss:.4f}, sgd 0.1: {ex1_unclipped:.4f}, sgd 0.01: {ex1_sgd:.4f}, adam: {ex1_adam:.4f}")
print(f"steps clipped: {(ex1_norms > 1).mean():.2f}, of them in the first 100 steps: {(ex1_norms[:100] > 1).sum()}")
assert check(final_loss, expected=0.028, tol=0.003)
assert check(ex1_unclipped, expected=0.027, tol=0.003, name="without the clip")
assert check(ex1_sgd, expected=0.042, tol=0.006, name="sgd 0.01") and final_loss < 0.8 * ex1_sgd
assert final_loss > 2 * ex1_adam  # still well above Adam
assert 0.15 < (ex1_norms > 1).mean() < 0.35  # the clip acts on about a quarter of the steps ...
assert (ex1_norms[:100] > 1).mean() > 1.5 * (ex1_norms[100:] > 1).mean()  # ... about twice as often early

# Exercise 2
opt_state = optax.adam(1e-2).init(params)
print(jax.tree.map(jnp.shape, opt_state))
ex2_adam_state = opt_state[0]
assert type(ex2_adam_state).__name__ == "ScaleByAdamState" and ex2_adam_state.count.shape == ()
for ex2_moment in (ex2_adam_state.mu, ex2_adam_state.nu):
    assert jax.tree.structure(ex2_moment) == jax.tree.structure(params)
    assert jax.tree.all(jax.tree.map(lambda m, p: m.shape == p.shape, ex2_moment, params))
assert check(sum(x.size for x in jax.tree.leaves(opt_state)), expected=387, tol=0)

# Exercise 3
ex3_step = jax.jit(make_step(adam).__wrapped__, donate_argnums=0)  # make_step with donate_argnums=0
# a state of its own: donating one built on `variables` would delete the chapter's arrays too (they are shared)
ex3_state = new_train_state(jax.tree.map(jnp.copy, variables), adam)
ex3_next, _, _ = ex3_step(ex3_state, check_batch)
try:
    ex3_step(ex3_state, check_batch)  # the same, already donated, state again
    ex3_error = None
except ValueError as error:
    ex3_error = str(error)
print("second call:", ex3_error)
assert ex3_error is not None and "deleted or donated" in ex3_error
ex3_step(ex3_next, check_batch)  # the step's result is what the loop goes on with: fine
