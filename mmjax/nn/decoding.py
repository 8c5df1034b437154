"""Decoding: turn a next-token distribution into a sequence, one token at a time.

Every strategy here is a ``lax.while_loop`` over a fixed-size token buffer ``[B, max_length]``, so it
compiles once under ``jax.jit`` and runs a whole batch at once. The model is seen only through

    step_fn(tokens [B], cache, index) -> (logits [B, V], cache)

which feeds the token at position ``index`` and returns the distribution of the next one; ``cache`` is any
pytree whose leaves have the batch as their leading axis (e.g. the key/value cache of a decoder).
Output tokens exclude the start token; once a sequence emits ``eos_id`` it is padded with ``pad_id``.

Constrained decoding: ``DecodeOptions(constraint=automaton)`` (a :class:`TokenAutomaton`, e.g. the caption
grammar of :func:`mmjax.data.caption_grammar.caption_automaton`) masks, at every step and for every method,
the logits of the tokens the automaton does not allow next, so only sequences it accepts can come out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True, eq=False)
class TokenAutomaton:
    """A deterministic finite automaton over token ids: ``next_state [S, V]``, ``allowed [S, V]``, ``start``.

    ``start`` is the state before the start token is fed. Hashed and compared by identity, so that it can
    sit in the static ``DecodeOptions``: build it once and reuse the object, and decoding compiles once.
    """

    next_state: Any  # int32 [S, V]
    allowed: Any  # bool [S, V]; every row allows at least one token
    start: int


MASKED = -1e9  # a masked logit: finite, so a row never becomes all -inf (NaN in log_softmax)


def constrain(step_fn, cache: Any, batch: int, automaton: TokenAutomaton):
    """Wrap ``step_fn`` so that its logits allow only the tokens ``automaton`` allows next.

    The wrapped step returns the model's log-probabilities (not renormalised over the allowed tokens; masked:
    ``MASKED``), which beam search then adds up as they are, so it ranks hypotheses by the model's own
    probability, and a caption that was already the best valid one stays the best. Greedy is argmax either
    way; sampling draws from the renormalised allowed tokens. The automaton's state rides in the cache
    (``[B]``, batch-leading like every cache leaf, so beam search reorders it with its hypotheses); each step
    first feeds the token to the automaton, then masks.
    """
    next_state, allowed = jnp.asarray(automaton.next_state), jnp.asarray(automaton.allowed)

    def step(tokens, cache, index):
        inner, state = cache
        state = next_state[state, tokens]
        logits, inner = step_fn(tokens, inner, index)
        log_probs = jax.nn.log_softmax(logits.astype(jnp.float32))  # the model's, not renormalised over the allowed
        return jnp.where(allowed[state], log_probs, MASKED), (inner, state)

    return step, (cache, jnp.full((batch,), automaton.start, jnp.int32))


StepFn = Callable[[jax.Array, Any, jax.Array], tuple[jax.Array, Any]]
METHODS = ("greedy", "sample", "beam")


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """How to decode; hashable so that it can be a static argument of ``jax.jit``."""

    method: str = "greedy"  # one of METHODS
    max_length: int = 32  # tokens generated per sequence (the buffer size)
    bos_id: int = 1  # start token fed at position 0
    eos_id: int | None = 2  # a sequence is finished after emitting it (None: never)
    pad_id: int = 0  # written after a sequence has finished
    temperature: float = 1.0  # sampling: logits / T (T < 1 sharpens, T > 1 flattens)
    top_k: int | None = None  # sampling: keep the k most likely tokens
    top_p: float | None = None  # sampling: keep the smallest set with probability >= p (nucleus)
    beam_size: int = 4  # beam search: hypotheses kept per sequence
    length_penalty: float = 0.6  # beam search: alpha in ((5 + length) / 6)^alpha
    constraint: TokenAutomaton | None = None  # only sequences this automaton accepts (see ``constrain``)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown decoding method {self.method!r}; expected one of {', '.join(METHODS)}")
        if self.max_length < 1 or self.beam_size < 1:
            raise ValueError(f"max_length and beam_size must be >= 1, got {self.max_length} and {self.beam_size}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature} (use method='greedy' for T -> 0)")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be None or >= 1, got {self.top_k}")
        if self.top_p is not None and not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be None or in (0, 1], got {self.top_p}")


def top_k_filter(logits: jax.Array, k: int) -> jax.Array:
    """Keep logits >= the k-th largest of each row, set the rest to -inf."""
    kth_largest = jax.lax.top_k(logits, k)[0][..., -1:]  # [B, 1]
    return jnp.where(logits < kth_largest, -jnp.inf, logits)


def top_p_filter(logits: jax.Array, p: float) -> jax.Array:
    """Nucleus: keep the most likely tokens until their total probability reaches p, drop the tail.

    A token is kept when the probability of all strictly more likely tokens is still < p, so the most
    likely token is always kept.
    """
    sorted_logits = jnp.sort(logits, axis=-1)[..., ::-1]  # [B, V] descending
    sorted_probs = jax.nn.softmax(sorted_logits, axis=-1)
    mass_before = jnp.cumsum(sorted_probs, axis=-1) - sorted_probs
    kept = mass_before < p
    threshold = jnp.min(jnp.where(kept, sorted_logits, jnp.inf), axis=-1, keepdims=True)  # [B, 1]
    return jnp.where(logits < threshold, -jnp.inf, logits)


def sampling_logits(logits: jax.Array, options: DecodeOptions) -> jax.Array:
    """logits / T, then the top-k and top-p filters: the distribution that ``sample`` draws from."""
    logits = logits / options.temperature
    if options.top_k is not None:
        logits = top_k_filter(logits, min(options.top_k, logits.shape[-1]))
    if options.top_p is not None:
        logits = top_p_filter(logits, options.top_p)
    return logits


def _token_by_token(step_fn, cache, start_tokens, options: DecodeOptions, choose, key):
    """The loop shared by greedy decoding and sampling: ``choose(logits [B, V], key) -> tokens [B]``."""
    batch = start_tokens.shape[0]
    tokens = jnp.full((batch, options.max_length), options.pad_id, jnp.int32)
    finished = jnp.zeros((batch,), bool)

    def keep_going(state):
        index, _, _, finished, _ = state
        return (index < options.max_length) & ~jnp.all(finished)

    def step(state):
        index, last, cache, finished, tokens = state
        logits, cache = step_fn(last, cache, index)
        step_key = None if key is None else jax.random.fold_in(key, index)
        token = choose(logits, step_key).astype(jnp.int32)
        token = jnp.where(finished, options.pad_id, token)
        if options.eos_id is not None:
            finished = finished | (token == options.eos_id)
        return index + 1, token, cache, finished, tokens.at[:, index].set(token)

    state = (jnp.int32(0), start_tokens.astype(jnp.int32), cache, finished, tokens)
    return jax.lax.while_loop(keep_going, step, state)[-1]


def greedy(step_fn: StepFn, cache: Any, start_tokens: jax.Array, options: DecodeOptions) -> jax.Array:
    """y_t = argmax_v p(v | y_<t, x). Returns tokens ``[B, max_length]``."""
    return _token_by_token(step_fn, cache, start_tokens, options, lambda logits, _: jnp.argmax(logits, -1), None)


def sample(step_fn: StepFn, cache: Any, start_tokens: jax.Array, options: DecodeOptions, key: jax.Array) -> jax.Array:
    """y_t ~ softmax(filter(logits / T)); the draw at step t uses ``fold_in(key, t)``, so a fixed key gives
    a fixed sequence. Returns tokens ``[B, max_length]``.
    """

    def choose(logits, step_key):
        return jax.random.categorical(step_key, sampling_logits(logits, options), axis=-1)

    return _token_by_token(step_fn, cache, start_tokens, options, choose, key)


def length_normalised(log_prob: jax.Array, length: jax.Array, alpha: float) -> jax.Array:
    """score = log p(y) / lp(|y|),  lp(n) = ((5 + n) / 6)^alpha  (Wu et al., 2016).

    Raw log-probabilities always favour short outputs; dividing by a growing lp(n) removes that bias.
    """
    # BEGIN SOLUTION
    return log_prob / ((5.0 + length) / 6.0) ** alpha
    # END SOLUTION


def beam_search(
    step_fn: StepFn, cache: Any, start_tokens: jax.Array, options: DecodeOptions
) -> tuple[jax.Array, jax.Array]:
    """Keep the K most probable prefixes of every sequence; at each step extend each by every token
    and keep the K best of the K * V candidates by total log-probability. Finished hypotheses can only
    be extended by padding, at no cost. At the end hypotheses are ranked by the length-normalised score.

    Returns ``(tokens [B, K, max_length], scores [B, K])``, best hypothesis first.
    """
    # BEGIN SOLUTION
    batch, beams, length = start_tokens.shape[0], options.beam_size, options.max_length
    # Every cache leaf goes from [B, ...] to [B * K, ...]: hypothesis k of sequence b is row b * K + k.
    cache = jax.tree.map(lambda leaf: jnp.repeat(leaf, beams, axis=0), cache)
    last = jnp.repeat(start_tokens.astype(jnp.int32), beams)
    # Only hypothesis 0 is alive at first, so the first step does not pick the same token K times.
    log_prob = jnp.tile(jnp.where(jnp.arange(beams) == 0, 0.0, -jnp.inf), (batch, 1))  # [B, K]
    finished = jnp.zeros((batch, beams), bool)
    lengths = jnp.zeros((batch, beams), jnp.int32)
    tokens = jnp.full((batch, beams, length), options.pad_id, jnp.int32)

    def keep_going(state):
        index, *_, finished, _, _ = state
        return (index < length) & ~jnp.all(finished)

    def step(state):
        index, last, cache, log_prob, finished, lengths, tokens = state
        logits, cache = step_fn(last, cache, index)
        vocab = logits.shape[-1]
        if options.constraint is None:
            token_log_prob = jax.nn.log_softmax(logits.astype(jnp.float32)).reshape(batch, beams, vocab)
        else:  # ``constrain`` returned the model's log-probabilities, masked: keep them unrenormalised
            token_log_prob = logits.reshape(batch, beams, vocab)
        pad_only = jnp.full((vocab,), -jnp.inf).at[options.pad_id].set(0.0)
        token_log_prob = jnp.where(finished[..., None], pad_only, token_log_prob)
        candidates = (log_prob[..., None] + token_log_prob).reshape(batch, beams * vocab)  # [B, K * V]
        log_prob, best = jax.lax.top_k(candidates, beams)  # [B, K]
        parent, token = best // vocab, best % vocab

        def from_parent(x):  # each surviving beam inherits its parent's row
            return jnp.take_along_axis(x, parent, axis=1)

        parent_finished = from_parent(finished)
        lengths = from_parent(lengths) + (~parent_finished)
        finished = parent_finished
        if options.eos_id is not None:
            finished = finished | (token == options.eos_id)
        tokens = jnp.take_along_axis(tokens, parent[..., None], axis=1).at[:, :, index].set(token)
        rows = (parent + beams * jnp.arange(batch)[:, None]).reshape(-1)  # [B * K]
        cache = jax.tree.map(lambda leaf: leaf[rows], cache)
        return index + 1, token.reshape(-1), cache, log_prob, finished, lengths, tokens

    state = (jnp.int32(0), last, cache, log_prob, finished, lengths, tokens)
    _, _, _, log_prob, _, lengths, tokens = jax.lax.while_loop(keep_going, step, state)
    scores = length_normalised(log_prob, lengths, options.length_penalty)
    order = jnp.argsort(-scores, axis=1)
    return jnp.take_along_axis(tokens, order[..., None], axis=1), jnp.take_along_axis(scores, order, axis=1)
    # END SOLUTION


def decode(
    step_fn: StepFn, cache: Any, start_tokens: jax.Array, options: DecodeOptions, key: jax.Array | None = None
) -> jax.Array:
    """Decode with ``options.method``; returns the (best) tokens ``[B, max_length]``."""
    if options.constraint is not None:
        step_fn, cache = constrain(step_fn, cache, start_tokens.shape[0], options.constraint)
    if options.method == "greedy":
        return greedy(step_fn, cache, start_tokens, options)
    if options.method == "sample":
        if key is None:
            raise ValueError("sampling needs an explicit PRNG key (key=jax.random.key(seed))")
        return sample(step_fn, cache, start_tokens, options, key)
    return beam_search(step_fn, cache, start_tokens, options)[0][:, 0]
