"""Scaled dot-product attention, its masks, and multi-head attention.

Layout follows ``jax.nn.dot_product_attention``: queries ``[B, T, H, Dk]``, keys ``[B, S, H, Dk]``,
values ``[B, S, H, Dv]`` (batch, sequence, heads, features). A mask is boolean, broadcastable to
``[B, H, T, S]``, and ``True`` where a query may look at a key.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx


def _check_qkv(query: jax.Array, key: jax.Array, value: jax.Array) -> None:
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if not query.ndim == key.ndim == value.ndim == 4:
        raise ValueError(f"attention expects 4-D [batch, length, heads, features] arrays, got {shapes}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key head dims differ (d_k must match), got {shapes}")
    if key.shape[:3] != value.shape[:3]:
        raise ValueError(f"key and value must agree on [batch, length, heads], got {shapes}")
    if query.shape[0] != key.shape[0] or query.shape[2] != key.shape[2]:
        raise ValueError(f"query and key must agree on batch and heads, got {shapes}")


def _check_mask(mask: jax.Array, logits_shape: tuple[int, ...]) -> None:
    try:
        ok = mask.ndim <= 4 and jnp.broadcast_shapes(mask.shape, logits_shape) == logits_shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the attention logits "
            f"[batch, heads, query_len, key_len] = {tuple(logits_shape)}"
        )
    if mask.dtype != jnp.bool_:
        raise TypeError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")


def attention_weights(query: jax.Array, key: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """A = softmax(Q K^T / sqrt(d_k) + M), with M = 0 where the mask allows and -inf (a very negative
    finite number, so a fully masked row stays finite) where it does not. Returns ``[B, H, T, S]``.
    """
    _check_qkv(query, key, key)
    # BEGIN SOLUTION
    d_k = query.shape[-1]
    logits = jnp.einsum("bthd,bshd->bhts", query, key) / math.sqrt(d_k)  # [B, H, T, S]
    if mask is not None:
        _check_mask(mask, logits.shape)
        logits = jnp.where(mask, logits, jnp.finfo(logits.dtype).min)
    return jax.nn.softmax(logits, axis=-1)
    # END SOLUTION


def scaled_dot_product_attention(
    query: jax.Array, key: jax.Array, value: jax.Array, mask: jax.Array | None = None
) -> jax.Array:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V: each query returns a weighted average of
    the values, weighted by how well it matches each key. Returns ``[B, T, H, Dv]``.
    """
    _check_qkv(query, key, value)
    # BEGIN SOLUTION
    weights = attention_weights(query, key, mask)  # [B, H, T, S]
    return jnp.einsum("bhts,bshd->bthd", weights, value)
    # END SOLUTION


def causal_mask(query_length: int, key_length: int | None = None, offset: int | jax.Array = 0) -> jax.Array:
    """M[i, j] = (j <= i + offset): query i (at absolute position i + offset) sees only the past.

    ``offset`` is the position of the first query, e.g. the cache index in incremental decoding.
    Returns ``[1, 1, T, S]``.
    """
    # BEGIN SOLUTION
    key_length = query_length if key_length is None else key_length
    query_position = jnp.arange(query_length)[:, None] + offset  # [T, 1]
    key_position = jnp.arange(key_length)[None, :]  # [1, S]
    return (key_position <= query_position)[None, None]
    # END SOLUTION


def padding_mask(tokens: jax.Array, pad_id: int = 0) -> jax.Array:
    """M[b, j] = (token_bj != pad): no query attends to a padding key. ``[B, S]`` -> ``[B, 1, 1, S]``."""
    if tokens.ndim != 2:
        raise ValueError(f"padding_mask expects token ids [batch, length], got shape {tuple(tokens.shape)}")
    # BEGIN SOLUTION
    return (tokens != pad_id)[:, None, None, :]
    # END SOLUTION


def combine_masks(*masks: jax.Array | None) -> jax.Array | None:
    """Logical AND of the masks that are given (``None`` means "no constraint")."""
    present = [m for m in masks if m is not None]
    if not present:
        return None
    combined = present[0]
    for m in present[1:]:
        combined = jnp.logical_and(combined, m)
    return combined


