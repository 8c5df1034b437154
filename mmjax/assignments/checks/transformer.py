"""Graded tests of the ``transformer`` assignment: multi-head attention and a pre-LN encoder block.

The reference recomputes MultiHead(X, C) = Concat_h(softmax(Q_h K_h^T / sqrt(d_h) + M) V_h) W^O and the
block's h = x + MHA(LN(x)), y = h + MLP(LN(h)) in NumPy from the module's own weights.
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.assignments.testing import close, graded


def _normal(seed, shape):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _linear(layer, x):
    return x @ np.asarray(layer.kernel[...]) + np.asarray(layer.bias[...])


def _softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _mha(module, x, context, mask, heads):
    """NumPy multi-head attention with the weights of ``module``; x [B, T, D], context [B, S, Dc]."""
    q, k, v = _linear(module.query, x), _linear(module.key, context), _linear(module.value, context)
    batch, t, d = q.shape
    dh = d // heads
    q, k, v = (a.reshape(batch, -1, heads, dh).transpose(0, 2, 1, 3) for a in (q, k, v))  # [B, H, L, Dh]
    logits = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)  # [B, H, T, S]
    if mask is not None:
        logits = np.where(np.broadcast_to(mask, logits.shape), logits, -1e30)
    out = (_softmax(logits) @ v).transpose(0, 2, 1, 3).reshape(batch, t, d)
    return _linear(module.out, out)


def _layer_norm(x, module):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + module.eps) * np.asarray(module.scale[...]) + np.asarray(module.bias[...])


def _gelu(x):  # the tanh approximation, jax.nn.gelu's default
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


@graded(points=1)
def test_split_and_merge_heads(student):
    """[B, T, H * Dh] <-> [B, T, H, Dh]: head h owns features h * Dh .. (h + 1) * Dh - 1."""
    x = np.arange(2 * 3 * 8, dtype=np.float32).reshape(2, 3, 8)
    split = np.asarray(student.attention.split_heads(jnp.asarray(x), 4))
    close(split, x.reshape(2, 3, 4, 2), "split_heads(x, 4)", atol=0)
    close(np.asarray(student.attention.merge_heads(jnp.asarray(split))), x, "merge_heads(split_heads(x))", atol=0)


@graded(points=2)
def test_self_attention_matches_numpy(student):
    """Self-attention with a causal mask, against the formula with the module's weights."""
    module = student.attention.MultiHeadAttention(16, 4, rngs=nnx.Rngs(0))
    x = _normal(1, (2, 5, 16))
    mask = np.tril(np.ones((5, 5), bool))[None, None]
    close(module(jnp.asarray(x), mask=jnp.asarray(mask)), _mha(module, x, x, mask, 4), "self-attention", 1e-4)


@graded(points=2)
def test_cross_attention_matches_numpy(student):
    """Queries from x [B, T, D] over a context [B, S, Dc] of another width and length, with padding."""
    module = student.attention.MultiHeadAttention(16, 2, rngs=nnx.Rngs(2), d_context=12)
    x = _normal(3, (2, 3, 16))
    context = _normal(4, (2, 7, 12))
    mask = (np.arange(7) < np.array([[7], [4]]))[:, None, None, :]  # the second context has 3 padding positions
    actual = module(jnp.asarray(x), jnp.asarray(context), jnp.asarray(mask))
    close(actual, _mha(module, x, context, mask, 2), "cross-attention", 1e-4)


@graded(points=1)
def test_cached_decoding_matches_full_attention(student):
    """Feeding tokens one at a time through the key/value cache gives the causal full-sequence output."""
    module = student.attention.MultiHeadAttention(8, 2, rngs=nnx.Rngs(5))
    x = jnp.asarray(_normal(6, (1, 4, 8)))
    full = _mha(module, np.asarray(x), np.asarray(x), np.tril(np.ones((4, 4), bool))[None, None], 2)
    cache, steps = module.init_cache(1, 4), []
    for i in range(4):
        out, cache = module.decode_step(x[:, i : i + 1], cache, jnp.int32(i))
        steps.append(np.asarray(out))
    close(np.concatenate(steps, axis=1), full, "cached decoding", 1e-4)


@graded(points=2)
def test_encoder_block_matches_numpy(student):
    """h = x + MHA(LN(x)), y = h + MLP(LN(h)) without dropout."""
    block = student.encoder.EncoderBlock(16, 4, 32, 0.1, rngs=nnx.Rngs(7))
    x = _normal(8, (2, 5, 16))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)[:, None, None, :]
    normed = _layer_norm(x, block.attention_norm)
    h = x + _mha(block.attention, normed, normed, mask, 4)
    hidden = _gelu(_linear(block.mlp.hidden, _layer_norm(h, block.mlp_norm)))
    expected = h + _linear(block.mlp.output, hidden)
    close(block(jnp.asarray(x), jnp.asarray(mask)), expected, "encoder block (no dropout key)", 1e-4)


@graded(points=1)
def test_encoder_block_dropout_uses_the_key(student):
    """With a key, dropout is on and reproducible: the same key gives the same output, another key differs."""
    block = student.encoder.EncoderBlock(16, 4, 32, 0.5, rngs=nnx.Rngs(9))
    x = jnp.asarray(_normal(10, (2, 5, 16)))
    plain = np.asarray(block(x))
    first, again = np.asarray(block(x, key=jax.random.key(11))), np.asarray(block(x, key=jax.random.key(11)))
    other = np.asarray(block(x, key=jax.random.key(12)))
    close(again, first, "two calls with the same dropout key", 1e-6)
    if np.allclose(first, plain, atol=1e-3) or np.allclose(first, other, atol=1e-3):
        raise AssertionError("dropout changes nothing, or ignores the key: apply dropout(..., rate, key) to both")
