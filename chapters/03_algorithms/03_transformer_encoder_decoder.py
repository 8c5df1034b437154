# %% [markdown]
# # Chapter 3.3: the encoder-decoder Transformer, step by step
#
# The short version of this section is "x = encode(caption), y = decode(x)". Here we run every step on
# real Shapes captions and look at what happens in between:
#
# 1. **initialise** an encoder and a decoder (a static graph plus a pytree of arrays),
# 2. **encode** a caption into one vector per word, each word having looked at every other word,
# 3. **decode** an output sequence one token at a time, each step attending to the caption
#    (cross-attention) and to the tokens already produced (causal self-attention, with a cache),
# 4. **train** the pair for a minute so that it reads a caption and writes the scene's labels, with a
#    train step written here by hand (and checked against the library's), then look at its attention maps.
#
# The output sequence is the scene's labels, e.g. `small green triangle left_of large cyan circle`.
# Captions paraphrase ("tiny", "little", "small" all mean *small*), so the model must read, not copy.

# %%
import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.captions import parse_caption
from mmjax.data.shapes import ShapesSource
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn import functional as F
from mmjax.nn.attention_maps import attention_maps, plot_attention
from mmjax.nn.decoding import DecodeOptions
from mmjax.nn.transformer import EncoderDecoder, TransformerConfig, generate
from mmjax.seq2seq import step as S
from mmjax.train.schedules import warmup_cosine
from mmjax.train.state import new_train_state
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("03_algorithms")
QUICK = quick_mode()
tokenizer = Tokenizer.default()

# %% [markdown]
# ## The data: caption tokens in, label tokens out
# Labels get their own small vocabulary after the three special tokens `<pad> <bos> <eos>`, which
# have the same ids (0, 1, 2) as in the caption tokenizer.

# %%
LABELS = ["<pad>", "<bos>", "<eos>"]
LABELS += [f"size:{s}" for s in A.SIZES] + list(A.COLOURS) + list(A.SHAPES)
LABELS += [f"row:{r}" for r in A.ROWS] + [f"col:{c}" for c in A.COLS] + [r.replace(" ", "_") for r in A.RELATIONS]
LABEL_ID = {name: i for i, name in enumerate(LABELS)}
TARGET_LENGTH = 10  # <bos> + 7 labels of a two-object scene + <eos>, plus one spare


def label_sequence(caption: str) -> np.ndarray:
    """<bos> (size colour shape [row col]) per object, [relation], <eos>, padded: what the caption says."""
    parsed = parse_caption(caption)
    words = []
    for obj in parsed["objects"]:
        words += [f"size:{A.SIZES[obj['size']]}", A.COLOURS[obj["colour"]], A.SHAPES[obj["shape"]]]
        if "row" in obj:
            words += [f"row:{A.ROWS[obj['row']]}", f"col:{A.COLS[obj['col']]}"]
    if parsed["num_objects"] == 2:
        words.insert(3, A.RELATIONS[parsed["relation"]].replace(" ", "_"))
    ids = [1] + [LABEL_ID[w] for w in words] + [2]
    return np.array(ids + [0] * (TARGET_LENGTH - len(ids)), np.int32)


def make_arrays(split: str, count: int) -> dict[str, np.ndarray]:
    source = ShapesSource(split, count, ("caption",))
    examples = [source[i] for i in range(count)]
    return {
        "caption": [e["caption"] for e in examples],
        "source": np.stack([e["tokens"] for e in examples]),
        "target": np.stack([label_sequence(e["caption"]) for e in examples]),
    }


train = make_arrays("train", 512 if QUICK else 4000)
test = make_arrays("test", 64 if QUICK else 500)  # new scenes, but colour-shape pairs seen in training
heldout = make_arrays("test_heldout", 64 if QUICK else 500)  # colour-shape pairs never seen in training
print(train["caption"][0], "->", [LABELS[i] for i in train["target"][0] if i > 2])

# %% [markdown]
# ## 1. Initialise
# Each side has its own vocabulary: the encoder reads caption tokens (`vocab_size`), the decoder reads and
# writes labels (`target_vocab_size`), so every id the model can emit names a label.
# `mmjax.nn.functional.split` separates the static structure (`graphdef`) from the variables, a plain
# pytree of arrays (`{"params": ..., "state": ...}`) that pure functions take and return.

