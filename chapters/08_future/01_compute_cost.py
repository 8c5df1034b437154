# %% [markdown]
# # Chapter 8.1: the cost of models: how step time, FLOPs and memory grow
#
# Section 8 of the source names the field's first challenge: multimodal models cost a lot of compute. This
# chapter measures what "a lot" means and how it *grows*: one train step of the text-to-image GAN against its
# batch size and its image size, and one train step of an encoder-decoder Transformer against its sequence
# length. For each we measure three costs with `mmjax.utils.flops.profile_step`:
#
# * **time**: the fastest of 5 calls of the compiled step, after a warm-up call (on a shared machine other
#   processes can only add time, so the fastest call is the least disturbed one);
# * **FLOPs**: floating-point operations of one call, as XLA's cost analysis counts them (a matmul
#   $[m, k] \times [k, n]$ counts $2mkn$);
# * **memory**: the bytes XLA's plan for the compiled step holds at once (arguments, outputs, temporaries).
#
# Counting the work predicts a **power law** $y = c\,x^k$ for each: twice the batch is twice the FLOPs ($k = 1$).
# A power law is a straight line on log-log axes, so we fit its exponent by least squares on
# $(\log x, \log y)$ (`mmjax.utils.scaling`) and draw the law the count predicts beside it. Where the two
# part, something the count left out is at work: fixed costs per call, or a machine that is faster on large
# arrays than on small ones.
#
# Prerequisites: chapter 7.4 (`jax.jit`, `cost_analysis`), chapters 5.2 and 4.2 (the two models). Run time on
# one CPU core: about half a minute in quick mode (tiny models), about a quarter of an hour in full mode (the
# shipped text-to-image sizes, every size compiled once: the committed run took 949 s on a shared machine).

# %%
import dataclasses
import functools

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from flax import nnx

from mmjax.data.shapes import ShapesSource
from mmjax.gan.sampler import sampling_variables
from mmjax.nn import functional as F
from mmjax.nn.encoder import EncoderBlock
from mmjax.seq2seq.config import Seq2SeqConfig, Seq2SeqModelConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.seq2seq.task import TASK as SEQ2SEQ
from mmjax.text2image import step as t2i_step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.task import TASK as TEXT2IMAGE
from mmjax.utils import figures, flops, scaling
from mmjax.utils.chapter import Chapter

chapter = Chapter("08_future/01_compute_cost")
if chapter.quick:  # a tiny GAN and Transformer, two or three sizes each: the method, not the laws
    T2I = TextToImageConfig(width=4, latent_dim=16, text_dim=16, text_layers=1, text_hidden=32, contrastive_dim=16)
    BATCHES, IMAGE_SIZES, LENGTHS = (4, 16), (16, 32), (16, 128)
    SEQ = Seq2SeqModelConfig(d_model=32, num_heads=2, num_layers=1, d_hidden=64)
else:  # the shipped text-to-image sizes (batch 32, 32 x 32 pictures) and chapter 3.4's Transformer
    T2I = TextToImageConfig()
    BATCHES, IMAGE_SIZES, LENGTHS = (1, 2, 4, 8, 16, 32, 64), (16, 32, 64, 128), (8, 16, 32, 64, 128, 256, 512)
    SEQ = Seq2SeqModelConfig(d_model=64, num_heads=4, num_layers=2, d_hidden=128)
BASE_SIZE = IMAGE_SIZES[0 if chapter.quick else 1]  # the image size of the batch sweep (32 in full mode)
IMAGE_BATCH = BATCHES[0 if chapter.quick else 3]  # the batch of the image-size sweep (8 in full mode)
SEQ_BATCH = 8
NUM_STEPS = 1000  # the run length the optimisers are built for: it changes their values, not the work

# %% [markdown]
# ## The machine's ceiling
# A CPU (or GPU) has a peak rate of multiply-adds that only large matrix products reach. We measure it the
# way every mmjax benchmark does, `flops.stable_peak`: a $2048 \times 2048$ float32 matmul, best of 5
# trials. The *spread* (slowest trial over fastest) says how much the machine itself moved while we
# measured: on a shared machine, other people's work lands in our timings too.

