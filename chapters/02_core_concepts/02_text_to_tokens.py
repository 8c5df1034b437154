# %% [markdown]
# # Chapter 2.2: how text becomes numbers
#
# A neural network reads numbers, not words. A **tokenizer** maps text to a sequence of integer ids and
# back. mmjax uses the simplest honest choice for a closed world: one token per word, with a fixed
# vocabulary saved in the package, plus four special tokens:
#
# | token | id | purpose |
# |---|---|---|
# | `<pad>` | 0 | fills sequences to a fixed length (fixed shapes for `jax.jit`) |
# | `<bos>` | 1 | beginning of sequence: the decoder's first input |
# | `<eos>` | 2 | end of sequence: the decoder says it is done |
# | `<unk>` | 3 | a word outside the vocabulary, when asked for instead of an error |
#
# Prerequisites: chapter 2.1; `jax.numpy` arrays and `jax.grad`. Run time: a few seconds.

# %%

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from mmjax.data.shapes import ShapesSource
from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("02_core_concepts/02_text_to_tokens")
tokenizer = Tokenizer.default()
print(f"vocabulary: {tokenizer.vocab_size} tokens, sequences padded to {MAX_TOKENS}")
print(tokenizer.vocabulary)
chapter.record("vocab_size", tokenizer.vocab_size)
chapter.record("max_tokens", MAX_TOKENS)

# %% [markdown]
# ## Encode and decode
# `encode` lower-cases, splits on white space, looks each word up and frames the sequence as
# `<bos> w_1 ... w_n <eos> <pad> ...`. `decode` inverts it.

# %%
caption = "A big red circle at the upper left"
ids = tokenizer.encode(caption)
print(ids)
print([tokenizer.vocabulary[i] for i in ids])
print("decoded:", tokenizer.decode(ids))
assert tokenizer.decode(ids) == caption.lower()

# %% [markdown]
# An unknown word is an error by default (a typo should not silently change a prompt); `unknown="unk"`
# maps it to `<unk>` instead.

# %%
try:
    tokenizer.encode("a big red hexagon")
except ValueError as error:
    print("ValueError:", error)
print(tokenizer.decode(tokenizer.encode("a big red hexagon", unknown="unk")))

# %% [markdown]
# ## From ids to vectors: the embedding lookup
# A model turns each id into a learned vector by indexing a matrix $E \in \mathbb{R}^{V \times D}$:
# $x_t = E[\text{id}_t]$. That is the same as multiplying a one-hot vector by $E$,
#
# $$x_t = \text{onehot}(\text{id}_t)^\top E, \qquad
#   \frac{\partial}{\partial E_{v}} \sum_t x_t = \sum_t [\text{id}_t = v]\,\mathbf{1},$$
#
# which is why the embedding's gradient only touches the rows of the tokens that occur: here the 11
# distinct ids of the caption above (`<pad>`, `<bos>`, `<eos>` and 8 words), counted as `grad_rows`.

# %%
vocab, dim = tokenizer.vocab_size, 8
E = jax.random.normal(jax.random.key(0), (vocab, dim))
lookup = E[ids]  # [T, D]
one_hot = jax.nn.one_hot(ids, vocab) @ E  # [T, V] @ [V, D]
print("lookup == one-hot matmul:", bool(jnp.allclose(lookup, one_hot)))
assert jnp.allclose(lookup, one_hot)
grad = jax.grad(lambda E: E[ids].sum())(E)
rows = sorted(set(np.flatnonzero(np.abs(grad).sum(1)).tolist()))
print("rows with non-zero gradient:", rows)
print("token ids in the caption:   ", sorted(set(ids.tolist())))
assert rows == sorted(set(ids.tolist()))
# a row's gradient is the number of times its token occurs (here <pad> 14 times), in every column
assert np.allclose(grad[tokenizer.pad_id], (ids == tokenizer.pad_id).sum())
chapter.record("grad_rows", len(rows))

# %% [markdown]
# ## A batch of captions
# Padding to `MAX_TOKENS` gives every batch the same shape, so `jax.jit` compiles the model once (see
# chapter 7.4); a mask `ids != <pad>` tells attention which positions are real. The figure shows the first
# 8 captions of `train`, one row each, every cell labelled with its token: words coloured by id, the
# special tokens in fixed colours. The statistics below it count `NUM_CAPTIONS` captions (200 in quick mode,
# 5000 in full mode).

