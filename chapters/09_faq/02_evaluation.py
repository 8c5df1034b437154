# %% [markdown]
# # Chapter 9.2: how do you know a generator's images are good? Quality and sample size
#
# The usual answer is "quality, diversity and coherence", and then a single number such as FID. This
# chapter measures the first family, the *quality* of the generated set as a whole: how close the cloud of
# generated images is to the cloud of real ones (Shapes-FID, KID, precision and recall), and how many
# samples those numbers need. It works on the Shapes world, where the truth of every sample is known, and
# puts each metric next to generators that are broken *on purpose*, so you can see what every number catches
# and what it misses. Chapter 9.4 asks the other question, whether each sample shows what its prompt states
# and varies where the prompt leaves freedom, on the same generators; chapter 9.3 scores captions.
#
# | generator | what it does |
# | --- | --- |
# | `real` | renders what the prompt states, free choices (jitter, two objects' shared column) at random: perfect |
# | `noisy` | the perfect render plus strong pixel noise (std 20 of 255): a coherent model with poor image quality |
# | `deterministic` | the perfect render without randomness: coherent and sharp, but all samples of a prompt alike |
# | `text_ignoring` | real-looking renders of random scenes: a model that ignores its prompt |
# | `collapsed` | one image for everything: mode collapse |
#
# Every image metric reads images through the **judge**, a small conv net trained on Shapes renders and
# shipped with the package (`mmjax/artifacts/judge/judge.npz`, made by `mmjax train judge` then
# `mmjax export`). Its penultimate features (128 numbers per image) give *Shapes-FID*, KID and
# precision/recall (not comparable with Inception FID); its predicted labels give coherence (chapter 9.4,
# which also checks how well the judge reads real images). The same numbers for any trained model come from
# `mmjax eval <model> --checkpoint ...`.
#
# Each metric's formula comes first, then a few lines of numpy that compute it by hand on a tiny example
# and an `assert` that they agree with the library function the evaluation uses.
#
# Prerequisites: chapter 2.1 (the Shapes world). Run time on 2 CPU cores: about 15 s in quick mode
# (48 prompts per generator), about 40 s in full mode (500 prompts).

# %%
import textwrap

import jax
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from scipy import linalg

from mmjax.data.render import render_image
from mmjax.eval import generators as G
from mmjax.eval.evaluate import evaluate_images
from mmjax.eval.prompts import prompt_batch
from mmjax.eval.report import format_table
from mmjax.metrics.frechet import frechet_distance
from mmjax.metrics.judge import judge_features, load_judge
from mmjax.metrics.kid import kernel_distance, mmd2_unbiased
from mmjax.metrics.precision_recall import precision_recall
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("09_faq/02_evaluation")
NUM_SAMPLES = 48 if chapter.quick else 500  # prompts per generator (and real reference images)
judge = load_judge()[0]

# %% [markdown]
# ## Samples from each generator, for the same prompts

# %%
names = ["real", "noisy", "deterministic", "text_ignoring", "collapsed"]
colours = ["tab:green", "tab:olive", "tab:blue", "tab:orange", "tab:red"]  # one per generator, in every figure
prompts = prompt_batch("test", 0, 6)
fig, axes = plt.subplots(len(names), 6, figsize=(9, 1.7 * len(names) + 0.6))
for row, name in enumerate(names):
    images = G.BUILTIN[name][1](prompts, jax.random.key(row))
    for col in range(6):
        axes[row, col].imshow(images[col])
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
    axes[row, 0].set_ylabel(name, fontsize=8)
for col in range(6):
    axes[0, col].set_title(textwrap.fill(prompts["caption"][col], 22), fontsize=6)
fig.suptitle("One sample per prompt (columns: the prompts of test 0-5; rows: generators; 32 x 32 pixels)", fontsize=9)
figures.save(fig, chapter.out / "samples.png", dpi=120)

