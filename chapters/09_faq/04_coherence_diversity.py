# %% [markdown]
# # Chapter 9.4: does each sample show its prompt, and vary? Coherence, R-precision and diversity
#
# Chapter 9.2 measured the quality of a generated set as a whole, and found that no quality metric looks at
# the prompt: a generator that ignores its prompt scores as well as real data, and one that draws the same
# picture for every sample of a prompt scores next to it. This chapter measures what the prompt asks, on the
# same five generators broken *on purpose*:
#
# | generator | what it does |
# | --- | --- |
# | `real` | renders what the prompt states, free choices (jitter, two objects' shared column) at random: perfect |
# | `noisy` | the perfect render plus strong pixel noise (std 20 of 255): a coherent model with poor image quality |
# | `deterministic` | the perfect render without randomness: coherent and sharp, but all samples of a prompt alike |
# | `text_ignoring` | real-looking renders of random scenes: a model that ignores its prompt |
# | `collapsed` | one image for everything: mode collapse |
#
# *Coherence* reads every attribute of every sample with the **judge** (the conv net of chapter 9.2, through
# its predicted labels rather than its features) and compares it with what the prompt states; *R-precision*
# asks a second instrument to find each image's caption among 100; *diversity* draws several samples of one
# prompt and measures how much they differ where the prompt leaves freedom. Then every metric of both
# chapters side by side: no single number ranks the five generators. The same numbers for any trained model
# come from `mmjax eval <model> --checkpoint ...`; chapter 9.3 does the same for captions.
#
# Prerequisites: chapter 9.2 (the generators, the judge, the quality metrics) and, for exercise 4, chapter
# 3.2 (the DCGAN). Run time on 2 CPU cores: about 15 s in quick mode (48 prompts per generator), about
# 30 s in full mode (500 prompts).

# %%

import matplotlib.pyplot as plt
import numpy as np

from mmjax.eval import generators as G
from mmjax.eval.evaluate import MIN_SAMPLES_FOR_R_PRECISION, evaluate_images
from mmjax.eval.report import format_table
from mmjax.metrics.contrastive import load_encoder
from mmjax.metrics.diversity import distinct_outcome_fraction, mean_pairwise_distance
from mmjax.metrics.judge import load_judge, read_metadata
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("09_faq/04_coherence_diversity")
NUM_SAMPLES = 48 if chapter.quick else 500  # prompts per generator (and real reference images)
DIVERSITY = (
    dict(diversity_prompts=4, samples_per_prompt=4)
    if chapter.quick
    else dict(diversity_prompts=20, samples_per_prompt=8)
)  # repeated two-object prompts x samples of each
judge, judge_config = load_judge()
# The contrastive encoder behind R-precision: it needs >= 150 prompts to draw 99 wrong captions per image.
encoder = load_encoder()[0] if NUM_SAMPLES >= MIN_SAMPLES_FOR_R_PRECISION else None
names = ["real", "noisy", "deterministic", "text_ignoring", "collapsed"]
colours = ["tab:green", "tab:olive", "tab:blue", "tab:orange", "tab:red"]  # one per generator, as in chapter 9.2

# %% [markdown]
# ## The instrument first: how well does the judge read real images?
# A metric is only as good as its instrument. The judge is **the measuring instrument, not a model under
# test**: it is trained on *every* colour x shape pair, the pairs held out from the generative models'
# training data (`test_heldout`) included (15% of its training frames), but on its own renders (another
# scene seed), never on the images of `test` or `test_heldout` below. An instrument must know every
# composition it will be asked to recognise in generated images; generative models never see those pairs.
# So its accuracy on `test_heldout` says it reads those images correctly, *not* that a network generalises
# to unseen compositions (whether it would is exercise 2). The accuracies were measured when the judge
# was exported, on the first images of each split, and are stored with it:

# %%
metadata = read_metadata()
assert metadata["config"]["heldout_pairs_in_training"], "the shipped judge is trained on all colour x shape pairs"
print(
    f"judge training frames: seed {judge_config.data_seed} (the datasets use seed 0), "
    f"held-out pairs included: {judge_config.heldout_pairs_in_training}"
)
stored = metadata["extra"]["accuracy"]
print(format_table({split: scores for split, scores in stored.items() if split.endswith("image")}))
chapter.record("judge_test_all_correct", stored["test/image"]["all_correct"])
chapter.record("judge_heldout_all_correct", stored["test_heldout/image"]["all_correct"])

# %% [markdown]
# Every attribute of every image is read right (the `judge_heldout_all_correct` is 1.0 on `test_heldout`,
# the `judge_test_all_correct` 1.0 on `test`): an error in a coherence score below is the generator's, not
# the judge's.
#
# ## Coherence and diversity: the prompt and the repeated prompt
# **Coherence** compares the judge's reading of every generated image with what its prompt states, attribute
# by attribute (`a` = shape, colour, size, cell, number of objects, relation; attributes a caption leaves
# unstated are not scored):
#
#     coherence_a = mean over samples i of [judge_a(y_i) == prompt_a(i)]
#     coherence_all_correct = mean over samples i of [every stated attribute right]
#
# **Diversity** asks for `S` = 8 samples of each of 20 two-object prompts (4 x 4 in quick mode). Their captions
# state the relation ("above", "left of") but not the shared column (or row), so a good model varies it:
# `pairwise_feature_distance` = mean over prompts of `mean_{i<j} |f_i - f_j|` (judge features of the `S`
# samples), and `distinct_free_line` = mean over prompts of (number of distinct columns or rows used) / 3.
# **R-precision** (with at least 150 prompts) asks a second instrument, a small CLIP-style text-image encoder
# shipped beside the judge (`mmjax/artifacts/judge/contrastive.npz`, trained on `train` pairs only), to pick
# each image's caption among 100 (its own and 99 stating other facts) by cosine similarity:
#
#     R-precision = mean over images i of [cos(u_i, v_own caption) > cos(u_i, v_c) for all 99 wrong captions c]
#
# chance is 1 in 100.

# %% [markdown]
# The two diversity formulas on a toy prompt: `S` = 4 samples with 2 features each, whose free column
# (0 to 2) the judge read as 0, 2, 2, 0.

# %%
f = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0], [0.0, 1.0]])  # [S, D] features of the 4 samples
pairs = [(i, j) for i in range(len(f)) for j in range(i + 1, len(f))]
spread_by_hand = np.mean([np.linalg.norm(f[i] - f[j]) for i, j in pairs])  # mean_{i<j} |f_i - f_j|
line = np.array([0, 2, 2, 0])  # the free column of each sample
lines_by_hand = len(set(line.tolist())) / 3  # distinct columns used / 3
print(f"by hand: spread {spread_by_hand:.4f}, free line {lines_by_hand:.4f}")
assert np.isclose(spread_by_hand, (5 + 5 + 1 + 0 + np.hypot(3, 3) + np.hypot(3, 3)) / 6)  # d01 d02 d03 d12 d13 d23
assert np.isclose(spread_by_hand, mean_pairwise_distance(f))
assert np.isclose(lines_by_hand, distinct_outcome_fraction(line, 3))


# %% [markdown]
# ## Every metric, every generator
# The prompts are examples `0 .. N-1` of `test`, the real reference set is examples `N .. 2N-1` rendered, so
# even the perfect generator is compared with *other* real images, as a model would be: its scores are the
# floor (FID, KID) and the ceiling (the others) reachable with `N` samples. The quality rows are chapter
# 9.2's numbers (the same prompts and seed).