# %%
NUM_CAPTIONS = 200 if chapter.quick else 5000
source = ShapesSource("train", NUM_CAPTIONS, ("caption",))
batch = np.stack([source[i]["tokens"] for i in range(NUM_CAPTIONS)])
shown = batch[:8]
special = {
    tokenizer.pad_id: ("<pad>", "0.9"),
    tokenizer.bos_id: ("<bos>", "tab:orange"),
    tokenizer.eos_id: ("<eos>", "tab:red"),
}
fig, ax = plt.subplots(figsize=(14, 4))
words = np.ma.masked_where(shown < 4, shown)  # word ids 4..46 on a colour scale
figures.heatmap(fig, ax, words, "word token id", cmap="Blues", vmin=4, vmax=tokenizer.vocab_size - 1, aspect="auto")
for token, (_name, colour) in special.items():  # each special token in its own colour, over the word scale
    ax.imshow(np.ma.masked_where(shown != token, shown), cmap=ListedColormap([colour]), aspect="auto")
for (r, c), token in np.ndenumerate(shown):
    text = tokenizer.vocabulary[token]
    ax.text(c, r, text, ha="center", va="center", fontsize=6, color="white" if token > 25 else "black")
ax.legend(
    handles=[Patch(color=colour, label=f"{name} = {token}") for token, (name, colour) in special.items()],
    loc="lower right",
    bbox_to_anchor=(1, 1),
    ncol=3,
    fontsize=8,
)
figures.label(
    ax, f"token ids of 8 captions, padded to {MAX_TOKENS}", "position in the sequence (token)", "caption", legend=False
)
figures.save(fig, chapter.out / "token_batch.png", dpi=90)
lengths = (batch != tokenizer.pad_id).sum(1)
print("caption lengths with <bos>/<eos>, first 8:", lengths[:8].tolist())
print(
    f"over {NUM_CAPTIONS} captions: mean {lengths.mean():.2f} tokens, longest {lengths.max()}, "
    f"{(batch == tokenizer.pad_id).mean():.0%} of all positions are <pad>"
)
chapter.record("mean_tokens", lengths.mean())
chapter.record("longest_tokens", lengths.max())
chapter.record("pad_fraction", (batch == tokenizer.pad_id).mean())

# %% [markdown]
# With its `<bos>` and `<eos>` a still caption is at most `longest_tokens` = 16 tokens long (video captions,
# which add a motion, are longer: that is why `MAX_TOKENS` is 24) and the `mean_tokens` is about 11.7,
# so more than half of every padded row is `<pad>`: the `pad_fraction` is about 0.51. That is the price of
# fixed shapes; the mask makes it cost compute but never change a result.

# %% [markdown]
# ## Summary
# * Text -> ids -> vectors: a tokenizer, then an embedding lookup $x_t = E[\text{id}_t]$.
# * Special tokens frame (`<bos>`, `<eos>`) and pad (`<pad>`) sequences to fixed shapes.
#
# ## Exercises
# 1. Write a character-level tokenizer (one token per character, spaces included, plus `<bos>` and
#    `<eos>`). Over the first 1000 `train` captions, how long do the sequences become on average? You should
#    find about 48.9 tokens instead of 11.7 words: `check(mean_chars, expected=48.9, tol=0.2)`
#    (`from mmjax.utils.selfcheck import check`). Self-attention compares every pair of positions, so its
#    cost grows about `(48.9 / 11.7) ** 2`, i.e. 17.5 times.
# 2. Why must `<pad>` positions be masked in attention but `<eos>` not? Check it: with `E` as above, compute
#    single-head self-attention `softmax(X X^T / sqrt(8)) X` with `X = E[ids]` for the caption above encoded
#    with `max_len=24` and with `max_len=32`, and compare the outputs at the 10 real positions. You should
#    observe a maximum difference of about 0.30 without a mask, and exactly 0 when the scores of `<pad>` keys
#    are set to `-inf`: `check(diff_masked, expected=0.0, tol=1e-6)`. `<eos>` is a real token: the decoder
#    must learn to produce it, and its presence does not depend on how much padding follows.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `vocab_size`: tokens in the vocabulary | 47 ± 0 | 47 ± 0 |
# | `max_tokens`: padded sequence length | 24 ± 0 | 24 ± 0 |
# | `grad_rows`: embedding rows with a gradient (distinct ids of the caption) | 11 ± 0 | 11 ± 0 |
# | `mean_tokens`: mean caption length with `<bos>`/`<eos>` | 11.7 ± 0.1 | 11.7 ± 0.4 |
# | `longest_tokens`: longest still caption | 16 .. 19 | <= 24 |
# | `pad_fraction`: share of padded positions | 0.51 ± 0.01 | 0.51 ± 0.02 |

# %%
chapter.finish()
