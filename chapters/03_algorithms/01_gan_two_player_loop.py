# %% [markdown]
# # Chapter 3.1: the GAN algorithm as a loop you can read
#
# The source text of this book, the tutorial "多模态生成(Multimodal Generation) - 原理与代码实例讲解"
# (sections 1-9), describes in its section 3.1 (the GAN algorithm) training a GAN in four steps:
# 1. **initialise** a generator G and a discriminator D;
# 2. for each batch, **G generates** samples $G(z)$ from noise $z \sim N(0, I)$;
# 3. **D classifies** real samples $x$ against generated ones;
# 4. **adversarial update**: D takes a step to classify better, then G takes a step to fool the new D.
#
# Below we write one round of steps 2-4 by hand, check that it is exactly the library's two-player step
# (`mmjax.gan.two_player.train_step`), and train on the 2-D ring of 8 Gaussians (the PacGAN benchmark,
# `mmjax.gan.gan2d.data`), plotting the cloud of generated samples as training goes. The objective itself,
# and what the source text's section 4.1 gets wrong about it, is chapter 4.1.
#
# Prerequisites: chapter 7.1 (`F.split`/`F.call`, Optax train states) and `jax.jit` (chapter 7.4). Run time on
# 2 CPU cores: about 15 s in quick mode (300 steps, smaller nets) and about 2 minutes in full mode (20,000
# steps); about 1 and 3.5 minutes when other jobs share the cores.

# %%
import dataclasses

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from matplotlib.lines import Line2D

from mmjax.gan.gan2d import data as mixtures
from mmjax.gan.gan2d import step as gan2d
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.nn import functional as F
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("03_algorithms/01_gan_two_player_loop")
num_steps = 300 if chapter.quick else 20_000
config = Gan2dConfig(mixture="ring")
if chapter.quick:
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
# The softplus form is the same number, computed without ever forming $\sigma(s)$, which rounds to 0 or 1 for
# large $|s|$ (first lines below). Each player is a train state `{"params", "state", "opt_state", "step"}`;
# `F.call(graph, variables, x)` runs a module as a pure function and an Adam step is `optimizer.update` then
# `optax.apply_updates`.

# %%
logit = jnp.array([-8.0, -2.0, 0.0, 3.0, 8.0])
np.testing.assert_allclose(jnp.log(jax.nn.sigmoid(logit)), -jax.nn.softplus(-logit), rtol=1e-4)  # log D
np.testing.assert_allclose(jnp.log(1 - jax.nn.sigmoid(logit)), -jax.nn.softplus(logit), rtol=1e-4)  # log(1 - D)
print(
    "at s = 200: log(1 - sigmoid(s)) =",
    float(jnp.log(1 - jax.nn.sigmoid(200.0))),
    "but -softplus(s) =",
    float(-jax.nn.softplus(200.0)),
)  # sigmoid rounds to 1, so the naive form is -inf; softplus stays exact


def d_loss(d_params, state, real, key):
    z = jax.random.normal(key, (real.shape[0], config.latent_dim))  # [N, 2]
    fake = jax.lax.stop_gradient(F.call(spec.generator, state["generator"], z)[0])  # step 2: G(z); G is fixed
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    s_real, s_fake = jnp.split(F.call(spec.discriminator, d_vars, jnp.concatenate([real, fake]))[0], 2)  # step 3
    return jnp.mean(jax.nn.softplus(-s_real)) + jnp.mean(jax.nn.softplus(s_fake))


def adam_step(player, grads, optimizer):
    updates, opt_state = optimizer.update(grads, player["opt_state"], player["params"])
    return {
        **player,
        "params": optax.apply_updates(player["params"], updates),
        "opt_state": opt_state,
        "step": player["step"] + 1,
    }


def one_round(state, real, key):
    key_d, key_g = jax.random.split(key)
    key_z = jax.random.split(key_d)[0]  # (the library keeps the other half for gradient penalties)
    d = adam_step(
        state["discriminator"],
        jax.grad(d_loss)(state["discriminator"]["params"], state, real, key_z),
        optimizers["discriminator"],
    )  # step 4a: D descends L_D

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
# losses and D's mean verdicts on real (`d_real`) and generated (`d_fake`) samples. `train_ring` is the whole
# experiment as one function, so the exercises can rerun it with another config.
# (`mmjax train gan2d` runs the same step through the shared loop, with checkpoints and logs.)


