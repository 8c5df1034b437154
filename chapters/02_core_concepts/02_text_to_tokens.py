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

# %%
import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.data.shapes import ShapesSource
from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("02_core_concepts")
tokenizer = Tokenizer.default()
print(f"vocabulary: {tokenizer.vocab_size} tokens, sequences padded to {MAX_TOKENS}")
print(tokenizer.vocabulary)

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
# $x_t = E[\text{id}_t]$. That is the same as multiplying a one-hot vector by $E$, which is why the
# embedding's gradient only touches the rows of the tokens that occur.

# %%
vocab, dim = tokenizer.vocab_size, 8
E = jax.random.normal(jax.random.key(0), (vocab, dim))
lookup = E[ids]  # [T, D]
one_hot = jax.nn.one_hot(ids, vocab) @ E  # [T, V] @ [V, D]
print("lookup == one-hot matmul:", bool(jnp.allclose(lookup, one_hot)))
grad = jax.grad(lambda E: E[ids].sum())(E)
print("rows with non-zero gradient:", sorted(set(np.flatnonzero(np.abs(grad).sum(1)).tolist())))
print("token ids in the caption:   ", sorted(set(ids.tolist())))

# %% [markdown]
# ## A batch of captions
# Padding to `MAX_TOKENS` gives every batch the same shape; a mask `ids != <pad>` tells attention which
# positions are real.

# %%
n = 8 if quick_mode() else 32
source = ShapesSource("train", n, ("caption",))
batch = np.stack([source[i]["tokens"] for i in range(n)])
fig, ax = plt.subplots(figsize=(10, 0.3 * n + 1))
ax.imshow(batch, cmap="tab20", aspect="auto")
ax.imshow(np.ma.masked_where(batch != tokenizer.pad_id, batch), cmap="gray", aspect="auto")
ax.set_xlabel("position")
ax.set_ylabel("caption")
ax.set_title("token ids of a batch (grey = <pad>)")
fig.savefig(OUT / "token_batch.png", dpi=90, bbox_inches="tight")
plt.close(fig)
lengths = (batch != tokenizer.pad_id).sum(1)
print("caption lengths with <bos>/<eos>:", lengths.tolist())

# %% [markdown]
# ## Summary
# * Text -> ids -> vectors: a tokenizer, then an embedding lookup $x_t = E[\text{id}_t]$.
# * Special tokens frame (`<bos>`, `<eos>`) and pad (`<pad>`) sequences to fixed shapes.
#
# ## Exercises
# 1. Write a character-level tokenizer. How long do the captions become, and what does that cost attention?
# 2. Why must `<pad>` positions be masked in attention but `<eos>` not?
