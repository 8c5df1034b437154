# %% [markdown]
# # Chapter 9.2: how do you know a generative model is good?
#
# The usual answer is "quality, diversity and coherence", and then a single number such as FID. This
# chapter measures all three on the Shapes world, where the truth of every sample is known, and puts
# each metric next to generators that are broken *on purpose*, so you can see what every number
# catches and what it misses.
#
# | generator | what it does |
# | --- | --- |
# | `real` | renders exactly what the prompt states, free choices (jitter, the shared column of two objects) at random: the perfect model |
# | `noisy` | the perfect render plus strong pixel noise: a coherent model with poor image quality |
# | `deterministic` | the perfect render with no randomness: coherent and sharp, but every sample of a prompt is the same |
# | `text_ignoring` | real-looking renders of random scenes: a model that ignores its prompt |
# | `collapsed` | one image for everything: mode collapse |
#
# Every metric reads images through the **judge**, a small conv net trained on Shapes renders
# (`mmjax train judge` then `mmjax export`, shipped in `data/judge/judge.npz`). Its penultimate features
# give *Shapes-FID*, KID and precision/recall (not comparable with Inception FID); its predicted
# labels give coherence. The same numbers for any trained model come from
# `mmjax eval <model> --checkpoint ...`.

# %%
import textwrap

import matplotlib

matplotlib.use("Agg")
import jax
import matplotlib.pyplot as plt

from mmjax.eval import generators as G
from mmjax.eval.evaluate import evaluate_captions, evaluate_images
from mmjax.eval.prompts import prompt_batch
from mmjax.eval.report import format_table
from mmjax.metrics.contrastive import load_encoder
from mmjax.metrics.judge import load_judge, read_metadata
from mmjax.utils.chapter import output_dir, quick_mode

QUICK = quick_mode()
OUT = output_dir("09_faq")
NUM_SAMPLES = 48 if QUICK else 500  # prompts per generator (and real reference images)
DIVERSITY = dict(diversity_prompts=4, samples_per_prompt=4) if QUICK else dict(diversity_prompts=20, samples_per_prompt=8)
judge, _ = load_judge()
encoder = None if QUICK else load_encoder()[0]  # the encoder behind R-precision (needs >= 150 prompts)

# %% [markdown]
# ## The instrument first: how well does the judge read real images?
# A metric is only as good as its instrument. The accuracies stored with the checkpoint were measured
# on the first examples of `test` and `test_heldout` (colour x shape pairs that generative models never
# see in training).

# %%
stored = read_metadata()["extra"]["accuracy"]
print(format_table({split: scores for split, scores in stored.items() if split.endswith("image")}))
assert min(min(scores.values()) for split, scores in stored.items() if split.endswith("image")) > 0.999

# %% [markdown]
# ## Samples from each generator, for the same prompts

# %%
names = ["real", "noisy", "deterministic", "text_ignoring", "collapsed"]
prompts = prompt_batch("test", 0, 6)
fig, axes = plt.subplots(len(names), 6, figsize=(9, 1.6 * len(names)))
for row, name in enumerate(names):
    images = G.BUILTIN[name][1](prompts, jax.random.key(row))
    for col in range(6):
        axes[row, col].imshow(images[col])
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
    axes[row, 0].set_ylabel(name, fontsize=8)
for col in range(6):
    axes[0, col].set_title(textwrap.fill(prompts["caption"][col], 22), fontsize=6)
fig.tight_layout()
fig.savefig(OUT / "samples.png", dpi=120)

# %% [markdown]
# ## Every metric, every generator
# Lower is better for Shapes-FID and KID; higher for the rest. Diversity is measured on repeated
# two-object prompts: their captions state the relation but not the shared column, so a good model
# varies it (`distinct_free_line`, 1 = all three options used) and its samples differ
# (`pairwise_feature_distance`).

