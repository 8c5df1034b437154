"""Graded tests of the ``beam_search`` assignment, against plain-Python search over a tiny model.

The model: the logits of the next token depend on the position, the last token and (through the cache)
the sum of every token fed so far, so a beam that forgets to reorder its cache or its tokens goes wrong.
With V = 4 tokens and 3 steps there are few enough hypotheses to enumerate every one of them.
"""

import itertools
import math

import jax.numpy as jnp
import numpy as np

from mmjax.assignments.testing import close, graded
from mmjax.nn.decoding import DecodeOptions

VOCAB, STEPS, BOS, EOS, PAD, PULL = 4, 3, 1, 2, 0, 0.7
TABLE = np.random.default_rng(0).normal(size=(STEPS, VOCAB, VOCAB)) * 2.0  # [position, last, next]
DIRECTION = np.array([0.0, 0.5, -0.3, 0.4])


def step_fn(tokens, cache, index):
    """logits[b] = TABLE[index, tokens[b]] + PULL * (sum of fed tokens) * DIRECTION; cache: {"sum": [B, 1]}."""
    total = cache["sum"] + tokens[:, None].astype(jnp.float32)  # [B, 1]
    logits = jnp.asarray(TABLE)[index, tokens] + PULL * total * jnp.asarray(DIRECTION)  # [B, V]
    return logits, {"sum": total}


def _log_softmax(logits):
    shifted = logits - logits.max()
    return shifted - math.log(np.exp(shifted).sum())


def _next_log_probs(prefix, start_sum):
    """log p(. | prefix) of the numpy model, for a prefix of generated tokens (the start token first fed)."""
    fed = [BOS] + list(prefix)
    total = start_sum + sum(fed)
    return _log_softmax(TABLE[len(prefix), fed[-1]] + PULL * total * DIRECTION)


def _score(log_prob, length, alpha):
    return log_prob / ((5.0 + length) / 6.0) ** alpha


def _all_hypotheses(start_sum, alpha):
    """Every distinct output (stopped after EOS), with its length-normalised score, best first."""
    found = {}
    for sequence in itertools.product(range(VOCAB), repeat=STEPS):
        prefix = []
        log_prob = 0.0
        for token in sequence:
            log_prob += _next_log_probs(prefix, start_sum)[token]
            prefix.append(token)
            if token == EOS:
                break
        found[tuple(prefix)] = _score(log_prob, len(prefix), alpha)
    return sorted(found.items(), key=lambda item: -item[1])


def _python_beam(start_sum, beams, alpha):
    """Textbook beam search: keep the ``beams`` best prefixes by log-probability; finished ones carry over."""
    hypotheses = [((), 0.0, False)]
    for _ in range(STEPS):
        candidates = []
        for prefix, log_prob, finished in hypotheses:
            if finished:
                candidates.append((prefix, log_prob, True))
                continue
            for token, token_log_prob in enumerate(_next_log_probs(prefix, start_sum)):
                candidates.append((prefix + (token,), log_prob + token_log_prob, token == EOS))
        hypotheses = sorted(candidates, key=lambda c: -c[1])[:beams]
    ranked = sorted(((p, _score(lp, len(p), alpha)) for p, lp, _ in hypotheses), key=lambda item: -item[1])
    return ranked


def _run(student, beams, alpha=0.6, start_sums=(0.0, 1.0)):
    options = DecodeOptions("beam", STEPS, BOS, EOS, PAD, beam_size=beams, length_penalty=alpha)
    cache = {"sum": jnp.asarray(start_sums, jnp.float32)[:, None]}  # two sequences that start differently
    start = jnp.full((len(start_sums),), BOS, jnp.int32)
    tokens, scores = student.decoding.beam_search(step_fn, cache, start, options)
    return np.asarray(tokens), np.asarray(scores)


def _padded(prefix):
    return list(prefix) + [PAD] * (STEPS - len(prefix))


@graded(points=1)
def test_length_normalised(student):
    """score = log p / ((5 + n) / 6)^alpha."""
    log_prob, length = jnp.array([-2.0, -3.5]), jnp.array([1, 7])
    expected = np.array([-2.0, -3.5]) / ((5.0 + np.array([1, 7])) / 6.0) ** 0.6
    close(student.decoding.length_normalised(log_prob, length, 0.6), expected, "length_normalised", 1e-6)


@graded(points=2, timeout=60)
def test_beam_of_one_is_greedy(student):
    """With one beam, beam search is greedy decoding: the most likely token at every step."""
    tokens, scores = _run(student, beams=1, alpha=0.0)
    for b, start_sum in enumerate((0.0, 1.0)):
        prefix, log_prob = [], 0.0
        while len(prefix) < STEPS and (not prefix or prefix[-1] != EOS):
            log_probs = _next_log_probs(prefix, start_sum)
            prefix.append(int(np.argmax(log_probs)))
            log_prob += log_probs[prefix[-1]]
        close(tokens[b, 0], np.array(_padded(prefix)), f"tokens of sequence {b}", atol=0)
        close(scores[b, 0], log_prob, f"log-probability of sequence {b}", 1e-4)


@graded(points=2, timeout=60)
def test_narrow_beam_matches_python_search(student):
    """Two beams: the same hypotheses and scores as a plain-Python beam search, best first."""
    tokens, scores = _run(student, beams=2)
    for b, start_sum in enumerate((0.0, 1.0)):
        expected = _python_beam(start_sum, 2, 0.6)
        close(tokens[b], np.array([_padded(p) for p, _ in expected]), f"hypotheses of sequence {b}", atol=0)
        close(scores[b], np.array([s for _, s in expected]), f"scores of sequence {b}", 1e-4)


@graded(points=2, timeout=60)
def test_wide_beam_finds_the_best_outputs(student):
    """A beam as wide as the number of distinct outputs keeps them all: its best five are the true best five."""
    tokens, scores = _run(student, beams=40)
    for b, start_sum in enumerate((0.0, 1.0)):
        expected = _all_hypotheses(start_sum, 0.6)[:5]
        close(tokens[b, :5], np.array([_padded(p) for p, _ in expected]), f"best 5 outputs of sequence {b}", atol=0)
        close(scores[b, :5], np.array([s for _, s in expected]), f"best 5 scores of sequence {b}", 1e-4)
