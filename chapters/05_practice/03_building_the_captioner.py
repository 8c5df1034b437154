# %% [markdown]
# # Chapter 5.3: building and training the captioner
#
# The other half of chapter 5.1, `model.generate_text(picture)`, is an image-to-text Transformer trained with
# `mmjax train captioner` (the package `mmjax/captioner/`). It is the encoder-decoder of chapter 3.3 with one
# change: the encoder reads *patches of a picture* instead of tokens. This chapter builds it up: the patch
# embedding, teacher forcing and one training step by hand (checked against the library), a tiny run through
# the shared loop, greedy decoding by hand against the library's cached decoder, beam search, and the
# figures stored with the shipped model.
#
# Prerequisites: chapters 3.3 and 4.2 (the encoder-decoder, attention, greedy and beam decoding), chapter 7.1
# (train states and Optax). Run time: about half a minute in quick mode, a few minutes in full mode.

# %%
import shutil
import textwrap
import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from mmjax.captioner import export, step
from mmjax.captioner import model as M
from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
from mmjax.captioner.task import TASK
from mmjax.data.shapes import example
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn import functional as F
from mmjax.nn.patch_embed import patchify
from mmjax.pretrained.agreement import agreement
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.train.restore import load_run
from mmjax.utils import figures, npz_checkpoint
from mmjax.utils.chapter import Chapter

chapter = Chapter("05_practice/03_building_the_captioner")
tokenizer = Tokenizer.default()

# %% [markdown]
# ## The model
# A 32 x 32 picture is cut into $P \times P$ patches ($P = 4$: an 8 x 8 grid of $N = 64$ patches). The encoder
# reads only each patch's *brightness* $v = \max_c x_c$ (HSV's value), flattened to $P^2 = 16$ numbers and
# projected to width $D$, plus a learned code of its position; each patch's *colour* $c_n$ joins its token after
# the encoder. From there it is chapter 3.3's encoder-decoder:
#
# $$x = \frac{\text{image}}{255}, \qquad v = \max_c x_c, \qquad
#   c_n = \frac{\sum_{p \in n} x(p)}{\sum_{p \in n} v(p) + \epsilon}$$
# $$\text{memory}_n = \mathrm{Encoder}\big(W_{\text{patch}} \operatorname{vec}(2 v_n - 1) + b + PE[n]\big)_n
#   + W_c\, c_n \in \mathbb{R}^{D}$$
# $$\text{logits}_t = W_{\text{out}}\,\mathrm{Decoder}\big(E[y_{<t}]\sqrt{D} + PE,\ \text{memory}\big)_t
#   \in \mathbb{R}^{V}$$
#
# Why split them: every Shapes colour has a channel near 255, so a triangle has the same brightness in any
# colour, and the encoder, which never sees colour, describes a red triangle exactly as the triangles of other
# colours it was trained on. Fed RGB patches (`colour_enters="pixels"`, a plain ViT), the encoder learns colour
# and shape together, and the colour x shape pairs of `test_heldout`, never seen in training, come out as a
# shape seen with that colour.
#
# Every decoder block attends causally to the words so far, then across to all 64 patches (cross-attention),
# then applies an MLP. Every patch is real, so the memory needs no padding mask.
#
# **A patch embedding is a convolution** with kernel size = stride = $P$: cutting, flattening and one matrix
# product compute exactly what `lax.conv` computes with the same weights reshaped to $P \times P \times 1
# \times D$. We check it with the shipped captioner's own weights:

# %%
shipped_config, shipped = export.load()
P = shipped_config.model.patch_size
images = np.stack([example(0, "test", i)["image"] for i in range(8)])  # [8, 32, 32, 3] uint8
x = 2.0 * images.astype(np.float32).max(-1, keepdims=True) / 255.0 - 1.0  # [8, 32, 32, 1]: 2 v - 1
projection = shipped["params"]["patch_embedding"]["projection"]
W, b = np.asarray(projection["kernel"]), np.asarray(projection["bias"])  # [P^2, D], [D]
by_matmul = patchify(x, P) @ W + b  # [8, N, D]
kernel = W.reshape(P, P, 1, -1)  # the same numbers as a P x P x 1 -> D convolution kernel
by_conv = jax.lax.conv_general_dilated(x, kernel, (P, P), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
by_conv = np.asarray(by_conv).reshape(8, -1, W.shape[1]) + b  # [8, 64 patches (an 8 x 8 grid), D], row-major
print(f"{by_matmul.shape[1]} patches of {W.shape[0]} numbers -> width {W.shape[1]}")
chapter.record("patch_conv_difference", np.abs(by_matmul - by_conv).max())
np.testing.assert_allclose(by_matmul, by_conv, atol=1e-5)

# %% [markdown]
# ## Teacher forcing
# A caption of $n$ words is framed as `<bos>` $y_1 \dots y_n$ `<eos>` and padded to 24 tokens. In training the
# decoder reads the true caption shifted right and predicts every next token at once; the loss counts only the
# real (non-pad) targets:
#
# $$L(\theta) = -\frac{1}{M} \sum_{b,t:\ y_{bt} \ne \text{pad}} \sum_v q_{btv} \log p_\theta(v \mid y_{b,<t},
#   \text{image}_b), \qquad q_{bt} = (1 - \epsilon)\,\text{one-hot}(y_{bt}) + \epsilon / V,$$
#
# the cross-entropy against targets *smoothed* by $\epsilon$ = `label_smoothing` (0.1 by default: the model is
# never asked for probability exactly 1, which keeps its logits from growing without bound), averaged over
# the $M$ real (non-pad) targets of the batch: the number of terms in the sum, not the batch size.
#
# The step then clips the gradient to global norm 1 and takes an AdamW step whose rate warms up over a tenth of
# the run and decays as a cosine to 0 (chapter 3.4 writes AdamW out; here the library's optimiser applies it).
#
# ## A tiny run through the shared loop
# A small captioner (patches of 8 x 8 pixels, so a 4 x 4 grid of 16; width 32; one encoder and one decoder
# layer) trains through `mmjax.train.loop.train`, the loop `mmjax train captioner` runs: 60 steps in quick
# mode, 300 in full mode.

# %%
config = CaptionerConfig(
    model=CaptionerModelConfig(patch_size=8, d_model=32, num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                               d_hidden=64),
    num_train_examples=4096, num_eval_examples=64, batch_size=16, learning_rate=3e-3,
)  # fmt: skip
steps = 60 if chapter.quick else 300
run_dir = chapter.out / "runs" / "captioner"
shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run every time the chapter runs
settings = TrainConfig(
    steps=steps, run_dir=str(run_dir), progress=False, log_every=5, checkpoint_every=steps // 2, eval_every=-1,
    sample_every=-1, async_checkpoints=False,
)  # fmt: skip
start = time.perf_counter()
result = loop.train(TASK, config, settings, log=lambda message: None)
print(f"{steps} steps in {time.perf_counter() - start:.0f} s")
history = [r for r in read_metrics(run_dir / "metrics.jsonl") if r["split"] == "train"]
chapter.record("loss_ratio", history[-1]["loss"] / history[0]["loss"])
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot([r["step"] for r in history], [r["loss"] for r in history], marker=".", label="train batch (logged)")
ax.axhline(np.log(tokenizer.vocab_size), ls=":", c="k", label=f"log V = {np.log(tokenizer.vocab_size):.2f}: uniform")
figures.label(ax, "tiny captioner: teacher-forced cross-entropy", "train step", "nats per token", better="lower")
figures.save(fig, chapter.keep("captioner_tiny_run.png"), dpi=90)

# %% [markdown]
# The loss starts near $\log V$ (every word equally likely) and falls fast: most of a Shapes caption is
# predictable from the words before it ("a", "the", "to the left of"); the words that need the picture
# (colour, shape, where) are what the rest of training is for. The `loss_ratio`, last logged loss over first,
# is well below one.
#
# ## One training step by hand
# From the checkpoint half-way through the run (where the rate is high and Adam's moments are real), the loss
# above and one update of the library's optimiser, by hand, against the library's step on the same batch:

# %%
_, _, half_state, half = load_run(run_dir, step=steps // 2)
graph = M.graphdef(config)
source = step.make_source(config, "train")
batch = {name: jnp.asarray(np.stack([source[i][name] for i in range(16)])) for name in ("image", "tokens")}
optimizer = TASK.make_optimizer(config, steps)


def loss_by_hand(params, state, batch):
    target_in, labels = batch["tokens"][:, :-1], batch["tokens"][:, 1:]  # <bos> y_1 .. y_n, y_1 .. <eos>
    logits = F.call(graph, {"params": params, "state": state["state"]}, batch["image"], target_in)[0]  # [B, T, V]
    eps, vocab = config.label_smoothing, logits.shape[-1]
    q = (1 - eps) * jax.nn.one_hot(labels, vocab) + eps / vocab  # [B, T, V] smoothed targets
    nll = -jnp.sum(q * jax.nn.log_softmax(logits), axis=-1)  # [B, T]
    real = labels != tokenizer.pad_id
    return jnp.sum(nll * real) / jnp.sum(real)


@jax.jit
def step_by_hand(state, batch):
    loss, grads = jax.value_and_grad(loss_by_hand)(state["params"], state, batch)
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])  # clip, AdamW, schedule
    params = jax.tree.map(lambda p, u: p + u, state["params"], updates)
    return loss, {**state, "params": params, "opt_state": opt_state, "step": state["step"] + 1}