# %%
config = TransformerConfig(
    vocab_size=tokenizer.vocab_size,
    target_vocab_size=len(LABELS),
    d_model=64,
    num_heads=4,
    num_layers=1 if QUICK else 2,
    d_hidden=128,
    max_length=max(train["source"].shape[1], TARGET_LENGTH),
)
graphdef, variables = F.split(EncoderDecoder(config, rngs=nnx.Rngs(0)))
for part in ("source_embedding", "encoder", "target_embedding", "decoder", "head"):
    count = sum(x.size for x in jax.tree.leaves(variables["params"][part]))
    print(f"{part:17s} {count:8d} parameters")

# %% [markdown]
# ## 2. Encode
# The encoder maps the caption's token ids `[B, S]` to one vector per position, `memory [B, S, D]`,
# and returns the padding mask that hides `<pad>` positions from every later attention.

# %%
encode = jax.jit(lambda variables, source: F.call(graphdef, variables, source, method="encode")[0])
memory, memory_mask = encode(variables, jnp.asarray(train["source"][:2]))
print("memory", memory.shape, "mask", memory_mask.shape, "real tokens:", memory_mask.sum(-1).ravel().tolist())

# %% [markdown]
# ## 3. Decode, one token at a time
# Decoding starts from `<bos>` at position 0. Each step embeds the newest token, appends its key and value
# to every layer's cache (so earlier tokens are never recomputed), and returns the logits of the next
# token. Greedy decoding takes the arg-max. Untrained, the output is noise.

# %%
cache = F.call(graphdef, variables, memory, memory_mask, TARGET_LENGTH, method="init_cache")[0]
decode_step = jax.jit(lambda variables, *args: F.call(graphdef, variables, *args, method="decode_step")[0])
token = jnp.full((2,), 1)
for index in range(5):
    logits, cache = decode_step(variables, token, cache, index)
    token = jnp.argmax(logits, -1)
    print(f"step {index}: next tokens {token.tolist()}")

# %% [markdown]
# `generate` runs the same loop under `jax.jit` with `lax.while_loop`, for greedy decoding, beam search or
# sampling, on a whole batch at once (here the held-out batch we evaluate on after training).

# %%
options = DecodeOptions("greedy", max_length=TARGET_LENGTH - 1)
print(generate(graphdef, variables, jnp.asarray(heldout["source"]), options)[:2])

# %% [markdown]
# ## 4. Train, then read the attention
# Teacher forcing: the decoder sees the true labels shifted right and predicts each next one; the loss is
# the cross-entropy on real (non-padding) positions, followed by one AdamW update (Optax, with the
# learning rate warmed up and cosine-decayed over the run):
# $$L = -\frac{1}{N} \sum_{b,t:\, y_{bt} \neq \text{pad}} \log p_\theta(y_{bt} \mid y_{b,<t}, x_b), \qquad
#   \theta \leftarrow \theta + \mathrm{AdamW}(\nabla_\theta L)$$
# The train state is the one every mmjax model uses: `{"params", "state", "opt_state", "step"}`.

# %%
steps = 40 if QUICK else 1000
optimizer = optax.inject_hyperparams(optax.adamw)(learning_rate=warmup_cosine(2e-3, steps, 50), weight_decay=1e-4)


@jax.jit
def train_step(state, source, target):
    def loss_fn(params):
        logits = F.call(graphdef, {**state, "params": params}, source, target[:, :-1])[0]  # [B, T - 1, V]
        labels = target[:, 1:]  # [B, T - 1]: the next label at every position
        log_p = jnp.take_along_axis(jax.nn.log_softmax(logits), labels[..., None], axis=-1)[..., 0]
        real = labels != 0  # not <pad>
        return -jnp.sum(log_p * real) / jnp.sum(real)

    loss, grads = jax.value_and_grad(loss_fn)(state["params"])
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {**state, "params": params, "opt_state": opt_state, "step": state["step"] + 1}, loss


# The library's step for any encoder-decoder (the one `mmjax train seq2seq` runs), to check ours against.
library_step = jax.jit(lambda state, batch: S.teacher_forced_step(graphdef, state, batch, None, optimizer))

