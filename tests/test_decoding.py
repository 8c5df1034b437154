"""Decoding strategies: exact beam search on a toy model, greedy/beam/top-k agreement, sampling law."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from transformer_fixtures import BOS, EOS, PAD, decoder_only, encoder_decoder, tokens

from mmjax.nn import decoding as D
from mmjax.nn import functional as F
from mmjax.nn.transformer import generate, generate_lm


def table_model(table):
    """A toy model with position-dependent bigram logits: logits = table[index, last_token] ([L, V, V])."""
    table = jnp.asarray(table, jnp.float32)

    def step_fn(last, cache, index):
        return table[index, last], cache

    return step_fn


def random_table(seed, length, vocab, scale=2.0):
    return scale * np.random.default_rng(seed).normal(size=(length, vocab, vocab))


def brute_force(table, start, length):
    """Every sequence of ``length`` tokens with its total log-probability, best first."""
    log_probs = jax.nn.log_softmax(jnp.asarray(table), -1)
    scored = []
    for sequence in itertools.product(range(table.shape[-1]), repeat=length):
        previous, total = start, 0.0
        for index, token in enumerate(sequence):
            total += float(log_probs[index, previous, token])
            previous = token
        scored.append((total, sequence))
    return sorted(scored, reverse=True)


def test_beam_search_is_exact_when_the_beam_holds_every_prefix():
    vocab, length = 4, 3
    table = random_table(0, length, vocab)
    beams = vocab ** (length - 1)
    options = D.DecodeOptions("beam", max_length=length, eos_id=None, beam_size=beams, length_penalty=0.0)
    start = jnp.array([1], jnp.int32)
    beam_tokens, beam_scores = jax.jit(D.beam_search, static_argnums=(0, 3))(table_model(table), {}, start, options)
    expected = brute_force(table, 1, length)[: options.beam_size]
    np.testing.assert_allclose(beam_scores[0], [score for score, _ in expected], atol=1e-5)
    np.testing.assert_array_equal(beam_tokens[0, 0], expected[0][1])
    # Greedy commits to the best first token and can miss the best sequence; beam search cannot.
    greedy_tokens = D.greedy(table_model(table), {}, start, D.DecodeOptions(max_length=length, eos_id=None))
    greedy_score = dict((seq, score) for score, seq in brute_force(table, 1, length))[tuple(map(int, greedy_tokens[0]))]
    assert beam_scores[0, 0] >= greedy_score - 1e-6


def test_beam_search_ranks_by_length_normalised_score_and_pads_after_eos():
    table = random_table(1, 6, 5, scale=3.0)
    options = D.DecodeOptions("beam", max_length=6, eos_id=EOS, pad_id=PAD, beam_size=3, length_penalty=1.0)
    beams, scores = D.beam_search(table_model(table), {}, jnp.array([1, 3], jnp.int32), options)
    assert jnp.all(scores[:, :-1] >= scores[:, 1:])
    for hypothesis in np.asarray(beams).reshape(-1, 6):
        ends = np.flatnonzero(hypothesis == EOS)
        if ends.size:
            assert np.all(hypothesis[ends[0] + 1 :] == PAD)
    np.testing.assert_allclose(D.length_normalised(jnp.array(-6.0), 7, 1.0), -3.0)


@pytest.fixture(scope="module")
def model_and_source():
    graphdef, variables = F.split(encoder_decoder())
    return graphdef, variables, tokens(20, 4, 6, lengths=[6, 5, 3, 1])


def test_beam_one_and_top_k_one_equal_greedy(model_and_source):
    graphdef, variables, source = model_and_source
    greedy = generate(graphdef, variables, source, D.DecodeOptions("greedy", max_length=8))
    beam = generate(graphdef, variables, source, D.DecodeOptions("beam", max_length=8, beam_size=1))
    top1 = generate(graphdef, variables, source, D.DecodeOptions("sample", max_length=8, top_k=1), jax.random.key(3))
    np.testing.assert_array_equal(beam, greedy)
    np.testing.assert_array_equal(top1, greedy)
    assert greedy.shape == (4, 8) and greedy.dtype == jnp.int32


def test_cached_greedy_equals_greedy_by_full_recomputation(model_and_source):
    graphdef, variables, source = model_and_source
    options = D.DecodeOptions("greedy", max_length=8)

    @jax.jit
    def recompute(variables, source):
        model = F.merge(graphdef, variables)
        memory, mask = model.encode(source)

        def step_fn(last, buffer, index):  # the "cache" is just every token so far; recompute it all
            buffer = buffer.at[:, index].set(last)
            return model.decode(buffer, memory, mask)[:, index], buffer

        buffer = jnp.full((source.shape[0], options.max_length), PAD, jnp.int32)
        return D.greedy(step_fn, buffer, jnp.full((source.shape[0],), BOS, jnp.int32), options)

    reference = recompute(variables, source)
    np.testing.assert_array_equal(generate(graphdef, variables, source, options), reference)
    np.testing.assert_array_equal(generate(graphdef, variables, source, options, use_cache=False), reference)


def test_beam_search_without_the_cache_finds_the_same_hypotheses(model_and_source):
    graphdef, variables, source = model_and_source
    options = D.DecodeOptions("beam", max_length=8, beam_size=3, eos_id=EOS, pad_id=PAD)
    cached = generate(graphdef, variables, source, options)
    np.testing.assert_array_equal(generate(graphdef, variables, source, options, use_cache=False), cached)


def test_sampling_is_reproducible_for_a_fixed_key(model_and_source):
    graphdef, variables, source = model_and_source
    options = D.DecodeOptions("sample", max_length=8, temperature=2.0, top_p=0.95)
    first = generate(graphdef, variables, source, options, jax.random.key(0))
    np.testing.assert_array_equal(first, generate(graphdef, variables, source, options, jax.random.key(0)))
    assert not np.array_equal(first, generate(graphdef, variables, source, options, jax.random.key(1)))


def reference_distribution(logits, temperature, top_k, top_p):
    """numpy version of the sampling filters, written independently: sort, cut, renormalise."""
    z = np.asarray(logits, np.float64) / temperature
    order = np.argsort(-z)
    keep = np.zeros_like(z, bool)
    probs = np.exp(z[order] - z.max())
    probs /= probs.sum()
    count = len(z) if top_k is None else top_k
    if top_p is not None:
        count = min(count, int(np.searchsorted(np.cumsum(probs), top_p) + 1))
    keep[order[:count]] = True
    p = np.where(keep, np.exp(z - z.max()), 0.0)
    return p / p.sum()


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (0.7, 4, None), (1.5, None, 0.8)])
def test_sampled_first_tokens_follow_the_filtered_softmax(temperature, top_k, top_p):
    vocab, draws = 8, 20000
    logits = np.random.default_rng(5).normal(size=vocab) * 1.5
    table = np.broadcast_to(logits, (1, vocab, vocab))
    options = D.DecodeOptions("sample", max_length=1, eos_id=None, temperature=temperature, top_k=top_k, top_p=top_p)
    start = jnp.zeros((draws,), jnp.int32)
    samples = D.sample(table_model(table), {}, start, options, jax.random.key(0))[:, 0]
    frequencies = np.bincount(np.asarray(samples), minlength=vocab) / draws
    np.testing.assert_allclose(frequencies, reference_distribution(logits, temperature, top_k, top_p), atol=0.015)


def test_filters_keep_the_right_tokens():
    logits = jnp.array([[1.0, 3.0, 2.0, 0.0], [0.0, 0.0, 5.0, 0.0]])
    kept = np.isfinite(D.top_k_filter(logits, 2))
    np.testing.assert_array_equal(kept, [[False, True, True, False], [True, True, True, True]])  # ties at the cut
    nucleus = np.isfinite(D.top_p_filter(logits, 0.5))
    np.testing.assert_array_equal(nucleus, [[False, True, False, False], [False, False, True, False]])
    # p = .64, .24, .09, .03: the first two hold 0.88 >= 0.85
    np.testing.assert_array_equal(np.isfinite(D.top_p_filter(logits, 0.85))[0], [False, True, True, False])


def test_greedy_stops_each_row_at_eos():
    table = np.zeros((5, 4, 4))
    table[:, :, 3] = 5.0  # prefer token 3 ...
    table[2, :, EOS] = 10.0  # ... until position 2 forces EOS
    out = D.greedy(table_model(table), {}, jnp.array([1, 1]), D.DecodeOptions(max_length=5))
    np.testing.assert_array_equal(out, [[3, 3, EOS, PAD, PAD]] * 2)


def test_bad_options_raise_clear_errors():
    with pytest.raises(ValueError, match="greedy, sample, beam"):
        D.DecodeOptions("nucleus")
    with pytest.raises(ValueError, match="temperature"):
        D.DecodeOptions("sample", temperature=0.0)
    with pytest.raises(ValueError, match=r"top_p.*\(0, 1\]"):
        D.DecodeOptions("sample", top_p=1.5)
    with pytest.raises(ValueError, match="PRNG key"):
        D.decode(table_model(np.zeros((1, 3, 3))), {}, jnp.array([0]), D.DecodeOptions("sample", max_length=1))


def test_language_model_greedy_is_the_same_with_and_without_the_cache():
    graphdef, variables = F.split(decoder_only())
    options = D.DecodeOptions("greedy", max_length=8, eos_id=None)  # no early stop: every position decoded
    start = jnp.array([BOS, BOS + 1, BOS + 2], jnp.int32)
    cached = generate_lm(graphdef, variables, start, options)
    np.testing.assert_array_equal(generate_lm(graphdef, variables, start, options, use_cache=False), cached)
    # and both agree with the definition: token t + 1 is the argmax of a full pass over <start> + tokens 1..t
    model = F.merge(graphdef, variables)
    sequence = jnp.concatenate([start[:, None], cached], axis=1)  # [B, 1 + L]
    np.testing.assert_array_equal(jnp.argmax(model(sequence[:, :-1]), axis=-1), cached)
