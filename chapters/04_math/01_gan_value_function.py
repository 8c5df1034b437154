# %% [markdown]
# # Chapter 4.1: the GAN objective, done right
#
# Goodfellow et al. (2014, eq. 1) define the game through one value function
#
# $$\min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))].$$
#
# **Where the source text goes wrong.** Its section 4.1 writes that G minimises $\mathbb{E}[D(G(x))]$ and D
# maximises $\mathbb{E}[D(x)] + \mathbb{E}[D(G(z))]$. Three mistakes: (1) the fake term has the wrong sign
# (it must be $\log(1 - D(G(z)))$, so that D is rewarded for *rejecting* fakes); (2) the logarithms are
# gone, and with them the link to cross-entropy and to the Jensen-Shannon divergence shown below;
# (3) G is fed data $x$; it must be fed noise $z \sim p_z$. This chapter checks the correct objective
# numerically, then trains both and shows what the wrong one does.

# %%
import matplotlib

matplotlib.use("Agg")
import functools

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from flax import nnx

from mmjax.gan import losses, two_player
from mmjax.gan.gan2d.model import MLPDiscriminator, MLPGenerator
from mmjax.nn import functional as F
from mmjax.train.state import apply_gradients, new_train_state
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("04_math")
QUICK = quick_mode()
xs = jnp.linspace(-6.0, 8.0, 4001)  # integration grid for 1-D densities
dx = float(xs[1] - xs[0])


def normal_pdf(x, mean, std):
    return jnp.exp(-0.5 * ((x - mean) / std) ** 2) / (std * jnp.sqrt(2 * jnp.pi))


def integrate(values):
    return float(jnp.sum(values) * dx)


# %% [markdown]
# ## The optimal discriminator
# For a fixed G, V is $\int p_{data}(x)\log D(x) + p_g(x)\log(1 - D(x))\,dx$; maximising the integrand
# pointwise ($a \log y + b \log(1-y)$ peaks at $y = a / (a + b)$) gives
# $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$. We check it against a discriminator *trained* with the
# cross-entropy loss on samples of $p_{data} = N(0, 1)$ and $p_g = N(1.5, 0.7^2)$.

# %%
p_data, p_g = normal_pdf(xs, 0.0, 1.0), normal_pdf(xs, 1.5, 0.7)
d_star = p_data / (p_data + p_g)

graphdef, d_vars = F.split(MLPDiscriminator(1, 32, 2, 3, rngs=nnx.Rngs(0)))
optimizer = optax.adam(3e-3)
d_state = new_train_state(d_vars, optimizer)  # {"params", "state", "opt_state", "step"}


@jax.jit
def d_step(d_state, key):
    key_real, key_fake = jax.random.split(key)
    real = jax.random.normal(key_real, (512, 1))  # x ~ p_data = N(0, 1)
    fake = 1.5 + 0.7 * jax.random.normal(key_fake, (512, 1))  # x ~ p_g = N(1.5, 0.7^2)

    def loss_fn(params):
        d = functools.partial(F.call, graphdef, {"params": params, "state": d_state["state"]})
        return losses.minimax_discriminator_loss(d(real)[0], d(fake)[0])

    loss, grads = jax.value_and_grad(loss_fn)(d_state["params"])
    return apply_gradients(d_state, grads, optimizer), loss


for i in range(300 if QUICK else 3000):
    d_state, d_loss = d_step(d_state, jax.random.key(i))
trained_d = jax.nn.sigmoid(F.call(graphdef, d_state, xs[:, None])[0])
region = (xs > -2.5) & (xs < 3.5)  # where both densities have mass the samples pin D down
gap = float(jnp.max(jnp.abs(trained_d - d_star)[region]))
print(f"max |D_trained - D*| on [-2.5, 3.5]: {gap:.3f}")
assert gap < 0.2, "a discriminator trained on samples should approach D* where the samples lie"

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, p_data, label="$p_{data}$ = N(0, 1)")
ax.plot(xs, p_g, label="$p_g$ = N(1.5, 0.7$^2$)")
ax.plot(xs, d_star, "k", lw=2, label="$D^* = p_{data} / (p_{data} + p_g)$")
ax.plot(xs, trained_d, "r--", label="trained D")
ax.set_xlim(-4, 5)
ax.legend(fontsize=8)
fig.savefig(OUT / "gan_optimal_discriminator.png", dpi=100, bbox_inches="tight")

