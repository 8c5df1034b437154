# %% [markdown]
# # Chapter 9.3: how do you know a caption is good?
#
# Chapters 9.2 and 9.4 scored image generators; this chapter scores the other direction, image-to-text, the same
# way: each metric's formula, a few lines of numpy that compute it by hand on a tiny example with an `assert` that
# they agree with the library function `mmjax eval` uses, then the metric on captioners that are broken *on
# purpose*, so you can see what every number catches and what it misses. Caption metrics need no judge: the
# Shapes world states the truth of every caption.
#
# Prerequisites: chapter 2.2 (how captions become tokens). Run time on 2 CPU cores: a few seconds in quick
# mode (48 images), about 10 s in full mode (500 images).

# %%
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from mmjax.eval import generators as G
from mmjax.eval.evaluate import evaluate_captions
from mmjax.eval.report import format_table
from mmjax.metrics.bleu import corpus_bleu
from mmjax.metrics.cider import cider_d
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("09_faq/03_caption_metrics")
NUM_SAMPLES = 48 if chapter.quick else 500  # images captioned per captioner

# %% [markdown]
# ## N-gram overlap versus reading the caption back
# Captioning metrics compare words with references (5 paraphrases per image here) or, in the Shapes world,
# the *facts* a caption states, by parsing it back into labels.
#
# **BLEU-N** counts the candidate's n-grams that also occur in a reference, each clipped to its largest count
# in any one reference, summed over the corpus:
#
#     p_n = sum_c sum_g min(count_c(g), max_r count_r(g)) / sum_c sum_g count_c(g)
#     BP  = 1 if L_c > L_r else exp(1 - L_r / L_c)          (brevity penalty)
#     BLEU-N = BP * exp((log p_1 + ... + log p_N) / N)
#
# `L_c` is the total candidate length and `L_r` the total of, per candidate, the reference length closest to
# its own. Without the brevity penalty, a one-word caption "a" would score p_1 = 1.


# %%
def grams(words, n):
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


candidate = "a red circle above a blue square".split()  # 7 words
references = ["a red circle is above a blue square".split(), "a small red circle above a large blue square".split()]
p = []
for n in range(1, 5):
    best = Counter()
    for ref in references:
        best |= grams(ref, n)  # max count of each n-gram over the references
    p.append(sum(min(c, best[g]) for g, c in grams(candidate, n).items()) / sum(grams(candidate, n).values()))
closest = min((len(r) for r in references), key=lambda length: (abs(length - len(candidate)), length))  # 8
brevity = 1.0 if len(candidate) > closest else np.exp(1 - closest / len(candidate))
bleu_4_by_hand = brevity * np.exp(np.mean(np.log(p)))
library = corpus_bleu([" ".join(candidate)], [[" ".join(r) for r in references]])
print(
    f"p_1..p_4 = {np.round(p, 3)}, BP = {brevity:.4f}, BLEU-4 by hand {bleu_4_by_hand:.4f}, "
    f"mmjax.metrics.bleu {library['bleu_4']:.4f}"
)
assert np.isclose(bleu_4_by_hand, library["bleu_4"]) and np.isclose(brevity, library["brevity_penalty"])

# %% [markdown]
# **CIDEr-D** weights every n-gram (n = 1..4) by how *rare* it is among the references of the whole corpus:
# with `|I|` images and `df(g)` the number of images whose references contain `g`,
#
#     w(g) = count(g) * (log |I| - log max(1, df(g)))          (TF-IDF: words every caption uses weigh 0)
#     sim_n(c, r) = exp(-(l_c - l_r)^2 / (2 * 6^2)) * sum_g min(w_c(g), w_r(g)) w_r(g) / (|w_c| |w_r|)
#     CIDEr-D(c) = 10 / m * sum over its m references r of mean_{n=1..4} sim_n(c, r)
#
# a clipped cosine similarity of TF-IDF vectors with a Gaussian penalty on the length difference (`l` in
# words); the corpus score is the mean over candidates, at most 10 for captions equal to all their references.