hand_loss, hand = step_by_hand(half_state, batch)
library, metrics = jax.jit(TASK.bound_train_step(config, steps))(half_state, batch, jax.random.key(0))
differs = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(hand), jax.tree.leaves(library)))
moved = max(
    float(jnp.max(jnp.abs(a - b)))
    for a, b in zip(jax.tree.leaves(library["params"]), jax.tree.leaves(half_state["params"]))
)
print(f"step {half + 1}: loss by hand {float(hand_loss):.6f}, library {float(metrics['loss']):.6f}")
print(f"parameters moved up to {moved:.1e}; hand and library differ by at most {differs:.1e}")
chapter.record("hand_minus_library", differs)
np.testing.assert_allclose(float(hand_loss), float(metrics["loss"]), rtol=1e-5)
assert moved > 1e-4 and differs < 1e-6, (moved, differs)

# %% [markdown]
# ## Greedy decoding, by hand
# A caption is written one word at a time: start from `<bos>`, take the likeliest next word, append it, repeat
# until `<eos>`. The library does this with a key/value cache, feeding one token per step
# (`mmjax.nn.transformer.generate`). By hand we do without the cache: rerun the whole teacher-forced decoder on
# the words so far, padded to a fixed length so it compiles once; the causal mask makes the padding after
# position $t$ invisible to position $t$. Both must write the same captions; we use the shipped captioner on
# eight real `test` pictures.

# %%
shipped_logits = jax.jit(lambda images, words: M.logits(shipped_config, shipped, {"image": images, "tokens": words}))
length = shipped_config.decoder().max_length  # 24 tokens: <bos> and up to 23 more


def greedy_by_hand(images) -> list[str]:
    words = np.full((len(images), length + 1), tokenizer.pad_id, np.int32)  # one spare column for M.logits
    words[:, 0] = tokenizer.bos_id
    done = np.zeros(len(images), bool)
    for t in range(length - 1):
        logits = np.asarray(shipped_logits(images, words))  # [B, 24, V]: position t predicts word t + 1
        next_word = np.where(done, tokenizer.pad_id, logits[:, t].argmax(-1))
        words[:, t + 1] = next_word
        done |= next_word == tokenizer.eos_id
        if done.all():
            break
    return [tokenizer.decode(row[1:]) for row in words]


