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
# 4. **train** the pair (1000 steps, 2-3 minutes on 2 CPU cores) so that it reads a caption and writes
#    the scene's labels, with a train step written here by hand (and checked against the library's), then
#    look at its attention maps.
#
# The output sequence is the scene's labels, e.g. `small green triangle left_of large cyan circle`.
# Captions paraphrase ("tiny", "little", "small" all mean *small*), so the model must read, not copy.

# %%

import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.captions import RELATION_WORDS, SIZE_WORDS, parse_caption
from mmjax.data.shapes import ShapesSource
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn import functional as F
from mmjax.nn.attention_maps import attention_maps, plot_attention
from mmjax.nn.decoding import DecodeOptions
from mmjax.nn.transformer import EncoderDecoder, TransformerConfig, generate
from mmjax.seq2seq import step as S
from mmjax.train.schedules import warmup_cosine
from mmjax.train.state import new_train_state
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("03_algorithms/03_transformer_encoder_decoder")
QUICK = chapter.quick  # 512 training captions, a 1+1-layer model and 40 steps instead of 4000, 2+2 and 1000
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
chapter.record("parameters", sum(x.size for x in jax.tree.leaves(variables["params"])))
print(f"{'total':17s} {chapter.values['parameters']:8.0f} parameters")

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
# learning rate warmed up linearly over 50 steps to $2 \cdot 10^{-3}$, 38 in quick mode's 40, and
# cosine-decayed to 0 at the last step):
# $$L = -\frac{1}{N} \sum_{b,t:\, y_{bt} \neq \text{pad}} \log p_\theta(y_{bt} \mid y_{b,<t}, x_b), \qquad
#   \theta \leftarrow \theta + \mathrm{AdamW}(\nabla_\theta L)$$
# with $N$ the number of real label positions. The train state is the one every mmjax model uses:
# `{"params", "state", "opt_state", "step"}`. Half-way through, the same batch goes through the library's
# `teacher_forced_step` (what `mmjax train seq2seq` runs): loss and parameters must agree to float precision.

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
start = time.perf_counter()
for step in range(steps):
    batch = rng.integers(0, len(train["source"]), 64)
    source, target = jnp.asarray(train["source"][batch]), jnp.asarray(train["target"][batch])
    if step == steps // 2:  # half-way, where the learning rate is high and Adam's moments are real
        library_state, library_metrics = library_step(state, {"source": source, "target": target})
    new_state, loss = train_step(state, source, target)
    if step == steps // 2:
        np.testing.assert_allclose(float(loss), float(library_metrics["loss"]), rtol=1e-5)
        pairs = list(zip(jax.tree.leaves(new_state["params"]), jax.tree.leaves(library_state["params"])))
        differs = chapter.record("hand_minus_library", max(float(jnp.max(jnp.abs(a - b))) for a, b in pairs))
        moved = max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(jax.tree.leaves(new_state["params"]), jax.tree.leaves(state["params"]))
        )
        assert differs < 1e-6 and moved > 1e-5, (differs, moved)  # a real update, 10x the tolerance
        print(
            f"step {step + 1}: the hand-written step equals the library's to {differs:.1e} "
            f"(parameters moved up to {moved:.1e})"
        )
    state = new_state
    losses.append(float(loss))
chapter.record("train_seconds", time.perf_counter() - start)
final_loss = chapter.record("final_loss", np.mean(losses[-5:]))
print(
    f"loss {losses[0]:.3f} -> {final_loss:.4f} (mean of the last 5) after {steps} steps, "
    f"{chapter.values['train_seconds']:.0f} s"
)
assert final_loss < 0.5 * np.mean(losses[:5]), losses

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(np.arange(1, steps + 1), losses, label="train batch (64 captions)")
ax.set_yscale("log")
figures.label(
    ax,
    f"caption -> labels: teacher-forced cross-entropy, {steps} steps",
    "train step",
    "nats per label",
    better="lower",
)
figures.save(fig, chapter.keep("transformer_caption_loss.png"), dpi=90)
if QUICK:  # 40 steps end near 1 nat per label; the full run's 1000 go down to 0.001
    chapter.full_run_figure("transformer_caption_loss.png")