# %%
corpus = ["a red circle above a blue square", "a green cross", "a red square left of a red square"]
corpus_refs = [
    ["a red circle is above a blue square", "a small red circle above a large blue square"],
    ["a small green cross", "one green cross"],
    ["a red square to the left of a yellow square", "a red square left of a yellow square"],
]
refs_words = [[r.split() for r in group] for group in corpus_refs]
df = Counter(g for group in refs_words for g in {g for r in group for n in range(1, 5) for g in grams(r, n)})


def tfidf(words, n):
    return {g: c * (np.log(len(corpus_refs)) - np.log(max(1, df[g]))) for g, c in grams(words, n).items()}


def sim(c, r, n):
    w_c, w_r = tfidf(c, n), tfidf(r, n)
    norms = np.sqrt(sum(v * v for v in w_c.values())) * np.sqrt(sum(v * v for v in w_r.values()))
    clipped = sum(min(w, w_r.get(g, 0.0)) * w_r.get(g, 0.0) for g, w in w_c.items())
    return np.exp(-((len(c) - len(r)) ** 2) / (2 * 6.0**2)) * (clipped / norms if norms else 0.0)


cider_by_hand = np.mean(
    [
        10 * np.mean([np.mean([sim(c.split(), r, n) for n in range(1, 5)]) for r in group])
        for c, group in zip(corpus, refs_words)
    ]
)
print(f"CIDEr-D by hand {cider_by_hand:.4f}, mmjax.metrics.cider {cider_d(corpus, corpus_refs)[0]:.4f}")
assert np.isclose(cider_by_hand, cider_d(corpus, corpus_refs)[0])

# %% [markdown]
# Exact match and attribute F1 read the caption back into labels (`parse_caption`) and compare them with the
# scene's: their ceiling is 1. `repetition` is the fraction of a caption's word pairs (bigrams) that repeat.
# Three reference captioners: the `oracle` describes the true scene in a fresh paraphrase, the `stuttering`
# one repeats its object phrase ("a small red circle small red circle above ..."), the `constant` one writes
# the same fluent sentence for every image.

# %%
captioners = ["oracle_captioner", "stuttering_captioner", "constant_captioner"]
caption_results = {name: evaluate_captions(G.BUILTIN[name][1], "test", NUM_SAMPLES, seed=0) for name in captioners}
print(format_table(caption_results))
chapter.record("bleu_4_oracle", caption_results["oracle_captioner"]["bleu_4"])
chapter.record("cider_d_oracle", caption_results["oracle_captioner"]["cider_d"])
chapter.record("bleu_4_stuttering", caption_results["stuttering_captioner"]["bleu_4"])
chapter.record("cider_d_stuttering", caption_results["stuttering_captioner"]["cider_d"])
chapter.record("exact_match_stuttering", caption_results["stuttering_captioner"]["exact_match"])
chapter.record("repetition_stuttering", caption_results["stuttering_captioner"]["repetition"])
chapter.record("f1_constant", caption_results["constant_captioner"]["f1"])

caption_metrics = {
    "bleu_4": ("BLEU-4 (0 .. 1)", "higher"),
    "cider_d": ("CIDEr-D (0 .. 10)", "higher"),
    "exact_match": ("fraction of captions", "higher"),
    "f1": ("attribute F1 (0 .. 1)", "higher"),
    "repetition": ("fraction of repeated bigrams", "lower"),
}
fig, axes = plt.subplots(1, len(caption_metrics), figsize=(15, 3.6))
for ax, (metric, (unit, better)) in zip(axes, caption_metrics.items()):
    bars = ax.bar(
        range(3), [caption_results[n][metric] for n in captioners], color=["tab:green", "tab:orange", "tab:red"]
    )
    ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=2)
    ax.set_xticks(range(3), [n.replace("_captioner", "") for n in captioners], fontsize=8)
    ax.margins(y=0.15)
    figures.label(ax, metric, "captioner", unit, better=better)