# %%
peak = flops.stable_peak(size=512 if chapter.quick else 2048, trials=3 if chapter.quick else 5)
print(
    f"matmul peak {peak['flops_per_second'] / 1e9:.1f} GFLOP/s ({peak['size']}^2 float32, best of {peak['trials']}, "
    f"spread {peak['spread']:.2f}x); devices: {jax.devices()}"
)
chapter.record("peak_gflops", peak["flops_per_second"] / 1e9)
chapter.record("peak_spread", peak["spread"])

# %% [markdown]
# ## Counting the work of a Transformer layer
# One pre-LN encoder block over $T$ tokens of width $d$, with an MLP of hidden width $d_h$, multiplies:
#
# * the four projections $Q, K, V$ and the output: $4 \times 2 T d^2 = 8 T d^2$;
# * the MLP's two matrices: $2 \times 2 T d\, d_h = 4 T d\, d_h$;
# * the attention itself, $Q K^\top$ and the weighted sum of $V$: $2 \times 2 T^2 d = 4 T^2 d$.
#
# $$\text{FLOPs}(T) = 8 T d^2 + 4 T d\, d_h + 4 T^2 d = (8 d^2 + 4 d\, d_h)\,\big(T + T^2 / T^*\big),
#   \qquad T^* = 2 d + d_h .$$
#
# Below $T^*$ tokens the matmuls of the projections dominate and the cost grows like $T$; above, attention
# does and it grows like $T^2$. For $d = 64$, $d_h = 128$: $T^* = 256$. XLA's count of the block's forward
# pass agrees with ours to a few percent (it also counts the softmax, the layer norms and the biases):

# %%
d, d_hidden = SEQ.d_model, SEQ.d_hidden
T_STAR = 2 * d + d_hidden
graph, block_vars = F.split(EncoderBlock(d, SEQ.num_heads, d_hidden, 0.0, rngs=nnx.Rngs(0)))
block_forward = jax.jit(lambda variables, x: F.call(graph, variables, x)[0])
for length in (16, 256):
    counted = SEQ_BATCH * (8 * length * d**2 + 4 * length * d * d_hidden + 4 * length**2 * d)
    xla = flops.compiled_flops(block_forward, block_vars, jnp.ones((SEQ_BATCH, length, d)))
    print(f"T = {length:4d}: counted {counted / 1e6:8.2f} MFLOP, XLA {xla / 1e6:8.2f} MFLOP ({xla / counted:.3f}x)")
    assert 1.0 <= xla / counted < 1.15, (length, xla, counted)
chapter.record("xla_over_counted", xla / counted)


# %% [markdown]
# ## Three sweeps
# `scaling.sweep(build, values)` compiles and times `build(value)`'s jitted function for every value. The
# text-to-image step is the one `mmjax train text2image` runs (one D update, one G update, G's moving
# average); its state does not depend on the batch size, so one initialisation serves the batch sweep.
# The Transformer is `mmjax.seq2seq`'s encoder-decoder on sources of exactly $T$ symbols. Quick mode sweeps
# tiny models over two sizes each, and for the text-to-image model times G's sampling pass (drawing pictures)
# instead of the train step: compiling the train step once per size takes longer than quick mode has.


# %%
@functools.cache
def text2image_state(image_size: int):
    config = dataclasses.replace(T2I, image_size=image_size)
    return config, TEXT2IMAGE.init_state(config, jax.random.key(0), NUM_STEPS)


def text2image_call(batch_size: int, image_size: int):
    """The jitted function the image sweeps time and its arguments: the train step on a batch of Shapes
    (image, caption) pairs; in quick mode G's sampling pass, whose program compiles in a fraction of the time."""
    config, state = text2image_state(image_size)
    source = ShapesSource("train", batch_size, ("image", "caption"), seed=0, image_size=image_size)
    batch = {name: np.stack([source[i][name] for i in range(batch_size)]) for name in ("image", "tokens")}
    if chapter.quick:
        g_graph, g_vars = t2i_step.graphs(config)[0], sampling_variables(config, state)

        def draw(g_vars, tokens, key):
            z = jax.random.normal(key, (tokens.shape[0], config.latent_dim))  # [B, latent]
            return F.call(g_graph, g_vars, z, tokens)[0]  # [B, H, W, 3]

        return jax.jit(draw), (g_vars, batch["tokens"], jax.random.key(1))
    return jax.jit(TEXT2IMAGE.bound_train_step(config, NUM_STEPS)), (state, batch, jax.random.key(1))


