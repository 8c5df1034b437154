# %% [markdown]
# # Chapter 3.1: the GAN algorithm as a loop you can read
#
# Section 3.1 describes training a GAN in four steps:
# 1. **initialise** a generator G and a discriminator D;
# 2. for each batch, **G generates** samples $G(z)$ from noise $z \sim N(0, I)$;
# 3. **D classifies** real samples $x$ against generated ones;
# 4. **adversarial update**: D takes a step to classify better, then G takes a step to fool the new D.
#
# Below we write one round of steps 2-4 by hand, check that it is exactly the library's two-player step
# (`mmjax.gan.two_player.train_step`), and train on the 2-D ring of 8 Gaussians (the PacGAN benchmark,
# `mmjax.gan.gan2d.data`), plotting the cloud of generated samples as training goes.

# %%
import dataclasses

import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

from mmjax.gan.gan2d import data as mixtures
from mmjax.gan.gan2d import step as gan2d
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.nn import functional as F
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("03_algorithms")
QUICK = quick_mode()
num_steps = 300 if QUICK else 20_000
config = Gan2dConfig(mixture="ring")
if QUICK:
    config = dataclasses.replace(config, g_width=32, d_width=16, num_train_examples=10_000)
ring = mixtures.get_mixture("ring")
points = jnp.asarray(mixtures.make_source(config, "train").points)  # the fixed training set, [N, 2]
spec = gan2d.spec(config)  # static: the graphs of G and D, the loss choice
optimizers = gan2d.make_optimizer(config, num_steps)  # Adam per player, step size annealed over the run

# %% [markdown]
# ## One round, by hand
# With D's logit $s$ ($D = \sigma(s)$, so $\log D = -\mathrm{softplus}(-s)$ and
# $\log(1 - D) = -\mathrm{softplus}(s)$), D minimises the cross-entropy of real against generated
# samples and G the non-saturating loss:
#
# $$L_D = -\mathbb{E}_x[\log D(x)] - \mathbb{E}_z[\log(1 - D(G(z)))]
#       = \mathbb{E}[\mathrm{softplus}(-s(x))] + \mathbb{E}[\mathrm{softplus}(s(G(z)))],$$
#
# $$L_G = -\mathbb{E}_z[\log D(G(z))] = \mathbb{E}[\mathrm{softplus}(-s(G(z)))].$$
#
# Each player is a train state `{"params", "state", "opt_state", "step"}`; `F.call(graph, variables, x)`
# runs a module as a pure function and an Adam step is `optimizer.update` then `optax.apply_updates`.

# %%
def d_loss(d_params, state, real, key):
    z = jax.random.normal(key, (real.shape[0], config.latent_dim))  # [N, 2]
    fake = jax.lax.stop_gradient(F.call(spec.generator, state["generator"], z)[0])  # step 2: G(z); G is fixed
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    s_real, s_fake = jnp.split(F.call(spec.discriminator, d_vars, jnp.concatenate([real, fake]))[0], 2)  # step 3
    return jnp.mean(jax.nn.softplus(-s_real)) + jnp.mean(jax.nn.softplus(s_fake))


def adam_step(player, grads, optimizer):
    updates, opt_state = optimizer.update(grads, player["opt_state"], player["params"])
    return {**player, "params": optax.apply_updates(player["params"], updates), "opt_state": opt_state,
            "step": player["step"] + 1}


def one_round(state, real, key):
    key_d, key_g = jax.random.split(key)
    key_z = jax.random.split(key_d)[0]  # (the library keeps the other half for gradient penalties)
    d = adam_step(state["discriminator"], jax.grad(d_loss)(state["discriminator"]["params"], state, real, key_z),
                  optimizers["discriminator"])  # step 4a: D descends L_D

    def g_loss(g_params):
        z = jax.random.normal(key_g, (real.shape[0], config.latent_dim))  # fresh noise
        fake = F.call(spec.generator, {**state["generator"], "params": g_params}, z)[0]
        return jnp.mean(jax.nn.softplus(-F.call(spec.discriminator, d, fake)[0]))  # against the new D

    g = adam_step(state["generator"], jax.grad(g_loss)(state["generator"]["params"]), optimizers["generator"])
    return {"generator": g, "discriminator": d}  # step 4b: G descended L_G


# %% [markdown]
# The library's step does the same (plus packing, penalties and other losses, which this config leaves off).
# Same state, batch and key in; the same numbers must come out.

