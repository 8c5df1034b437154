# %% [markdown]
# # Chapter 4.2: the Transformer's equations, run one at a time
#
# Everything in a Transformer rests on one line,
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right) V,$$
# with queries $Q \in \mathbb{R}^{T \times d_k}$, keys $K \in \mathbb{R}^{S \times d_k}$, values
# $V \in \mathbb{R}^{S \times d_v}$ and a mask $M$ of zeros and $-\infty$. This chapter runs each part:
# why $\sqrt{d_k}$, what $M$ does, how position gets in, and why the whole thing is a *soft lookup*.

# %%
import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.nn.attention import attention_weights, causal_mask, combine_masks, padding_mask, scaled_dot_product_attention
from mmjax.nn.position import sinusoidal_encoding
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("04_math")
QUICK = quick_mode()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Why divide by $\sqrt{d_k}$?
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$ terms of variance 1, so
# $\mathrm{Var}(q \cdot k) = d_k$. Large logits push the softmax into saturation: one weight near 1, the
# rest near 0, and gradients that vanish. Dividing by $\sqrt{d_k}$ brings the variance back to 1 for every
# width. We measure the variance, the largest weight per row, and the softmax's gradient size.

# %%
dims = [4, 16, 64, 256] if QUICK else [4, 16, 64, 256, 1024]
num_keys, rows = 32, 256 if QUICK else 2048
results = {"scaled": [], "unscaled": []}
for d_k in dims:
    q = jnp.asarray(rng.normal(size=(1, rows, 1, d_k)), jnp.float32)
    k = jnp.asarray(rng.normal(size=(1, num_keys, 1, d_k)), jnp.float32)
    logits = jnp.einsum("bthd,bshd->bts", q, k)
    for name, scale in (("unscaled", 1.0), ("scaled", 1.0 / np.sqrt(d_k))):
        weights = jax.nn.softmax(logits * scale, axis=-1)
        # d softmax_i / d z_i = p_i (1 - p_i): near 0 when p is saturated at 0 or 1
        gradient = jnp.mean(jnp.sum(weights * (1 - weights), axis=-1))
        results[name].append((float(jnp.var(logits * scale)), float(jnp.mean(weights.max(-1))), float(gradient)))
for name in results:
    for d_k, (variance, top, gradient) in zip(dims, results[name]):
        print(f"{name:8s} d_k={d_k:5d}  Var(logit)={variance:8.2f}  max weight={top:.2f}  softmax grad={gradient:.3f}")
# What the table shows: scaled logits keep variance 1 at every width; unscaled ones have variance d_k and
# saturate the softmax, whose gradient shrinks.
assert all(0.8 < variance < 1.2 for variance, _, _ in results["scaled"])
assert all(0.8 * d_k < variance < 1.2 * d_k for d_k, (variance, _, _) in zip(dims, results["unscaled"]))
assert results["unscaled"][-1][2] < 0.5 * results["scaled"][-1][2]

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for name, marker in (("unscaled", "o"), ("scaled", "s")):
    values = np.array(results[name])
    for ax, column, label in zip(axes, range(3), ("Var(logit)", "mean max weight", "mean sum p(1-p)")):
        ax.plot(dims, values[:, column], marker=marker, label=name)
        ax.set(xscale="log", xlabel="$d_k$", ylabel=label)
axes[0].set_yscale("log")
axes[0].legend()
fig.suptitle(f"softmax over {num_keys} keys: dividing by sqrt(d_k) keeps it out of saturation")
fig.tight_layout()
fig.savefig(OUT / "transformer_sqrt_dk.png", dpi=90)
plt.close(fig)

# %% [markdown]
# ## 2. What masks do
# A mask is added to the logits before the softmax: $0$ where a query may look, $-\infty$ where it may
# not, so those weights are exactly $e^{-\infty} = 0$. Two masks matter:
# * **padding**: no query looks at `<pad>` keys, $M_{tj} = -\infty$ if token $j$ is padding;
# * **causal**: position $t$ looks only at $j \le t$, so a decoder trained on whole sequences cannot cheat
#   by reading the token it must predict.
# Masks combine by AND (adding their $-\infty$s).

# %%
tokens = jnp.array([[5, 7, 9, 4, 0, 0]])  # one sequence of 4 tokens and 2 pads
pad = padding_mask(tokens)  # [1, 1, 1, 6]
causal = causal_mask(6)  # [1, 1, 6, 6]
both = combine_masks(pad, causal)
q = jnp.asarray(rng.normal(size=(1, 6, 1, 8)), jnp.float32)
k = jnp.asarray(rng.normal(size=(1, 6, 1, 8)), jnp.float32)
fig, axes = plt.subplots(1, 4, figsize=(12, 3))
panels = [("padding mask", jnp.broadcast_to(pad, (1, 1, 6, 6))), ("causal mask", causal), ("both", both)]
for ax, (title, mask) in zip(axes, panels):
    ax.imshow(np.asarray(mask[0, 0]), cmap="gray", vmin=0, vmax=1)
    ax.set(title=title, xlabel="key j", ylabel="query t")
weights = attention_weights(q, k, both)[0, 0]
axes[3].imshow(np.asarray(weights), cmap="viridis")
axes[3].set(title="softmax weights with both", xlabel="key j")
fig.tight_layout()
fig.savefig(OUT / "transformer_masks.png", dpi=90)
plt.close(fig)
print("weights (rows sum to 1, masked entries exactly 0):")
print(np.round(np.asarray(weights), 2))
np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
assert np.all(np.asarray(weights)[~np.asarray(both[0, 0])] == 0.0)