# %%
results = {
    name: evaluate_images(G.BUILTIN[name][1], judge, "test", NUM_SAMPLES, seed=0, encoder=encoder, **DIVERSITY)
    for name in names
}
print(format_table(results))
chapter.record("coherence_real", results["real"]["coherence_all_correct"])
chapter.record("coherence_deterministic", results["deterministic"]["coherence_all_correct"])
chapter.record("coherence_text_ignoring", results["text_ignoring"]["coherence_all_correct"])
chapter.record("coherence_shape_text_ignoring", results["text_ignoring"]["coherence_shape"])
chapter.record("coherence_colour_text_ignoring", results["text_ignoring"]["coherence_colour"])
chapter.record("spread_deterministic", results["deterministic"]["pairwise_feature_distance"])
chapter.record("free_line_real", results["real"]["distinct_free_line"])
chapter.record("free_line_deterministic", results["deterministic"]["distinct_free_line"])
if encoder is not None:
    for name in ("real", "noisy", "text_ignoring"):
        chapter.record(f"r_precision_{name}", results[name]["r_precision"])


# %% [markdown]
# One panel per metric, one bar per generator; the y label says which direction is better, and KID is drawn
# with its error bar (`kid_std`, the spread over its 10 subsets).

# %%
metrics = {  # name: (what the axis shows, which direction is better)
    "shapes_fid": ("Shapes-FID (log scale)", "lower"),
    "kid": ("KID ± kid_std", "lower"),
    "precision": ("fraction of samples", "higher"),
    "recall": ("fraction of real images", "higher"),
    "coherence_all_correct": ("fraction of samples", "higher"),
    "coherence_colour": ("fraction of samples", "higher"),
    "pairwise_feature_distance": ("judge feature units", "higher"),
    "distinct_free_line": ("fraction of the 3 free lines", "higher"),
}
if encoder is not None:
    metrics["r_precision"] = ("fraction of prompts", "higher")
columns = (len(metrics) + 1) // 2
fig, axes = plt.subplots(2, columns, figsize=(3.4 * columns, 7))
for ax, (metric, (unit, better)) in zip(axes.ravel(), metrics.items()):
    figures.metric_bars(ax, metric, results, names, unit, better, colours)
for ax in axes.ravel()[len(metrics) :]:
    ax.axis("off")
fig.suptitle(f"Image metrics of {len(names)} generators on {NUM_SAMPLES} prompts of test", fontsize=11)
figures.save(fig, chapter.keep("metrics.png"), dpi=110)
if chapter.quick:  # 48 samples: no R-precision; FID and KID cannot separate `noisy` from `real` (chapter 9.2)
    print(
        f"quick mode, {NUM_SAMPLES} samples: no R-precision (it needs >= {MIN_SAMPLES_FOR_R_PRECISION} prompts), "
        "and `noisy` scores like `real` on FID and KID; the full run (500 samples) shows both:"
    )
    chapter.full_run_figure("metrics.png")

# %% [markdown]
# The numbers below are those of the full run, 500 samples per generator. R-precision needs at least 150
# prompts and is not computed in quick mode, and quick mode's FID and KID cannot separate `noisy` from `real`
# (chapter 9.2 shows why): open the full-run figure `metrics.png` (committed under
# `chapters/records/09_faq/04_coherence_diversity/`, its path printed above). Coherence and diversity read
# the same in both modes.
#
# * **Coherence** is the only family that catches `text_ignoring`: the `coherence_text_ignoring` is 0.002
#   (0.2% of samples fully right), and its attribute accuracies sit at chance (the
#   `coherence_shape_text_ignoring` is 0.23, chance 1/4; the `coherence_colour_text_ignoring` 0.14, chance
#   1/6). It is blind to `deterministic`, which is perfectly coherent (the `coherence_deterministic` is 1.0),
#   as real data is (the `coherence_real` is 1.0).
# * **R-precision** agrees: the `r_precision_real` is 0.99, the `r_precision_text_ignoring` 0.01 (chance:
#   1 in 100). It also drops for `noisy` (the `r_precision_noisy` is 0.91) although every noisy image shows
#   the right scene: the contrastive encoder never saw noise in training. An instrument that mixes quality
#   into coherence is not wrong, but you must know that it does.
# * **Diversity** catches `deterministic` and `collapsed`: zero feature spread (the
#   `spread_deterministic` is 0.0) and one line out of three (the `free_line_deterministic` is 0.33,
#   against the `free_line_real` of 0.98).
#
# With chapter 9.2's quality panels beside them: FID flags `collapsed` but not `text_ignoring`; KID and recall
# flag `noisy` (precision does not: `noisy` keeps the precision of real data, 0.958 against 0.952, since
# every noisy sample lies near real ones; only its coverage shrinks); coherence flags `text_ignoring`;
# diversity flags `deterministic`. No single number ranks all five correctly; together they do.