# %%
results = {name: evaluate_images(G.BUILTIN[name][1], judge, "test", NUM_SAMPLES, seed=0, encoder=encoder, **DIVERSITY) for name in names}
print(format_table(results))
# What the bars below show, checked: coherence alone catches the prompt-ignoring generator, FID the
# collapsed one, diversity the deterministic one.
assert results["real"]["coherence_all_correct"] > 0.9 > 0.1 > results["text_ignoring"]["coherence_all_correct"]
assert results["collapsed"]["shapes_fid"] > 3 * results["real"]["shapes_fid"]  # the floor is high with few samples
assert results["collapsed"]["recall"] < 0.1 < 0.5 < results["real"]["recall"]
assert results["deterministic"]["pairwise_feature_distance"] < 1e-5 < results["real"]["pairwise_feature_distance"]
metrics = ["shapes_fid", "kid", "precision", "recall", "coherence_all_correct", "coherence_colour", "pairwise_feature_distance", "distinct_free_line"]
metrics += ["r_precision"] if encoder is not None else []
fig, axes = plt.subplots(2, (len(metrics) + 1) // 2, figsize=(3.3 * ((len(metrics) + 1) // 2), 5.5))
for ax, metric in zip(axes.ravel(), metrics):
    values = [results[n][metric] for n in names]
    ax.bar(range(len(names)), values, color=["tab:green", "tab:olive", "tab:blue", "tab:orange", "tab:red"])
    ax.set_xticks(range(len(names)), names, rotation=35, fontsize=7)
    ax.set_title(metric, fontsize=9)
for ax in axes.ravel()[len(metrics) :]:
    ax.axis("off")
fig.tight_layout()
fig.savefig(OUT / "metrics.png", dpi=120)

# %% [markdown]
# Read the bars metric by metric (figures from the full run, N = 500 prompts of `test`):
#
# * **Shapes-FID** is 2.7 for real data against *other* real data: that is its floor with 500 samples,
#   not 0. It flags `collapsed` (135) but `text_ignoring` scores 2.6, as good as real: its images
#   are perfectly real, just not the ones asked for. A distribution metric cannot see the prompt.
#   Pixel noise a human sees at once only doubles it (5.1): the judge's features learned to ignore it.
# * **KID** is unbiased (real: -0.005 +- 0.010, i.e. 0 within its error bar) and separates `noisy`
#   (0.090 +- 0.011) far more clearly than FID does.
# * **Precision / recall** split FID's single number in two: `collapsed` has precision 1 (its one
#   image is real) and recall 0; `noisy` keeps precision and loses some recall (0.87).
# * **Coherence** is the only family that catches `text_ignoring` (0.2% of samples fully right,
#   attribute accuracies at chance: 1/4 for shape, 1/6 for colour) and it is blind to `deterministic`,
#   which is perfectly coherent. **R-precision** (when the contrastive encoder is available) agrees:
#   0.99 for the coherent generators, 0.01 (chance: 1 in 100) for the text-ignoring one.
# * **Diversity** catches `deterministic` and `collapsed`: zero feature spread, one column out of three.
#
# No single number ranks all five correctly; together they do.

# %% [markdown]
# ## Captions: n-gram overlap versus reading the caption back
# Captioning metrics compare words (BLEU, CIDEr-D against 5 reference paraphrases per image) or, in
# the Shapes world, the *facts* a caption states, by parsing it back into labels. A caption that
# repeats itself can keep decent n-gram scores while its text is degenerate.

# %%
captioners = ["oracle_captioner", "stuttering_captioner", "constant_captioner"]
caption_results = {name: evaluate_captions(G.BUILTIN[name][1], "test", NUM_SAMPLES, seed=0) for name in captioners}
print(format_table(caption_results))
fig, axes = plt.subplots(1, 5, figsize=(13, 3))
for ax, metric in zip(axes, ["bleu_4", "cider_d", "exact_match", "f1", "repetition"]):
    ax.bar(range(3), [caption_results[n][metric] for n in captioners], color=["tab:green", "tab:orange", "tab:red"])
    ax.set_xticks(range(3), [n.replace("_captioner", "") for n in captioners], fontsize=8)
    ax.set_title(metric, fontsize=9)
fig.tight_layout()
fig.savefig(OUT / "captions.png", dpi=120)

# %% [markdown]
# The perfect captioner's BLEU-4 is 0.86, not 1: its paraphrase is true but worded differently from
# the references. That is the ceiling BLEU allows here, and why "BLEU-4 = 0.6" means nothing without
# the ceiling measured on real data. The stuttering captioner keeps BLEU-4 = 0.63 and CIDEr-D = 3.0
# although none of its captions is a sentence the world can parse (exact match 0, repetition 0.19);
# the constant captioner is fluent and wrong (attribute F1 0.16). Exact match and attribute F1 read
# the caption back into labels: their ceiling is 1.
#
# ## Summary
# * Quality (Shapes-FID, KID, precision/recall) compares distributions of judge features; it cannot
#   tell whether a sample matches its prompt.
# * Coherence reads every attribute of every sample and compares it with the prompt, exactly: only a
#   world with known truth (or a very good judge) allows this.
# * Diversity needs several samples per prompt; a model can be perfectly coherent and perfectly boring.
# * Always report the metric on real data next to the model's: that is its floor or ceiling.
#
# ## Exercises
# 1. Run `mmjax eval real --num-samples 100` and `--num-samples 1000`. How does the Shapes-FID of real
#    data against itself change with N? Does KID's? (Hint: one of them is unbiased.)
# 2. Write a generator that renders the prompt but with the wrong size half of the time. Which metrics
#    notice? Which attribute accuracy drops, and by how much?
# 3. Train the judge without the held-out pairs (`mmjax train judge --steps 3000 --heldout_pairs_in_training
#    false --run-dir /tmp/j`, then `mmjax export /tmp/j --out /tmp/j.npz`) and compare its `test_heldout`
#    accuracy (`mmjax eval real --judge /tmp/j.npz`): does the instrument itself generalise?
# 4. Run `mmjax eval real --splits test_heldout`: the judge still reads every held-out image, but the
#    R-precision ceiling drops (0.89 against 0.99 on `test`) because the contrastive encoder, trained
#    on `train` pairs only, never saw those colour x shape pairs. Which instrument would you trust to
#    score a model on held-out compositions, and why?
# 5. Evaluate the trained DCGAN of the GAN chapter with `mmjax eval dcgan --checkpoint ...` and place it in the
#    bar charts above.