# %% [markdown]
# ## 5. Does it read, or does it remember?
# Greedy decoding from the caption alone, scored by exact match (every label right, in order). `test` holds
# new scenes whose colour-shape pairs all occur in training; `test_heldout` holds only the four pairs training
# never shows (red triangle, green cross, blue circle, yellow square), each of whose colour and shape it has
# seen with other partners. For every object the model gets wrong on `test_heldout`, we check whether the
# pair it wrote is one it saw in training.

# %%
TRAIN_PAIRS = {
    (A.COLOURS[c], A.SHAPES[s])
    for c in range(len(A.COLOURS))
    for s in range(len(A.SHAPES))
    if (c, s) not in A.HELDOUT_PAIR_IDS
}
COLOUR_IDS = {LABEL_ID[c] for c in A.COLOURS}
decoded, expected = {}, {}
for name, split in (("test", test), ("test_heldout", heldout)):
    decoded[name] = np.asarray(generate(graphdef, state, jnp.asarray(split["source"]), options))  # no <bos>
    expected[name] = split["target"][:, 1:]
    assert decoded[name].max() < len(LABELS)  # the decoder can only write ids that name a label
    exact = np.all(decoded[name] == expected[name], axis=1).mean()
    chapter.record(f"exact_match_{name.removeprefix('test_')}", exact)
    print(f"exact match on {name}: {exact:.1%}")
decoded, expected = decoded["test_heldout"], expected["test_heldout"]
real = expected != 0
chapter.record("heldout_token_accuracy", np.sum((decoded == expected) & real) / np.sum(real))
# Every object of test_heldout: its colour label at position t, its shape label at t + 1.
objects = zip(*np.nonzero(np.isin(expected, list(COLOUR_IDS))))
wrong = [
    ((LABELS[expected[b, t]], LABELS[expected[b, t + 1]]), (LABELS[decoded[b, t]], LABELS[decoded[b, t + 1]]))
    for b, t in objects
    if (decoded[b, t], decoded[b, t + 1]) != (expected[b, t], expected[b, t + 1])
]
# A familiar swap keeps the colour or the shape and writes a pair seen in training ("red triangle" -> "red square").
swaps = [written in TRAIN_PAIRS and (written[0] == true[0]) != (written[1] == true[1]) for true, written in wrong]
print(
    f"{len(wrong)} of {np.isin(expected, list(COLOUR_IDS)).sum()} objects on test_heldout written wrong; "
    f"familiar swaps among them: {np.mean(swaps) if wrong else float('nan'):.0%}"
)
if wrong:
    chapter.record("familiar_swaps", np.mean(swaps))
print("some held-out captions and what the model wrote:")
for caption, ids in list(zip(heldout["caption"], decoded))[:4]:
    print(f"  {caption!r} -> {' '.join(LABELS[i] for i in ids if i > 2)}")

# %% [markdown]
# After the full run the model is exact on new scenes built from familiar colour-shape pairs: the
# `exact_match_test` is 1.0. On the pairs it never saw it gets most captions right (the
# `exact_match_heldout` is 0.946) and almost every label (the `heldout_token_accuracy` is 0.99), and its
# mistakes are of one kind: 33 of the 763 objects are written wrong, and every one of them keeps the colour
# or the shape and swaps the other for a pair seen in training (the `familiar_swaps` share is 1.0; a wrong
# pair picked at random would be such a swap 8 times in 23), e.g. "big red triangle" becomes
# "size:large red square". Its parts are fine, their composition is not always; generalising to new
# combinations is a property to measure, not to assume: that is what the `test_heldout` split is for.
# Quick mode trains 40 steps and cannot show this (its exact match is 8% on `test` and 0 on `test_heldout`);
# the numbers above are the committed full run's, checked in the Expected results below.
#
# ## 6. What the attention reads
# Cross-attention of the last decoder layer on one held-out caption. Rows are decoder *inputs*: the row of
# `<bos>` predicts the first label, the row of `size:large` predicts the colour, and so on. To write a size,
# colour, shape or relation label, the decoder should read the caption word that states it ("big" in the
# `<bos>` row, "red" in the `size:large` row). We measure that over 64 two-object `test` captions: for every
# row that writes one of these labels, the largest weight any head puts on the word(s) stating it,
# $$\bar a = \operatorname{mean}_{b,t} \max_h \sum_{j \in \text{words}(y_{b,t+1})} A^{(b)}_{h,t,j},$$
# against what a head spreading its weight uniformly over the caption's real tokens would put there.
# After the full run the `label_word_attention` is 0.67, against 0.08 for uniform attention: a head reads
# the word it is about to write. In the figure (a `test_heldout` caption), head 0 reads "big" in the `<bos>`
# row and "green" in the `size:small` row, head 2 reads "triangle" in the `red` row, head 1 "cross" in the
# `green` row. The encoder's heads instead gather at a few words that the whole caption reads: in layer 0,
# head 0 collects at the first shape ("triangle"), head 1 at the relation ("beneath"). After 40 quick steps
# the heads are only starting to pick their words (about 0.3 on the right one); quick mode prints where the
# full run's figures are.