# %%
def train_ring(config, num_steps, plot_at=()):
    """Train G and D on the ring for ``num_steps`` rounds; returns the final state, one dict of metrics per step
    and {step: 2500 generated points} at the steps in ``plot_at`` (and at the last step)."""
    optimizers = gan2d.make_optimizer(config, num_steps)
    state = gan2d.init(config, jax.random.key(0), optimizers)  # step 1: initialise G and D
    points = jnp.asarray(mixtures.make_source(config, "train").points)
    train_step = jax.jit(lambda s, x, k: gan2d.train_step(s, {"x": x}, k, config, optimizers), donate_argnums=0)
    snapshots, history = {}, []
    for step in range(1, num_steps + 1):
        key_batch, key_step = jax.random.split(jax.random.fold_in(jax.random.key(1), step))
        real = points[jax.random.randint(key_batch, (config.batch_size * config.pack,), 0, points.shape[0])]
        state, metrics = train_step(state, real, key_step)  # steps 2-4
        history.append({k: float(v) for k, v in metrics.items()})
        if step in plot_at or step == num_steps:
            snapshots[step] = np.asarray(gan2d.generate(config, state, jax.random.key(2), 2500))
    return state, history, snapshots


plot_at = [num_steps // 5 * k for k in range(1, 6)] if chapter.quick else [250, 1000, 2000, 5000, 10_000, 20_000]
state, history, snapshots = train_ring(config, num_steps, plot_at)
coverage = {step: mixtures.mode_coverage(cloud, ring.means, ring.std) for step, cloud in snapshots.items()}
final = coverage[num_steps]
modes = chapter.record("modes_captured", final["modes"])
high_quality = chapter.record("high_quality_pct", 100 * final["high_quality"])
last = history[-len(history) // 10 :]  # the last 10% of the run
for name in ("d_loss", "g_loss", "d_real", "d_fake"):
    chapter.record(f"{name}_end", np.mean([h[name] for h in last]))
print(f"after {num_steps} steps: {modes:.0f}/8 modes captured, {high_quality:.1f}% high-quality samples")
print(
    "mean over the last 10% of steps:",
    {k: round(chapter.values[f"{k}_end"], 3) for k in ("d_loss", "g_loss", "d_real", "d_fake")},
)

# %% [markdown]
# The PacGAN score of a generator, computed on 2,500 of its samples (`mmjax.gan.gan2d.data.mode_coverage`):
# with $d_i = \min_k \|x_i - \mu_k\| / \sigma$ the distance of sample $i$ to its nearest mode in mode standard
# deviations ($\sigma = 0.01$ on the ring), sample $i$ is **high quality** when $d_i < 3$, and a mode is
# **captured** when at least one high-quality sample is nearest to it.

# %%
fig, axes = plt.subplots(1, len(snapshots), figsize=(2.6 * len(snapshots), 3.1), sharey=True)
for ax, (step, cloud) in zip(axes, snapshots.items()):
    ax.scatter(cloud[:, 0], cloud[:, 1], s=1, alpha=0.3, label="G(z), 2500 samples")
    ax.scatter(ring.means[:, 0], ring.means[:, 1], s=10, c="red", label="the 8 modes (std 0.01)")
    ax.set_xlim(-1.6, 1.6), ax.set_ylim(-1.6, 1.6), ax.set_aspect("equal")
    found, quality = int(coverage[step]["modes"]), 100 * float(coverage[step]["high_quality"])
    figures.label(
        ax,
        f"step {step}: {found}/8 modes,\n{quality:.0f}% high quality",
        "$x_1$",
        "$x_2$" if ax is axes[0] else None,
        legend=False,
    )
axes[0].legend(
    handles=[
        Line2D([], [], ls="", marker="o", ms=3, alpha=0.6, label="G(z), 2500 samples"),
        Line2D([], [], ls="", marker="o", ms=3, c="red", label="the 8 modes (std 0.01)"),
    ],
    fontsize=7,
    loc="lower left",
    framealpha=0.9,
)
figures.save(fig, chapter.keep("gan_ring_sample_clouds.png"))
if chapter.quick:  # 300 steps of small nets leave G a smear between the modes; the full run trains 20,000
    chapter.full_run_figure("gan_ring_sample_clouds.png")


def smooth(values, width):
    return np.convolve(values, np.ones(width) / width, mode="valid")


width = max(1, num_steps // 100)  # moving average over 1% of the run
steps = np.arange(width, num_steps + 1)
fig, (ax_loss, ax_verdict) = plt.subplots(1, 2, figsize=(10, 4.2))
for name in ("d_loss", "g_loss"):
    ax_loss.plot(steps, smooth([h[name] for h in history], width), label=name)
ax_loss.axhline(np.log(4), ls=":", c="k", label="log 4 = 1.386: $L_D$ at equilibrium (D = 1/2)")
ax_loss.axhline(np.log(2), ls="--", c="grey", label="log 2 = 0.693: $L_G$ at equilibrium")
figures.label(ax_loss, f"Losses ({width}-step moving average)", "step", "loss (nats)", legend=False)
ax_loss.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
for name in ("d_real", "d_fake"):
    ax_verdict.plot(steps, smooth([h[name] for h in history], width), label=name)
ax_verdict.axhline(0.5, ls=":", c="k", label="1/2: D cannot tell them apart")
ax_verdict.set_ylim(0, 1)
figures.label(ax_verdict, f"D's mean verdicts ({width}-step moving average)", "step", "mean D output = P(real)")
figures.save(fig, chapter.keep("gan_ring_losses.png"))
if chapter.quick:
    chapter.full_run_figure("gan_ring_losses.png")

# %% [markdown]
# Reading the figures: at the game's equilibrium D outputs 1/2 everywhere, so its loss is $\log 4 \approx 1.386$,
# G's non-saturating loss is $-\log \frac12 = \log 2 \approx 0.693$, and `d_real` = `d_fake` = 0.5. GAN losses
# do not decrease monotonically like a supervised loss; the sample clouds and the mode-coverage counts are the
# real progress report.
#
# Our G ends short of that equilibrium, and chapter 4.1's optimal discriminator says by how much. If G puts a
# share $q_k$ of its samples on mode $k$ (with the data's shape) and the data $p_k = 1/8$, the best D outputs
# $D^*_k = p_k / (p_k + q_k)$ there and about 0 on G's samples far from every mode, so
#
# $$\bar D^*_{real} = \sum_k p_k\, D^*_k, \qquad \bar D^*_{fake} = \sum_k q_k\, D^*_k .$$
#
# A mode G misses ($q_k = 0$) is one where D can say "real" with certainty.

# %%
share = np.asarray(final["counts"]) / len(snapshots[num_steps])  # q_k: G's high-quality samples per mode
p_k = np.full(ring.num_modes, 1 / ring.num_modes)
d_star = p_k / (p_k + share)
d_real_star = chapter.record("d_real_star", np.sum(p_k * d_star))
d_fake_star = chapter.record("d_fake_star", np.sum(share * d_star))
print("G's share of samples per mode:", np.round(share, 3))
print(
    f"optimal D would average {d_real_star:.3f} on real and {d_fake_star:.3f} on generated samples; "
    f"the trained D averaged {chapter.values['d_real_end']:.3f} and {chapter.values['d_fake_end']:.3f}"
)

# %% [markdown]
# In the full run (20,000 steps) G captures all 8 modes (`modes_captured` 8), and the `high_quality_pct` is
# 93: nearly every sample lies within 3 standard deviations of a mode. But G does not share its samples out
# evenly (the shares per mode are printed above): where a mode gets few of them, D can say "real" with near
# certainty. From G's shares per mode, the optimal D would average the `d_real_star` 0.574 on real and the
# `d_fake_star` 0.426 on generated samples; the trained D averages the `d_real_end` 0.594 and the `d_fake_end`
# 0.406 (mean over the last 10% of steps), a little more sure than that prediction. So D's loss, the
# `d_loss_end` 1.15, stays below log 4, and G's, the `g_loss_end` 1.50, above log 2: the curves say "D still
# wins a little", and the shares per mode say why. How much D wins depends on how unevenly G ends up covering
# the modes, which differs from seed to seed and from one version of the code to the next (an earlier version,
# which created the layers in another order, ended this run at a `g_loss_end` of 1.17; started from other
# keys, the same run ended with 7 modes and a `g_loss_end` of 1.60), and its band below is wide for that reason.
#
# **Quick mode (300 steps of smaller nets) cannot show any of this**: its G is still a smear of lines between
# the modes, with about 4/8 modes and 0% high-quality samples, and its D* estimate means nothing (it assumes
# G's samples sit on the modes, which they do not yet). The committed full-run figures printed above
# (`chapters/records/03_algorithms/01_gan_two_player_loop/`) show what a trained G looks like.
#
# ## Summary
# * One GAN iteration = a D step on real vs generated samples, then a G step against the updated D: about a
#   dozen lines, equal to `mmjax.gan.two_player.train_step` (checked above).
# * Everything is a pure function of (state, batch, key): jit it, scan it, vmap it over seeds
#   (`mmjax.gan.gan2d.step.train_and_evaluate_seeds` trains the PacGAN benchmark's seeds with thousands of
#   scanned steps per call, the seeds vmapped on an accelerator and one after another on a CPU).
# * Progress is measured on samples (modes captured, % high-quality), not on the losses.
#
# ## Exercises
# `from mmjax.utils.selfcheck import check` for the checks. Exercises 1 and 3 rerun `train_ring` with full
# mode's config, `Gan2dConfig(mixture="ring")`, for 5000 steps; `last = history[-500:]` are the last 500 steps.
# For reference, the default config then captures 7 modes with 68% high-quality samples, and D averages 0.62
# on real and 0.39 on generated samples over `last`.
# 1. Five D steps per G step: `state, history, clouds = train_ring(dataclasses.replace(config, d_steps=5),
#    5000)` (about 3 minutes on 2 CPU cores). You should observe a D that wins clearly,
#    `check(np.mean([h["d_fake"] for h in last]), expected=0.28, tol=0.05)` (and `d_real` near 0.72), and a G
#    that sharpens what it has but finds less: fewer modes (4 to 6, depending on float rounding) with nearly
#    90% high-quality samples (`mixtures.mode_coverage(clouds[5000], ring.means, ring.std)`). D wins from the
#    start: over the first 200 steps it averages 0.31 on generated samples, against 0.48 with one D step.
# 2. PacGAN (Lin et al. 2018): D judges packs of m samples concatenated (`mmjax.gan.two_player.pack`), so a G
#    that collapses onto few modes shows it within one pack. Trained on the 25-mode grid, 4 seeds for 5000
#    steps (`gan2d.train_and_evaluate_seeds(Gan2dConfig(mixture="grid", pack=m), seeds=[0, 1, 2, 3],
#    num_steps=5000)`, 5 to 10 minutes per m on 2 busy CPU cores), G found 14.75 modes on average without
#    packing and 21.75 with PacGAN2 (both still blurry: 8% and 10% high-quality samples;
#    `bench/bench_mode_coverage.py` trains 20,000), and a seed's count moves by a few when the floats round
#    differently. Why packing helps can be checked in seconds, without G. Let a collapsed "G" draw the grid's
#    training points nearest to modes 0 to 16 (17 of the 25) and train D alone, `spec.discriminator` of
#    `Gan2dConfig(mixture="grid", pack=m)` started from `gan2d.init(...)`, to tell them from all the training
#    points: 1000 Adam steps (`optax.adam(1e-3, b1=0.5)`) of `losses.minimax_discriminator_loss` on 100 packs
#    of each. The best D's loss is $\log 4 - 2\,\mathrm{JSD}(P^m \| Q^m)$ over m-tuples of modes: 1.134 for
#    m = 1, 0.912 for m = 2 (the total variation grows from 0.32 to 0.54). You should observe the trained D's
#    loss, averaged over its last 100 steps, close to that: `check(loss_1, expected=1.17, tol=0.05)` and
#    `check(loss_2, expected=0.97, tol=0.06)`. The same collapse costs G more when D sees pairs.
# 3. The saturating generator loss, `train_ring(dataclasses.replace(config, loss="minimax"), 5000)` (about a
#    minute). `g_loss` is now $E[\log(1 - D(G(z)))]$, negative, starting near $-\log 2$:
#    `check(np.mean([h["g_loss"] for h in last]), expected=-0.57, tol=0.05)`. You should also observe that it
#    trains about as well as the non-saturating loss here (8 modes, 62% high-quality samples): D never rejects
#    G's samples confidently on this problem (`d_fake` averages 0.48 over the first 200 steps), and the
#    saturation of chapter 4.1 only bites where $D(G(z)) \approx 0$.
# 4. Change `one_round` to the hinge loss, $L_D = E[\max(0, 1 - s(x))] + E[\max(0, 1 + s(G(z)))]$ and
#    $L_G = -E[s(G(z))]$, and check it against the library's step with `config = dataclasses.replace(config,
#    loss="hinge")` (rebuild `spec` and `optimizers` from it). You should observe the same
#    `np.testing.assert_allclose` line passing on every parameter of both players; with the softplus losses
#    left in place it fails.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `modes_captured`: of the ring's 8, at the last step | >= 6 | - (300 steps: G is still a smear) |
# | `high_quality_pct`: % of samples within 3 std of a mode | > 80 | - (about 0 after 300 steps) |
# | `d_loss_end`: D's loss, mean over the last 10% of steps | 1.13 ± 0.1 | 1.34 ± 0.1 |
# | `g_loss_end`: G's loss, the same | 1.0 .. 1.8 | 0.73 ± 0.1 |
# | `d_real_end`: D's mean verdict on real samples | 0.59 ± 0.05 | 0.51 ± 0.05 |
# | `d_fake_end`: D's mean verdict on generated samples | 0.41 ± 0.05 | 0.49 ± 0.05 |
# | `d_real_star`: optimal D's mean verdict on real samples, from G's mode shares | 0.5 .. 0.7 | - (no modes yet) |
# | `d_fake_star`: the same on generated samples | 0.3 .. 0.5 | - (no modes yet) |

# %%
chapter.finish()
