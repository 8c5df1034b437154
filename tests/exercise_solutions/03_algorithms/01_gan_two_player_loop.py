# Exercise 1
# Five thousand steps take minutes; the first 200 of the same run (the same config, keys and schedule over
# 5000 steps, as `train_ring(..., 5000)` would take them) already show who wins, so that is what runs here.
from mmjax.utils.selfcheck import check


def ex_first_steps(config, num_steps: int = 5000, first: int = 200) -> list[dict]:
    """Metrics of the first ``first`` steps of ``train_ring(config, num_steps)`` (identical batches and keys)."""
    optimizers = gan2d.make_optimizer(config, num_steps)
    state = gan2d.init(config, jax.random.key(0), optimizers)
    points = jnp.asarray(mixtures.make_source(config, "train").points)

    def body(state, step):
        key_batch, key_step = jax.random.split(jax.random.fold_in(jax.random.key(1), step))
        real = points[jax.random.randint(key_batch, (config.batch_size * config.pack,), 0, points.shape[0])]
        return gan2d.train_step(state, {"x": real}, key_step, config, optimizers)

    metrics = jax.jit(lambda s: jax.lax.scan(body, s, jnp.arange(1, first + 1))[1])(state)
    return [{k: float(v[i]) for k, v in metrics.items()} for i in range(first)]


ex1_config = Gan2dConfig(mixture="ring")  # full mode's config
ex1_default = ex_first_steps(ex1_config)
ex1_five = ex_first_steps(dataclasses.replace(ex1_config, d_steps=5))
ex1_verdicts = {
    name: {k: np.mean([h[k] for h in run]) for k in ("d_real", "d_fake")}
    for name, run in (("d_steps=1", ex1_default), ("d_steps=5", ex1_five))
}
print("D's mean verdicts over the first 200 of 5000 steps:", ex1_verdicts)
assert check(ex1_verdicts["d_steps=5"]["d_fake"], expected=0.31, tol=0.04, name="d_fake, 5 D steps")
assert ex1_verdicts["d_steps=5"]["d_fake"] < ex1_verdicts["d_steps=1"]["d_fake"] - 0.1  # D wins clearly
assert ex1_verdicts["d_steps=5"]["d_real"] > ex1_verdicts["d_steps=1"]["d_real"] + 0.1

# Exercise 2
# The 5000-step PacGAN runs take minutes (they were run once: 14.75 and 21.75 modes); the check without G runs here.
from mmjax.gan import losses, two_player

ex2_grid = mixtures.get_mixture("grid")
ex2_points = np.asarray(mixtures.make_source(Gan2dConfig(mixture="grid"), "train").points)
ex2_nearest = np.argmin(((ex2_points[:, None] - ex2_grid.means[None]) ** 2).sum(-1), axis=1)
ex2_real, ex2_collapsed = jnp.asarray(ex2_points), jnp.asarray(ex2_points[ex2_nearest < 17])  # 17 of 25 modes


def ex2_best_loss(m: int) -> tuple[float, float]:
    """log 4 - 2 JSD(P^m || Q^m) and TV(P^m, Q^m) over m-tuples of modes (P: 25 equal modes, Q: the first 17)."""
    p, q = np.full(25, 1 / 25), np.r_[np.full(17, 1 / 17), np.zeros(8)]
    big_p, big_q = p, q
    for _ in range(m - 1):
        big_p, big_q = np.outer(big_p, p).ravel(), np.outer(big_q, q).ravel()
    mid = (big_p + big_q) / 2

    def kl(a, b):
        return float(np.sum(a[a > 0] * np.log(a[a > 0] / b[a > 0])))

    return np.log(4) - (kl(big_p, mid) + kl(big_q, mid)), 0.5 * float(np.abs(big_p - big_q).sum())


def ex2_train_d(m: int, num_steps: int = 1000) -> np.ndarray:
    """D alone, real grid points against the collapsed ones, 100 packs of each per step: its loss per step."""
    pac_config = Gan2dConfig(mixture="grid", pack=m)
    pac_spec = gan2d.spec(pac_config)
    d = gan2d.init(pac_config, jax.random.key(0), gan2d.make_optimizer(pac_config, num_steps))["discriminator"]
    adam = optax.adam(1e-3, b1=0.5)

    def loss_fn(params, key):
        key_real, key_fake = jax.random.split(key)
        real = ex2_real[jax.random.randint(key_real, (100 * m,), 0, ex2_real.shape[0])]
        fake = ex2_collapsed[jax.random.randint(key_fake, (100 * m,), 0, ex2_collapsed.shape[0])]
        d_vars = {"params": params, "state": d["state"]}
        s_real = F.call(pac_spec.discriminator, d_vars, two_player.pack(real, m))[0]
        s_fake = F.call(pac_spec.discriminator, d_vars, two_player.pack(fake, m))[0]
        return losses.minimax_discriminator_loss(s_real, s_fake)

    def body(carry, i):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, jax.random.key(i))
        updates, opt_state = adam.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    run = jax.jit(lambda params: jax.lax.scan(body, (params, adam.init(params)), jnp.arange(num_steps))[1])
    return np.asarray(run(d["params"]))