state = new_train_state(variables, optimizer)
rng = np.random.default_rng(0)
losses = []
for step in range(steps):
    batch = rng.integers(0, len(train["source"]), 64)
    source, target = jnp.asarray(train["source"][batch]), jnp.asarray(train["target"][batch])
    if step == steps // 2:  # half-way, where the learning rate is high and Adam's moments are real
        library_state, library_metrics = library_step(state, {"source": source, "target": target})
    new_state, loss = train_step(state, source, target)
    if step == steps // 2:
        np.testing.assert_allclose(float(loss), float(library_metrics["loss"]), rtol=1e-5)
        for ours, theirs in zip(jax.tree.leaves(new_state["params"]), jax.tree.leaves(library_state["params"])):
            np.testing.assert_allclose(ours, theirs, atol=1e-6)
        moved = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(new_state["params"]),
                                                                     jax.tree.leaves(state["params"])))
        assert moved > 1e-4, moved  # the check compared a real update
        print(f"step {step + 1}: the hand-written step equals the library's (parameters moved up to {moved:.1e})")
    state = new_state
    losses.append(float(loss))
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} after {steps} steps")
assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5]), losses

for name, split in (("test (seen colour-shape pairs)", test), ("test_heldout (unseen pairs)", heldout)):
    decoded = np.asarray(generate(graphdef, state, jnp.asarray(split["source"]), options))
    correct = np.all(decoded == split["target"][:, 1:], axis=1)
    print(f"exact match on {name}: {correct.mean():.1%}")
assert decoded.max() < len(LABELS)  # the decoder can only write ids that name a label
print("some held-out captions and what the model wrote:")
for caption, ids in list(zip(heldout["caption"], decoded))[:4]:
    print(f"  {caption!r} -> {' '.join(LABELS[i] for i in ids if i > 2)}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(losses)
ax.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="caption -> labels")
fig.tight_layout()
fig.savefig(OUT / "transformer_caption_loss.png", dpi=90)
plt.close(fig)

# %% [markdown]
# On new scenes built from familiar colour-shape pairs the model is (nearly) exact. On pairs it never saw,
# e.g. a *green cross*, it makes mistakes of one kind: it writes a pair it knows ("green triangle"). Its
# parts are fine, its composition is not; generalising to new combinations is a property to measure,
# not to assume: that is what the `test_heldout` split is for.
#
# Cross-attention of the last decoder layer. Rows are decoder *inputs*: the row of `<bos>` predicts the
# first label, the row of `size:large` predicts the colour, and so on. A trained head reads, in each row,
# the caption word of the label it is about to write ("big" in the `<bos>` row, "red" in the
# `size:large` row); other heads spread out. The encoder's self-attention mixes neighbouring words.

# %%
example = {k: jnp.asarray(v[:1]) for k, v in heldout.items() if k != "caption"}
forward = lambda model: model(example["source"], example["target"][:, :-1])
maps = jax.jit(lambda variables: attention_maps(graphdef, variables, forward))(state)
words = [tokenizer.vocabulary[i] for i in example["source"][0]]
labels = [LABELS[i] for i in example["target"][0, :-1]]
plot_attention(maps[f"decoder/blocks/{config.num_layers - 1}/cross_attention"][0], labels, words,
               OUT / "transformer_cross_attention.png", query_axis="decoder input (labels so far)",
               key_axis="caption word", title="cross-attention: labels (rows) read caption words")
plot_attention(maps["encoder/blocks/0/attention"][0], words, words, OUT / "transformer_encoder_attention.png",
               query_axis="caption word", key_axis="caption word", title="encoder self-attention, layer 0")
print(sorted(maps))

# %% [markdown]
# ## Summary
# * The encoder turns a caption into `memory [B, S, D]`; the decoder writes the output one token at a
#   time, each step attending to the memory (cross-attention) and to its own past (causal self-attention).
# * Incremental decoding keeps every layer's keys and values in a cache, so a step costs one token's work.
# * A train step is the masked cross-entropy and one optimiser update; written by hand it matches the
#   library's `teacher_forced_step` to float precision.
# * Trained for a minute, the model maps paraphrased captions to labels; cross-attention shows which word
#   each label is read from. Colour-shape pairs never seen in training are where it fails, by writing a
#   familiar pair instead: compositional generalisation has to be measured (`test_heldout`).
#
# ## Exercises
# 1. Decode with `DecodeOptions("beam", beam_size=4)` and with sampling at temperature 1.5. When do they differ?
# 2. Train with `position="none"`. Which labels break, and why (hint: "a red circle left of a blue square")?
# 3. Swap the roles: decode a caption from the labels. Is exact match still the right metric?
