# %% [markdown]
# # Chapter 4.2: the Transformer's equations, run one at a time
#
# Everything in a Transformer rests on one line,
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right) V,$$
# with queries $Q \in \mathbb{R}^{T \times d_k}$, keys $K \in \mathbb{R}^{S \times d_k}$, values
# $V \in \mathbb{R}^{S \times d_v}$ and a mask $M$ of zeros and $-\infty$. This chapter runs each part:
# why $\sqrt{d_k}$, what $M$ does, how position gets in, and why the whole thing is a *soft lookup*.

# %%

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.nn.attention import attention_weights, causal_mask, combine_masks, padding_mask, scaled_dot_product_attention
from mmjax.nn.position import sinusoidal_encoding
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("04_math/02_transformer_equations")
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Why divide by $\sqrt{d_k}$?
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$ terms of variance 1, so
# $$\mathrm{Var}(q \cdot k) = d_k, \qquad \mathrm{Var}\!\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1.$$
# Large logits push the softmax into saturation: one weight near 1, the rest near 0, and gradients that
# vanish, since $\partial p_i / \partial z_i = p_i (1 - p_i)$ is near 0 when $p_i$ is near 0 or 1.
# Dividing by $\sqrt{d_k}$ brings the variance back to 1 for every width. We measure, over 32 keys, the
# variance of the logits, the largest weight per row, and $\sum_i p_i (1 - p_i)$ (the softmax's gradient size).

# %%
dims = [4, 16, 64, 256] if chapter.quick else [4, 16, 64, 256, 1024]
num_keys, rows = 32, 256 if chapter.quick else 2048
results = {"scaled": [], "unscaled": []}
for d_k in dims:
    q = jnp.asarray(rng.normal(size=(1, rows, 1, d_k)), jnp.float32)
    k = jnp.asarray(rng.normal(size=(1, num_keys, 1, d_k)), jnp.float32)
    logits = jnp.einsum("bthd,bshd->bts", q, k)
    for name, scale in (("unscaled", 1.0), ("scaled", 1.0 / np.sqrt(d_k))):
        weights = jax.nn.softmax(logits * scale, axis=-1)
        gradient = jnp.mean(jnp.sum(weights * (1 - weights), axis=-1))  # mean over rows of sum_i p_i (1 - p_i)
        results[name].append((float(jnp.var(logits * scale)), float(jnp.mean(weights.max(-1))), float(gradient)))
for name in results:
    for d_k, (variance, top, gradient) in zip(dims, results[name]):
        print(f"{name:8s} d_k={d_k:5d}  Var(logit)={variance:8.2f}  max weight={top:.2f}  softmax grad={gradient:.3f}")
widest = {name: results[name][-1] for name in results}  # the largest d_k of this mode
chapter.record("scaled_variance", widest["scaled"][0])
chapter.record("unscaled_variance", widest["unscaled"][0])
chapter.record("scaled_max_weight", widest["scaled"][1])
chapter.record("unscaled_max_weight", widest["unscaled"][1])
chapter.record("gradient_ratio", widest["unscaled"][2] / widest["scaled"][2])
# Scaled logits keep variance 1 at every width; unscaled ones have variance d_k and saturate the softmax.
assert all(0.8 < variance < 1.2 for variance, _, _ in results["scaled"])
assert all(0.8 * d_k < variance < 1.2 * d_k for d_k, (variance, _, _) in zip(dims, results["unscaled"]))
assert results["unscaled"][-1][2] < 0.5 * results["scaled"][-1][2]

fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
panels = (
    ("Var(logit)", "variance of the logits", None),
    ("mean max weight", "largest weight per row", None),
    ("mean sum p(1-p)", "softmax gradient size", "higher"),
)
for name, marker in (("unscaled", "o"), ("scaled", "s")):
    values = np.array(results[name])
    for ax, column in zip(axes, range(3)):
        ax.plot(dims, values[:, column], marker=marker, label="q.k" if name == "unscaled" else "q.k / sqrt(d_k)")