by_hand = greedy_by_hand(images)
library_greedy = step.caption_images(shipped_config, shipped, images)
for true, mine, theirs in zip([example(0, "test", i)["caption"] for i in range(8)], by_hand, library_greedy):
    print(f"true: {true!r}\n  by hand: {mine!r}\n  library: {theirs!r}")
chapter.record("greedy_mismatches", sum(a != b for a, b in zip(by_hand, library_greedy)))
assert by_hand == library_greedy

# %% [markdown]
# ## Beam search
# Greedy decoding commits to each word for good. Beam search keeps the $K$ likeliest partial captions at
# every step (chapter 3.3) and returns the finished one with the best *length-normalised* log-likelihood
#
# $$\text{score}(y) = \frac{\log p(y \mid \text{image})}{\left(\frac{5 + |y|}{6}\right)^{0.6}},$$
#
# $|y|$ counting the words and `<eos>`: raw log-likelihoods always favour short outputs, the divisor removes
# that bias. We score both decodings of every picture with the model's own log-likelihood (teacher forcing on
# the decoded caption). Beam search keeps more than one hypothesis, so its score is usually at least greedy's;
# it is not guaranteed, because a hypothesis it dropped early may have led to the best caption.

# %%
beam = step.caption_images(shipped_config, shipped, images, "beam", beam_size=4)