# %%
def forward(batch):
    """The teacher-forced call whose attention weights are recorded."""
    return lambda model: model(batch["source"], batch["target"][:, :-1])


cross_maps = jax.jit(
    lambda variables, batch: attention_maps(graphdef, variables, forward(batch))[
        f"decoder/blocks/{config.num_layers - 1}/cross_attention"
    ]
)
WORDS_OF = {f"size:{size}": set(words) for size, words in SIZE_WORDS.items()}  # caption words that state a label
WORDS_OF |= {c: {c} for c in A.COLOURS} | {s: {s} for s in A.SHAPES}
WORDS_OF |= {
    r.replace(" ", "_"): {w for phrase in RELATION_WORDS[r] for w in phrase.split()} - {"to", "the", "of"}
    for r in A.RELATIONS
}
two = [i for i, caption in enumerate(test["caption"]) if parse_caption(caption)["num_objects"] == 2][:64]
batch = {k: jnp.asarray(test[k][two]) for k in ("source", "target")}
weights = np.asarray(cross_maps(state, batch))  # [B, H, T, S]
read, uniform = [], []
for b in range(len(two)):
    words = [tokenizer.vocabulary[i] for i in test["source"][two[b]]]
    labels = [LABELS[i] for i in test["target"][two[b]]]
    relation = next(t for t, label in enumerate(labels) if label in ("above", "below", "left_of", "right_of"))
    for t in range(len(labels) - 1):
        label = labels[t + 1]
        if label not in WORDS_OF:
            continue  # <eos>, <pad>
        # which object the label is about: the k-th caption word stating this kind of label
        matches = [j for j, word in enumerate(words) if word in WORDS_OF[label]]
        if t + 1 == relation:
            where = matches  # "to the left of": the word "left"; "beneath": itself
        else:  # the first object's word if the label comes before the relation, else the second's
            where = [matches[0 if t + 1 < relation else -1]]
        read.append(weights[b, :, t, where].sum(0).max())
        uniform.append(len(where) / sum(word != "<pad>" for word in words))
label_word = chapter.record("label_word_attention", np.mean(read))
print(
    f"largest weight of a head on the word stating the next label: {label_word:.2f} "
    f"(uniform over the caption: {np.mean(uniform):.2f})"
)

example = {k: jnp.asarray(v[:1]) for k, v in heldout.items() if k != "caption"}
maps = jax.jit(lambda variables: attention_maps(graphdef, variables, forward(example)))(state)
words = [tokenizer.vocabulary[i] for i in example["source"][0]]
labels = [LABELS[i] for i in example["target"][0, :-1]]
plot_attention(
    maps[f"decoder/blocks/{config.num_layers - 1}/cross_attention"][0],
    labels,
    words,
    chapter.keep("transformer_cross_attention.png"),
    query_axis="decoder input (labels so far)",
    key_axis="caption word",
    title=f"cross-attention, decoder layer {config.num_layers - 1}: labels (rows) read caption words",
)
plot_attention(
    maps["encoder/blocks/0/attention"][0],
    words,
    words,
    chapter.keep("transformer_encoder_attention.png"),
    query_axis="caption word",
    key_axis="caption word",
    title="encoder self-attention, layer 0: caption words read caption words",
)
print(sorted(maps))
if QUICK:  # 40 steps leave the attention nearly uniform; the full run's maps are committed
    chapter.full_run_figure("transformer_cross_attention.png")
    chapter.full_run_figure("transformer_encoder_attention.png")

