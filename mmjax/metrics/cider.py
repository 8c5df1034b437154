"""CIDEr-D (Vedantam et al., 2015), as computed by the coco-caption evaluation code.

Every n-gram ``g`` (n = 1..4) of a sentence gets a TF-IDF weight, with ``I`` the set of examples and
``df(g)`` the number of examples whose references contain ``g`` (floored at 1 inside the log):

    w(g) = count(g) * (log |I| - log max(1, df(g)))

For candidate ``c`` with references ``r_1..r_m``, vectors ``v_n`` of these weights and word counts
``l``, CIDEr-D clips the candidate's weights by the reference's and penalises length differences:

    sim_n(c, r) = exp(-(l_c - l_r)^2 / (2 sigma^2)) * sum_g min(v_n(c)_g, v_n(r)_g) v_n(r)_g / (|v_n(c)| |v_n(r)|)
    CIDEr-D(c) = 10 / m * sum_r mean_{n=1..4} sim_n(c, r)        (sigma = 6)

The corpus score is the mean over candidates. Document frequencies come from the references of the
corpus being scored, so a score depends on the whole evaluated set (as in coco-caption).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from mmjax.metrics.ngrams import check_corpus, ngram_counts

MAX_ORDER = 4
SIGMA = 6.0  # std of the Gaussian length penalty, in words


def document_frequencies(references: list[list[list[str]]]) -> Counter:
    """For every n-gram, the number of examples whose reference set contains it."""
    frequencies = Counter()
    for group in references:
        frequencies.update({g for words in group for n in range(1, MAX_ORDER + 1) for g in ngram_counts(words, n)})
    return frequencies


def tfidf_vectors(words: list[str], frequencies: Counter, log_num_examples: float) -> tuple[list[dict], np.ndarray]:
    """Per order n: ``{g: count(g) (log|I| - log max(1, df(g)))}`` and the vector norms ``[MAX_ORDER]``."""
    vectors, norms = [], np.zeros(MAX_ORDER)
    for n in range(1, MAX_ORDER + 1):
        vector = {
            g: count * (log_num_examples - math.log(max(1.0, frequencies[g])))
            for g, count in ngram_counts(words, n).items()
        }
        vectors.append(vector)
        norms[n - 1] = math.sqrt(sum(w * w for w in vector.values()))
    return vectors, norms


def clipped_similarity(candidate, reference, length_difference: int) -> np.ndarray:
    """``sim_n`` for n = 1..MAX_ORDER between two (vectors, norms) pairs: ``[MAX_ORDER]``."""
    (vec_c, norm_c), (vec_r, norm_r) = candidate, reference
    penalty = math.exp(-(length_difference**2) / (2 * SIGMA**2))
    similarity = np.zeros(MAX_ORDER)
    for n in range(MAX_ORDER):
        dot = sum(min(w, vec_r[n].get(g, 0.0)) * vec_r[n].get(g, 0.0) for g, w in vec_c[n].items())
        if norm_c[n] != 0 and norm_r[n] != 0:
            dot /= norm_c[n] * norm_r[n]
        similarity[n] = penalty * dot
    return similarity


def cider_d(candidates, references) -> tuple[float, np.ndarray]:
    """Corpus CIDEr-D and the per-candidate scores ``[N]``."""
    hyps, refs = check_corpus(candidates, references)
    frequencies = document_frequencies(refs)
    log_num_examples = math.log(float(len(refs)))
    scores = np.zeros(len(hyps))
    for i, (hyp, group) in enumerate(zip(hyps, refs)):
        candidate = tfidf_vectors(hyp, frequencies, log_num_examples)
        total = sum(
            clipped_similarity(candidate, tfidf_vectors(r, frequencies, log_num_examples), len(hyp) - len(r)).mean()
            for r in group
        )
        scores[i] = 10.0 * total / len(group)
    return float(scores.mean()), scores