# %% [markdown]
# ## $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)$
# Substituting $D^*$ into V gives the generator's criterion $C(G) = \max_D V(D, G)$. Goodfellow et al.
# (Theorem 1) show $C(G) = -\log 4 + 2\,\mathrm{JSD}$, minimal exactly when $p_g = p_{data}$. We compute both
# sides by numerical integration, independently, for generators at several distances from the data.

# %%
def value(d, p_data, p_g):
    eps = 1e-30
    return integrate(p_data * jnp.log(d + eps) + p_g * jnp.log(1 - d + eps))


def jsd(p, q):
    m = 0.5 * (p + q)
    kl = lambda a, b: integrate(jnp.where(a > 0, a * (jnp.log(a + 1e-30) - jnp.log(b + 1e-30)), 0.0))
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


rows = []
for mean in (0.0, 0.5, 1.0, 2.0, 4.0):
    q = normal_pdf(xs, mean, 1.0)
    c_of_g = value(p_data / (p_data + q), p_data, q)
    rows.append((mean, c_of_g, -np.log(4) + 2 * jsd(p_data, q)))
print(" p_g mean |   C(G) = V(D*, G) | -log 4 + 2 JSD")
for mean, c, rhs in rows:
    print(f" {mean:8.1f} | {c:17.5f} | {rhs:14.5f}")
max_identity_error = max(abs(c - rhs) for _, c, rhs in rows)
print(f"largest difference: {max_identity_error:.2e}  (-log 4 = {-np.log(4):.5f})")
assert max_identity_error < 1e-3  # equal up to the integration grid's error

# %% [markdown]
# ## Saturating vs non-saturating generator gradients
# Early in training D rejects fakes confidently: $D(G(z)) \approx 0$. With logit $s$, the minimax
# generator loss $\log(1 - \sigma(s))$ has slope $-\sigma(s) \to 0$ there: G learns nothing when it is worst.
# The non-saturating loss $-\log \sigma(s)$ has slope $-(1 - \sigma(s)) \to -1$: the strongest signal exactly
# when G is bad. Same fixed point, very different dynamics.

# %%
logits = jnp.linspace(-8, 8, 401)
saturating = jax.vmap(jax.grad(lambda s: losses.minimax_generator_loss(s[None])))(logits)
non_saturating = jax.vmap(jax.grad(lambda s: losses.non_saturating_generator_loss(s[None])))(logits)
d_of_fake = jax.nn.sigmoid(logits)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(d_of_fake, jnp.abs(saturating), label=r"minimax: $|\partial_s \log(1 - D)|$")
ax.plot(d_of_fake, jnp.abs(non_saturating), label=r"non-saturating: $|\partial_s (-\log D)|$")
ax.set_xlabel("D(G(z))")
ax.set_ylabel("gradient magnitude w.r.t. the logit")
ax.legend(fontsize=8)
fig.savefig(OUT / "gan_saturating_gradients.png", dpi=100, bbox_inches="tight")
print(f"at D(G(z)) = {float(d_of_fake[50]):.1e}: minimax slope {float(saturating[50]):.1e}, "
      f"non-saturating slope {float(non_saturating[50]):.3f}")
assert abs(float(saturating[50])) < 0.01 and abs(float(non_saturating[50])) > 0.99

# %% [markdown]
# ## Train with the correct objective and with the source text's
# A 1-D GAN: data $N(2, 0.5^2)$, G an MLP on $z \sim N(0, 1)$, D an MLP. The same train step
# (`mmjax.gan.two_player.train_step`) runs with `loss="non_saturating"` (correct) and `loss="source_text"` (D maximises
# $E[D(x)] + E[D(G(z))]$, G minimises $E[D(G(z))]$).

