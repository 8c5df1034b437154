"""The small layers around attention: layer normalisation, dropout, and the position-wise MLP."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


def layer_norm(x: jax.Array, scale: jax.Array, bias: jax.Array, eps: float = 1e-6) -> jax.Array:
    """LN(x) = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta, over the feature axis of each token."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = jnp.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(variance + eps) * scale + bias


class LayerNorm(nnx.Module):
    """``layer_norm`` with a learned gain gamma (init 1) and shift beta (init 0)."""

    def __init__(self, features: int, eps: float = 1e-6):
        self.scale = nnx.Param(jnp.ones((features,)))
        self.bias = nnx.Param(jnp.zeros((features,)))
        self.eps = eps

    def __call__(self, x: jax.Array) -> jax.Array:
        return layer_norm(x, self.scale[...], self.bias[...], self.eps)


def dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    """Dropout(x) = x * m / (1 - p) with m ~ Bernoulli(1 - p); the identity when ``key`` is None.

    Passing the key explicitly (instead of hiding an RNG in the module) keeps every forward pass a pure
    function: the same key gives the same mask, and evaluation simply passes no key.
    """
    if key is None or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def split_key(key: jax.Array | None, num: int) -> list[jax.Array | None]:
    """``num`` independent keys from ``key``, or ``num`` Nones in deterministic mode."""
    return [None] * num if key is None else list(jax.random.split(key, num))


class MLP(nnx.Module):
    """FFN(x) = W_2 GELU(W_1 x + b_1) + b_2, applied to every position independently."""

    def __init__(self, d_model: int, d_hidden: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(d_model, d_hidden, rngs=rngs)
        self.output = nnx.Linear(d_hidden, d_model, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.output(jax.nn.gelu(self.hidden(x)))
