# %% [markdown]
# # Chapter 3.1: the GAN algorithm as a loop you can read
#
# Section 3.1 describes training a GAN in four steps:
# 1. **initialise** a generator G and a discriminator D;
# 2. for each batch, **G generates** samples $G(z)$ from noise $z \sim N(0, I)$;
# 3. **D classifies** real samples $x$ against generated ones;
# 4. **adversarial update**: D takes a step to classify better, then G takes a step to fool the new D.
#
# Below, each step is one line calling `mmjax.gan.train_step`, on the 2-D ring of 8 Gaussians
# (the PacGAN benchmark, `mmjax.gan.mixtures`). We plot the cloud of generated samples as training goes.

# %%
import dataclasses

import matplotlib

matplotlib.use("Agg")
import jax
import matplotlib.pyplot as plt
import numpy as np

from mmjax.gan import gan2d, mixtures
from mmjax.gan.config import Gan2dConfig
from mmjax.gan.train_step import discriminator_update, generate, generator_update
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("03_algorithms")
QUICK = quick_mode()
config = Gan2dConfig(mixture="ring", num_steps=300 if QUICK else 20_000)
if QUICK:
    config = dataclasses.replace(config, g_width=32, d_width=16, num_train_samples=10_000)
ring = mixtures.get_mixture("ring")
points = gan2d.training_points(config)  # the fixed training set, [100000, 2]
spec = gan2d.build_spec(config)  # static: graphs of G and D, optimisers, losses

# %% [markdown]
# ## The loop
# `discriminator_update` computes D's loss $-E[\log D(x)] - E[\log(1 - D(G(z)))]$ on a real batch and
# fresh fakes and takes one Adam step; `generator_update` draws new $z$ and takes one Adam step on the
# non-saturating loss $-E[\log D(G(z))]$ with D held fixed. Both are pure functions of (state, batch, key).

# %%
state = gan2d.init(config, jax.random.key(0))  # step 1: initialise G and D


@jax.jit
def one_round(state, key):
    key_batch, key_d, key_g = jax.random.split(key, 3)
    real = points[jax.random.randint(key_batch, (config.batch_size,), 0, points.shape[0])]
    # steps 2 and 3 happen inside: G generates G(z), D scores real and generated samples
    state, d_metrics = discriminator_update(spec, state, real, None, key_d)  # step 4a: D's move
    state, g_metrics = generator_update(spec, state, config.batch_size, None, key_g)  # step 4b: G's move
    return state, {**d_metrics, **g_metrics}


snapshots, history = {}, []
plot_at = [config.num_steps // 5 * k for k in range(1, 6)] if QUICK else [250, 500, 1000, 2000, 5000, 20_000]
for step in range(1, config.num_steps + 1):
    state, metrics = one_round(state, jax.random.fold_in(jax.random.key(1), step))
    history.append({k: float(v) for k, v in metrics.items()})
    if step in plot_at:
        snapshots[step] = np.asarray(generate(spec, state["generator"], jax.random.key(2), 2500))

# %%
fig, axes = plt.subplots(1, len(snapshots), figsize=(3 * len(snapshots), 3))
for ax, (step, cloud) in zip(axes, snapshots.items()):
    ax.scatter(cloud[:, 0], cloud[:, 1], s=1, alpha=0.3)
    ax.scatter(ring.means[:, 0], ring.means[:, 1], s=10, c="red")
    ax.set_xlim(-1.6, 1.6), ax.set_ylim(-1.6, 1.6), ax.set_aspect("equal")
    coverage = mixtures.mode_coverage(cloud, ring.means, ring.std)
    ax.set_title(f"step {step}: {int(coverage['modes'])}/8 modes, {100 * float(coverage['high_quality']):.0f}% HQ", fontsize=8)
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
# * One GAN iteration = a D step on real vs generated samples, then a G step against the updated D.
# * Everything is a pure function of (state, batch, key): jit it, scan it, vmap it over seeds
#   (`mmjax.gan.gan2d.train_and_evaluate_seeds` trains 10 seeds at once for the PacGAN benchmark).
# * Progress is measured on samples (modes captured, % high-quality), not on the losses.
#
# ## Exercises
# 1. Set `d_steps=5` in the config (five D steps per G step). What happens to `d_fake` and to coverage?
# 2. Train with `pack=2` (PacGAN2): D judges pairs of samples. Compare mode coverage on `mixture="grid"`.
# 3. Switch to `loss="minimax"` (the saturating generator loss). Plot `g_loss` early in training and explain.