# %% [markdown]
# ## Quality: distances between two clouds of features
# Write `x_1 .. x_m` for the judge features of real images and `y_1 .. y_n` for those of generated ones
# (`D` = 128 numbers each). Quality metrics compare the two clouds; none of them looks at the prompt.
#
# **Shapes-FID** (Fréchet distance) fits a Gaussian `N(mu, S)` to each cloud (mean and covariance) and
# measures the *squared* 2-Wasserstein distance between the two Gaussians (FID is $W_2^2$, not $W_2$: twice the
# shift of the means costs four times as much):
#
#     FID = |mu_x - mu_y|^2 + tr(S_x + S_y - 2 (S_x S_y)^{1/2})
#
# where `(S_x S_y)^{1/2}` is the *matrix* square root (the matrix `R` with `R R = S_x S_y`, `scipy.linalg.sqrtm`),
# not the element-wise one. In one dimension it is `(mu_x - mu_y)^2 + (s_x - s_y)^2`: a shift of the mean and
# a change of spread both cost. The library computes the same trace from the symmetric matrix
# `S_x^{1/2} S_y S_x^{1/2}`, whose square root is real and stable; the textbook form above must agree:

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 3))  # a tiny "real" cloud: 200 points in D = 3
y = rng.normal(size=(200, 3)) * [1.0, 2.0, 0.5] + [1.0, 0.0, 0.0]  # a shifted, stretched "generated" cloud
mu_x, mu_y = x.mean(0), y.mean(0)
S_x, S_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
fid_by_hand = np.sum((mu_x - mu_y) ** 2) + np.trace(S_x + S_y - 2 * linalg.sqrtm(S_x @ S_y).real)
print(f"FID by hand {fid_by_hand:.6f}, mmjax.metrics.frechet {frechet_distance(x, y):.6f}")
assert np.isclose(fid_by_hand, frechet_distance(x, y), rtol=1e-6)
one_d = frechet_distance(x[:, :1], y[:, 1:2])  # 1-D check: (mu_x - mu_y)^2 + (s_x - s_y)^2
assert np.isclose(one_d, (x[:, 0].mean() - y[:, 1].mean()) ** 2 + (x[:, 0].std(ddof=1) - y[:, 1].std(ddof=1)) ** 2)

# %% [markdown]
# FID is *biased*: `mu` and `S` are estimated from finite samples, so two samples of the same distribution
# have FID > 0, and this floor shrinks roughly as 1/N. With `D` = 128 features and only 48 samples the
# covariance estimate is very poor and the floor is large; that matters below.
#
# **KID** (Kernel Inception Distance) avoids the Gaussian fit. With the cubic polynomial kernel
# `k(a, b) = (a . b / D + 1)^3` it estimates the squared maximum mean discrepancy without bias, leaving out
# the `i = j` terms:
#
#     KID = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j) - 2/(mn) sum_{i,j} k(x_i, y_j)
#
# Unbiased means its average is exactly 0 when both sets come from one distribution, so a single estimate
# can be slightly negative. The evaluation averages it over 10 random subsets of half the samples and
# reports the standard deviation over subsets, `kid_std`: the error bar to read every KID against.


# %%
def cubic_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


m, n = len(x), len(y)
K_xx, K_yy, K_xy = cubic_kernel(x, x), cubic_kernel(y, y), cubic_kernel(x, y)
kid_by_hand = (
    (K_xx.sum() - np.trace(K_xx)) / (m * (m - 1)) + (K_yy.sum() - np.trace(K_yy)) / (n * (n - 1)) - 2 * K_xy.mean()
)
print(f"KID by hand {kid_by_hand:.6f}, mmjax.metrics.kid {mmd2_unbiased(x, y):.6f}")
assert np.isclose(kid_by_hand, mmd2_unbiased(x, y), rtol=1e-9)
# one "subset" holding every sample (in shuffled order) is the same estimate, with a spread of 0
assert np.allclose(kernel_distance(x, y, num_subsets=1, subset_size=len(x)), (kid_by_hand, 0.0))

# %% [markdown]
# **Improved precision and recall** (Kynkäänniemi et al., 2019) split FID's one number in two. Around each
# point `p` of a set `P`, draw a ball whose radius is the distance to its `k`-th nearest neighbour in `P`
# (itself not counted; `k` = 3). A point `q` is *inside* `P` if it falls in at least one of those balls:
#
#     f(q, P) = 1 if |q - p| <= |p - NN_k(p, P)| for some p in P, else 0
#     precision = mean over generated y of f(y, real)   (how many samples look real: quality)
#     recall    = mean over real x of f(x, generated)   (how much of the real data is covered: diversity)