def transformer_for_length(length: int):
    config = Seq2SeqConfig(model=SEQ, min_length=length, max_length=length, batch_size=SEQ_BATCH)
    state = SEQ2SEQ.init_state(config, jax.random.key(0), NUM_STEPS)
    batch = SequenceSource(config, "train").batch(range(SEQ_BATCH))
    return jax.jit(SEQ2SEQ.bound_train_step(config, NUM_STEPS)), (state, batch, jax.random.key(1))


WHAT = "G's sampling pass" if chapter.quick else "train step"
print(f"text-to-image {WHAT}, {BASE_SIZE} x {BASE_SIZE} pictures, by batch size:")
by_batch = scaling.sweep(lambda batch_size: text2image_call(batch_size, BASE_SIZE), BATCHES, repeats=5, warmup=1)
print(f"text-to-image {WHAT}, batch {IMAGE_BATCH}, by image size:")
by_size = scaling.sweep(lambda image_size: text2image_call(IMAGE_BATCH, image_size), IMAGE_SIZES, repeats=5, warmup=1)
print(f"encoder-decoder train step (d = {d}, {SEQ.num_layers} + {SEQ.num_layers} layers, batch {SEQ_BATCH}), by T:")
by_length = scaling.sweep(transformer_for_length, LENGTHS, repeats=5, warmup=1)
for row in by_batch + by_size + by_length:  # the least disturbed call, and the rate it achieved
    row["time"], row["rate"] = row["fastest_seconds"], row["flops"] / row["fastest_seconds"]

# %% [markdown]
# ## The laws, measured and expected
# Each row of the figure is one sweep, each column one cost; every panel shows the measured points, the power
# law fitted to them (solid) and the law the count predicts (dashed), drawn through the largest size:
#
# * batch $B$: every picture is its own work, so FLOPs $\propto B$; time too, once the machine is busy;
#   memory $\propto B$ for the activations, on top of the weights and the optimiser's moments that do not
#   grow with $B$.
# * image size $s$: every convolution does its work at every pixel, so the cost grows with the number of
#   pixels $s^2$ (the $x$ axis of the middle row is pixels).
# * sequence length $T$: $T + T^2 / T^*$ from the count above, for time and FLOPs; memory holds the
#   attention weights $[B, H, T, T]$ of every layer for the backward pass, so it grows like $T^2$ earlier.
#
# The FLOPs exponents are fitted on the sizes where the count's leading term dominates: the text-to-image
# step also runs its two caption encoders, whose work does not grow with the picture.

# %%
SWEEPS = [
    ("batch", "batch size B (pictures per step)", by_batch, [row["value"] for row in by_batch]),
    ("pixels", "pixels per picture (s x s)", by_size, [row["value"] ** 2 for row in by_size]),
    ("T", "sequence length T (tokens)", by_length, [row["value"] for row in by_length]),
]
COSTS = [
    ("time", 1e3, "step time (ms)"),
    ("flops", 1e-9, "GFLOP per step"),
    ("memory_bytes", 2**-20, "memory (MiB)"),
]


def attention_law(t):
    return t + t**2 / T_STAR


EXPECTED = {  # per sweep and cost: an exponent, or a function of x, and its legend text
    ("batch", "time"): (1.0, None),
    ("batch", "flops"): (1.0, None),
    ("batch", "memory_bytes"): (1.0, "expected at large B: ∝ B^1"),
    ("pixels", "time"): (1.0, None),
    ("pixels", "flops"): (1.0, None),
    ("pixels", "memory_bytes"): (1.0, None),
    ("T", "time"): (attention_law, f"expected: ∝ T + T²/{T_STAR}"),
    ("T", "flops"): (attention_law, f"expected: ∝ T + T²/{T_STAR}"),
    ("T", "memory_bytes"): (2.0, "expected at long T: ∝ T^2"),
}
if chapter.quick:  # two sizes per sweep: fit them all
    FIT_FROM = {"batch": BATCHES[0], "pixels": IMAGE_SIZES[0] ** 2, "T": LENGTHS[0]}