def split_heads(x: jax.Array, num_heads: int) -> jax.Array:
    """[B, T, H * Dh] -> [B, T, H, Dh]: each head works on its own slice of the features."""
    # BEGIN SOLUTION
    batch, length, features = x.shape
    return x.reshape(batch, length, num_heads, features // num_heads)
    # END SOLUTION


def merge_heads(x: jax.Array) -> jax.Array:
    """[B, T, H, Dh] -> [B, T, H * Dh]: concatenate the heads again."""
    # BEGIN SOLUTION
    batch, length, heads, head_dim = x.shape
    return x.reshape(batch, length, heads * head_dim)
    # END SOLUTION


class MultiHeadAttention(nnx.Module):
    """MultiHead(X, C) = Concat_h(Attention(X W_h^Q, C W_h^K, C W_h^V)) W^O.

    Self-attention when the context C is X itself, cross-attention when C is the encoder's output.
    Set ``record_weights = True`` to keep the last attention weights ``[B, H, T, S]`` in
    ``self.weights`` (an ``nnx.Intermediate``) for plotting.
    """

    def __init__(self, d_model: int, num_heads: int, *, rngs: nnx.Rngs, d_context: int | None = None):
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        d_context = d_model if d_context is None else d_context
        self.num_heads = num_heads
        self.query = nnx.Linear(d_model, d_model, rngs=rngs)
        self.key = nnx.Linear(d_context, d_model, rngs=rngs)
        self.value = nnx.Linear(d_context, d_model, rngs=rngs)
        self.out = nnx.Linear(d_model, d_model, rngs=rngs)
        self.record_weights = False

    def project_key_value(self, context: jax.Array) -> dict[str, jax.Array]:
        """K = C W^K, V = C W^V split into heads: ``{"key": [B, S, H, Dh], "value": [B, S, H, Dh]}``."""
        return {
            "key": split_heads(self.key(context), self.num_heads),
            "value": split_heads(self.value(context), self.num_heads),
        }

    def attend(self, x: jax.Array, key_value: dict[str, jax.Array], mask: jax.Array | None) -> jax.Array:
        """Queries from x ``[B, T, D]`` against precomputed keys/values; returns ``[B, T, D]``."""
        # BEGIN SOLUTION
        query = split_heads(self.query(x), self.num_heads)  # [B, T, H, Dh]
        if self.record_weights:
            self.weights = nnx.Intermediate(attention_weights(query, key_value["key"], mask))
        heads = scaled_dot_product_attention(query, key_value["key"], key_value["value"], mask)
        return self.out(merge_heads(heads))
        # END SOLUTION

    def __call__(self, x: jax.Array, context: jax.Array | None = None, mask: jax.Array | None = None):
        """Full attention of x ``[B, T, D]`` over context ``[B, S, Dc]`` (x itself when omitted)."""
        return self.attend(x, self.project_key_value(x if context is None else context), mask)

    def init_cache(self, batch: int, max_length: int, dtype=jnp.float32) -> dict[str, jax.Array]:
        """An empty key/value cache for incremental self-attention over at most ``max_length`` tokens."""
        head_dim = self.out.in_features // self.num_heads
        zeros = jnp.zeros((batch, max_length, self.num_heads, head_dim), dtype)
        return {"key": zeros, "value": zeros}

    def decode_step(self, x: jax.Array, cache: dict[str, jax.Array], index: jax.Array):
        """Causal self-attention for new tokens x ``[B, T, D]`` at positions index..index+T-1.

        Their keys/values are written into the cache at ``index`` and the queries attend to every cached
        position up to their own, so each step costs O(T * max_length) instead of recomputing the past.
        Returns ``(output [B, T, D], updated cache)``.
        """
        new = self.project_key_value(x)
        cache = {name: jax.lax.dynamic_update_slice_in_dim(cache[name], new[name], index, axis=1) for name in cache}
        mask = causal_mask(x.shape[1], cache["key"].shape[1], offset=index)
        return self.attend(x, cache, mask), cache