fig.suptitle(f"Caption metrics of three reference captioners on {NUM_SAMPLES} images of test", fontsize=11)
figures.save(fig, chapter.out / "captions.png", dpi=110)

# %% [markdown]
# The perfect captioner's BLEU-4 is not 1 (the `bleu_4_oracle` is 0.86): its paraphrase is true but worded
# differently from the references. That is the ceiling BLEU allows here, and why "BLEU-4 = 0.6" means nothing
# without the ceiling measured on real data. The stuttering captioner keeps most of it (the
# `bleu_4_stuttering` is 0.63; the `cider_d_stuttering` is 3.0, against the `cider_d_oracle` of 4.9) although
# none of its captions is a sentence the world can parse (the `exact_match_stuttering` is 0.0, the
# `repetition_stuttering` 0.19); the constant captioner is fluent and wrong (the `f1_constant` is 0.16).
# These caption numbers do not depend on the judge, and quick mode's 48 images already show them.
#
# ## Summary
# * BLEU counts n-grams shared with references (clipped, with a brevity penalty); CIDEr-D weighs them by how
#   rare they are in the corpus. Both reward wording, not truth: a true paraphrase loses points, a stuttering
#   caption keeps most of them.
# * Reading the caption back into facts (exact match, attribute F1) measures truth, and is exact in a world
#   whose every caption can be parsed; `repetition` catches degenerate decoding.
# * Report every caption metric next to its value for a perfect captioner on the same references: that is
#   the ceiling (BLEU-4 is about 0.86 here, not 1).
#
# ## Exercises
# `check` is `from mmjax.utils.selfcheck import check`.
#
# 1. The brevity penalty by hand. For the candidate "a red circle" and the two references of the BLEU cell
#    above, compute `BP` with the formula (which reference length is closest to 3?) and BLEU-1, then with
#    `corpus_bleu(["a red circle"], [references])`. You should observe `p_1 = 1` (every word appears in a
#    reference) and BLEU-1 equal to the penalty alone: `check(bleu_1, expected=0.1889, tol=0.001)`. Without
#    the penalty, what would a captioner that writes only "a" score?
# 2. The constant captioner by the numbers. Score it on 500 images:
#    `scores = evaluate_captions(G.BUILTIN["constant_captioner"][1], "test", 500, seed=0)` (a few seconds).
#    You should observe a BLEU-1 of about 0.43 (its words are common Shapes words) but a BLEU-4 near 0.1 and
#    attribute F1 0.16: `check(scores["bleu_1"], expected=0.434, tol=0.02)`,
#    `check(scores["bleu_4"], expected=0.095, tol=0.02)`. Which n-gram order separates fluent-but-wrong from
#    right best, and why?
#
# Graded: `mmjax assignment new frechet_bleu --dir hw` writes stubs (docstrings and equations kept) of
# the Fréchet distance and corpus BLEU; `mmjax assignment grade hw` then scores your code
# test by test.
#
# ## Expected results
# Full run: 500 images per captioner; quick run: 48. No judge is involved, so the bands are tight.
#
# | figure | full run | quick run |
# |---|---|---|
# | `bleu_4_oracle`: BLEU's ceiling here | 0.86 ± 0.02 | 0.86 ± 0.03 |
# | `cider_d_oracle` | 4.9 ± 0.2 | 5.0 ± 0.3 |
# | `bleu_4_stuttering` | 0.63 ± 0.02 | 0.64 ± 0.04 |
# | `cider_d_stuttering` | 3.0 ± 0.2 | 3.3 ± 0.4 |
# | `exact_match_stuttering` | 0 ± 0 | 0 ± 0 |
# | `repetition_stuttering` | 0.19 ± 0.02 | 0.18 ± 0.03 |
# | `f1_constant` | 0.16 ± 0.02 | 0.16 ± 0.03 |

# %%
chapter.finish()