# %%
def inside(q, points, k):
    """f(q, points): is q within some point's distance to its k-th nearest neighbour?"""
    radii = [np.sort(np.linalg.norm(points - p, axis=1))[k] for p in points]  # index 0 is p itself
    return any(np.linalg.norm(q - p) <= r for p, r in zip(points, radii))


real_2d = rng.normal(size=(40, 2))
fake_2d = 0.3 * rng.normal(size=(40, 2)) + [0.5, 0.0]  # too narrow: looks real, covers little
precision_by_hand = np.mean([inside(q, real_2d, 3) for q in fake_2d])
recall_by_hand = np.mean([inside(q, fake_2d, 3) for q in real_2d])
print(
    f"by hand: precision {precision_by_hand:.3f}, recall {recall_by_hand:.3f}; "
    f"mmjax.metrics.precision_recall: {precision_recall(real_2d, fake_2d, k=3)}"
)
assert (precision_by_hand, recall_by_hand) == precision_recall(real_2d, fake_2d, k=3)

# %% [markdown]
# ## Every quality metric, every generator
# The prompts are examples `0 .. N-1` of `test`, the real reference set is examples `N .. 2N-1` rendered, so
# even the perfect generator is compared with *other* real images, as a model would be: its scores are the
# floor (FID, KID) and the ceiling (precision, recall) reachable with `N` samples. `evaluate_images` computes
# every image metric `mmjax eval` reports; this chapter reads its quality ones, chapter 9.4 the others.

# %%
QUALITY = ("shapes_fid", "kid", "kid_std", "precision", "recall")
results = {  # diversity_prompts=0: no repeated prompts here, chapter 9.4 measures diversity
    name: evaluate_images(G.BUILTIN[name][1], judge, "test", NUM_SAMPLES, seed=0, diversity_prompts=0) for name in names
}
print(format_table({name: {k: results[name][k] for k in QUALITY} for name in names}))
for name in names:
    chapter.record(f"fid_{name}", results[name]["shapes_fid"])
for name in ("real", "noisy"):
    chapter.record(f"kid_{name}", results[name]["kid"])
    chapter.record(f"kid_{name}_std", results[name]["kid_std"])
    chapter.record(f"kid_{name}_in_stds", results[name]["kid"] / results[name]["kid_std"])
chapter.record("fid_noisy_over_real", results["noisy"]["shapes_fid"] / results["real"]["shapes_fid"])
chapter.record("fid_text_ignoring_over_real", results["text_ignoring"]["shapes_fid"] / results["real"]["shapes_fid"])
chapter.record("precision_collapsed", results["collapsed"]["precision"])
chapter.record("recall_collapsed", results["collapsed"]["recall"])
chapter.record("precision_noisy", results["noisy"]["precision"])
chapter.record("recall_noisy", results["noisy"]["recall"])
chapter.record("recall_real", results["real"]["recall"])

# %% [markdown]
# One panel per metric, one bar per generator; the y label says which direction is better, and KID is drawn
# with its error bar (`kid_std`, the spread over its 10 subsets).

# %%
metrics = {  # name: (what the axis shows, which direction is better)
    "shapes_fid": ("Shapes-FID (log scale)", "lower"),
    "kid": ("KID ± kid_std", "lower"),
    "precision": ("fraction of samples", "higher"),
    "recall": ("fraction of real images", "higher"),
}
fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 3.9))
for ax, (metric, (unit, better)) in zip(axes, metrics.items()):
    figures.metric_bars(ax, metric, results, names, unit, better, colours)
fig.suptitle(f"Quality metrics of {len(names)} generators on {NUM_SAMPLES} prompts of test", fontsize=11)
figures.save(fig, chapter.keep("quality.png"), dpi=110)
if chapter.quick:  # 48 samples: FID and KID cannot separate `noisy` from `real` (see the next section)
    print(
        f"quick mode, {NUM_SAMPLES} samples: FID's floor ({results['real']['shapes_fid']:.0f}) and KID's error bar "
        f"({results['real']['kid_std']:.2f}) hide the pixel noise, so `noisy` scores like `real` here; "
        "the full run (500 samples) separates them:"
    )
    chapter.full_run_figure("quality.png")