# %% [markdown]
# ## Summary
# * The encoder turns a caption into `memory [B, S, D]`; the decoder writes the output one token at a
#   time, each step attending to the memory (cross-attention) and to its own past (causal self-attention).
# * Incremental decoding keeps every layer's keys and values in a cache, so a step costs one token's work.
# * A train step is the masked cross-entropy and one optimiser update; written by hand it matches the
#   library's `teacher_forced_step` to float precision (the `hand_minus_library` difference is 0).
# * Trained for 1000 steps (2-3 minutes on 2 CPU cores), the model maps paraphrased captions to
#   labels, and cross-attention shows which word each label is read from. Colour-shape pairs never seen in
#   training are where it fails, by writing a familiar pair instead: compositional generalisation has to be
#   measured (`test_heldout`).
#
# ## Exercises
# Exercises 1 and 2 need the full run's trained `state` (`MMJAX_QUICK=0`; about 3 minutes on 2 CPU cores,
# and 3 more for the retraining in 2). Use `from mmjax.utils.selfcheck import check`.
# 1. **Other decoders.** Decode `test_heldout` with `DecodeOptions("beam", max_length=TARGET_LENGTH - 1,
#    beam_size=4)` and with `DecodeOptions("sample", max_length=TARGET_LENGTH - 1, temperature=1.5)` (pass
#    `jax.random.key(0)` as `generate`'s last argument) and score both like section 5. You should observe that
#    beam search changes almost nothing, `check(beam_exact, expected=0.948, tol=0.02)`, because the model is
#    confident and greedy is already its best sequence; sampling at 1.5 flattens the distribution and loses a
#    sixth of the captions, `check(sample_exact, expected=0.77, tol=0.05)` (0.86 on `test`; at temperature
#    1.0 it is back to 0.94). They differ where the model is unsure, which is on the unseen pairs.
# 2. **No positions.** Add `position="none"` to the `TransformerConfig` and rerun the chapter in full mode
#    (the Expected results check then fails, as it should). Split the `test` scores by the number of objects
#    (`parse_caption(caption)["num_objects"]`). You should observe that one-object captions stay exact
#    (`check(exact_one, expected=1.0, tol=0.01)`), but two-object captions drop to about a third
#    (`check(exact_two, expected=0.36, tol=0.1)`): the relation label is still right every time, the two
#    objects' sizes, colours and shapes are not. Without positions the encoder sees a bag of words, and
#    "a red circle left of a blue square", "a blue square left of a red circle" and "a red square left of a
#    blue circle" are the same bag: it cannot tell which object comes first, nor which colour goes with which
#    shape. (One-object captions have a single object to bind everything to.)
# 3. **Swap the roles** and decode a caption from the labels: is exact match still the right metric? Count
#    the captions that the templates of `mmjax.data.captions` (`TWO_OBJECT_TEMPLATES`, `SIZE_WORDS`,
#    `RELATION_WORDS`) produce for `size:small green triangle left_of size:large cyan circle` and that
#    `parse_caption` reads back to exactly these labels (a few lines of loops, no training):
#    `check(count, expected=24, tol=0)` (2 templates x 3 words for small x 2 for large x 2 phrasings of
#    "left of"). A decoder that always writes a correct caption matches a random reference exactly only 1 time
#    in 24; score the labels `parse_caption` reads back from the generated caption instead.
#
# Graded: `mmjax assignment new transformer --dir hw` writes stubs (docstrings and equations kept) of
# multi-head attention and a pre-LN Transformer block; `mmjax assignment grade hw` then scores your code
# test by test.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `parameters`: trainable parameters (2+2 layers full, 1+1 quick) | 173913 ± 0 | 90201 ± 0 |
# | `hand_minus_library`: largest parameter difference, hand vs library step | < 1e-6 | < 1e-6 |
# | `final_loss`: mean train cross-entropy of the last 5 steps | < 0.005 | 0.6 .. 1.8 |
# | `exact_match_test`: `test` captions decoded exactly (seen pairs) | 0.98 .. 1.0 | - (40 steps: see the full run) |
# | `exact_match_heldout`: `test_heldout` captions decoded exactly (unseen pairs) | 0.946 ± 0.04 | - (40 steps) |
# | `heldout_token_accuracy`: `test_heldout` labels right | 0.99 ± 0.01 | - (40 steps) |
# | `familiar_swaps`: wrong objects that keep one part and write a training pair | 0.8 .. 1.0 | - (40 steps) |
# | `label_word_attention`: a head's weight on the word stating the next label | 0.67 ± 0.1 | > 0.15 |
# | `train_seconds`: wall time of the training loop | - (depends on the machine) | - (depends on the machine) |

# %%
chapter.finish()