def log_likelihood(captions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """log p(caption | image) under the shipped captioner per picture, and the number of tokens it sums."""
    tokens = tokenizer.encode_batch(captions, unknown="unk")  # [B, 24]
    logits = shipped_logits(images, tokens)  # [B, 23, V]: position t predicts token t + 1
    log_p = np.take_along_axis(np.asarray(jax.nn.log_softmax(logits)), tokens[:, 1:, None], axis=-1)[..., 0]
    real = tokens[:, 1:] != tokenizer.pad_id  # the words and <eos>
    return (log_p * real).sum(1), real.sum(1)


def score(log_p, length, alpha=0.6):
    return log_p / ((5 + length) / 6) ** alpha


(greedy_log_p, greedy_length), (beam_log_p, beam_length) = log_likelihood(library_greedy), log_likelihood(beam)
greedy_score, beam_score = score(greedy_log_p, greedy_length), score(beam_log_p, beam_length)
for g, b, i in zip(library_greedy, beam, range(len(beam))):
    print(f"greedy: log p {greedy_log_p[i]:6.2f}, score {greedy_score[i]:6.3f}  {g!r}")
    print(f"beam:   log p {beam_log_p[i]:6.2f}, score {beam_score[i]:6.3f}  {b!r}")
chapter.record("beam_at_least_as_good", np.mean(beam_score >= greedy_score - 1e-5))

truths = [example(0, "test", i)["caption"] for i in range(len(images))]
fig, axes = plt.subplots(2, 4, figsize=(11, 8.4))
for ax, image, true, g, b in zip(axes.flat, images, truths, library_greedy, beam):
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title("\n".join(textwrap.wrap(f"true: {true}", 34)), fontsize=7.5)
    lines = [
        f"{'ok' if agreement(true, c).agrees else 'WRONG'} {name}: {c}" for name, c in (("greedy", g), ("beam", b))
    ]
    ax.set_xlabel("\n".join(line for text in lines for line in textwrap.wrap(text, 38)), fontsize=7.5)
fig.suptitle("The shipped captioner on eight test pictures: greedy and beam-search (K = 4) captions\n"
             "(ok / WRONG: the caption states / does not state the true facts)")  # fmt: skip
figures.save(fig, chapter.out / "captioner_decoding.png", dpi=90)

# %% [markdown]
# ## The shipped model
# The shipped file holds the captioner's variables, its config and the facts of its training run (read
# without loading the weights). Full mode also scores it as its training run was scored: greedy captions of
# 256 `test` and 256 `test_heldout` pictures, read back into facts; a caption counts when it states exactly
# the scene's facts (`test_all_correct`, `test_heldout_all_correct`). Quick mode skips the scoring.

# %%
stored = {name: value for name, value in npz_checkpoint.read_metadata(export.default_path())["extra"].items()}
for name, value in stored.items():
    print(f"{name:28s} {value}")
chapter.record("shipped_steps", stored["step"])
print("made with:", export.MAKE_COMMAND)
if not chapter.quick:
    scores = step.evaluate(shipped, shipped_config)
    for name in ("test_all_correct", "test_heldout_all_correct"):
        print(f"{name}: {chapter.record(name, scores[name]):.3f} (stored with the file: {stored.get(name, '-')})")

# %% [markdown]
# ## Summary
# * The captioner is chapter 3.3's encoder-decoder with a patch embedding in place of the source tokens; a
#   patch embedding is a stride-$P$ convolution (`patch_conv_difference` at float rounding).
# * Training is teacher forcing: every next word at once, the loss over real tokens only; one step by hand is
#   the library's step (`hand_minus_library` at float rounding), and the shared loop runs it.
# * Greedy decoding by hand, without a cache, writes exactly the library's captions (`greedy_mismatches` is 0);
#   beam search keeps several hypotheses and usually finds a caption with at least as good a length-normalised
#   score (which can favour a longer, less likely caption).
#
# ## Exercises
# Use `from mmjax.utils.selfcheck import check`.
# 1. **How many tokens does the encoder read?** For `patch_size` 2, 4 and 8 on 32 x 32 pictures, compute the
#    number of patches $N$ and the cost of self-attention over them, proportional to $N^2$. You should find
#    that halving $P$ from 4 to 2 multiplies $N$ by 4 and the attention cost by 16:
#    `check(((32 // 2) ** 2) ** 2 / ((32 // 4) ** 2) ** 2, expected=16, tol=0)`. Why can $P = 16$ not tell
#    a small object's shape? (A small object is about 7 pixels wide.)
# 2. **Teacher forcing is not decoding.** The teacher-forced next-word accuracy is `metrics["token_accuracy"]`
#    of the library's step above. Compare it with how often greedy decoding gets a *whole* caption right with
#    the tiny run's state: `tiny = step.evaluate(result.state, config)` captions the 64 test pictures of the
#    tiny config (`num_eval_examples`), and `tiny["test_all_correct"]` is the fraction exactly right. You
#    should find the per-token figure far higher than the whole-caption one (one wrong word spoils a caption):
#    `check(float(metrics["token_accuracy"]) > tiny["test_all_correct"], expected=1, tol=0)`.
# 3. **The cache changes nothing but the cost.** Time `greedy_by_hand(images)` against
#    `step.caption_images(shipped_config, shipped, images)` (after one warm-up call each). By hand reruns the
#    decoder over 24 positions for each new word, about 12 times the work of the cached decoder on average.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `patch_conv_difference`: patchify @ W against a stride-P convolution | < 1e-5 | < 1e-5 |
# | `loss_ratio`: last logged loss of the tiny run / first | < 0.5 | < 0.7 |
# | `hand_minus_library`: largest parameter difference, hand vs library step | < 1e-6 | < 1e-6 |
# | `greedy_mismatches`: captions that differ, greedy by hand vs library (of 8) | 0 ± 0 | 0 ± 0 |
# | `beam_at_least_as_good`: share of pictures whose beam caption scores at least greedy's | 0.9 .. 1 | - |
# | `shipped_steps`: training steps of the shipped captioner | 6000 ± 0 | - |
# | `test_all_correct`: greedy captions of 256 `test` pictures right in every fact | 0.95 .. 1 | - (not run) |
# | `test_heldout_all_correct`: the same for `test_heldout` | 0.9 .. 1 | - (not run) |

# %%
chapter.finish()
