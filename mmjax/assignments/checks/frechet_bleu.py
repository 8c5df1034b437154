"""Graded tests of the ``frechet_bleu`` assignment: the Fréchet distance against closed forms, BLEU against
values worked out by hand (and equal to sacrebleu's ``corpus_bleu(tokenize="none", smooth_method="none")``).
"""

import math

import numpy as np

from mmjax.assignments.testing import close, graded

RNG = np.random.default_rng(0)


def _bleu(student, candidates, references, max_order=4):
    return student.bleu.corpus_bleu(candidates, references, max_order=max_order)


@graded(points=1)
def test_psd_sqrt(student):
    """R = psd_sqrt(A) is symmetric with R R = A, also for a singular A."""
    factor = RNG.normal(size=(5, 3))
    for matrix, what in ((factor @ factor.T + np.eye(5), "full rank"), (factor @ factor.T, "rank 3")):
        root = np.asarray(student.frechet.psd_sqrt(matrix))
        close(root, root.T, f"psd_sqrt of a {what} matrix is symmetric", 1e-8)
        close(root @ root, matrix, f"psd_sqrt(A) @ psd_sqrt(A) for a {what} A", 1e-6)


@graded(points=2)
def test_frechet_distance_diagonal(student):
    """Diagonal covariances: |mu_1 - mu_2|^2 + sum_i (s1_i + s2_i - 2 sqrt(s1_i s2_i))."""
    mu_1, mu_2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s_1, s_2 = np.array([1.0, 4.0, 0.5]), np.array([2.0, 1.0, 0.5])
    expected = 5.0 + np.sum(s_1 + s_2 - 2 * np.sqrt(s_1 * s_2))
    actual = student.frechet.frechet_distance_from_statistics(mu_1, np.diag(s_1), mu_2, np.diag(s_2))
    close(actual, expected, "Fréchet distance of diagonal Gaussians", 1e-8)


@graded(points=2)
def test_frechet_distance_general(student):
    """Covariances that do not commute: tr((S_1 S_2)^{1/2}) is the sum of the square roots of the (real,
    non-negative) eigenvalues of S_1 S_2; the distance of a Gaussian to itself is 0."""
    a, b = RNG.normal(size=(4, 4)), RNG.normal(size=(4, 4))
    s_1, s_2 = a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(4)
    mu_1, mu_2 = RNG.normal(size=4), RNG.normal(size=4)
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s_1 @ s_2).real, 0, None)))
    expected = np.sum((mu_1 - mu_2) ** 2) + np.trace(s_1) + np.trace(s_2) - 2 * cross
    actual = student.frechet.frechet_distance_from_statistics(mu_1, s_1, mu_2, s_2)
    close(actual, expected, "Fréchet distance", 1e-6, 1e-6)
    close(student.frechet.frechet_distance_from_statistics(mu_1, s_1, mu_1, s_1), 0.0, "distance to itself", 1e-6)


@graded(points=1)
def test_clipped_matches(student):
    """A candidate n-gram counts at most as often as it appears in the one reference that has it most."""
    candidate = "the the the cat".split()
    references = ["the cat sat".split(), "the the dog".split()]
    close(student.bleu.clipped_matches(candidate, references, 1), np.array([3, 4]), "clipped unigrams", 0)
    close(student.bleu.clipped_matches(candidate, references, 2), np.array([2, 3]), "clipped bigrams", 0)


@graded(points=2)
def test_bleu_with_clipping_and_several_references(student):
    """Candidates no shorter than their references (no brevity penalty), repeated words clipped."""
    candidates = ["a red circle at the top left", "the the the the big square"]
    references = [["a red circle at the upper left", "red circle top left"], ["the big square", "a big square"]]
    # p_n = (matches of candidate 1 + of candidate 2) / (n-grams of 1 + of 2); "the" counts once in candidate 2
    # p_1 = (7 + 3) / (7 + 6), p_2 = (5 + 2) / (6 + 5), p_3 = (3 + 1) / (5 + 4), p_4 = (2 + 0) / (4 + 3)
    precisions = [10 / 13, 7 / 11, 4 / 9, 2 / 7]
    scores = _bleu(student, candidates, references)
    for n in range(1, 5):
        expected = math.exp(sum(math.log(p) for p in precisions[:n]) / n)
        close(scores[f"bleu_{n}"], expected, f"bleu_{n}", 1e-9)
    close(scores["brevity_penalty"], 1.0, "brevity penalty of long enough candidates", 1e-12)


@graded(points=2)
def test_brevity_penalty(student):
    """Short candidates: BP = exp(1 - L_r / L_c) with L_r the closest reference lengths (ties to the shorter)."""
    candidates = ["a red circle", "big blue square"]
    references = [["a red circle at the top", "a red circle"], ["a big blue square at the left", "the big blue square"]]
    # L_c = 3 + 3; closest references: 3 (exact) and 4, so L_r = 7 and BP = exp(1 - 7 / 6)
    penalty = math.exp(1 - 7 / 6)
    scores = _bleu(student, candidates, references, max_order=2)
    close(scores["brevity_penalty"], penalty, "brevity penalty", 1e-9)
    close(scores["bleu_1"], penalty * 1.0, "bleu_1 (every word matches)", 1e-9)
    close(scores["bleu_2"], penalty * 1.0, "bleu_2 (every bigram matches)", 1e-9)
