"""Corpus-level BLEU-1..4 with brevity penalty (Papineni et al., 2002), no smoothing.

For candidates ``c`` with references ``R(c)``, the clipped n-gram precision sums over the whole corpus

    p_n = sum_c sum_g min(count_c(g), max_{r in R(c)} count_r(g)) / sum_c sum_g count_c(g)

and with total candidate length ``L_c`` and total reference length ``L_r`` (for each candidate the
reference length closest to its own, ties to the shorter one)

    BP = 1 if L_c > L_r else exp(1 - L_r / L_c)
    BLEU-N = BP * exp( sum_{n=1..N} log(p_n) / N )        (0 if some p_n = 0)

Scores are in [0, 1] (sacrebleu prints 100 x this). Captions are compared as whitespace tokens, so
the caller decides the tokenisation; mmjax captions are lower-case words.
"""

from __future__ import annotations

import math

from mmjax.metrics.ngrams import check_corpus, ngram_counts


def closest_reference_length(candidate_length: int, reference_lengths: list[int]) -> int:
    """The reference length nearest to the candidate's; ties go to the shorter reference."""
    return min(reference_lengths, key=lambda length: (abs(length - candidate_length), length))


def clipped_matches(candidate: list[str], references: list[list[str]], n: int) -> tuple[int, int]:
    """(clipped n-gram matches, candidate n-gram count) of one candidate."""
    # BEGIN SOLUTION
    counts = ngram_counts(candidate, n)
    max_reference = {}
    for reference in references:
        for gram, count in ngram_counts(reference, n).items():
            max_reference[gram] = max(max_reference.get(gram, 0), count)
    matches = sum(min(count, max_reference.get(gram, 0)) for gram, count in counts.items())
    return matches, sum(counts.values())
    # END SOLUTION


def corpus_bleu(candidates, references, max_order: int = 4) -> dict[str, float]:
    """``{"bleu_1": ..., ..., "bleu_<max_order>": ..., "brevity_penalty": ...}`` for a corpus."""
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order must be a positive integer, got {max_order!r}")
    hyps, refs = check_corpus(candidates, references)
    # BEGIN SOLUTION
    matches, totals = [0] * max_order, [0] * max_order
    candidate_length = reference_length = 0
    for hyp, group in zip(hyps, refs):
        candidate_length += len(hyp)
        reference_length += closest_reference_length(len(hyp), [len(r) for r in group])
        for n in range(1, max_order + 1):
            hit, total = clipped_matches(hyp, group, n)
            matches[n - 1] += hit
            totals[n - 1] += total
    if candidate_length == 0:
        penalty = 0.0
    elif candidate_length > reference_length:
        penalty = 1.0
    else:
        penalty = math.exp(1.0 - reference_length / candidate_length)
    scores = {"brevity_penalty": penalty}
    log_precision_sum = 0.0
    for n in range(1, max_order + 1):
        if matches[n - 1] == 0:
            log_precision_sum = -math.inf
        else:
            log_precision_sum += math.log(matches[n - 1] / totals[n - 1])
        scores[f"bleu_{n}"] = penalty * math.exp(log_precision_sum / n) if log_precision_sum > -math.inf else 0.0
    return scores
    # END SOLUTION
