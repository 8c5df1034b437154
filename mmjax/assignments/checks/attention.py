"""Graded tests of the ``attention`` assignment: scaled dot-product attention and its masks.

The reference is JAX's own ``jax.nn.dot_product_attention`` (same [B, T, H, D] layout, boolean mask
True = may attend), so these tests never call the library code that the student rewrites.
"""

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.assignments.testing import close, graded


def _qkv(seed=0, batch=2, query_len=5, key_len=6, heads=2, d_k=8, d_v=8):
    rng = np.random.default_rng(seed)
    return (
        jnp.asarray(rng.normal(size=(batch, query_len, heads, d_k)), jnp.float32),
        jnp.asarray(rng.normal(size=(batch, key_len, heads, d_k)), jnp.float32),
        jnp.asarray(rng.normal(size=(batch, key_len, heads, d_v)), jnp.float32),
    )


@graded(points=1)
def test_causal_mask(student):
    """M[i, j] = j <= i + offset, shaped [1, 1, T, S]."""
    expected = np.tril(np.ones((4, 4), bool))[None, None]
    close(np.asarray(student.attention.causal_mask(4)), expected, "causal_mask(4)", atol=0)
    shifted = np.arange(6)[None, :] <= np.arange(2)[:, None] + 3  # 2 queries at positions 3, 4 over 6 keys
    close(np.asarray(student.attention.causal_mask(2, 6, offset=3)), shifted[None, None], "causal_mask(2, 6, 3)", 0)


@graded(points=1)
def test_padding_mask(student):
    """M[b, 0, 0, j] = token_bj != pad_id."""
    tokens = jnp.array([[5, 6, 0, 0], [7, 0, 0, 0]])
    expected = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], bool)[:, None, None, :]
    close(np.asarray(student.attention.padding_mask(tokens)), expected, "padding_mask", atol=0)
    close(np.asarray(student.attention.padding_mask(tokens + 1, pad_id=1)), expected, "padding_mask(pad_id=1)", 0)


@graded(points=2)
def test_unmasked_attention_matches_jax(student):
    """softmax(Q K^T / sqrt(d_k)) V without a mask."""
    query, key, value = _qkv(seed=1)
    expected = jax.nn.dot_product_attention(query, key, value)
    close(student.attention.scaled_dot_product_attention(query, key, value), expected, "attention output", 1e-5)


@graded(points=2)
def test_masked_attention_matches_jax(student):
    """softmax(Q K^T / sqrt(d_k) + M) V with a causal mask combined with padding."""
    query, key, value = _qkv(seed=2, query_len=6, key_len=6)
    tokens = jnp.array([[3, 4, 5, 6, 0, 0], [3, 4, 5, 6, 7, 8]])
    mask = jnp.tril(jnp.ones((6, 6), bool))[None, None] & (tokens != 0)[:, None, None, :]
    expected = jax.nn.dot_product_attention(query, key, value, mask=mask)
    actual = student.attention.scaled_dot_product_attention(query, key, value, mask)
    close(actual, expected, "masked attention output", 1e-5)


@graded(points=2)
def test_masked_keys_get_no_weight(student):
    """Every row of weights is a distribution over the allowed keys only: masked keys 0, rows sum to 1."""
    query, key, _ = _qkv(seed=3, query_len=4, key_len=5)
    mask = jnp.array([True, True, False, True, False])[None, None, None, :]
    weights = np.asarray(student.attention.attention_weights(query, key, mask))
    if weights.shape != (2, 2, 4, 5):
        raise AssertionError(f"attention_weights: shape {weights.shape}, expected (2, 2, 4, 5) = [B, H, T, S]")
    close(weights[..., [2, 4]], np.zeros((2, 2, 4, 2)), "weights on masked keys", 1e-6)
    close(weights.sum(-1), np.ones((2, 2, 4)), "sum of each row of weights", 1e-5)