# %% [markdown]
# ## How many samples? FID's floor and KID's error bar
# The two quality numbers that should separate `noisy` from `real` depend on the sample size `N`. Below, a
# pool of prompts (2000 in the full run, 96 in quick mode) is cut into disjoint blocks of `N` prompts; the
# real and noisy samples of each block are compared with a block of `N` other real images. Each point is
# the mean over blocks, its error bar the spread (standard deviation) over blocks: what one evaluation
# with `N` samples may give.

# %%
SIZES = (16, 24, 48) if chapter.quick else (25, 50, 100, 200, 500)
POOL = 2 * SIZES[-1] if chapter.quick else 4 * SIZES[-1]
pool_prompts = prompt_batch("test", 0, POOL)
reference = judge_features(judge, np.stack([render_image(s) for s in prompt_batch("test", POOL, POOL)["scenes"]]))
sampled = {
    name: judge_features(judge, G.BUILTIN[name][1](pool_prompts, jax.random.key(0))) for name in ("real", "noisy")
}
by_size = {name: {"fid": [], "kid": []} for name in sampled}  # per N: (mean, std) over blocks
for size in SIZES:
    blocks = [slice(start, start + size) for start in range(0, POOL, size)]
    for name, features in sampled.items():
        fids = [frechet_distance(reference[b], features[b]) for b in blocks]
        kids = [
            kernel_distance(reference[b], features[b], num_subsets=10, subset_size=size // 2, seed=0)[0] for b in blocks
        ]
        by_size[name]["fid"].append((np.mean(fids), np.std(fids)))
        by_size[name]["kid"].append((np.mean(kids), np.std(kids)))
        print(
            f"N = {size:3d}, {len(blocks):2d} blocks, {name:5s}: "
            f"Shapes-FID {np.mean(fids):6.2f} ± {np.std(fids):5.2f}   "
            f"KID {np.mean(kids):+.4f} ± {np.std(kids):.4f}"
        )
fid_at = {name: np.array(by_size[name]["fid"])[:, 0] for name in sampled}
kid_at = {name: np.array(by_size[name]["kid"])[:, 0] for name in sampled}
chapter.record("fid_floor_smallest_over_largest", fid_at["real"][0] / fid_at["real"][-1])
chapter.record("fid_noisy_over_real_smallest_n", fid_at["noisy"][0] / fid_at["real"][0])
chapter.record("kid_noisy_smallest_over_largest_n", kid_at["noisy"][0] / kid_at["noisy"][-1])

fig, (ax_fid, ax_kid) = plt.subplots(1, 2, figsize=(10.5, 4.2))
for shift, (name, colour) in zip((0.97, 1.03), (("real", "tab:green"), ("noisy", "tab:olive"))):
    fid, kid = np.array(by_size[name]["fid"]), np.array(by_size[name]["kid"])
    x = np.array(SIZES) * shift  # side by side, so that both error bars show
    for ax, values in ((ax_fid, fid), (ax_kid, kid)):
        ax.errorbar(
            x, values[:, 0], yerr=values[:, 1], fmt="o-", capsize=4, color=colour, label=f"{name} vs other real images"
        )
one_over_n = fid_at["real"][-1] * SIZES[-1] / np.array(SIZES)  # c / N through the real point at the largest N
ax_fid.plot(SIZES, one_over_n, "k--", linewidth=0.8, label=f"1/N through the real point at N = {SIZES[-1]}")
ax_kid.axhline(0, color="black", linewidth=0.8, linestyle=":", label="0: same distribution")
ax_fid.set_yscale("log")
for ax in (ax_fid, ax_kid):
    ax.set_xscale("log")
    ax.set_xticks(SIZES, [str(s) for s in SIZES])
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
ax_fid.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
ax_fid.yaxis.set_major_formatter(ticker.ScalarFormatter())
ax_fid.yaxis.set_minor_formatter(ticker.NullFormatter())
for ax, metric, title in (
    (ax_fid, "Shapes-FID", "Shapes-FID: a floor that falls with N"),
    (ax_kid, "KID", "KID: the same at every N, its spread shrinks"),
):
    figures.label(ax, title, "N, samples per set (log scale)", f"{metric}, mean ± std over blocks", better="lower")
figures.save(fig, chapter.keep("sample_size.png"), dpi=110)
if chapter.quick:  # N <= 48: the two lines overlap; the full run goes to N = 500
    print(f"quick mode, N <= {SIZES[-1]}: the real and noisy lines overlap; the full run goes to N = 500:")
    chapter.full_run_figure("sample_size.png")

# %% [markdown]
# The numbers below are those of the full run, 500 samples per set. **Quick mode cannot show the first two
# points**: with 48 prompts per generator the FID floor is about 26, ten times the full run's, and its
# sampling noise swallows what the pixel noise adds, so `noisy` and `real` score nearly the same FID; KID's
# error bar (about 0.08 with subsets of 24 samples) is as large as what the noise adds (about 0.08 in the
# full run), so KID cannot separate them either. The quick figures show that, not the lesson: open the
# full-run figures `quality.png` and `sample_size.png` (committed under
# `chapters/records/09_faq/02_evaluation/`, their paths printed above). Precision and recall of `collapsed`
# read the same in both modes.
#
# * **Shapes-FID** of real data against *other* real data is its floor with 500 samples, not 0: the
#   `fid_real` is 2.7. The floor falls as 1/N (the dashed line): from N = 25 to N = 500 it falls by the
#   `fid_floor_smallest_over_largest` of about 17. FID flags `collapsed` (the `fid_collapsed` is about 130),
#   but `text_ignoring` scores as well as real (the `fid_text_ignoring_over_real` is 1.0): its images are
#   perfectly real, just not the ones asked for. A distribution metric cannot see the prompt. Pixel noise a
#   human sees at once less than doubles it (the `fid_noisy` is 4.5, the `fid_noisy_over_real` 1.7): the
#   judge's features learned to ignore most of it. What the noise adds (about 2) does not depend on N, so
#   with 25 samples it is lost in a floor of about 47 that varies by about 5 from one block to the next:
#   the `fid_noisy_over_real_smallest_n` is 1.0.
# * **KID** is unbiased: real data scores 0 within its error bar (the `kid_real` is -0.005 and the
#   `kid_real_std` 0.011), while `noisy` stands far above 0 (the `kid_noisy` is 0.07, with a
#   `kid_noisy_std` of 0.012: the `kid_noisy_in_stds` is 6 error bars). KID separates `noisy` more clearly
#   than FID does. On average it measures the same at every N (the `kid_noisy_smallest_over_largest_n` is
#   1.0); only its spread grows as N shrinks, until one estimate says nothing.
# * **Precision / recall** split FID's single number in two: `collapsed` has precision 1 (its one image is
#   real: the `precision_collapsed` is 1.0) and recall 0 (the `recall_collapsed` is 0.0); `noisy` keeps its
#   precision (the `precision_noisy` is 0.96) and loses some recall (the `recall_noisy` is 0.87, against
#   the `recall_real` of 0.94).
#
# None of these numbers looks at the prompt, and none of them flags `deterministic` (the `fid_deterministic`
# is 3.0, next to real data's floor): its samples are sharp and real, only alike for one prompt. Chapter 9.4
# measures what the prompt asks, and catches both.

# %% [markdown]
# ## Summary
# * Quality (Shapes-FID, KID, precision/recall) compares distributions of judge features; it cannot tell
#   whether a sample matches its prompt, nor whether the samples of one prompt vary.
# * FID has a floor that depends on N (about 1/N); KID is unbiased but must be read with its error bar; with
#   too few samples neither sees strong pixel noise.
# * FID separates a collapsed model from a noisy one (`fid_collapsed` about 130 against `fid_noisy` 4.5), but as
#   one number it cannot say what was lost: quality or coverage. Precision (do the samples look real?) and
#   recall (do they cover the real data?) say which: `collapsed` loses coverage alone, `noisy` some coverage.
# * Always report the metric on real data next to the model's, with the same N: that is its floor or ceiling.
#
# ## Exercises
# `check` is `from mmjax.utils.selfcheck import check`. The expected values were measured once with the
# shipped judge; the tolerances allow for it being retrained. A report written by `mmjax eval ... --out r.json`
# holds the scores at `json.load(open("r.json"))["results"][GENERATOR][SPLIT]`.
#
# 1. FID's floor at N = 1000. From the dashed 1/N line of `sample_size.png`, predict the Shapes-FID of real
#    data against other real data with 1000 samples, then measure it and the floor at N = 100:
#    `mmjax eval real --splits test --num-samples 100 --out n100.json` and the same with `--num-samples 1000
#    --out n1000.json` (about 1 minute together on 2 CPU cores). You should observe that the floor falls
#    about tenfold from N = 100 to N = 1000 while KID stays at 0 within its error bar:
#    `check(fid_1000, expected=1.5, rtol=0.3)`, `check(fid_100 / fid_1000, expected=10, rtol=0.35)` and
#    `check(kid_1000, expected=0, tol=0.01)`.
# 2. The opposite of collapse: a generator that is too *wide*. In two dimensions, draw
#    `rng = np.random.default_rng(1)`, `real_2d = rng.normal(size=(400, 2))`, then
#    `wide = 3.0 * rng.normal(size=(400, 2))`, and compute `p, r = precision_recall(real_2d, wide, k=3)`
#    (instant). Before running it, say which of the two falls. You should observe that about half of the wide
#    samples fall outside every real point's ball while almost every real point lies inside some wide sample's
#    (larger) ball: `check(p, expected=0.53, tol=0.05)` and `check(r, expected=0.97, tol=0.03)`. What would
#    FID alone have told you about this generator and the narrow one of the cell above?
#
# Graded: `mmjax assignment new frechet_bleu --dir hw` writes stubs (docstrings and equations kept) of
# the Fréchet distance and corpus BLEU; `mmjax assignment grade hw` then scores your code
# test by test.
#
# ## Expected results
# Full run: 500 prompts per generator; quick run: 48. Image metrics depend on the shipped judge, so their
# bands allow for it being retrained. `-` marks a figure quick mode cannot show (the text after it says why).
#
# | figure | full run | quick run |
# |---|---|---|
# | `fid_real`: Shapes-FID floor, real vs other real images | 2.7 ± 30% | 26 ± 30% |
# | `fid_noisy` | 4.5 ± 30% | - (below the 48-sample floor's noise) |
# | `fid_deterministic` | 3.0 ± 30% | - (below the 48-sample floor's noise) |
# | `fid_text_ignoring` | 2.7 ± 30% | - (below the 48-sample floor's noise) |
# | `fid_collapsed` | 130 ± 30% | 130 ± 30% |
# | `fid_noisy_over_real`: what pixel noise costs in FID | 1.2 .. 2.5 | - (48 samples: about 1, the floor hides it) |
# | `fid_text_ignoring_over_real`: FID cannot see the prompt | 0.8 .. 1.25 | 0.6 .. 1.25 |
# | `fid_floor_smallest_over_largest`: real FID at N = 25 / N = 500 (16 / 48 quick) | 10 .. 40 | 1.5 .. 5 |
# | `fid_noisy_over_real_smallest_n`: noisy / real FID at N = 25 (16 quick) | 0.9 .. 1.15 | 0.9 .. 1.15 |
# | `kid_noisy_smallest_over_largest_n`: noisy KID at N = 25 / N = 500 | 0.6 .. 1.6 | - (N <= 48: KID is noise) |
# | `kid_real`: unbiased, 0 on real data | -0.03 .. 0.03 | -0.3 .. 0.3 |
# | `kid_real_std`: its spread over 10 subsets | 0.005 .. 0.03 | 0.03 .. 0.2 |
# | `kid_real_in_stds`: kid_real / kid_real_std | -2 .. 2 | -2.5 .. 2.5 |
# | `kid_noisy` | 0.04 .. 0.12 | - (smaller than quick mode's error bar) |
# | `kid_noisy_std` | 0.005 .. 0.03 | 0.03 .. 0.2 |
# | `kid_noisy_in_stds`: how many error bars noisy stands above 0 | > 3 | - (48 samples: within its error bar) |
# | `precision_collapsed` | > 0.99 | > 0.99 |
# | `recall_collapsed` | < 0.01 | < 0.05 |
# | `precision_noisy` | 0.96 ± 0.04 | > 0.85 |
# | `recall_noisy` | 0.75 .. 0.93 | - (48 samples: recall of real is also noisy) |
# | `recall_real` | 0.94 ± 0.04 | > 0.85 |

# %%
chapter.finish()
