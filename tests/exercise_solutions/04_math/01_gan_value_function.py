# Exercise 1
from mmjax.utils.selfcheck import check


def ex1_criterion(weight: float) -> float:
    """C(G) = V(D*, G) for p_g = (1 - weight) N(0, 1) + weight N(3, 1) against p_data = N(0, 1)."""
    p_mix = (1 - weight) * normal_pdf(xs, 0.0, 1.0) + weight * normal_pdf(xs, 3.0, 1.0)
    return value(p_data / (p_data + p_mix), p_data, p_mix)


c_mix = ex1_criterion(0.5)
assert check(c_mix, expected=-1.0686, tol=1e-3, name="c_mix")
assert c_mix > -np.log(4)
ex1_curve = {w: ex1_criterion(w) for w in np.linspace(0, 1, 11)}
print({round(float(w), 1): round(c, 4) for w, c in ex1_curve.items()})
assert [w for w, c in ex1_curve.items() if abs(c + np.log(4)) < 1e-4] == [0.0]  # -log 4 only at weight 0
assert all(b > a for a, b in zip(list(ex1_curve.values()), list(ex1_curve.values())[1:]))  # and it only grows

# Exercise 2
# The exercise reads G's mean after 200 of 4000 steps. Those first 200 steps of `train_1d(name, 4000, shift=5.0)`
# are run here as train_1d runs them (the same keys, the step sizes annealed over 4000 steps), then stopped.


def ex2_mean_after(loss_name: str, steps: int = 4000, stop: int = 200, seed: int = 0, shift: float = 5.0) -> float:
    key_g, key_d, key_train = jax.random.split(jax.random.key(seed), 3)
    g_graph, g_vars = F.split(MLPGenerator(1, 32, 2, rngs=nnx.Rngs(key_g), out_dim=1))
    g_vars["params"]["out"]["bias"] = g_vars["params"]["out"]["bias"] + shift
    d_graph, d_vars = F.split(MLPDiscriminator(1, 32, 2, 3, rngs=nnx.Rngs(key_d)))
    spec = two_player.GANSpec(g_graph, d_graph, latent_dim=1, loss=loss_name)
    optimizers = {
        name: optax.adam(optax.cosine_decay_schedule(rate, steps), b1=0.5)
        for name, rate in (("generator", 2e-4), ("discriminator", 2e-3))
    }
    state = {
        name: new_train_state(v, optimizers[name]) for name, v in (("generator", g_vars), ("discriminator", d_vars))
    }
    step = jax.jit(functools.partial(two_player.train_step, spec, optimizers=optimizers), donate_argnums=0)
    for i in range(stop):
        key_batch, key_step = jax.random.split(jax.random.fold_in(key_train, i))
        state, _ = step(state, {"x": 2.0 + 0.5 * jax.random.normal(key_batch, (256, 1))}, key_step)
    return float(np.asarray(two_player.generate(spec, state["generator"], jax.random.key(99), 5000)).mean())


ex2_means = {name: ex2_mean_after(name) for name in ("non_saturating", "minimax")}
print("G's mean after 200 of 4000 steps, started near 5:", ex2_means)
assert check(ex2_means["non_saturating"], expected=3.1, tol=0.3, name="non-saturating G's mean")
assert check(ex2_means["minimax"], expected=3.65, tol=0.2, name="minimax G's mean")

# Exercise 3
ex3_best_d = (p_data > p_g).astype(jnp.float32)  # 1 where the data is denser, 0 elsewhere


def ex3_objective(d) -> float:
    """E_{p_data}[D(x)] - E_{p_g}[D(x)]: the source text's objective with the sign fixed, no logarithms."""
    return integrate(p_data * d) - integrate(p_g * d)


ex3_tv = 0.5 * integrate(jnp.abs(p_data - p_g))
assert check(ex3_tv, expected=0.6317, tol=1e-3, name="total variation")
assert abs(ex3_objective(ex3_best_d) - ex3_tv) < 1e-3  # the indicator attains the total variation
ex3_others = {
    "D*": ex3_objective(d_star),
    "trained D": ex3_objective(trained_d),
    "1/2 everywhere": ex3_objective(jnp.full_like(xs, 0.5)),
    "random in [0, 1]": ex3_objective(jax.random.uniform(jax.random.key(0), xs.shape)),
}
print(f"TV = {ex3_tv:.4f}; other discriminators reach", {k: round(v, 4) for k, v in ex3_others.items()})
assert all(v < ex3_tv - 1e-3 for v in ex3_others.values())
ex3_slope = np.abs(np.diff(np.asarray(ex3_best_d)))
assert (ex3_slope > 0).sum() <= 2  # a step function: flat (no gradient for G) except at its jumps