for ax, (ylabel, title, better) in zip(axes, panels):
    ax.set_xscale("log")
    figures.label(ax, title, "key width d_k (features)", ylabel, better=better)
axes[0].set_yscale("log")
fig.suptitle(f"softmax over {num_keys} keys: dividing by sqrt(d_k) keeps it out of saturation")
figures.save(fig, chapter.out / "transformer_sqrt_dk.png", dpi=90)

# %% [markdown]
# At the widest key of the full run ($d_k = 1024$) the logits' variance is `unscaled_variance` 1012, close to
# $d_k$, and after dividing by $\sqrt{d_k}$ it is `scaled_variance` 0.99. Unscaled, the softmax puts on average
# `unscaled_max_weight` 0.95 of its weight on a single key, and its gradient size is `gradient_ratio` 0.07
# times the scaled one's: learning through it all but stops. Scaled, the largest weight stays near 1/6 at every
# width (the `scaled_max_weight` is 0.16). Quick mode stops at $d_k = 256$, where the unscaled softmax already
# puts 0.92 on one key.
#
# ## 2. What masks do
# A mask is added to the logits before the softmax,
# $$M_{tj} = \begin{cases} 0 & \text{query } t \text{ may look at key } j \\ -\infty & \text{otherwise,}\end{cases}
#   \qquad A = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right),$$
# so forbidden weights are exactly $e^{-\infty} = 0$ and each row still sums to 1 over the allowed keys. Two
# masks matter:
# * **padding**: no query looks at `<pad>` keys, $M_{tj} = -\infty$ if token $j$ is padding;
# * **causal**: position $t$ looks only at $j \le t$, so a decoder trained on whole sequences cannot cheat
#   by reading the token it must predict.
# Masks combine by AND (adding their $-\infty$s). Below, the weights by hand (NumPy, the formula above) and
# from `mmjax.nn.attention.attention_weights` must agree.

# %%
tokens = jnp.array([[5, 7, 9, 4, 0, 0]])  # one sequence of 4 tokens and 2 pads
pad = padding_mask(tokens)  # [1, 1, 1, 6], True = may look
causal = causal_mask(6)  # [1, 1, 6, 6]
both = combine_masks(pad, causal)
q = jnp.asarray(rng.normal(size=(1, 6, 1, 8)), jnp.float32)
k = jnp.asarray(rng.normal(size=(1, 6, 1, 8)), jnp.float32)
weights = attention_weights(q, k, both)[0, 0]  # [6 queries, 6 keys]

z = np.asarray(q[0, :, 0]) @ np.asarray(k[0, :, 0]).T / np.sqrt(8) + np.where(np.asarray(both[0, 0]), 0, -np.inf)
by_hand = np.exp(z - z.max(-1, keepdims=True))
by_hand /= by_hand.sum(-1, keepdims=True)
np.testing.assert_allclose(weights, by_hand, atol=1e-6)
print("weights (rows sum to 1, masked entries exactly 0):")
print(np.round(np.asarray(weights), 2))
np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
chapter.record("masked_weight_max", np.asarray(weights)[~np.asarray(both[0, 0])].max())
assert chapter.values["masked_weight_max"] == 0.0

from matplotlib.patches import Patch  # noqa: E402

fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
panels = [
    ("padding mask (tokens 4, 5 are <pad>)", jnp.broadcast_to(pad, (1, 1, 6, 6))),
    ("causal mask", causal),
    ("both (AND)", both),
]
for ax, (title, mask) in zip(axes, panels):
    ax.imshow(np.asarray(mask[0, 0]), cmap="gray", vmin=0, vmax=1)
    figures.label(ax, title, "key position j", "query position t")
axes[0].legend(
    handles=[
        Patch(facecolor="white", edgecolor="k", label="may look: M = 0"),
        Patch(facecolor="black", label="masked: M = -inf"),
    ],
    fontsize=7,
    loc="lower left",
)
figures.heatmap(fig, axes[3], weights, "attention weight A[t, j]", cmap="viridis", vmin=0, vmax=1)
figures.label(axes[3], "softmax weights with both", "key position j", "query position t")
figures.save(fig, chapter.out / "transformer_masks.png", dpi=90)