ex2_best = {m: ex2_best_loss(m) for m in (1, 2)}
assert abs(ex2_best[1][0] - 1.134) < 1e-3 and abs(ex2_best[2][0] - 0.912) < 1e-3
assert abs(ex2_best[1][1] - 0.32) < 1e-9 and abs(ex2_best[2][1] - 0.5376) < 1e-9
loss_1, loss_2 = (float(ex2_train_d(m)[-100:].mean()) for m in (1, 2))
print(f"D's loss against a G on 17 of 25 modes: {loss_1:.3f} alone (best {ex2_best[1][0]:.3f}), "
      f"{loss_2:.3f} in pairs (best {ex2_best[2][0]:.3f})")  # fmt: skip
assert check(loss_1, expected=1.17, tol=0.05, name="loss_1")
assert check(loss_2, expected=0.97, tol=0.06, name="loss_2")
assert ex2_best[1][0] < loss_1 + 1e-3 and ex2_best[2][0] < loss_2 + 1e-3  # no D beats the best one

# Exercise 3
# As in exercise 1, the first 200 of the 5000 steps: there the claims about d_fake and the start of g_loss live.
ex3_minimax = ex_first_steps(dataclasses.replace(ex1_config, loss="minimax"))
ex3_g_loss = np.array([h["g_loss"] for h in ex3_minimax])
print(f"saturating g_loss over the first 200 steps: mean {ex3_g_loss.mean():.3f}, max {ex3_g_loss.max():.3f}")
assert (ex3_g_loss < 0).all()
assert check(ex3_g_loss.mean(), expected=-np.log(2), tol=0.1, name="g_loss, mean of the first 200 steps")
ex3_d_fake = np.mean([h["d_fake"] for h in ex3_minimax])
assert check(ex3_d_fake, expected=0.48, tol=0.02, name="d_fake over the first 200 steps")

# Exercise 4
config = dataclasses.replace(config, loss="hinge")
spec, optimizers = gan2d.spec(config), gan2d.make_optimizer(config, num_steps)
state = gan2d.init(config, jax.random.key(0), optimizers)
real = points[: config.batch_size]
library_step = jax.jit(lambda s, x, k: gan2d.train_step(s, {"x": x}, k, config, optimizers))
library, _ = library_step(state, real, jax.random.key(3))


def ex4_matches(by_hand) -> bool:
    try:
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), by_hand, library)
    except AssertionError:
        return False
    return True


assert not ex4_matches(jax.jit(one_round)(state, real, jax.random.key(3))), "softplus losses should not match hinge"


def d_loss(d_params, state, real, key):
    z = jax.random.normal(key, (real.shape[0], config.latent_dim))
    fake = jax.lax.stop_gradient(F.call(spec.generator, state["generator"], z)[0])
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    s_real, s_fake = jnp.split(F.call(spec.discriminator, d_vars, jnp.concatenate([real, fake]))[0], 2)
    return jnp.mean(jax.nn.relu(1 - s_real)) + jnp.mean(jax.nn.relu(1 + s_fake))  # hinge


def one_round(state, real, key):
    key_d, key_g = jax.random.split(key)
    key_z = jax.random.split(key_d)[0]
    d = adam_step(
        state["discriminator"],
        jax.grad(d_loss)(state["discriminator"]["params"], state, real, key_z),
        optimizers["discriminator"],
    )

    def g_loss(g_params):
        z = jax.random.normal(key_g, (real.shape[0], config.latent_dim))
        fake = F.call(spec.generator, {**state["generator"], "params": g_params}, z)[0]
        return -jnp.mean(F.call(spec.discriminator, d, fake)[0])  # hinge: -E[s(G(z))]

    g = adam_step(state["generator"], jax.grad(g_loss)(state["generator"]["params"]), optimizers["generator"])
    return {"generator": g, "discriminator": d}


assert ex4_matches(jax.jit(one_round)(state, real, jax.random.key(3)))
print("hinge round by hand == mmjax.gan.two_player.train_step with loss='hinge'")