else:  # from the middle size up, where the leading term of the count dominates
    FIT_FROM = {"batch": BATCHES[3], "pixels": IMAGE_SIZES[1] ** 2, "T": LENGTHS[4]}

fig, axes = plt.subplots(3, 3, figsize=(14, 11))
fits = {}
for row_axes, (variable, xlabel, rows, x) in zip(axes, SWEEPS):
    for ax, (cost, unit, ylabel) in zip(row_axes, COSTS):
        y = [row[cost] * unit for row in rows]
        expected, expected_label = EXPECTED[(variable, cost)]
        fits[(variable, cost)] = scaling.plot_scaling(
            ax, x, y, expected, expected_label, fit_min=FIT_FROM[variable], variable=variable
        )[0]
        figures.label(ax, f"{ylabel.split(' (')[0]} against {variable}", xlabel, ylabel, better="lower")
fig.suptitle(
    f"How cost grows: text-to-image GAN's {WHAT} (width {T2I.width}; top two rows), encoder-decoder train step "
    f"(d = {d}; bottom row); fits from {'the smallest' if chapter.quick else 'the middle'} size up",
    fontsize=11,
)
figures.save(fig, chapter.keep("cost_laws.png"), dpi=80)
if chapter.quick:  # two or three tiny sizes per sweep; the full run's nine panels are committed
    chapter.full_run_figure("cost_laws.png")
for (variable, cost), exponent in fits.items():
    print(f"fitted exponent of {cost:13s} against {variable:6s}: {exponent:5.2f}")

chapter.record("flops_exponent_batch", fits[("batch", "flops")])
chapter.record("time_exponent_batch", fits[("batch", "time")])
chapter.record("memory_exponent_batch", fits[("batch", "memory_bytes")])
chapter.record("flops_exponent_pixels", fits[("pixels", "flops")])
chapter.record("time_exponent_pixels", fits[("pixels", "time")])
short = [row for row in by_length if row["value"] <= LENGTHS[1]]
long = [row for row in by_length if row["value"] >= LENGTHS[-2]]
chapter.record(
    "flops_exponent_short_T", scaling.fit_power_law([r["value"] for r in short], [r["flops"] for r in short])[0]
)
chapter.record(
    "flops_exponent_long_T", scaling.fit_power_law([r["value"] for r in long], [r["flops"] for r in long])[0]
)
chapter.record(
    "memory_exponent_long_T", scaling.fit_power_law([r["value"] for r in long], [r["memory_bytes"] for r in long])[0]
)

# %% [markdown]
# What the full run shows (the committed figure; quick mode's tiny sizes show the method only):
#
# * **FLOPs follow the count.** Against the batch the fitted exponent, `flops_exponent_batch`, is 1.00: every
#   picture is the same work. Against pixels it is a little under one (`flops_exponent_pixels` about 0.97):
#   the caption encoders' work does not grow with the picture. Against $T$ the exponent climbs from
#   `flops_exponent_short_T` = 1.0 between 8 and 16 tokens to `flops_exponent_long_T` = 1.6 between 256 and
#   512 tokens, what $T + T^2/256$ predicts there: $\log_2 \frac{512 + 1024}{256 + 256} = 1.58$.
# * **Memory grows more slowly than the work at small sizes**: the weights, G's moving average and Adam's two
#   moments per weight do not grow with the batch, so the exponent fitted from $B = 8$ up,
#   `memory_exponent_batch`, is below one. At long $T$ the attention weights take over and memory grows
#   almost like $T^2$ (`memory_exponent_long_T` about 1.8), faster than the FLOPs.
# * **Memory against pixels is the same story, further from its law.** The memory panel of the middle row
#   fits an exponent of about 0.64 where the count expects 1. The plan holds the train state twice, the old
#   one as an argument and the new one as an output (about 11 MiB each at 32 x 32, exercise 3), and that part
#   hardly grows with the picture; only the activations, about 15 MiB at 32 x 32 and batch 8, grow with the
#   pixels. From 32 x 32 to 128 x 128 the activations grow 16 times but the total only about 6 times, so the
#   fit through those sizes is well under one, and it would approach one only at pictures so large that the
#   activations dwarf the state. A fitted exponent describes the sizes it was fitted on, not the law's limit.
# * **Time follows the FLOPs only roughly**: it bends away at small sizes (below), and on a shared machine
#   every point also carries the noise of other people's work, so the time exponents are the least precise
#   numbers of this chapter (the bands of `time_exponent_batch` and `time_exponent_pixels` below are wide).