# %% [markdown]
# The causal mask is what makes training parallel *and* honest: change the last two tokens and the
# outputs at earlier positions do not move at all: the `causal_leak` is exactly 0 (the largest change of
# an output at positions 0-3).

# %%
v = jnp.asarray(rng.normal(size=(1, 6, 1, 4)), jnp.float32)
out = scaled_dot_product_attention(q, k, v, causal)
q2, k2, v2 = (x.at[:, 4:].set(rng.normal(size=x[:, 4:].shape)) for x in (q, k, v))
out2 = scaled_dot_product_attention(q2, k2, v2, causal)
leak, moved = float(jnp.abs(out - out2)[:, :4].max()), float(jnp.abs(out - out2)[:, 4:].max())
print(f"max change at positions 0-3: {leak}, at positions 4-5: {moved:.3f}")
chapter.record("causal_leak", leak)
assert leak < 1e-6 < moved

# %% [markdown]
# ## 3. What position encodings look like
# Attention treats its input as a *set*: permute the tokens and the outputs permute the same way. Order
# enters only through what is added to each token. The sinusoidal code is
# $$PE_{p, 2i} = \sin(p\,\omega_i), \quad PE_{p, 2i+1} = \cos(p\,\omega_i), \quad \omega_i = 10000^{-2i/d}:$$
# each pair of features is a clock turning at its own speed. Because $PE_{p+k}$ is $PE_p$ rotated by
# angles $k\,\omega_i$,
# $$PE_p \cdot PE_{p+k} = \sum_i \left(\sin p\omega_i \sin (p+k)\omega_i + \cos p\omega_i \cos (p+k)\omega_i\right)
#   = \sum_i \cos(k\,\omega_i),$$
# a function of $k = q - p$ only: a model can read relative position with a dot product. We check one entry
# of the table and the dot product against these formulas, then the spread along each diagonal.