# %% [markdown]
# The causal mask is what makes training parallel *and* honest: change the last two tokens and the
# outputs at earlier positions do not move at all.

# %%
v = jnp.asarray(rng.normal(size=(1, 6, 1, 4)), jnp.float32)
out = scaled_dot_product_attention(q, k, v, causal)
q2, k2, v2 = (x.at[:, 4:].set(rng.normal(size=x[:, 4:].shape)) for x in (q, k, v))
out2 = scaled_dot_product_attention(q2, k2, v2, causal)
print("max change at positions 0-3:", float(jnp.abs(out - out2)[:, :4].max()),
      " at positions 4-5:", float(jnp.abs(out - out2)[:, 4:].max()))
assert float(jnp.abs(out - out2)[:, :4].max()) < 1e-6 < float(jnp.abs(out - out2)[:, 4:].max())

# %% [markdown]
# ## 3. What position encodings look like
# Attention treats its input as a *set*: permute the tokens and the outputs permute the same way. Order
# enters only through what is added to each token. The sinusoidal code is
# $$PE_{p, 2i} = \sin(p\,\omega_i), \quad PE_{p, 2i+1} = \cos(p\,\omega_i), \quad \omega_i = 10000^{-2i/d}:$$
# each pair of features is a clock turning at its own speed. Because
# $PE_{p+k}$ is $PE_p$ rotated by angles $k\,\omega_i$, the similarity $PE_p \cdot PE_q$ depends only on
# $p - q$: a model can read relative position with a dot product.

# %%
length, d_model = (48, 32) if QUICK else (128, 64)
table = np.asarray(sinusoidal_encoding(length, d_model))
similarity = table @ table.T
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].imshow(table.T, cmap="RdBu", aspect="auto")
axes[0].set(xlabel="position p", ylabel="feature", title="sinusoidal encoding PE[p]")
axes[1].imshow(similarity, cmap="viridis")
axes[1].set(xlabel="position q", ylabel="position p", title="PE[p] . PE[q]: a function of p - q")
fig.tight_layout()
fig.savefig(OUT / "transformer_position_encoding.png", dpi=90)
plt.close(fig)
band = [np.ptp(np.diagonal(similarity, offset)) for offset in range(5)]
print("spread of PE[p].PE[p+k] along each diagonal k=0..4 (0 = depends only on k):", np.round(band, 6))
assert max(band) < 1e-4  # float32 rounding only

# %% [markdown]
# ## 4. Attention is a soft dictionary lookup
# A Python dictionary returns the value whose key *equals* the query. Attention returns
# $\sum_j \mathrm{softmax}_j(q \cdot k_j / \sqrt{d}) \, v_j$: every value, weighted by how well its key
# matches. Sharpen the query (multiply it by a large $\beta$) and the lookup becomes exact; put it between
# two keys and it returns a blend of their values.

# %%
d, entries = 16, 6
keys = np.linalg.qr(rng.normal(size=(d, d)))[0][:entries] * np.sqrt(d)  # orthogonal keys of norm sqrt(d)
values = np.arange(entries, dtype=np.float32)[:, None] * 10.0  # value j = 10 j
K = jnp.asarray(keys, jnp.float32)[None, :, None, :]
V = jnp.asarray(values)[None, :, None, :]
fig, ax = plt.subplots(figsize=(6, 3))
lookups = {}
for beta in (0.25, 1.0, 4.0):
    query = jnp.asarray(beta * keys[2], jnp.float32)[None, None, None, :]
    w = attention_weights(query, K)[0, 0, 0]
    lookups[beta] = result = float(scaled_dot_product_attention(query, K, V)[0, 0, 0, 0])
    ax.plot(range(entries), np.asarray(w), marker="o", label=f"beta={beta}: returns {result:.1f}")
ax.set(xlabel="key j", ylabel="weight", title="query = beta * key 2 (value 20)")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "transformer_soft_lookup.png", dpi=90)
plt.close(fig)
between = jnp.asarray(2.0 * (keys[1] + keys[4]) / 2, jnp.float32)[None, None, None, :]
blend = float(scaled_dot_product_attention(between, K, V)[0, 0, 0, 0])
print("sharpening the query, the lookup returns", {beta: round(value, 3) for beta, value in lookups.items()})
print("query halfway between key 1 (value 10) and key 4 (value 40) returns", round(blend, 2))
assert abs(lookups[4.0] - 20.0) < 1e-3 < abs(lookups[0.25] - 20.0)  # exact only in the sharp limit
assert abs(blend - 25.0) < 1e-3  # the two matched values, equally weighted (the other four average 25 too)

# %% [markdown]
# ## Summary
# * $q \cdot k$ has variance $d_k$; dividing by $\sqrt{d_k}$ keeps the softmax away from saturation, where
#   its gradient $p(1-p)$ vanishes.
# * Masks add $-\infty$ to forbidden logits: padding masks hide `<pad>`, the causal mask hides the future,
#   so earlier outputs provably ignore later tokens.
# * Sinusoidal position codes make $PE_p \cdot PE_q$ a function of $p - q$ only.
# * Attention is a differentiable dictionary: a softmax-weighted average of values, exact in the sharp limit.
#
# ## Exercises
# 1. Repeat section 1 with queries and keys of variance 1/d_k (as after a LayerNorm and a 1/sqrt(d) init).
#    Is the division still needed?
# 2. Show that without any mask or position code, permuting the keys and values together leaves the output
#    unchanged, while permuting the queries permutes the output.
# 3. Find the smallest beta for which the lookup in section 4 returns 20 to within 0.1.