# %% [markdown]
# ## Why time departs from the FLOPs
# If the machine did every FLOP at one rate, time would be FLOPs / rate and the time panels would repeat the
# FLOP panels. They do not, and the rate a step achieves, FLOPs / time, tells why.
#
# **Bytes, not arithmetic.** The matmul peak needs large products whose operands stay close to the
# arithmetic units: a $2048^2$ matmul does $2 \cdot 2048^3$ FLOPs on $3 \cdot 2048^2$ numbers of 4 bytes,
# about 340 FLOPs per byte it moves. XLA's cost analysis also counts the bytes each step's operations read
# and write, so FLOPs per byte (the *arithmetic intensity*) says how much work each number moved feeds. A
# train step is hundreds of small operations (layer norms, softmaxes, optimiser updates, convolutions with
# few channels), and its intensity is a few FLOPs per byte: moving bytes, not multiplying, sets its pace.
#
# **Small batches: fixed costs.** Some of a step's cost does not grow with the batch: every weight is read,
# and Adam updates it with its two moments, once per step whatever $B$; each of the hundreds of operations is
# launched once. With $t(B) = t_0 + B\,t_1$, a picture costs $t_0 / B + t_1$, so larger batches share the
# fixed part among more pictures: the step's FLOPs per byte rise with $B$, and so does its achieved rate.
#
# **Long sequences: bytes from farther away.** Along $T$ the intensity hardly changes, yet the achieved rate
# falls. The likely reason is *where* the bytes come from: the attention weights $[B, H, T, T]$ are 2 MiB
# per layer at $T = 128$ and 32 MiB at $T = 512$, more than a core's own caches hold, so at long $T$ they
# travel to and from main memory.

# %%
achieved = {name: [row["rate"] / peak["flops_per_second"] for row in rows] for name, _, rows, _ in SWEEPS}
intensity = {name: [row["flops"] / row["bytes_accessed"] for row in rows] for name, _, rows, _ in SWEEPS}
for name in achieved:
    print(
        f"{name:6s} sweep: fraction of peak {achieved[name][0]:.2f} .. {achieved[name][-1]:.2f}, "
        f"FLOPs per byte {intensity[name][0]:.1f} .. {intensity[name][-1]:.1f}"
    )
