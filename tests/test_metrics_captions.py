"""BLEU and CIDEr-D against established implementations and hand-computed worked examples."""

import math

import numpy as np
import pytest

from mmjax.metrics.bleu import closest_reference_length, corpus_bleu
from mmjax.metrics.cider import cider_d

WORDS = "a the red blue green small large circle square triangle cross above below left right of".split()


def caption_corpus(seed, size=40, num_refs=3):
    """Candidates that are edited copies of one of their references, so 1..4-gram matches all occur."""
    rng = np.random.default_rng(seed)
    candidates, references = [], []
    for _ in range(size):
        refs = [" ".join(rng.choice(WORDS, int(rng.integers(4, 10)))) for _ in range(num_refs)]
        words = refs[0].split()
        for _ in range(int(rng.integers(0, 3))):  # substitute, drop or duplicate a word
            i, edit = int(rng.integers(len(words))), int(rng.integers(3))
            if edit == 0:
                words[i] = str(rng.choice(WORDS))
            elif edit == 1 and len(words) > 1:
                del words[i]
            else:
                words.insert(i, words[i])
        candidates.append(" ".join(words))
        references.append(refs)
    return candidates, references


@pytest.mark.parametrize("seed", [0, 1])
def test_bleu_equals_sacrebleu(seed):
    sacrebleu = pytest.importorskip("sacrebleu")
    candidates, references = caption_corpus(seed)
    ours = corpus_bleu(candidates, references)
    for n in range(1, 5):
        metric = sacrebleu.metrics.BLEU(max_ngram_order=n, tokenize="none", smooth_method="none")
        theirs = metric.corpus_score(candidates, [list(r) for r in zip(*references)]).score / 100
        assert theirs > 0.1  # the fixture exercises every order
        assert ours[f"bleu_{n}"] == pytest.approx(theirs, rel=1e-12)


def test_bleu_equals_nltk_with_ragged_references_and_brevity_penalty():
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    candidates, references = caption_corpus(2)
    candidates = [" ".join(c.split()[:3]) for c in candidates]  # short candidates: brevity penalty < 1
    references = [refs[: 1 + i % 3] for i, refs in enumerate(references)]  # 1, 2 or 3 references
    ours = corpus_bleu(candidates, references)
    assert ours["brevity_penalty"] < 0.6
    for n in range(1, 4):
        theirs = bleu_score.corpus_bleu(
            [[r.split() for r in refs] for refs in references], [c.split() for c in candidates], weights=(1 / n,) * n
        )
        assert ours[f"bleu_{n}"] == pytest.approx(theirs, rel=1e-12)


def test_bleu_worked_example():
    # Papineni et al.'s clipping example: "the the the the the the the" vs two references.
    # p_1 = min(7, max(2, 1)) / 7 = 2/7; candidate length 7 is closest to reference length 7 (BP = 1).
    scores = corpus_bleu(
        ["the the the the the the the"], [["the cat is on the mat", "there is a cat on the mat"]], max_order=1
    )
    assert scores["bleu_1"] == pytest.approx(2 / 7)
    assert scores["brevity_penalty"] == 1.0
    # A perfect but short candidate: p_n = 1, BP = exp(1 - 6/3).
    short = corpus_bleu(["the cat sat"], [["the cat sat on the mat"]], max_order=2)
    assert short["bleu_2"] == pytest.approx(math.exp(1 - 6 / 3))


def test_closest_reference_length_breaks_ties_to_the_shorter():
    assert closest_reference_length(5, [3, 7, 9]) == 3
    assert closest_reference_length(6, [3, 7, 9]) == 7


def test_bleu_rejects_bad_input():
    with pytest.raises(ValueError, match="reference lists"):
        corpus_bleu(["a b"], [["a b"], ["c"]])
    with pytest.raises(TypeError, match="list of caption strings"):
        corpus_bleu("a b", [["a b"]])
    with pytest.raises(ValueError, match="non-empty list"):
        corpus_bleu(["a b"], [[]])


def test_cider_d_worked_example_by_hand():
    # Two examples, so log|I| = log 2. Example 0: "a b" against itself; its n-grams occur in one example's
    # references (df = 1), weight log 2 each. sim_1 = sim_2 = 1 (identical vectors), orders 3 and 4 have
    # no n-grams (0), so CIDEr-D = 10 * mean(1, 1, 0, 0) = 5. Example 1: "c" vs "d" share nothing: 0.
    mean, per_example = cider_d(["a b", "c"], [["a b"], ["d"]])
    np.testing.assert_allclose(per_example, [5.0, 0.0])
    assert mean == pytest.approx(2.5)


def test_cider_d_gives_zero_weight_to_ngrams_every_example_has():
    # "x" occurs in both examples' references: idf = log 2 - log 2 = 0, so matching it earns nothing.
    _, per_example = cider_d(["x", "x"], [["x"], ["x y"]])
    np.testing.assert_allclose(per_example, [0.0, 0.0])


def test_cider_d_length_penalty_and_clipping_by_hand():
    # Example 0 candidate "a a a" vs reference "a": unigram weights 3 log2 vs log2, clipped to log2.
    # sim_1 = exp(-(3-1)^2 / 72) * (log2 * log2) / (3 log2 * log2) = exp(-1/18) / 3; other orders are 0
    # (the reference has no bigram). CIDEr-D = 10 * sim_1 / 4.
    _, per_example = cider_d(["a a a", "b"], [["a"], ["c"]])
    assert per_example[0] == pytest.approx(10 * math.exp(-4 / 72) / 3 / 4)


def test_cider_d_equals_coco_caption_reference():
    cider_module = pytest.importorskip("pycocoevalcap.cider.cider")
    candidates, references = caption_corpus(3, num_refs=4)
    references = [refs[: 1 + i % 4] for i, refs in enumerate(references)]
    mean, per_example = cider_d(candidates, references)
    theirs, theirs_each = cider_module.Cider().compute_score(
        dict(enumerate(references)), {i: [c] for i, c in enumerate(candidates)}
    )
    assert mean == pytest.approx(theirs, rel=1e-12)
    np.testing.assert_allclose(per_example, theirs_each, rtol=1e-12, atol=1e-12)