# %%
def train_1d(loss_name, steps, seed=0):
    key_g, key_d, key_train = jax.random.split(jax.random.key(seed), 3)
    g_graph, g_vars = F.split(MLPGenerator(1, 32, 2, rngs=nnx.Rngs(key_g), out_dim=1))
    d_graph, d_vars = F.split(MLPDiscriminator(1, 32, 2, 3, rngs=nnx.Rngs(key_d)))
    spec = two_player.GANSpec(g_graph, d_graph, latent_dim=1, loss=loss_name)
    adam = optax.adam(2e-3, b1=0.5)
    optimizers = {"generator": adam, "discriminator": adam}
    state = {"generator": new_train_state(g_vars, adam), "discriminator": new_train_state(d_vars, adam)}
    step = jax.jit(functools.partial(two_player.train_step, spec, optimizers=optimizers), donate_argnums=0)
    for i in range(steps):
        key_batch, key_step = jax.random.split(jax.random.fold_in(key_train, i))
        real = 2.0 + 0.5 * jax.random.normal(key_batch, (256, 1))
        state, metrics = step(state, {"x": real}, key_step)
    samples = np.asarray(two_player.generate(spec, state["generator"], jax.random.key(99), 5000))[:, 0]
    return samples, {k: float(v) for k, v in metrics.items()}


steps = 300 if QUICK else 3000
results = {name: train_1d(name, steps) for name in ("non_saturating", "source_text")}
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, normal_pdf(xs, 2.0, 0.5), "k", label="data N(2, 0.5$^2$)")
for name, (samples, metrics) in results.items():
    print(f"{name:15s}: G mean {samples.mean():7.3f}, std {samples.std():6.3f}; final D(x) {metrics['d_real']:.3f}, "
          f"D(G(z)) {metrics['d_fake']:.3f}")
    ax.hist(np.clip(samples, -6, 8), bins=120, range=(-6, 8), density=True, alpha=0.5, label=f"G, loss={name}")
ax.set_xlim(-6, 8)
ax.legend(fontsize=8)
fig.savefig(OUT / "gan_source_text_vs_correct.png", dpi=100, bbox_inches="tight")
(correct, _), (wrong, wrong_metrics) = results["non_saturating"], results["source_text"]
assert abs(correct.mean() - 2.0) < 0.5, "the correct game moves G onto the data"
assert abs(wrong.mean() - 2.0) > 1.0 and wrong_metrics["d_real"] > 0.99 and wrong_metrics["d_fake"] > 0.99, (
    "the source text's game: D calls everything real and G does not learn the data")

# %% [markdown]
# What goes wrong with the source text's objective: D's objective $E[D(x)] + E[D(G(z))]$ is maximised by
# $D \equiv 1$, whatever G does: nothing makes D tell real from fake, so it carries no information about
# $p_{data}$. G, minimising $E[D(G(z))]$, is pushed to wherever D is *lowest*, i.e. to look **fake**;
# with D saturating at 1 its gradients vanish too. The printed mean and spread of G show it does not learn
# $N(2, 0.5^2)$, while the correct non-saturating game does.
#
# ## Summary
# * $V(D, G) = E[\log D(x)] + E[\log(1 - D(G(z)))]$, G fed noise $z$; D maximises V, G minimises it.
# * For fixed G the best D is $p_{data} / (p_{data} + p_g)$; a trained D approaches it where data lie.
# * At that D, $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)$ (checked numerically above), so the game's
#   minimum is $p_g = p_{data}$.
# * Use the non-saturating generator loss in practice: the minimax one has vanishing gradients when D wins.
# * The source text's objective (no logs, wrong sign, G fed data) is not a GAN: trained, it does not learn the data.
#
# ## Exercises
# 1. Replace $p_g$ by a mixture of two Gaussians and recompute $C(G)$; when is $C(G) = -\log 4$?
# 2. Train the 1-D GAN with `loss="minimax"` from a generator initialised far from the data (add 5 to its
#    output bias). How many steps does it take compared with `non_saturating`?
# 3. Fix only the sign of the source text's fake term (keep no logarithms). Is the result a sensible game?
#    (Hint: compare it with the Wasserstein critic loss in `mmjax.gan.losses`.)