chapter.record("intensity_growth_batch", intensity["batch"][-1] / intensity["batch"][0])
chapter.record("rate_growth_batch", achieved["batch"][-1] / achieved["batch"][0])
chapter.record("fraction_of_peak_largest_batch", achieved["batch"][-1])
chapter.record("rate_longest_over_middle_T", achieved["T"][-1] / achieved["T"][len(LENGTHS) // 2])
chapter.record("intensity_longest_over_middle_T", intensity["T"][-1] / intensity["T"][len(LENGTHS) // 2])

fig, (ax_rate, ax_intensity) = plt.subplots(1, 2, figsize=(12, 4.5))
SWEPT = {"batch": "batch B", "pixels": "image size s", "T": "length T"}
for (name, _, rows, _), marker in zip(SWEEPS, "osD"):
    sizes = f"{SWEPT[name]} = {rows[0]['value']} .. {rows[-1]['value']}"
    step_flops = [row["flops"] for row in rows]
    ax_rate.plot(step_flops, achieved[name], marker + "-", label=sizes)
    ax_intensity.plot(step_flops, intensity[name], marker + "-", label=sizes)
ax_rate.axhline(1.0, color="k", ls=":", label=f"matmul peak, {peak['flops_per_second'] / 1e9:.0f} GFLOP/s")
ax_rate.set_xscale("log")
ax_rate.set_ylim(0, 1.1)
figures.label(ax_rate, "Achieved FLOP/s as a fraction of the peak", "FLOPs per step (XLA)", "achieved / peak",
              better="higher")  # fmt: skip
matmul_intensity = 2 * peak["size"] ** 3 / (3 * peak["size"] ** 2 * 4)  # FLOPs / bytes of the peak's matmul
ax_intensity.axhline(matmul_intensity, color="k", ls=":", label=f"the peak's matmul, {matmul_intensity:.0f}")
ax_intensity.set_xscale("log")
ax_intensity.set_yscale("log")
figures.label(ax_intensity, "Arithmetic intensity of the step", "FLOPs per step (XLA)",
              "FLOPs per byte accessed (XLA)", better="higher")  # fmt: skip
figures.save(fig, chapter.keep("fraction_of_peak.png"), dpi=90)
if chapter.quick:
    chapter.full_run_figure("fraction_of_peak.png")

# %% [markdown]
# In the full run, from $B = 1$ to $B = 64$ the text-to-image step's FLOPs per byte grow
# `intensity_growth_batch` = 3.5 times (XLA's count, the same on every machine). Its achieved rate rises
# steeply over the first few doublings of the batch, then levels off and moves with the machine's load: from
# $B = 1$ to $B = 64$ it grew 1.6 to 2.8 times in our runs (`rate_growth_batch`), to a fraction of the matmul
# peak (`fraction_of_peak_largest_batch`) of 0.2 to 0.4. Along $T$ the step's FLOPs per byte stay put
# (`intensity_longest_over_middle_T` about 1) while the achieved rate falls (`rate_longest_over_middle_T`
# below one): the time grows faster than the FLOPs, and a long-context model costs more than its FLOP count
# says.
#
# ## Summary
# * Counting the work predicts how cost grows: FLOPs $\propto B$, $\propto$ pixels, $\propto T + T^2/T^*$
#   with $T^* = 2d + d_h$ for attention; XLA's own count agrees to a few percent.
# * A power law is a straight line on log-log axes; `mmjax.utils.scaling` fits its exponent by least squares
#   on the logs and draws it beside the expected law (`sweep`, `fit_power_law`, `plot_scaling`).
# * Memory grows more slowly than the work at small sizes (weights and optimiser moments are fixed) and
#   like $T^2$ at long contexts (attention weights kept for the backward pass).
# * Time departs from the FLOPs: a train step does a few FLOPs per byte it moves, far from the peak matmul's
#   hundreds; small batches pay fixed costs (every weight read and updated once per step) for few pictures,
#   and at long contexts the attention weights outgrow the caches, so long contexts cost more than their
#   FLOPs. Fractions of the matmul peak are the honest unit, measured in the same run.
#
# ## Exercises
# Use `from mmjax.utils.selfcheck import check`.
# 1. **Where attention takes over.** The shipped captioner's encoder reads $N = 64$ patches with $d = 64$,
#    $d_h = 128$. From the count above, what fraction of one encoder block's FLOPs is attention,
#    $4N^2d / (8Nd^2 + 4Nd\,d_h + 4N^2d)$? `check(fraction, expected=0.2, tol=0.005)`. With the same 4 x 4
#    patches on a 64 x 64 picture ($N = 256$) it is half: `check(fraction_64, expected=0.5, tol=0.005)`.
# 2. **Width instead of length.** Sweep the encoder-decoder over `d_model` = 32, 64, 128, 256 (`d_hidden` =
#    2 `d_model`, 4 heads) at $T = 64$, batch 8, counting FLOPs only: `flops.compiled_flops(step, state,
#    batch, key)` for each, then `scaling.fit_power_law`. The matmuls grow like $d^2$, attention like $d$, so
#    the exponent is a little under 2: `check(exponent, expected=1.75, tol=0.05)` (about a minute).
# 3. **What the fixed memory is.** Compile the text-to-image *train step* at $B = 1$ yourself (in quick mode
#    `by_batch` timed G's sampling pass instead): `config, state = text2image_state(BASE_SIZE)`,
#    `source = ShapesSource("train", 1, ("image", "caption"), seed=0, image_size=BASE_SIZE)`,
#    `batch = {name: source[0][name][None] for name in ("image", "tokens")}`, then
#    `compiled = jax.jit(TEXT2IMAGE.bound_train_step(config, NUM_STEPS)).lower(state, batch,
#    jax.random.key(1)).compile()` (a minute or two on a shared core) and `stats = compiled.memory_analysis()`.
#    With `state_bytes = sum(leaf.nbytes for leaf in jax.tree.leaves(state))`, the plan's arguments and
#    outputs are the old state and the new one, twice the state whatever the batch:
#    `check((stats.argument_size_in_bytes + stats.output_size_in_bytes) / state_bytes, expected=2.0, tol=0.05)`.
#    What the plan holds on top, `stats.temp_size_in_bytes`, is the activations: the part that grows with $B$
#    and with the pixels. Compile with `jax.jit(..., donate_argnums=0)`, as `mmjax.train.loop` does, and
#    `flops.memory_bytes(compiled)` drops: the new state is written into buffers of the old one.
#
# ## Expected results
# Times are measured on a shared machine, so every figure that depends on them has a wide band; the FLOP and
# memory exponents come from XLA's analysis of the compiled programs and do not depend on the machine's load.
#
# | figure | full run | quick run |
# |---|---|---|
# | `peak_gflops`: best-of-trials matmul rate (GFLOP/s) | - (depends on the machine) | - (depends on the machine) |
# | `peak_spread`: slowest / fastest trial of the peak | - (depends on the load) | - (depends on the load) |
# | `xla_over_counted`: XLA's FLOPs of one encoder block / the count, at T = 256 | 1.0 .. 1.1 | 1.0 .. 1.15 |
# | `flops_exponent_batch`: FLOPs against B, from B = 8 | 1.0 ± 0.02 | 1.0 ± 0.05 |
# | `time_exponent_batch`: step time against B, from B = 8 | 0.5 .. 1.5 | - (tiny sampling pass) |
# | `memory_exponent_batch`: memory against B, from B = 8 | 0.6 .. 0.95 | - (tiny sampling pass) |
# | `flops_exponent_pixels`: FLOPs against pixels, from 32 x 32 | 0.9 .. 1.0 | 0.8 .. 1.0 |
# | `time_exponent_pixels`: step time against pixels, from 32 x 32 | 0.5 .. 1.6 | - (tiny sampling pass) |
# | `flops_exponent_short_T`: FLOPs against T, 8 to 16 tokens (quick: 16 to 128) | 0.9 .. 1.1 | 1.0 .. 1.5 |
# | `flops_exponent_long_T`: FLOPs against T, 256 to 512 tokens (quick: 16 to 128) | 1.5 .. 1.7 | 1.0 .. 1.5 |
# | `memory_exponent_long_T`: memory against T, 256 to 512 tokens | 1.6 .. 2.0 | - (short sequences) |
# | `intensity_growth_batch`: FLOPs per byte at B = 64 / at B = 1 | 3.5 ± 0.3 | - (tiny sampling pass) |
# | `rate_growth_batch`: achieved rate at B = 64 / at B = 1 | > 1.1 | - (tiny sampling pass) |
# | `fraction_of_peak_largest_batch`: achieved / peak at B = 64 | 0.05 .. 0.9 | - (tiny sampling pass) |
# | `rate_longest_over_middle_T`: achieved rate at T = 512 / at T = 64 | < 0.9 | - (short sequences) |
# | `intensity_longest_over_middle_T`: FLOPs per byte at T = 512 / at T = 64 | 0.8 .. 1.2 | - (short sequences) |

# %%
chapter.finish()