# %% [markdown]
# ## Summary
# * Coherence reads every attribute of every sample and compares it with the prompt, exactly: only a world
#   with known truth and an instrument trained on every composition (the judge) allows this.
# * R-precision asks a learned text-image encoder instead: it needs no labels, but it inherits what that
#   encoder never saw (noise, held-out compositions).
# * Diversity needs several samples per prompt; a model can be perfectly coherent and perfectly boring.
# * Quality (chapter 9.2), coherence and diversity each miss a broken generator the others catch: report
#   all of them, each next to real data's value with the same N.
#
# ## Exercises
# `check` is `from mmjax.utils.selfcheck import check`. The expected values were measured once with the
# shipped judge and contrastive encoder; the tolerances allow for those being retrained. A report written by
# `mmjax eval ... --out r.json` holds the scores at `json.load(open("r.json"))["results"][GENERATOR][SPLIT]`.
#
# 1. A generator that gets the size wrong half of the time. Write `wrong_size(prompts, key)`: like
#    `G.real_generator`, draw `rng = G.rng_from_key(key)` and render `G.perfect_scene(scene, rng)` for every
#    scene of `prompts["scenes"]`, but for every odd position `i` in that list (`i % 2 == 1`) first swap the
#    size of each object (`dataclasses.replace(o, size=1 - o.size)` on every `ShapeObject` of
#    `scene.objects`, then `dataclasses.replace(scene, objects=...)`). Score it with
#    `scores = evaluate_images(wrong_size, judge, "test", 500, seed=0)` (about 15 s). You should observe that
#    the size attribute and the all-correct rate drop to one half and nothing else moves: every other
#    attribute stays at 1 and the quality metrics stay at real data's values, because a wrong size is still
#    a real-looking image: `check(scores["coherence_size"], expected=0.5, tol=0.05)`,
#    `check(scores["coherence_all_correct"], expected=0.5, tol=0.05)` and
#    `check(scores["shapes_fid"], expected=2.7, rtol=0.3)`.
# 2. Does the instrument itself generalise? A short run shows it in about a minute. Train a small judge
#    *without* the held-out pairs on 2000 frames held in memory:
#    `jc = JudgeConfig(widths=(16, 32, 32, 64), feature_dim=64, num_train_examples=2000, video_fraction=0.0,
#    heldout_pairs_in_training=False, learning_rate=6e-3)` (`mmjax.metrics.judge.config`), the frames
#    `JudgeFrames(jc, "train")[i]` (`mmjax.metrics.judge.data`) stacked, and 150 jitted steps of
#    `train_step(state, batch, None, jc, optimizer)` from `mmjax.metrics.judge.step` on random batches of 64
#    (its `make_optimizer(jc, 150)` and `init(jc, jax.random.key(0), optimizer)` make the state). Read the
#    first 200 images of both splits with `report = judge_report(TrainedJudge(jc, {"params": state["params"],
#    "state": state["state"]}), 200, num_videos=0)` (`TrainedJudge` from `mmjax.metrics.judge.inference`).
#    You should observe that a run this short reads about half of the `test` shapes but the `test_heldout`
#    shapes *below* chance (1/4), while it reads their colours: it names a shape it has seen with that colour,
#    `check(report["test_heldout/image"]["shape"], expected=0.14, tol=0.1)`. The full run does the same at a
#    higher level: `mmjax train judge --steps 3000 --heldout_pairs_in_training false --run-dir /tmp/j` (about
#    10 minutes on 2 idle CPU cores), `mmjax export /tmp/j --out /tmp/j.npz` and `mmjax eval real --judge
#    /tmp/j.npz --encoder none` read every `test` image right and, measured once, only 0.43 of the
#    `test_heldout` images (their shapes 0.59). That is why the shipped judge is trained on every pair.
# 3. Run `mmjax eval real --splits test_heldout --out heldout.json` (about 25 s). The judge still reads every
#    held-out image (`coherence_all_correct` 1.0), but R-precision drops below `test`'s 0.99, because the
#    contrastive encoder, trained on `train` pairs only, never saw those colour x shape pairs:
#    `check(r_precision_heldout, expected=0.88, tol=0.06)`. Which instrument would you trust to score a model
#    on held-out compositions, and why?
# 4. Place a trained model among the references: the shipped text-to-image GAN of chapter 5.2. Score it with
#    `mmjax eval text2image --splits test --out t2i.json` (under a minute) and add it as a sixth bar to
#    `metrics.png`: `names.append("text2image")`, `colours.append("tab:purple")`,
#    `results["text2image"] = json.load(open("t2i.json"))["results"]["text2image"]["test"]`, then rerun the
#    cell that draws the bars (the one starting `metrics = {`). You should observe a model that passes both
#    kinds of metric on `test`: its samples look real (precision about 0.95) and cover the real data (recall
#    about 0.94), its FID is about 1.3 times real data's floor (about 3.4 against 2.7), and about 0.98 of its
#    samples are fully right: `check(s["coherence_all_correct"], expected=0.98, tol=0.02)`,
#    `check(s["precision"], expected=0.95, tol=0.04)` and `check(s["recall"], expected=0.94, tol=0.05)`, with
#    `s = results["text2image"]`. Coherence tells where it fails: score `test_heldout` the same way
#    (`--splits test_heldout`). Its colour and shape pairs never appeared together in training, and only
#    about 0.77 of its samples are fully right, the asked shape about 0.89 of the time:
#    `check(h["coherence_all_correct"], expected=0.77, tol=0.06)`, with `h` that split's scores. Another
#    model to place the same way is the conditional DCGAN of chapter
#    3.2: `mmjax train dcgan --steps 2000 --run-dir /tmp/dcgan` (about 5 minutes on 2 CPU cores), then
#    `mmjax eval dcgan --checkpoint /tmp/dcgan --splits test --out dcgan.json`.
#
# ## Expected results
# Full run: 500 prompts per generator; quick run: 48. Image metrics depend on the shipped judge (and
# R-precision on the contrastive encoder), so their bands allow for it being retrained. `-` marks a figure
# quick mode cannot show (the text after it says why).
#
# | figure | full run | quick run |
# |---|---|---|
# | `judge_test_all_correct`: stored judge accuracy on test images | > 0.99 | > 0.99 |
# | `judge_heldout_all_correct`: the same on test_heldout (pairs it trained on) | > 0.99 | > 0.99 |
# | `coherence_real`: all attributes right | > 0.99 | > 0.99 |
# | `coherence_deterministic` | > 0.99 | > 0.99 |
# | `coherence_text_ignoring` | < 0.02 | < 0.05 |
# | `coherence_shape_text_ignoring`: chance is 1/4 | 0.25 ± 0.05 | 0.25 ± 0.1 |
# | `coherence_colour_text_ignoring`: chance is 1/6 | 0.167 ± 0.05 | 0.167 ± 0.1 |
# | `r_precision_real` | > 0.95 | - (needs >= 150 prompts) |
# | `r_precision_noisy` | 0.8 .. 0.97 | - (needs >= 150 prompts) |
# | `r_precision_text_ignoring`: chance is 0.01 | < 0.03 | - (needs >= 150 prompts) |
# | `spread_deterministic`: feature spread of repeated samples | < 1e-5 | < 1e-5 |
# | `free_line_real`: columns used / 3 (8 samples per prompt, 4 in quick) | > 0.9 | > 0.5 |
# | `free_line_deterministic` | 0.333 ± 0.01 | 0.333 ± 0.01 |

# %%
chapter.finish()