# %%
length, d_model = (48, 32) if chapter.quick else (128, 64)
table = np.asarray(sinusoidal_encoding(length, d_model))
omega = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)  # omega_i, i = 0 .. d/2 - 1
assert np.isclose(table[7, 2 * 3], np.sin(7 * omega[3]), atol=1e-6)  # PE[7, 6] = sin(7 omega_3)
assert np.isclose(table[7, 2 * 3 + 1], np.cos(7 * omega[3]), atol=1e-6)
similarity = table @ table.T
assert np.isclose(similarity[10, 13], np.sum(np.cos(3 * omega)), atol=1e-4)  # k = 3
band = [np.ptp(np.diagonal(similarity, offset)) for offset in range(5)]
print("spread of PE[p].PE[p+k] along each diagonal k=0..4 (0 = depends only on k):", np.round(band, 6))
chapter.record("diagonal_spread", max(band))
assert max(band) < 1e-4  # float32 rounding only

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
figures.heatmap(fig, axes[0], table.T, "PE value", cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
figures.label(axes[0], "sinusoidal encoding PE[p] (fast clocks at the top)", "position p", "feature 2i, 2i+1")
figures.heatmap(fig, axes[1], similarity, "dot product PE[p] . PE[q]", cmap="viridis")
figures.label(axes[1], "PE[p] . PE[q]: a function of q - p only", "position q", "position p")
figures.save(fig, chapter.out / "transformer_position_encoding.png", dpi=90)

# %% [markdown]
# ## 4. Attention is a soft dictionary lookup
# A Python dictionary returns the value whose key *equals* the query. Attention returns every value,
# weighted by how well its key matches:
# $$\mathrm{out}(q) = \sum_j w_j v_j, \qquad w_j = \mathrm{softmax}_j\!\left(\frac{q \cdot k_j}{\sqrt d}\right).$$
# Six entries with orthogonal keys of norm $\sqrt d$ and values $v_j = 10 j$. For $q = \beta k_2$ the logits
# are $4\beta$ for key 2 and 0 for the others ($d = 16$), so
# $$\mathrm{out}(\beta k_2) = \frac{20 e^{4\beta} + (0 + 10 + 30 + 40 + 50)}{e^{4\beta} + 5}
#   = 20 + \frac{30}{e^{4\beta} + 5}:$$
# sharpen the query (a large $\beta$) and the lookup becomes exact. Uniform attention (all $w_j = 1/6$)
# would return the mean of all values, 25.

# %%
d, entries = 16, 6
keys = np.linalg.qr(rng.normal(size=(d, d)))[0][:entries] * np.sqrt(d)  # orthogonal keys of norm sqrt(d)
values = np.arange(entries, dtype=np.float32)[:, None] * 10.0  # value j = 10 j
K = jnp.asarray(keys, jnp.float32)[None, :, None, :]
V = jnp.asarray(values)[None, :, None, :]
uniform = float(values.mean())  # what attention returns when it cannot tell the keys apart
fig, ax = plt.subplots(figsize=(7, 3.6))
lookups = {}
for beta in (0.25, 1.0, 4.0):
    query = jnp.asarray(beta * keys[2], jnp.float32)[None, None, None, :]
    w = attention_weights(query, K)[0, 0, 0]
    lookups[beta] = result = float(scaled_dot_product_attention(query, K, V)[0, 0, 0, 0])
    assert np.isclose(result, 20 + 30 / (np.exp(4 * beta) + 5), atol=1e-3)  # the closed form above
    ax.plot(range(entries), np.asarray(w), marker="o", label=f"beta={beta}: returns {result:.1f}")
ax.axhline(1 / entries, color="grey", linestyle=":", label=f"uniform 1/{entries}: would return {uniform:.0f}")
print("sharpening the query, the lookup returns", {beta: round(value, 3) for beta, value in lookups.items()})
chapter.record("lookup_beta_0_25", lookups[0.25])
chapter.record("lookup_beta_4", lookups[4.0])
assert abs(lookups[4.0] - 20.0) < 1e-3 < abs(lookups[0.25] - 20.0)  # exact only in the sharp limit

# %% [markdown]
# Put the query between two keys, $q = \beta (k_1 + k_2)/2$ with $\beta = 4$: both get logit
# $\beta \cdot 16/2 / 4 = 8$, the others 0, so it returns the blend $(10 + 20)/2 = 15$ of the two matched
# values (plus $e^{-8}$-small leaks), far from the uniform 25. The blend is what the lookup found, not an
# average of everything.

# %%
between = jnp.asarray(4.0 * (keys[1] + keys[2]) / 2, jnp.float32)[None, None, None, :]
blend = chapter.record("blend", scaled_dot_product_attention(between, K, V)[0, 0, 0, 0])
expected = (15 * 2 * np.exp(8) + (0 + 30 + 40 + 50)) / (2 * np.exp(8) + 4)  # the same formula, two matches
print(
    f"query halfway between key 1 (value 10) and key 2 (value 20) returns {blend:.2f} "
    f"(formula {expected:.2f}; uniform attention would return {uniform:.1f})"
)
ax.plot(
    range(entries),
    np.asarray(attention_weights(between, K)[0, 0, 0]),
    marker="x",
    linestyle="--",
    color="black",
    label=f"4 (key 1 + key 2) / 2: returns {blend:.1f}",
)
figures.label(
    ax,
    "soft lookup: query = beta * key 2 (value 20), or between keys 1 and 2",
    "key j (value 10 j)",
    "attention weight w_j",
)
figures.save(fig, chapter.out / "transformer_soft_lookup.png", dpi=90)
assert abs(blend - expected) < 1e-3 and abs(blend - 15.0) < 0.05 and abs(blend - uniform) > 5

# %% [markdown]
# ## Summary
# * $q \cdot k$ has variance $d_k$; dividing by $\sqrt{d_k}$ keeps the softmax away from saturation, where
#   its gradient $p(1-p)$ vanishes.
# * Masks add $-\infty$ to forbidden logits: padding masks hide `<pad>`, the causal mask hides the future,
#   so earlier outputs provably ignore later tokens.
# * Sinusoidal position codes make $PE_p \cdot PE_q$ a function of $q - p$ only.
# * Attention is a differentiable dictionary: a softmax-weighted average of values, exact in the sharp
#   limit, a blend of the matched values between two keys.
#
# ## Exercises
# (`from mmjax.utils.selfcheck import check`; each takes a few seconds.)
# 1. Repeat section 1 with queries and keys whose entries have variance $1/d_k$ (`rng.normal(size=...) /
#    np.sqrt(d_k)`, so each vector has norm about 1). Predict $\mathrm{Var}(q \cdot k)$ first: it is
#    $d_k \cdot (1/d_k)^2 = 1/d_k$. At $d_k = 256$ without any division you should observe
#    `check(variance, expected=1/256, rtol=0.15)` and a mean max weight just above 1/32 = 0.031 (nearly
#    uniform over the 32 keys): `check(top, expected=0.035, tol=0.003)`. Dividing by $\sqrt{d_k}$ would make
#    it even flatter: the scale that keeps logits at variance 1 depends on the entries' variance, and
#    $1/\sqrt{d_k}$ is right for unit-variance entries, which is what a LayerNorm followed by a projection
#    initialised with variance $1/d$ gives.
# 2. Take `q, k, v` of section 2 and attend without any mask: `out = scaled_dot_product_attention(q, k, v)`.
#    Permute the keys and values together (`perm = rng.permutation(6)`, `k[:, perm]`, `v[:, perm]`): the
#    output should not change, `check(float(jnp.abs(out_kv - out).max()), expected=0, tol=1e-5)`. Permute the
#    queries instead: the output rows permute the same way,
#    `check(float(jnp.abs(out_q - out[:, perm]).max()), expected=0, tol=1e-5)`.
# 3. Find the smallest $\beta$ for which the lookup of section 4 returns 20 to within 0.1, first from the
#    formula ($30 / (e^{4\beta} + 5) < 0.1$), then by scanning $\beta$ in steps of 0.01 with the code:
#    `check(beta, expected=1.43, tol=0.01)`.
#
# Graded: `mmjax assignment new attention --dir hw` writes stubs (docstrings and equations kept) of
# scaled dot-product attention with causal and padding masks; `mmjax assignment grade hw` then scores your code
# test by test.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `scaled_variance`: Var(q.k / sqrt(d_k)) at the largest d_k | 1.0 ± 0.1 | 1.0 ± 0.1 |
# | `unscaled_variance`: Var(q.k) at the largest d_k (1024 full, 256 quick) | 1024 ± 10% | 256 ± 10% |
# | `scaled_max_weight`: mean largest weight, scaled, largest d_k | 0.16 ± 0.02 | 0.16 ± 0.02 |
# | `unscaled_max_weight`: the same, unscaled (d_k = 1024 full, 256 quick) | 0.95 ± 0.02 | 0.92 ± 0.03 |
# | `gradient_ratio`: softmax gradient size, unscaled / scaled | 0.07 ± 0.02 | 0.13 ± 0.03 |
# | `masked_weight_max`: largest weight on a masked key | 0 ± 0 | 0 ± 0 |
# | `causal_leak`: largest change at positions 0-3 when tokens 4-5 change | 0 ± 1e-6 | 0 ± 1e-6 |
# | `diagonal_spread`: spread of PE[p].PE[p+k] along diagonals k = 0..4 | < 1e-4 | < 1e-4 |
# | `lookup_beta_0_25`: soft lookup of value 20 with beta = 0.25 | 23.887 ± 0.01 | 23.887 ± 0.01 |
# | `lookup_beta_4`: the same with beta = 4 | 20.0 ± 0.001 | 20.0 ± 0.001 |
# | `blend`: query halfway between key 1 (10) and key 2 (20) | 15.0 ± 0.05 | 15.0 ± 0.05 |

# %%
chapter.finish()