# %%
state = gan2d.init(config, jax.random.key(0), optimizers)  # step 1: initialise G and D
real = points[: config.batch_size]  # [100, 2]
by_hand = jax.jit(one_round)(state, real, jax.random.key(3))
library_step = jax.jit(lambda s, x, k: gan2d.train_step(s, {"x": x}, k, config, optimizers))
library, _ = library_step(state, real, jax.random.key(3))
jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), by_hand, library)
print("one round by hand == mmjax.gan.two_player.train_step")

# %% [markdown]
# ## The loop
# Now round after round on fresh batches. We train with the library's step, which also reports D's and G's
# losses and D's mean verdicts on real (`d_real`) and generated (`d_fake`) samples.
# (`mmjax train gan2d` runs the same step through the shared loop, with checkpoints and logs.)

# %%
train_step = jax.jit(lambda s, x, k: gan2d.train_step(s, {"x": x}, k, config, optimizers), donate_argnums=0)
snapshots, history = {}, []
plot_at = [num_steps // 5 * k for k in range(1, 6)] if QUICK else [250, 500, 1000, 2000, 5000, 20_000]
for step in range(1, num_steps + 1):
    key_batch, key_step = jax.random.split(jax.random.fold_in(jax.random.key(1), step))
    real = points[jax.random.randint(key_batch, (config.batch_size,), 0, points.shape[0])]  # [100, 2]
    state, metrics = train_step(state, real, key_step)
    history.append({k: float(v) for k, v in metrics.items()})
    if step in plot_at:
        snapshots[step] = np.asarray(gan2d.generate(config, state, jax.random.key(2), 2500))

# %%
fig, axes = plt.subplots(1, len(snapshots), figsize=(3 * len(snapshots), 3))
for ax, (step, cloud) in zip(axes, snapshots.items()):
    ax.scatter(cloud[:, 0], cloud[:, 1], s=1, alpha=0.3)
    ax.scatter(ring.means[:, 0], ring.means[:, 1], s=10, c="red")
    ax.set_xlim(-1.6, 1.6), ax.set_ylim(-1.6, 1.6), ax.set_aspect("equal")
    coverage = mixtures.mode_coverage(cloud, ring.means, ring.std)
    modes, quality = int(coverage["modes"]), 100 * float(coverage["high_quality"])
    ax.set_title(f"step {step}: {modes}/8 modes, {quality:.0f}% HQ", fontsize=8)
fig.savefig(OUT / "gan_ring_sample_clouds.png", dpi=100, bbox_inches="tight")

fig, ax = plt.subplots(figsize=(6, 3))
for name in ("d_loss", "g_loss", "d_real", "d_fake"):
    ax.plot([h[name] for h in history], label=name, lw=0.8)
ax.axhline(np.log(4), ls=":", c="k", lw=0.8)  # D's loss at the equilibrium D = 1/2: log 4
ax.set_xlabel("step")
ax.legend(fontsize=8)
fig.savefig(OUT / "gan_ring_losses.png", dpi=100, bbox_inches="tight")
print({k: round(v, 3) for k, v in history[-1].items()})

# %% [markdown]
# Reading the curves: at the game's equilibrium D outputs 1/2 everywhere, so its loss is $\log 4 \approx 1.386$
# (dotted line) and `d_real` = `d_fake` = 0.5. GAN losses do not decrease monotonically like a supervised loss;
# the sample clouds and the mode-coverage counts are the real progress report.
#
# ## Summary
# * One GAN iteration = a D step on real vs generated samples, then a G step against the updated D: about a
#   dozen lines, equal to `mmjax.gan.two_player.train_step` (checked above).
# * Everything is a pure function of (state, batch, key): jit it, scan it, vmap it over seeds
#   (`mmjax.gan.gan2d.step.train_and_evaluate_seeds` trains 10 seeds at once for the PacGAN benchmark).
# * Progress is measured on samples (modes captured, % high-quality), not on the losses.
#
# ## Exercises
# 1. Set `d_steps=5` in the config (five D steps per G step). What happens to `d_fake` and to coverage?
# 2. Train with `pack=2` (PacGAN2): D judges pairs of samples. Compare mode coverage on `mixture="grid"`.
# 3. Switch to `loss="minimax"` (the saturating generator loss). Plot `g_loss` early in training and explain.
# 4. Change `one_round` to the hinge loss and check it against the library with `loss="hinge"`.
